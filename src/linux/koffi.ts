/**
 * koffi, loaded straight from its prebuilt binary. koffi's own loader first reads Node's ELF
 * program headers (glibc or musl?) and resolves three packages: ~5 ms, a sixth of what
 * `sbx learn` adds to Node's own start (README "Start-up"). sbx binds glibc's libc.so.6, so the
 * glibc binary is the one it can use; where that is not where koffi's package for this
 * platform keeps it, koffi's loader runs as usual.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Where koffi's package for this platform keeps its glibc binary (koffi 3.x). */
export const KOFFI_BINARY = `@koromix/koffi-${process.platform}-${process.arch}/${process.platform}_${process.arch}/koffi.node`;

function loadKoffi(): typeof import('koffi') {
  try {
    return require(KOFFI_BINARY) as typeof import('koffi');
  } catch {
    return require('koffi') as typeof import('koffi');
  }
}

const koffi = loadKoffi();
export default koffi;
