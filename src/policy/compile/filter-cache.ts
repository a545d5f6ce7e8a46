/**
 * Compiled filters cached by content, for `sbx run`: a launcher runs the same policy again and
 * again, and compiling even a small one costs a cold process ~25 ms (the layout planner's
 * search runs before V8 has optimized it), a large one ~200 ms. A file is
 * `$XDG_CACHE_HOME/sbx/filters/<hash>.filter` (src/cache.ts): the text of everything the bytes
 * depend on (`filterKeyText`, one line of JSON), a newline, then the raw `struct sock_filter[]`
 * bytes as `sbx bpf --emit raw` writes them. A file is used only when its key is the run's,
 * byte for byte, and its filter passes the checks compilePolicy's own output passes; any other
 * file is a miss and is written again, so the cache can change how long `sbx run` takes to
 * start, never what it does.
 *
 * A policy's first enforcing run does not wait for the full search: it starts the program under
 * a quickly planned filter (compile.ts `Search`), cached as `<hash>.quick.filter`, and while the
 * program runs a worker thread plans the layout in full and caches it as `<hash>.filter` in
 * place of the quick one (`searchWhileRunning`). Later runs start with the full plan.
 */
import { cacheDir, type CacheKind, readCache, removeCache, writeCache } from '../../cache.js';
import { formatRaw, parseRaw } from '../../bpf/disasm.js';
import type { Program } from '../../bpf/program.js';
import { hostAbis } from '../../linux/arch.js';
import type { Worker } from 'node:worker_threads';
import type { Json } from '../../json-check.js';
import { checkPolicy, policyToJson, type Policy } from '../policy.js';
import { checkCacheable, compileMix, compilePolicy, DEFAULT_LAYOUT, type CompileOptions, type Layout, type Search } from './compile.js';
import type { CallMix } from './stats.js';

declare const SBX_COMPILER_STAMP: string | undefined;

/**
 * What changes with the compiler: scripts/bundle.mjs hashes esbuild's bundle of this module,
 * which is the code it can run (compiler, policy model, syscall tables, parseRaw, this key).
 * Any change to that code, comments aside, makes a build ignore older builds' files; no version
 * to remember to bump, and other changes to sbx keep the cache. Undefined outside the bundle
 * (vitest runs the sources): no cache there.
 */
export const COMPILER_STAMP = typeof SBX_COMPILER_STAMP === 'string' ? SBX_COMPILER_STAMP : undefined;

/** ~8 KB a policy (its key, then 8 bytes an instruction): some two thousand policies. */
const CACHE: CacheKind = { name: 'filters', extensions: ['.filter'], maxBytes: 16 << 20 };

/** Everything the compiled bytes depend on but the planner's search, which the file's name says. */
export interface FilterInputs {
  /** The effective policy: after relaxPolicy for `--complain`, `--log`, `--ask`. */
  readonly policy: Policy;
  readonly layout: Layout;
  /** The calls the layout is planned for (compileMix: `--profile`'s, else the rules'). */
  readonly mix: CallMix;
  readonly stamp: string;
}

/**
 * The text the key hashes: the compiler stamp, the layout, the host's ABIs, the policy in its
 * own JSON form and the call mix. policyToJson writes the fields in one order and the values as
 * the checker read them, not as the file spelled them, so a reformatted file is the same
 * policy (sorting every object's keys as well cost ~4 ms a run). The host's ABIs reach the
 * filter only through relaxPolicy, which adds them to the policy; keyed anyway, so that a
 * cache in a home shared by an x86_64 and an aarch64 machine never depends on that.
 */
export function filterKeyText({ policy, ...inputs }: FilterInputs): string {
  return keyText({ ...inputs, policy: policyToJson(policy) });
}

function keyText({ policy, layout, mix, stamp }: Omit<PendingSearch, 'key'>): string {
  const bigintAsText = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);
  return JSON.stringify(['sbx-filter', stamp, layout, hostAbis(), policy, mix], bigintAsText);
}

/**
 * The name of a key's files without their ending: 64 bits, hex, of FNV-1a's xor-multiply over
 * the key line's bytes 32 bits at a time (the last word padded with zeros), in two 32-bit
 * lanes (FNV's prime and MurmurHash2's). Each step is a bijection of the lane, so two key lines
 * of one length that differ in one word never share a name. The file holds its key, so the
 * name only has to spread keys, never to prove one: two keys that share a name take turns in
 * the file. Not sha256: loading node:crypto (its stream classes with it) costs `sbx run` ~5 ms
 * of start-up, and a sha256 in JavaScript as much, run cold; words, not characters, because
 * the loop runs cold too (a 60-rule policy's 50 KB key: ~0.5 ms instead of 2-4).
 */
function filterFileStem(keyLine: Uint8Array): string {
  const words = new Uint32Array(Math.ceil(keyLine.length / 4));
  new Uint8Array(words.buffer).set(keyLine);
  let low = 0x811c9dc5;
  let high = 0x050c5d1f;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    low = Math.imul(low ^ word, 0x01000193);
    high = Math.imul(high ^ word, 0x5bd1e995);
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return `${hex(high)}${hex(low)}`;
}

/** A key's line at the start of its files: the key's text and a newline (JSON text has none of its own). */
const keyLineOf = (keyText: string): Buffer => Buffer.from(`${keyText}\n`);

/** How a file's name ends by the search that planned its filter: `quick` ones are provisional. */
const SEARCH_ENDINGS: Readonly<Record<Search, string>> = { full: '.filter', quick: '.quick.filter' };

const fileNameOf = (stem: string, search: Search): string => `${stem}${SEARCH_ENDINGS[search]}`;

/** The cache file for a key text, holding the filter `search` planned. */
export function filterFileName(keyText: string, search: Search = 'full'): string {
  return fileNameOf(filterFileStem(keyLineOf(keyText)), search);
}

/** The filter bytes of `file` if it begins with `keyLine` (the filter follows it). */
function filterAfter(keyLine: Buffer, file: Buffer | undefined): Buffer | undefined {
  if (file === undefined || file.length < keyLine.length || !file.subarray(0, keyLine.length).equals(keyLine)) return undefined;
  return file.subarray(keyLine.length);
}

/**
 * One key's files: its inputs, the policy's JSON form, the key's text and line (~50 KB for a
 * 60-rule policy, so each is made once) and its files' stem.
 */
interface CacheEntry {
  readonly inputs: FilterInputs;
  readonly policyJson: Record<string, Json>;
  readonly key: string;
  readonly keyLine: Buffer;
  readonly stem: string;
}

/** The cache entry of `policy`'s compile, or undefined where there is no cache. */
function cacheEntry(policy: Policy, options: CompileOptions, stamp: string | undefined): CacheEntry | undefined {
  if (stamp === undefined || cacheDir(CACHE) === undefined) return undefined;
  return entryOf({ policy, layout: options.layout ?? DEFAULT_LAYOUT, mix: compileMix(policy, options), stamp });
}

function entryOf(inputs: FilterInputs): CacheEntry {
  const policyJson = policyToJson(inputs.policy);
  const key = keyText({ ...inputs, policy: policyJson });
  const keyLine = keyLineOf(key);
  return { inputs, policyJson, key, keyLine, stem: filterFileStem(keyLine) };
}

/** The entry's filter that `search` planned, if the cache has one that passes the checks. */
function cachedFilter(entry: CacheEntry, search: Search): Program | undefined {
  const file = readCache(CACHE, fileNameOf(entry.stem, search));
  return checkedFilter(entry.inputs.policy, filterAfter(entry.keyLine, file));
}

/** Compiles the entry's policy with `search` and caches the program; whether the cache took it. */
function compileInto(entry: CacheEntry, search: Search, source: string | undefined): { program: Program; cached: boolean } {
  const { policy, layout, mix } = entry.inputs;
  const program = compilePolicy(policy, { layout, profile: mix, search, ...(source === undefined ? {} : { source }) });
  const bytes = Buffer.concat([entry.keyLine, formatRaw(program)]);
  return { program, cached: writeCache(CACHE, fileNameOf(entry.stem, search), bytes) };
}

/**
 * compilePolicy through the cache: the same program and the same errors (nothing that failed
 * is cached). Without a stamp or with SBX_NO_CACHE set it is compilePolicy and nothing more.
 */
export function compileCached(policy: Policy, options: CompileOptions = {}, stamp = COMPILER_STAMP): Program {
  const entry = cacheEntry(policy, options, stamp);
  if (entry === undefined) return compilePolicy(policy, options);
  return cachedFilter(entry, 'full') ?? compileInto(entry, 'full', options.source).program;
}

/** What the full search of a provisional filter needs: plain data, for a worker thread. */
export interface PendingSearch {
  /** The policy as policyToJson writes it (checkPolicy reads it back). */
  readonly policy: Record<string, Json>;
  readonly layout: Layout;
  readonly mix: CallMix;
  readonly stamp: string;
  /** The key's text: the search caches nothing unless the policy it reads back has the same. */
  readonly key: string;
}

/**
 * The filter an enforcing `sbx run` starts the program with: the full plan from the cache,
 * else a provisional one, from the cache or planned quickly and cached, with the full search
 * it still owes (`searchInFull`). Where the cache is off or cannot be written, or the layout
 * has one plan (`linear`), it is compileCached's.
 */
export function compileForLaunch(
  policy: Policy,
  options: CompileOptions = {},
  stamp = COMPILER_STAMP,
): { program: Program; pending?: PendingSearch } {
  const entry = cacheEntry(policy, options, stamp);
  if (entry === undefined) return { program: compilePolicy(policy, options) };
  const found = cachedFilter(entry, 'full');
  if (found) return { program: found };
  const { layout, mix } = entry.inputs;
  if (layout === 'linear') return { program: compileInto(entry, 'full', options.source).program };
  const pending: PendingSearch = { policy: entry.policyJson, layout, mix, stamp: entry.inputs.stamp, key: entry.key };
  const provisional = cachedFilter(entry, 'quick');
  if (provisional) return { program: provisional, pending };
  const made = compileInto(entry, 'quick', options.source);
  // A provisional filter that no search could replace would be every later run's filter.
  if (!made.cached) return { program: compilePolicy(policy, { ...options, layout, profile: mix }) };
  return { program: made.program, pending };
}

/**
 * Plans a provisional filter's policy in full and caches the program in place of the
 * provisional one. Whether it did: false where the cache could not take it.
 */
export function searchInFull({ key, ...inputs }: PendingSearch): boolean {
  const entry = entryOf({ ...inputs, policy: checkPolicy(inputs.policy, 'the policy of a pending search') });
  if (entry.key !== key || !compileInto(entry, 'full', undefined).cached) return false;
  removeCache(CACHE, fileNameOf(entry.stem, 'quick'));
  return true;
}

declare const SBX_SEARCH_WORKER: string | undefined;
/** The search worker's file: one CommonJS file in the bundle (scripts/bundle.mjs), search-worker.js in tsc's build. */
const SEARCH_WORKER_FILE = typeof SBX_SEARCH_WORKER === 'string' ? SBX_SEARCH_WORKER : './search-worker.js';

/**
 * A program that ends sooner starts no search: its filter hardly ran, and a thread would delay
 * sbx's exit. The timer fires at the first turn of sbx's event loop after it, which the
 * main-thread tracer's waits give every 100 ms (src/ptrace/main-thread.ts).
 */
const SEARCH_DELAY_MS = 50;

/**
 * `searchInFull(pending)` in a worker thread, once the program has run SEARCH_DELAY_MS. `stop`
 * ends it wherever it is: when the program is done, sbx exits at once, and a later run searches
 * again. A search that fails leaves the provisional filter, which is as right, only slower.
 */
export function searchWhileRunning(pending: PendingSearch): { stop(): Promise<void> } {
  let worker: Worker | undefined;
  const timer = setTimeout(() => {
    const threads = process.getBuiltinModule('node:worker_threads');
    // Its own stdout and stderr: piping them to sbx's would create sbx's stdio streams, which
    // set O_NONBLOCK on pipes the program shares (it writes nothing anyway).
    worker = new threads.Worker(new URL(SEARCH_WORKER_FILE, import.meta.url), { workerData: pending, stdout: true, stderr: true });
    worker.on('error', () => {});
    worker.unref();
  }, SEARCH_DELAY_MS);
  timer.unref();
  return {
    async stop() {
      clearTimeout(timer);
      await worker?.terminate();
    },
  };
}

/**
 * The program in a cache file, or undefined when there is none or it fails a check:
 * parseRaw's (whole 8-byte instructions, 1..BPF_MAXINSNS of them, everything the kernel
 * checks: the `Program` type) and compilePolicy's own (every call the policy plainly allows
 * is one the kernel's action cache allows).
 */
function checkedFilter(policy: Policy, bytes: Uint8Array | undefined): Program | undefined {
  if (bytes === undefined) return undefined;
  try {
    const program = parseRaw(bytes);
    checkCacheable(policy, program);
    return program;
  } catch {
    return undefined;
  }
}
