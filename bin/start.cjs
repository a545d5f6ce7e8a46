'use strict';
// Starts sbx's bundle (dist/bundle/sbx.cjs, scripts/bundle.mjs) with V8's code cache for it,
// sbx.cjs.cache, which `npm run build` writes after a run of sbx: compiling ~1 MB of JavaScript
// at each start costs sbx more than anything else it does on a short program (README
// "Start-up"). V8 checks the cache against its own version and flags and the source's length,
// and compiles as usual where it does not fit (another node, a rebuilt bundle).
// bin/sbx's bash lines run this file; `node bin/sbx` loads the bundle as a plain module.
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const file = join(__dirname, '../dist/bundle/sbx.cjs');
const cacheFile = `${file}.cache`;
let source;
try {
  // esbuild writes ASCII: read as latin1, the cheapest decoding.
  source = readFileSync(file, 'latin1');
} catch (err) {
  // One line, and 125 where sbx passes on a program's exit code (README "Exit codes").
  process.stderr.write(`sbx: cannot start: ${err.message} (was dist/ built? run npm run build)\n`);
  process.exit(['learn', 'run', 'validate'].includes(process.argv[2]) ? 125 : 70);
}
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {}
const script = new Script(wrap(source), { filename: file, cachedData });
// Code compiled by vm.Script has no module loader to import() with: the bundle imports its
// ES-module-only packages through this module's (src/esm-packages.ts).
globalThis[Symbol.for('sbx.import')] = (specifier) => import(specifier);
// `npm run build` sets this to the bundle it trains the cache on; the cache is written as sbx
// exits, so it holds the functions that run compiled, not only the top level.
if (process.env.SBX_WRITE_CODE_CACHE === file) {
  delete process.env.SBX_WRITE_CODE_CACHE;
  process.once('exit', () => {
    writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
    renameSync(`${cacheFile}.tmp`, cacheFile);
  });
}
const module_ = { exports: {} };
script.runInThisContext()(module_.exports, createRequire(file), module_, file, dirname(file));
