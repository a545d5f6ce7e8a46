/** `sbx diff`: profiles and policies, exit 1 when they differ, errors that name the spot. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffPolicies, diffProfiles, formatDiff } from '../src/learn/diff.js';
import { checkPolicy } from '../src/policy/policy.js';
import { syscallTable } from '../src/linux/syscalls.js';
import { histogram, syntheticProfile, type SyntheticCall } from './golden/synthetic-profile.js';
import { ROOT, runSbx, tempDir } from './helpers.js';

const before: SyntheticCall[] = [
  { name: 'read', perRun: [100] },
  { name: 'write', perRun: [50] },
  { name: 'socket', perRun: [3], args: [histogram(0, 'domain', [['0x2', 3, 'AF_INET']])] },
];

const diff = (after: SyntheticCall[], options = {}) =>
  diffProfiles(syntheticProfile(before), syntheticProfile(after), 'a.json', 'b.json', options);

describe('profiles', () => {
  it.each([
    { name: 'the same', after: before, differ: false, lines: ['profiles a.json and b.json do not differ'] },
    {
      name: 'a new syscall',
      after: [...before, { name: 'sendfile', perRun: [4] }],
      differ: true,
      lines: ['+ x86_64 sendfile (4 calls)', 'profiles a.json and b.json differ'],
    },
    {
      name: 'a syscall gone',
      after: before.filter((c) => c.name !== 'write'),
      differ: true,
      lines: ['- x86_64 write (50 calls)', 'profiles a.json and b.json differ'],
    },
    {
      name: 'a new argument value',
      after: [
        before[0]!,
        before[1]!,
        {
          name: 'socket',
          perRun: [5],
          args: [
            histogram(0, 'domain', [
              ['0x2', 3, 'AF_INET'],
              ['0xa', 2, 'AF_INET6'],
            ]),
          ],
        },
      ],
      differ: true,
      lines: [
        '+ x86_64 socket arg0 (domain): 0xa AF_INET6 (2)',
        '~ x86_64 socket 3 → 5 calls (+66.7%)',
        'profiles a.json and b.json differ',
      ],
    },
    {
      name: 'only counts',
      after: [{ name: 'read', perRun: [120] }, ...before.slice(1)],
      differ: false,
      lines: [
        '~ x86_64 read 100 → 120 calls (+20.0%)',
        'profiles a.json and b.json do not differ (count changes only; --counts makes them count)',
      ],
    },
  ])('$name', ({ after, differ, lines }) => {
    const d = diff(after);
    expect(d.differ).toBe(differ);
    expect(formatDiff(d)).toBe(`${lines.join('\n')}\n`);
  });

  it('--counts makes count changes count, --threshold ignores small ones', () => {
    const after = [{ name: 'read', perRun: [120] }, ...before.slice(1)];
    expect(diff(after, { counts: true }).differ).toBe(true);
    expect(diff(after, { counts: true, threshold: 25 }).differ).toBe(false);
  });
});

describe('policies: decisions per (arch, syscall, argument case)', () => {
  const policy = (defaultAction: string, rules: object[]) =>
    checkPolicy({ format: 'sbx-policy', version: 1, arches: ['x86_64'], defaultAction, rules }, 'p.json');
  const base = [
    { syscall: 'read', action: 'allow', priority: 255 },
    { syscall: 'write', action: 'allow', priority: 200 },
    { syscall: 'sched_setscheduler', action: 'errno(EPERM)', args: [{ index: 1, op: 'ne', value: '5' }] },
  ];
  // Rows are picked from `base` by index (each one there), so `undefined` never reaches the policy.
  const diff = (
    a: readonly (object | undefined)[],
    b: readonly (object | undefined)[],
    options = {},
    defaults = ['kill-process', 'kill-process'],
  ) => diffPolicies(policy(defaults[0]!, a as object[]), policy(defaults[1]!, b as object[]), 'a.json', 'b.json', options);

  it.each([
    { name: 'the same', b: base, lines: ['policies a.json and b.json do not differ'] },
    {
      name: 'priorities moved: the same decisions',
      b: [{ ...base[0], priority: 100 }, { ...base[1], priority: 255 }, base[2]],
      lines: ['policies a.json and b.json do not differ'],
    },
    {
      name: 'rules split differently, same decisions',
      b: [
        base[0],
        base[1],
        { ...base[2], args: [{ index: 1, op: 'lt', value: '5' }] },
        { ...base[2], args: [{ index: 1, op: 'gt', value: '5' }] },
      ],
      lines: ['policies a.json and b.json do not differ'],
    },
    {
      name: 'a conditional denial made unconditional: only the case that changed',
      b: [base[0], base[1], { syscall: 'sched_setscheduler', action: 'errno(EPERM)' }],
      lines: ['~ x86_64 sched_setscheduler [not arg1 != 0x5]: kill-process → errno(EPERM)', 'policies a.json and b.json differ'],
    },
    {
      name: 'a syscall no longer allowed',
      b: [base[0], base[2]],
      lines: ['~ x86_64 write: allow → kill-process', 'policies a.json and b.json differ'],
    },
  ])('$name', ({ b, lines }) => {
    expect(formatDiff(diff(base, b))).toBe(`${lines.join('\n')}\n`);
  });

  it('--priorities shows the moves (and then they count); --rules the written changes', () => {
    const moved = [{ ...base[0], priority: 100 }, base[1], base[2]];
    expect(formatDiff(diff(base, moved, { priorities: true }))).toBe(
      'priority ~ x86_64 read: 255 → 100\npolicies a.json and b.json differ\n',
    );
    const split = [
      base[0],
      base[1],
      { ...base[2], args: [{ index: 1, op: 'lt', value: '5' }] },
      { ...base[2], args: [{ index: 1, op: 'gt', value: '5' }] },
    ];
    expect(formatDiff(diff(base, split, { rules: true }))).toBe(
      'rules ~ x86_64 sched_setscheduler: errno(EPERM) when arg1 != 0x5 → errno(EPERM) when arg1 < 0x5 || arg1 > 0x5\npolicies a.json and b.json differ\n',
    );
  });

  it('a new default is one line for the syscalls neither policy names', () => {
    const d = diff(base, base, {}, ['kill-process', 'errno(ENOSYS)']);
    expect(d.defaultAction).toMatchObject({ before: 'kill-process', after: 'errno(ENOSYS)', syscalls: syscallTable('x86_64').length - 3 });
    expect(d.decisions).toEqual([
      { arch: 'x86_64', syscall: 'sched_setscheduler', when: 'not arg1 != 0x5', before: 'kill-process', after: 'errno(ENOSYS)' },
    ]);
  });
});

describe('sbx diff (command line)', () => {
  const profile = (dir: string, name: string, calls: SyntheticCall[]) => {
    writeFileSync(join(dir, name), JSON.stringify(syntheticProfile(calls)));
    return name;
  };

  it('exit 0 for the same profile, 1 when a syscall is new (for CI)', async () => {
    const dir = tempDir();
    const a = profile(dir, 'a.json', before);
    const b = profile(dir, 'b.json', [...before, { name: 'ptrace', perRun: [1] }]);
    expect((await runSbx(['diff', a, a], { cwd: dir })).code).toBe(0);
    const res = await runSbx(['diff', a, b], { cwd: dir });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('+ x86_64 ptrace (1 calls)\nprofiles a.json and b.json differ\n');
    expect(res.stderr).toBe('');
  });

  it('two real learned profiles of dd: the run that printed its statistics made other calls', async () => {
    const res = await runSbx(['diff', '--json', 'samples/profiles/dd.profile.json', 'samples/profiles/dd-small.profile.json'], {
      cwd: ROOT,
    });
    const d = JSON.parse(res.stdout) as { kind: string; differ: boolean; counts: { syscall: string }[] };
    expect(d.kind).toBe('profiles');
    expect(d.counts.some((c) => c.syscall === 'read')).toBe(true);
    expect(res.code).toBe(d.differ ? 1 : 0);
  });

  it('policies: what the filter decides differently, not how the rules are written', async () => {
    const dir = tempDir();
    const loose = join(dir, 'loose.json');
    const strict = join(dir, 'strict.json');
    const propose = (args: string[], out: string) =>
      runSbx(['propose', '-q', ...args, 'samples/profiles/ls.profile.json', '-o', out], { cwd: ROOT });
    await propose([], loose);
    await propose(['--args', '--default', 'errno(EPERM)'], strict);
    const res = await runSbx(['diff', loose, strict]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^~ default kill-process → errno\(EPERM\) \(\d+ syscalls neither policy names\)$/m);
    expect(res.stdout).toContain('~ x86_64 socket [not arg0 & 0xffffffff == 0x1 (AF_UNIX)]: allow → errno(EPERM)\n');
    // setpriority: errno(EPERM) by rule before, by default after; mount: killed by default before, by rule after
    expect(res.stdout).not.toMatch(/setpriority|mount|priority \d/);
    const rules = await runSbx(['diff', '--rules', loose, strict]);
    expect(rules.stdout).toMatch(/^rules - x86_64 setpriority: errno\(EPERM\)$/m);
    expect(rules.stdout).toMatch(/^rules \+ x86_64 mount: kill-process$/m);
    expect((await runSbx(['diff', strict, strict])).code).toBe(0);
  });
  it.each([
    {
      name: 'a profile and a policy',
      a: 'samples/profiles/ls.profile.json',
      b: 'samples/policies/ls.allowlist.json',
      message:
        'sbx: samples/policies/ls.allowlist.json: /format: is a policy but samples/profiles/ls.profile.json is a profile: compare two profiles or two policies\n',
    },
    {
      name: 'neither',
      a: 'samples/profiles/ls.profile.json',
      b: 'package.json',
      message: 'sbx: package.json: /format: neither an sbx profile nor an sbx policy (format undefined)\n',
    },
    { name: 'a missing file', a: 'samples/profiles/ls.profile.json', b: 'nope.json', message: 'sbx: cannot read nope.json: ENOENT\n' },
    {
      name: 'profiles with --rules',
      options: ['--rules'],
      a: 'samples/profiles/ls.profile.json',
      b: 'samples/profiles/dd.profile.json',
      message: 'sbx: --rules compares policies; samples/profiles/ls.profile.json and samples/profiles/dd.profile.json are profiles\n',
    },
    {
      name: 'profiles with --priorities',
      options: ['--priorities'],
      a: 'samples/profiles/ls.profile.json',
      b: 'samples/profiles/ls.profile.json',
      message: 'sbx: --priorities compares policies; samples/profiles/ls.profile.json and samples/profiles/ls.profile.json are profiles\n',
    },
    {
      name: 'policies with --counts',
      options: ['--counts'],
      a: 'samples/policies/ls.allowlist.json',
      b: 'samples/policies/dd.allowlist.json',
      message: 'sbx: --counts compares profiles; samples/policies/ls.allowlist.json and samples/policies/dd.allowlist.json are policies\n',
    },
    {
      name: 'policies with --threshold',
      options: ['--threshold', '10'],
      a: 'samples/policies/ls.allowlist.json',
      b: 'samples/policies/ls.allowlist.json',
      message:
        'sbx: --threshold compares profiles; samples/policies/ls.allowlist.json and samples/policies/ls.allowlist.json are policies\n',
    },
  ])('$name: one line, exit 2', async ({ options, a, b, message }) => {
    const res = await runSbx(['diff', ...(options ?? []), a, b], { cwd: ROOT });
    expect(res.stderr).toBe(message);
    expect(res.code).toBe(2);
  });

  it.each([
    { name: 'an unknown option', args: ['--bogus', 'a.json', 'b.json'], message: /^error: unknown option '--bogus'/ },
    { name: 'a missing argument', args: ['a.json'], message: /^error: missing required argument 'b'/ },
  ])('usage error, $name: exit 2 (1 means "they differ")', async ({ args, message }) => {
    const res = await runSbx(['diff', ...args]);
    expect(res.stderr).toMatch(message);
    expect(res.code).toBe(2);
  });

  it('has --help text', async () => {
    const res = await runSbx(['diff', '--help']);
    expect(res.stdout).toMatch(/exit 0 when the same, 1 when they differ[\s\S]*2 on usage or input/);
    expect(res.stdout).toContain('--counts');
  });
});
