/**
 * sbx's caches (src/cache.ts) on a real directory: a hit marks its file used, a write past the
 * kind's size removes the least recently used files down to three quarters of it, an older
 * format's files and stale temp files go, and SBX_NO_CACHE neither reads nor writes.
 */
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheDir, type CacheKind, readCache, writeCache } from '../src/cache.js';
import { tempDir } from './helpers.js';

const KIND: CacheKind = { name: 'test', extensions: ['.bin'], maxBytes: 1000 };
const HOUR_S = 60 * 60;

let saved: { xdg?: string; off?: string };
let dir: string;

beforeEach(() => {
  saved = {
    ...(process.env.XDG_CACHE_HOME ? { xdg: process.env.XDG_CACHE_HOME } : {}),
    ...(process.env.SBX_NO_CACHE ? { off: process.env.SBX_NO_CACHE } : {}),
  };
  process.env.XDG_CACHE_HOME = tempDir('sbx-cache-');
  delete process.env.SBX_NO_CACHE;
  dir = cacheDir(KIND)!;
});

afterEach(() => {
  for (const [name, value] of [
    ['XDG_CACHE_HOME', saved.xdg],
    ['SBX_NO_CACHE', saved.off],
  ] as const)
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
});

/** Sets a file's last use `ago` seconds back. */
function usedAgo(name: string, ago: number): void {
  const t = Date.now() / 1000 - ago;
  utimesSync(join(dir, name), t, t);
}

const files = () => readdirSync(dir).sort();

describe('sbx caches', () => {
  it('gives back what was written, marks a hit used, and misses what is not there', () => {
    writeCache(KIND, 'a.bin', Buffer.from('abc'));
    usedAgo('a.bin', HOUR_S);
    expect(readCache(KIND, 'a.bin')?.toString()).toBe('abc');
    expect(Date.now() - statSync(join(dir, 'a.bin')).mtimeMs).toBeLessThan(60_000);
    expect(readCache(KIND, 'b.bin')).toBeUndefined();
  });

  it('a write past the size removes the least recently used files down to three quarters of it', () => {
    // 300 bytes each: a (used 4 h ago), b (1 h), c (3 h), then d makes 1200 > 1000.
    for (const [name, ago] of [
      ['a.bin', 4],
      ['b.bin', 1],
      ['c.bin', 3],
    ] as const) {
      writeCache(KIND, name, Buffer.alloc(300));
      usedAgo(name, ago * HOUR_S);
    }
    expect(files()).toEqual(['a.bin', 'b.bin', 'c.bin']);
    writeCache(KIND, 'd.bin', Buffer.alloc(300));
    // a and c go (oldest first) until 600 <= 750; b, used more recently, and d stay.
    expect(files()).toEqual(['b.bin', 'd.bin']);
  });

  it("removes an older format's files and stale temp files, and leaves a write in flight alone", () => {
    mkdirSync(dir, { recursive: true });
    for (const name of ['old.json', 'old.bpf', '.x.bin.tmp-1', '.y.bin.tmp-2']) writeFileSync(join(dir, name), 'x');
    usedAgo('.x.bin.tmp-1', 2 * HOUR_S);
    writeCache(KIND, 'a.bin', Buffer.from('a'));
    expect(files()).toEqual(['.y.bin.tmp-2', 'a.bin']);
  });

  it('SBX_NO_CACHE neither reads nor writes', () => {
    writeCache(KIND, 'a.bin', Buffer.from('a'));
    process.env.SBX_NO_CACHE = '1';
    expect(cacheDir(KIND)).toBeUndefined();
    expect(readCache(KIND, 'a.bin')).toBeUndefined();
    writeCache(KIND, 'b.bin', Buffer.from('b'));
    expect(existsSync(join(dir, 'b.bin'))).toBe(false);
  });
});
