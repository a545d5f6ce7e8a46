/**
 * Compiled filters cached by content, for `sbx run`: a launcher runs the same policy again and
 * again, and compiling even a small one costs a cold process ~25 ms (the layout planner's
 * search runs before V8 has optimized it). A file is `$XDG_CACHE_HOME/sbx/filters/<name>.filter`
 * (src/cache.ts): the text of everything the bytes depend on (`filterKeyText`, one line of
 * JSON), a newline, then the raw `struct sock_filter[]` bytes as `sbx bpf --emit raw` writes
 * them. A file is used only when its key is the run's, byte for byte, and its filter passes the
 * checks compilePolicy's own output passes; any other file is a miss and is written again, so
 * the cache can change how long `sbx run` takes to start, never what it does.
 */
import { cacheDir, type CacheKind, readCache, writeCache } from '../../cache.js';
import { formatRaw, parseRaw } from '../../bpf/disasm.js';
import type { Program } from '../../bpf/program.js';
import { hostAbis } from '../../linux/arch.js';
import { policyToJson, type Policy } from '../policy.js';
import { checkCacheable, compileMix, compilePolicy, DEFAULT_LAYOUT, type CompileOptions, type Layout } from './compile.js';
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

/** Everything the compiled bytes depend on. */
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
export function filterKeyText({ policy, layout, mix, stamp }: FilterInputs): string {
  const bigintAsText = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);
  return JSON.stringify(['sbx-filter', stamp, layout, hostAbis(), policyToJson(policy), mix], bigintAsText);
}

/**
 * The cache file's name for a key text: 64 bits, hex, of FNV-1a's xor-multiply over its UTF-16
 * units in two 32-bit lanes (FNV's prime and MurmurHash2's). The file holds its key, so the
 * name only has to spread keys, never to prove one: two keys that share a name take turns in
 * the file. Not sha256: loading node:crypto (its stream classes with it) costs `sbx run` ~5 ms
 * of start-up, and a sha256 in JavaScript as much, run cold.
 */
export function filterFileName(keyText: string): string {
  let low = 0x811c9dc5;
  let high = 0x050c5d1f;
  for (let i = 0; i < keyText.length; i++) {
    const unit = keyText.charCodeAt(i);
    low = Math.imul(low ^ unit, 0x01000193);
    high = Math.imul(high ^ unit, 0x5bd1e995);
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return `${hex(high)}${hex(low)}.filter`;
}

/**
 * A cache file begins with its key line: the key's text and a newline (JSON text has none of
 * its own); the filter follows. The filter bytes of `file` if it begins with `keyLine`.
 */
function filterAfter(keyLine: Buffer, file: Buffer | undefined): Buffer | undefined {
  if (file === undefined || file.length < keyLine.length || !file.subarray(0, keyLine.length).equals(keyLine)) return undefined;
  return file.subarray(keyLine.length);
}

/**
 * compilePolicy through the cache: the same program and the same errors (nothing that failed
 * is cached). Without a stamp or with SBX_NO_CACHE set it is compilePolicy and nothing more.
 */
export function compileCached(policy: Policy, options: CompileOptions = {}, stamp = COMPILER_STAMP): Program {
  if (stamp === undefined || cacheDir(CACHE) === undefined) return compilePolicy(policy, options);
  const layout = options.layout ?? DEFAULT_LAYOUT;
  const mix = compileMix(policy, options);
  const key = filterKeyText({ policy, layout, mix, stamp });
  const file = filterFileName(key);
  const keyLine = Buffer.from(`${key}\n`);
  const cached = checkedFilter(policy, filterAfter(keyLine, readCache(CACHE, file)));
  if (cached) return cached;
  const program = compilePolicy(policy, { ...options, layout, profile: mix });
  writeCache(CACHE, file, Buffer.concat([keyLine, formatRaw(program)]));
  return program;
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
