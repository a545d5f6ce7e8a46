'use strict';
// Starts sbx's bundle (dist/bundle/sbx.cjs, scripts/bundle.mjs) with V8's code cache for it,
// sbx.cjs.cache, which `npm run build` writes after a run of sbx: compiling ~1 MB of JavaScript
// at each start costs sbx more than anything else it does on a short program (README
// "Start-up"). V8 checks the cache against its own version and flags and the source's length,
// and compiles as usual where it does not fit (another node, a rebuilt bundle).
// bin/sbx's bash lines run this file, and so does `node bin/sbx`.
const { closeSync, fstatSync, openSync, readSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const file = join(__dirname, '../dist/bundle/sbx.cjs');
const cacheFile = `${file}.cache`;

/** An open file and its size. */
function openFile(path) {
  const fd = openSync(path, 'r');
  return { fd, size: fstatSync(fd).size };
}

/** Reads all of `f` into the start of `buffer`, and closes it. */
function readInto(f, buffer) {
  for (let done = 0; done < f.size; ) {
    const n = readSync(f.fd, buffer, done, f.size - done, done);
    if (n === 0) throw new Error(`${f.size - done} bytes short`);
    done += n;
  }
  closeSync(f.fd);
  return buffer.subarray(0, f.size);
}

let bundle;
try {
  bundle = openFile(file);
} catch (err) {
  // One line, and 125 where sbx passes on a program's exit code (README "Exit codes").
  process.stderr.write(`sbx: cannot start: ${err.message} (was dist/ built? run npm run build)\n`);
  process.exit(['learn', 'run', 'validate'].includes(process.argv[2]) ? 125 : 70);
}
let cache;
try {
  cache = openFile(cacheFile);
} catch {} // none yet: compiled as usual
// Both files pass through one buffer: the source is copied out of it into a string, then the
// cache is read over it. Each fresh page costs a fault (~10 µs on this VM), and these are
// ~400 of them (README "Start-up").
const buffer = Buffer.allocUnsafeSlow(Math.max(bundle.size, cache?.size ?? 0));
// esbuild writes ASCII: latin1 is the cheapest decoding.
const source = readInto(bundle, buffer).toString('latin1');
let cachedData;
try {
  cachedData = cache && readInto(cache, buffer);
} catch {}
const script = new Script(source, { filename: file, cachedData });
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
// The bundle is the function expression Node would wrap a CommonJS module in.
script.runInThisContext()(module_.exports, createRequire(file), module_, file, dirname(file));
