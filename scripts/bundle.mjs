// Bundles the CLI and the tracer worker into dist/bundle/ (bin/sbx runs it): one file per
// entry plus shared chunks, instead of ~50 ES modules each resolved and loaded at start-up.
// Packages stay external (koffi loads a native library; ink, react and commander load as they are).
// Entries and chunks sit in one flat folder, so `new URL('./worker.js', import.meta.url)` in
// src/ptrace/prestart.ts resolves the same from an entry or a chunk (and in tsc's dist/src/ptrace). tsc still type-checks and emits dist/src/ for tests.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}/dist/bundle`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts', 'src/ptrace/prestart.ts', 'src/linux/inherited.ts', 'src/ptrace/worker.ts'],
  outdir: 'dist/bundle',
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
