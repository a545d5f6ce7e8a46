// Bundles the CLI and the tracer worker into dist/bundle/ (bin/sbx runs it): one file per
// entry plus shared chunks, instead of ~50 ES modules each resolved and loaded at start-up.
// Packages stay external (koffi loads a native library; ink, react and commander load as they are).
// Chunks sit next to the cli entries so `new URL('../ptrace/worker.js', import.meta.url)`
// resolves the same from an entry or a chunk. tsc still type-checks and emits dist/src/ for tests.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}/dist/bundle`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts', 'src/cli/prestart.ts', 'src/ptrace/inherited.ts', 'src/ptrace/worker.ts'],
  outbase: 'src',
  outdir: 'dist/bundle',
  chunkNames: 'cli/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
