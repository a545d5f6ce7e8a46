/**
 * sbx's caches: files named by what they were made from, under `$XDG_CACHE_HOME/sbx/<kind>/`
 * (else `~/.cache/sbx/<kind>/`). A cache only saves time, so nothing here throws: a cache that
 * cannot be read is a miss, one that cannot be written (read-only home, full disk) is skipped.
 * `SBX_NO_CACHE` (any non-empty value) turns every cache off, for reads and writes. Each kind
 * has a size: a write past it removes the files used least recently (a hit marks its file used),
 * and files an older sbx wrote in another format.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './io.js';

/** One kind of cache. */
export interface CacheKind {
  /** Its directory under sbx's (`filters`, `callgraph`). */
  readonly name: string;
  /** How its files are named now; any other file there is an older format's and is removed. */
  readonly extensions: readonly string[];
  /** Bytes it may hold: a write past this removes the least recently used down to three quarters of it. */
  readonly maxBytes: number;
}

/** How long a writer's temp file (writeFileAtomic's `.<name>.tmp-<pid>`) may be in flight before pruning removes it. */
const TEMP_AGE_MS = 60 * 60 * 1000;

/** The directory of one kind of cache, or undefined when caches are off. */
export function cacheDir(kind: CacheKind): string | undefined {
  if (process.env.SBX_NO_CACHE) return undefined;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sbx', kind.name);
}

/** A cache file's bytes (the file marked used), or undefined when absent, unreadable or caches are off. */
export function readCache(kind: CacheKind, name: string): Buffer | undefined {
  const dir = cacheDir(kind);
  if (dir === undefined) return undefined;
  const path = join(dir, name);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  try {
    const now = Date.now() / 1000;
    utimesSync(path, now, now);
  } catch {
    // Not marked: pruning may take it sooner.
  }
  return bytes;
}

/**
 * Written whole (temp file + rename: a reader never sees half a file), or not at all; then the
 * kind is pruned to its size. Whether the file was written.
 */
export function writeCache(kind: CacheKind, name: string, bytes: Uint8Array): boolean {
  const dir = cacheDir(kind);
  if (dir === undefined) return false;
  try {
    makeDirectory(dir);
    writeFileAtomic(join(dir, name), bytes);
  } catch {
    return false; // the next write tries again
  }
  try {
    prune(kind, dir);
  } catch {
    // Not pruned: the next write tries again.
  }
  return true;
}

/** Removes a cache file, if there is one (a file another is written in place of). */
export function removeCache(kind: CacheKind, name: string): void {
  const dir = cacheDir(kind);
  if (dir === undefined) return;
  try {
    rmSync(join(dir, name), { force: true });
  } catch {
    // Left for pruning.
  }
}

/** Removes an older format's files and stale temp files, then the least recently used files past the kind's size. */
function prune(kind: CacheKind, dir: string): void {
  const now = Date.now();
  const files: { path: string; size: number; used: number }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(dir, entry.name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue; // removed meanwhile by another sbx
    const temp = entry.name.startsWith('.') && entry.name.includes('.tmp-');
    if (temp || !kind.extensions.some((ext) => entry.name.endsWith(ext))) {
      if (!temp || now - stat.mtimeMs > TEMP_AGE_MS) rmSync(path, { force: true });
      continue;
    }
    files.push({ path, size: stat.size, used: stat.mtimeMs });
  }
  let total = files.reduce((sum, f) => sum + f.size, 0);
  if (total <= kind.maxBytes) return;
  files.sort((a, b) => a.used - b.used);
  for (const file of files) {
    if (total <= (kind.maxBytes * 3) / 4) break;
    rmSync(file.path, { force: true });
    total -= file.size;
  }
}

/**
 * `mkdir -p`, giving up where a directory cannot be made. Node 20's `mkdirSync(dir, { recursive:
 * true })` never returns where mkdir fails with ENOENT under a parent that exists (/proc: a
 * cache at $XDG_CACHE_HOME=/proc hung sbx).
 */
function makeDirectory(dir: string, parentMade = false): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || parentMade) throw err;
    makeDirectory(dirname(dir));
    makeDirectory(dir, true);
  }
}
