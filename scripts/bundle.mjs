// Bundles the CLI and the tracer worker into dist/bundle/ (bin/sbx runs it): one file per
// entry plus shared chunks, instead of ~50 ES modules each resolved and loaded at start-up.
// commander is bundled too (every command loads it: ~9 % less CPU for `sbx --version`); the
// other packages stay external (koffi loads a native library; ink, react and csv-stringify
// load as they are, only when a command needs them).
// Entries and chunks sit in one flat folder, so `new URL(file, import.meta.url)` in
// src/ptrace/prestart.ts resolves the same from an entry or a chunk (and in tsc's dist/src/ptrace).
// tsc still type-checks and emits dist/src/ for tests.
// The tracer worker is one CommonJS file of its own, worker.cjs: a worker thread that loads no
// ES module boots without the ES module loader (~8 % less CPU for `sbx learn` on /bin/true).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const WORKER_FILE = 'worker.cjs';
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
};
rmSync(`${root}/dist/bundle`, { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: ['src/cli/main.ts', 'src/ptrace/prestart.ts', 'src/linux/inherited.ts'],
    outdir: 'dist/bundle',
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    splitting: true,
    format: 'esm',
    external: ['koffi', 'ink', 'react', 'react/*', 'csv-stringify', 'csv-stringify/*'],
    // commander is CommonJS: its require() of Node's modules needs a require in an ES module.
    banner: {
      js: "import { createRequire as createRequireForCommander } from 'node:module'; const require = createRequireForCommander(import.meta.url);",
    },
    define: { SBX_TRACER_WORKER: JSON.stringify(`./${WORKER_FILE}`) },
  }),
  build({
    ...common,
    entryPoints: ['src/ptrace/worker.ts'],
    packages: 'external',
    outfile: `dist/bundle/${WORKER_FILE}`,
    format: 'cjs',
    // version.ts finds package.json from import.meta.url, which CommonJS does not have.
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  }),
]);
