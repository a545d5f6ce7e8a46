/**
 * sbx's caches: files named by a hash of what they were made from, under
 * `$XDG_CACHE_HOME/sbx/<kind>/` (else `~/.cache/sbx/<kind>/`). A cache only saves time, so
 * nothing here throws: a cache that cannot be read is a miss, one that cannot be written
 * (read-only home, full disk) is skipped. `SBX_NO_CACHE` (any non-empty value) turns every
 * cache off, for reads and writes.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './io.js';

/** The directory of one kind of cache (`callgraph`, `filters`), or undefined when caches are off. */
export function cacheDir(kind: string): string | undefined {
  if (process.env.SBX_NO_CACHE) return undefined;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sbx', kind);
}

/** A cache file's bytes, or undefined when absent, unreadable or caches are off. */
export function readCache(kind: string, name: string): Buffer | undefined {
  const dir = cacheDir(kind);
  if (dir === undefined) return undefined;
  try {
    return readFileSync(join(dir, name));
  } catch {
    return undefined;
  }
}

/** Written whole (temp file + rename: a reader never sees half a file), or not at all. */
export function writeCache(kind: string, name: string, bytes: Uint8Array): void {
  const dir = cacheDir(kind);
  if (dir === undefined) return;
  try {
    makeDirectory(dir);
    writeFileAtomic(join(dir, name), bytes);
  } catch {
    // Not written: the next run makes it again.
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
