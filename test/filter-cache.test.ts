/**
 * `sbx run`'s filter cache (src/policy/compile/filter-cache.ts), through the real bin/sbx: the
 * file it writes holds its key and exactly the compiled filter, a second run enforces the file's
 * filter, a corrupt file or one made for another key is ignored and written again, an unwritable cache changes nothing, and every
 * input of a compile has its own key; a first run's quick plan is replaced by the full one while
 * a program runs. Each run gets its own XDG_CACHE_HOME: never the home's.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRaw } from '../src/bpf/disasm.js';
import { compileMix, compilePolicy, LAYOUTS, type Layout, type Search } from '../src/policy/compile/compile.js';
import { compileForLaunch, filterFileName, filterKeyText, searchInFull } from '../src/policy/compile/filter-cache.js';
import { readPolicy } from '../src/policy/policy.js';
import { relaxPolicy } from '../src/policy/relax.js';
import { readProfile } from '../src/profile/profile.js';
import { ROOT, runSbx, tempDir, type RunResult } from './helpers.js';

const rule = (syscall: string, action: string) => ({ syscall, action, provenance: { source: 'hand' } });

function writePolicy(dir: string, name: string, defaultAction: string, rules: readonly object[]): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ format: 'sbx-policy', version: 1, arches: ['x86_64'], defaultAction, rules }));
  return file;
}

/** Allows everything but uname, which fails with `errno`: `uname` prints which errno it got. */
function unamePolicy(dir: string, errno = 'EPERM', more: readonly object[] = []): string {
  return writePolicy(dir, `uname-${errno}-${more.length}.json`, 'allow', [rule('uname', `errno(${errno})`), ...more]);
}

const DENIED = 'uname: cannot get system name: Operation not permitted\n';

/** `sbx run` with its cache in `cache` (undefined: SBX_NO_CACHE=1). */
function run(cache: string | undefined, args: readonly string[]): Promise<RunResult> {
  const { SBX_NO_CACHE: _, ...inherited } = process.env;
  const env = cache === undefined ? { ...inherited, SBX_NO_CACHE: '1' } : { ...inherited, XDG_CACHE_HOME: cache };
  return runSbx(['run', ...args], { env });
}

/** The filter files in a cache, by name. */
function filterFiles(cache: string): string[] {
  try {
    return readdirSync(join(cache, 'sbx', 'filters')).sort();
  } catch {
    return [];
  }
}

/**
 * The one filter file in a cache: its path, its key line (with the newline), its filter's bytes
 * and the search that planned them, which its name says. A short program's first run leaves
 * the quick plan; one that ran long enough for the search (a slow machine) the full one.
 */
function onlyFilter(cache: string): { path: string; key: Buffer; bytes: Buffer; search: Search } {
  const files = filterFiles(cache);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^[0-9a-f]{16}(\.quick)?\.filter$/);
  const path = join(cache, 'sbx', 'filters', files[0]!);
  const file = readFileSync(path);
  const newline = file.indexOf(0x0a);
  expect(JSON.parse(file.subarray(0, newline).toString())[0]).toBe('sbx-filter');
  const search = files[0]!.endsWith('.quick.filter') ? 'quick' : 'full';
  return { path, key: file.subarray(0, newline + 1), bytes: file.subarray(newline + 1), search };
}

function compiled(policyFile: string, layout: Layout = 'cache-aware', search: Search = 'full'): Buffer {
  return Buffer.from(formatRaw(compilePolicy(readPolicy(policyFile), { layout, search })));
}

describe('sbx run caches the compiled filter', () => {
  it('writes the compiled bytes, and a second run enforces the filter it finds there', async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const policy = unamePolicy(dir);
    const first = await run(cache, ['--policy', policy, '--', 'uname']);
    expect([first.code, first.stderr]).toEqual([1, DENIED]);
    const { path, key, bytes, search } = onlyFilter(cache);
    expect(bytes).toEqual(compiled(policy, 'cache-aware', search));
    // Under the same key, the filter of a policy that answers ENOENT (it passes every check
    // for this policy too): the next run gets ENOENT, so it ran the file, not a compile.
    writeFileSync(path, Buffer.concat([key, compiled(unamePolicy(dir, 'ENOENT'))]));
    const second = await run(cache, ['--policy', policy, '--', 'uname']);
    expect([second.code, second.stderr]).toEqual([1, 'uname: cannot get system name: No such file or directory\n']);
  });

  it('ignores a corrupt or foreign file: enforces the policy, silently, and writes the file again', async () => {
    const dir = tempDir();
    const policy = unamePolicy(dir);
    const whole = compiled(policy);
    // The ENOENT policy's filter passes every check for this policy: only its key stops it.
    const enoent = compiled(unamePolicy(dir, 'ENOENT'));
    const corruptions: Record<string, (key: Buffer) => Buffer> = {
      empty: () => Buffer.alloc(0),
      'no key': () => enoent,
      'another key': (key) => Buffer.concat([key.subarray(0, -3), Buffer.from(']\n'), enoent]),
      'the key without its newline': (key) => key.subarray(0, -1),
      'not whole instructions': (key) => Buffer.concat([key, whole.subarray(0, 13)]),
      'truncated to whole instructions': (key) => Buffer.concat([key, whole.subarray(0, 8 * Math.floor(whole.length / 16))]),
      'not classic BPF': (key) => Buffer.concat([key, Buffer.alloc(64, 0xff)]),
      'over BPF_MAXINSNS': (key) => Buffer.concat([key, ...Array.from({ length: 4097 }, () => whole.subarray(-8))]),
      // A valid filter that denies every call: the policy allows them, so it fails compilePolicy's check.
      'another policy': (key) => Buffer.concat([key, compiled(writePolicy(dir, 'deny-all.json', 'errno(EPERM)', []))]),
    };
    for (const [what, corrupt] of Object.entries(corruptions)) {
      const cache = join(dir, `cache-${what}`);
      await run(cache, ['--policy', policy, '--', 'true']);
      const { path, key, search } = onlyFilter(cache);
      const right = compiled(policy, 'cache-aware', search);
      writeFileSync(path, corrupt(key));
      const again = await run(cache, ['--policy', policy, '--', 'uname']);
      expect([what, again.code, again.stderr]).toEqual([what, 1, DENIED]);
      expect(readFileSync(path), what).toEqual(Buffer.concat([key, right]));
    }
  });

  it('runs the same where the cache cannot be written: a file in the way, a file system without new files', async () => {
    const dir = tempDir();
    const policy = unamePolicy(dir);
    const inTheWay = join(dir, 'a-file');
    writeFileSync(inTheWay, '');
    const uncached = await run(undefined, ['--policy', policy, '--', 'uname']);
    expect([uncached.code, uncached.stderr]).toEqual([1, DENIED]);
    for (const cache of [inTheWay, '/proc']) {
      const r = await run(cache, ['--policy', policy, '--', 'uname']);
      expect([cache, r.code, r.stdout, r.stderr]).toEqual([cache, uncached.code, uncached.stdout, uncached.stderr]);
    }
    expect(readFileSync(inTheWay, 'utf8')).toBe('');
  });

  it('SBX_NO_CACHE=1 neither reads nor writes the cache', async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const policy = unamePolicy(dir);
    const env = { ...process.env, XDG_CACHE_HOME: cache, SBX_NO_CACHE: '1' };
    expect((await runSbx(['run', '--policy', policy, '--', 'uname'], { env })).stderr).toBe(DENIED);
    expect(filterFiles(cache)).toEqual([]);
    // A file planted under the key (the ENOENT filter) is not what runs, and stays as it was.
    await run(cache, ['--policy', policy, '--', 'true']);
    const { path, key } = onlyFilter(cache);
    const planted = compiled(unamePolicy(dir, 'ENOENT'));
    writeFileSync(path, Buffer.concat([key, planted]));
    expect((await runSbx(['run', '--policy', policy, '--', 'uname'], { env })).stderr).toBe(DENIED);
    expect(onlyFilter(cache).bytes).toEqual(planted);
  });

  it('keys every input: a syscall more, the layout, --profile, --complain; not the spelling of the file', async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const policy = unamePolicy(dir);
    const profile = join(dir, 'uname.profile.json');
    expect((await runSbx(['learn', '-q', '-o', profile, '--', 'uname'])).code).toBe(0);
    // The same policy, its fields in another order and indented.
    const respelled = join(dir, 'respelled.json');
    const { rules, ...rest } = JSON.parse(readFileSync(policy, 'utf8')) as Record<string, unknown>;
    writeFileSync(respelled, JSON.stringify({ rules, ...rest }, null, 4));
    const oneMore = unamePolicy(dir, 'EPERM', [rule('getppid', 'errno(EACCES)')]);
    const runs: [string[], number][] = [
      [['--policy', policy], 1],
      [['--policy', respelled], 1],
      [['--policy', oneMore], 2],
      [['--policy', policy, '--layout', 'linear'], 3],
      [['--policy', policy, '--profile', profile], 4],
      [['--policy', policy, '--complain', '-q'], 5],
      [['--policy', policy, '--complain', '-q'], 5],
    ];
    for (const [args, files] of runs) {
      const r = await run(cache, [...args, '--', 'true']);
      expect(r.code, r.stderr).toBe(0);
      expect([args.join(' '), filterFiles(cache).length]).toEqual([args.join(' '), files]);
    }
    // The same, computed here: the profile's counts are a different mix from the policy's none.
    const read = readPolicy(policy);
    const key = (layout: Layout, mix = compileMix(read, {}), stamp = 'stamp') => filterKeyText({ policy: read, layout, mix, stamp });
    const keys = [
      key('cache-aware'),
      key('tree'),
      key('cache-aware', compileMix(read, { profile: readProfile(profile) })),
      key('cache-aware', undefined, 'other'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(keys.map((k) => filterFileName(k))).size).toBe(keys.length);
  });

  it.each(LAYOUTS)('holds what a fresh compile makes for every sample policy, layout %s', async (layout) => {
    const samples = join(ROOT, 'samples', 'policies');
    for (const name of readdirSync(samples)) {
      const cache = join(tempDir(), 'cache');
      // Whether the sample lets /bin/true start does not matter: the filter is made before.
      await run(cache, ['--policy', join(samples, name), '--layout', layout, '--', 'true']);
      const { bytes, search } = onlyFilter(cache);
      expect(bytes.equals(compiled(join(samples, name), layout, search)), `${name} ${layout} ${search}`).toBe(true);
    }
  });
});

describe("a policy's first enforcing run: a quick plan now, the full one while the program runs", () => {
  const samples = join(ROOT, 'samples', 'policies');
  const raw = (program: Parameters<typeof formatRaw>[0]) => Buffer.from(formatRaw(program));

  /** `body` with sbx's caches at `cache` (undefined: SBX_NO_CACHE=1); the environment is put back after. */
  function withCache<T>(cache: string | undefined, body: () => T): T {
    const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, SBX_NO_CACHE: process.env.SBX_NO_CACHE };
    if (cache === undefined) process.env.SBX_NO_CACHE = '1';
    else {
      delete process.env.SBX_NO_CACHE;
      process.env.XDG_CACHE_HOME = cache;
    }
    try {
      return body();
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }

  it.each(LAYOUTS.filter((layout) => layout !== 'linear'))(
    'every sample policy, as run and as --log runs it, layout %s: quick, quick again, then full in its place',
    (layout) => {
      for (const name of readdirSync(samples)) {
        const read = readPolicy(join(samples, name));
        for (const policy of [read, relaxPolicy(read, { kind: 'log' })]) {
          const cache = join(tempDir(), 'cache');
          withCache(cache, () => {
            const first = compileForLaunch(policy, { layout }, 'stamp');
            expect(raw(first.program), name).toEqual(raw(compilePolicy(policy, { layout, search: 'quick' })));
            const pending = first.pending!;
            expect(filterFiles(cache)).toEqual([filterFileName(pending.key, 'quick')]);
            // Run again before any search finished: the provisional filter, the search still owed.
            const again = compileForLaunch(policy, { layout }, 'stamp');
            expect([raw(again.program), again.pending]).toEqual([raw(first.program), pending]);
            // The policy reads back to the same key, so the search's file is the one runs look for.
            expect(searchInFull(pending), name).toBe(true);
            expect(filterFiles(cache)).toEqual([filterFileName(pending.key)]);
            const later = compileForLaunch(policy, { layout }, 'stamp');
            expect([raw(later.program), later.pending]).toEqual([raw(compilePolicy(policy, { layout })), undefined]);
          });
        }
      }
    },
  );

  it('plans in full at once where no search could replace a quick plan: no cache, an unwritable one, the linear layout', () => {
    const dir = tempDir();
    const policy = readPolicy(join(samples, 'http-server.allowlist.json'));
    const inTheWay = join(dir, 'a-file');
    writeFileSync(inTheWay, '');
    for (const [cache, layout] of [
      [undefined, 'cache-aware'],
      [inTheWay, 'cache-aware'],
      [join(dir, 'cache'), 'linear'],
    ] as const) {
      const launch = withCache(cache, () => compileForLaunch(policy, { layout }, 'stamp'));
      expect([cache, raw(launch.program), launch.pending]).toEqual([cache, raw(compilePolicy(policy, { layout })), undefined]);
    }
    expect(filterFiles(join(dir, 'cache'))).toHaveLength(1);
  });

  it('caches nothing for a search whose policy reads back to another key', () => {
    const cache = join(tempDir(), 'cache');
    withCache(cache, () => {
      const { pending } = compileForLaunch(readPolicy(join(samples, 'ls.allowlist.json')), {}, 'stamp');
      expect(searchInFull({ ...pending!, key: `${pending!.key} ` })).toBe(false);
      expect(filterFiles(cache)).toEqual([filterFileName(pending!.key, 'quick')]);
    });
  });

  it('sbx run: a program that runs long enough leaves the full plan in the cache, and only it', async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const policy = unamePolicy(dir);
    const r = await run(cache, ['--policy', policy, '--', 'sleep', '1.5']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const { bytes, search } = onlyFilter(cache);
    expect(search).toBe('full');
    expect(bytes).toEqual(compiled(policy));
  });
});
