// Bundles sbx into dist/bundle/ (bin/sbx runs it).
//  - sbx.cjs: the whole CLI, whitespace minified, as one CommonJS module body (commander
//    included) inside the function expression Node would wrap it in, and sbx.cjs.cache, V8's
//    code cache for it (bin/start.cjs): one file compiled from its cache costs less at start-up
//    than ~30 ES modules compiled each time, which Node 20 cannot cache.
//  - worker.cjs: the tracer worker, a CommonJS file of its own (a worker that loads no ES
//    module boots without the ES module loader); search-worker.cjs likewise, the worker that
//    plans a provisional filter in full while `sbx run`'s program runs (filter-cache.ts).
// koffi (a native library) and csv-stringify load from node_modules as they are. Ink is an ES
// module with top-level await, which CommonJS cannot require(): it is imported once, before
// the first terminal UI module loads (src/ui/load-ui.ts, src/esm-packages.ts), and the
// bundle's require('ink') returns what was imported.
// tsc still type-checks and emits dist/src/ for tests.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist/bundle');
const WORKER_FILE = 'worker.cjs';
const SEARCH_WORKER_FILE = 'search-worker.cjs';
const CLI_FILE = 'sbx.cjs';
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  format: 'cjs',
  // version.ts and prestart.ts find files from import.meta.url, which CommonJS does not have.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

/** `import ... from 'ink'` in the bundle: what src/esm-packages.ts imported before. */
const preloadedEsm = {
  name: 'preloaded-esm',
  setup(b) {
    b.onResolve({ filter: /^ink$/ }, (args) => ({ path: args.path, namespace: 'preloaded-esm' }));
    b.onLoad({ filter: /.*/, namespace: 'preloaded-esm' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(join(root, 'src/esm-packages.ts'))}).preloaded(${JSON.stringify(args.path)});`,
      resolveDir: root,
      loader: 'js',
    }));
  },
};

/**
 * commander requires node:child_process (and with it net, dgram, stream) as it loads, for
 * executable subcommands, which sbx has none of: it is required on first use instead, which
 * every sbx command's start-up is spared.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /commander[/\\]lib[/\\]command\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!text.includes(eager)) throw new Error(`${args.path}: no "${eager}" to make lazy; update scripts/bundle.mjs`);
      const lazy = "const childProcess = new Proxy({}, { get: (_, name) => require('node:child_process')[name] });";
      return { contents: text.replace(eager, lazy), loader: 'js' };
    });
  },
};

/**
 * The filter cache's compiler stamp (src/policy/compile/filter-cache.ts): a hash of esbuild's
 * bundle of the cache module, that is of every function it can run, the compiler's included.
 * It changes with that code (comments aside) and with nothing else.
 */
async function compilerStamp() {
  const { outputFiles } = await build({
    ...common,
    entryPoints: ['src/policy/compile/filter-cache.ts'],
    packages: 'external',
    sourcemap: false,
    write: false,
    outfile: 'compiler.cjs',
  });
  return createHash('sha256').update(outputFiles[0].contents).digest('hex');
}

rmSync(out, { recursive: true, force: true });
const stamp = await compilerStamp();
await Promise.all([
  build({
    ...common,
    entryPoints: ['src/cli/start.ts'],
    outfile: `${out}/${CLI_FILE}`,
    // Wrapped on disk, not by module.wrap() at each start: V8 would copy the ~1 MB wrapped
    // string into one piece before compiling it (~250 fresh pages, 2.5 ms on this VM).
    banner: { js: `(function (exports, require, module, __filename, __dirname) {${common.banner.js}` },
    // Every byte of the bundle is read and copied into a string at each start (~9 ms per MB on
    // this VM): its whitespace goes (1.05 MB -> 0.75 MB). Names stay; an internal error's
    // stack is mapped back to src/ through sbx.cjs.map (src/stack.ts).
    minifyWhitespace: true,
    footer: { js: '})' },
    external: ['koffi', 'react', 'react/*', 'csv-stringify', 'csv-stringify/*'],
    plugins: [preloadedEsm, lazyChildProcess],
    define: {
      ...common.define,
      SBX_TRACER_WORKER: JSON.stringify(`./${WORKER_FILE}`),
      SBX_SEARCH_WORKER: JSON.stringify(`./${SEARCH_WORKER_FILE}`),
      SBX_BUNDLED: 'true',
      SBX_COMPILER_STAMP: JSON.stringify(stamp),
    },
  }),
  build({ ...common, entryPoints: ['src/ptrace/worker.ts'], packages: 'external', outfile: `${out}/${WORKER_FILE}` }),
  build({ ...common, entryPoints: ['src/policy/compile/search-worker.ts'], packages: 'external', outfile: `${out}/${SEARCH_WORKER_FILE}` }),
]);

// The code cache bin/start.cjs loads the bundle with, written by one run of sbx (a learn of
// /bin/true; `--version` where this machine refuses ptrace). A bundle without its cache still
// runs, compiled at each start.
const cli = join(out, CLI_FILE);
const temp = mkdtempSync(join(tmpdir(), 'sbx-build-'));
const train = (args) =>
  spawnSync(process.execPath, [join(root, 'bin/start.cjs'), ...args], {
    env: { ...process.env, SBX_WRITE_CODE_CACHE: cli },
    stdio: 'ignore',
  }).status === 0;
const trained = train(['learn', '-q', '-o', join(temp, 'true.profile.json'), '--', '/bin/true']) || train(['--version']);
rmSync(temp, { recursive: true, force: true });
if (!trained) throw new Error('sbx does not start from its bundle: run bin/sbx --version');
