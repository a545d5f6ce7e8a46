/**
 * `sbx propose`: allowlist and denylist from profiles, every choice explained. Unit rows use
 * synthetic profiles with exact counts; the sample policies are regenerated from the real
 * learned profiles in samples/profiles/ and compared with samples/policies/.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { formatAction, policyText, type Policy, type PolicyRule } from '../src/policy/policy.js';
import { propose, type ProposeOptions } from '../src/learn/propose/index.js';
import { readProfile } from '../src/profile/profile.js';
import { histogram, syntheticProfile, type SyntheticCall } from './golden/synthetic-profile.js';
import { expectGolden, ROOT, runSbx, tempDir } from './helpers.js';

// src/version.ts finds package.json relative to dist/, so from src/ (as vitest runs it) it
// misses; mergeProfiles only needs it for the merged profile's tool field.
vi.mock('../src/version.js', () => ({ toolVersion: () => '0.0.0-test' }));

const run = (calls: readonly SyntheticCall[], options: ProposeOptions = {}) =>
  propose([{ file: 'p.json', profile: syntheticProfile(calls) }], options);
const rulesFor = (p: Policy, name: string): PolicyRule[] => p.rules.filter((r) => r.syscall === name);
const actionOf = (p: Policy, name: string) => rulesFor(p, name).map((r) => formatAction(r.action));
const reviewOf = (p: Policy, kind: string) => (p.review ?? []).filter((i) => i.kind === kind);

const basic: SyntheticCall[] = [
  { name: 'read', perRun: [100, 50] },
  { name: 'write', perRun: [40, 0] },
  { name: 'close', perRun: [10, 10] },
  { name: 'exit_group', perRun: [1, 1] },
  { name: 'sysinfo', perRun: [1, 0] },
];

describe('allowlist', () => {
  it('allows what was observed, ranked 255 downward, with coverage "seen in N of M runs"', () => {
    const p = run(basic);
    expect(formatAction(p.defaultAction)).toBe('kill-process');
    const read = rulesFor(p, 'read')[0]!;
    expect(read).toMatchObject({
      action: { kind: 'allow' },
      priority: 255,
      provenance: { source: 'observed' },
      observed: { calls: 150, runs: [0, 1] },
    });
    expect(read.reason).toBe('observed 150 calls, seen in 2 of 2 runs');
    expect(rulesFor(p, 'write')[0]!.reason).toBe('observed 40 calls, seen in 1 of 2 runs');
    expect(p.runs).toHaveLength(2);
  });

  it.each([
    { trigger: 'io_setup', completes: ['io_submit', 'io_getevents', 'io_cancel', 'io_destroy'] },
    { trigger: 'shmget', completes: ['shmat', 'shmdt', 'shmctl'] },
    { trigger: 'timerfd_create', completes: ['timerfd_settime', 'timerfd_gettime'] },
    { trigger: 'epoll_create1', completes: ['epoll_ctl', 'epoll_wait', 'epoll_pwait'] },
    { trigger: 'inotify_init1', completes: ['inotify_add_watch', 'inotify_rm_watch'] },
    { trigger: 'semget', completes: ['semop', 'semctl'] },
  ])('family completion: $trigger → $completes, each marked and reviewed', ({ trigger, completes }) => {
    const p = run([...basic, { name: trigger, perRun: [1, 1] }]);
    for (const name of completes) {
      const [rule] = rulesFor(p, name);
      expect(rule?.provenance).toMatchObject({ source: 'family', from: [trigger] });
      expect(rule?.reason).toMatch(/^not observed; completes the/);
      expect(reviewOf(p, 'completion').some((i) => i.syscall === name)).toBe(true);
    }
    const off = run([...basic, { name: trigger, perRun: [1, 1] }], { complete: false });
    for (const name of completes) expect(rulesFor(off, name)).toEqual([]);
  });

  it('smart actions: clone3 → ENOSYS, resource control → EPERM, default kill-process', () => {
    const p = run(basic);
    expect(actionOf(p, 'clone3')).toEqual(['errno(ENOSYS)']);
    expect(actionOf(p, 'sched_setaffinity')).toEqual(['errno(EPERM)']);
    expect(rulesFor(p, 'sched_setaffinity')[0]!.provenance).toEqual({ source: 'category', category: 'qemu:resourcecontrol' });
    expect(actionOf(p, 'mount')).toEqual([]); // the default already kills
  });

  it('a soft --default keeps privileged and obsolete calls killed', () => {
    const p = run(basic, { defaultAction: { kind: 'errno', errno: 1 as never } });
    expect(formatAction(p.defaultAction)).toBe('errno(EPERM)');
    expect(actionOf(p, 'mount')).toEqual(['kill-process']);
    expect(actionOf(p, 'setuid')).toEqual(['kill-process']);
    expect(actionOf(p, 'sched_setaffinity')).toEqual([]); // EPERM is the default now
  });

  it('observed resource-control calls are allowed, not refused', () => {
    const p = run([...basic, { name: 'sched_setaffinity', perRun: [3, 0] }]);
    expect(actionOf(p, 'sched_setaffinity')).toEqual(['allow']);
  });
});

describe('--args tightening', () => {
  const clone = (values: [string, number, string?][], other = 0): SyntheticCall => ({
    name: 'clone',
    perRun: [values.reduce((n, v) => n + v[1], 0) + other],
    args: [histogram(0, 'flags', values, other)],
  });
  const socket: SyntheticCall = {
    name: 'socket',
    perRun: [5],
    args: [
      histogram(0, 'domain', [
        ['0x2', 3, 'AF_INET'],
        ['0xa', 2, 'AF_INET6'],
      ]),
    ],
  };

  it('one rule per observed value: 64-bit clone flags with ==, 32-bit families on the low word', () => {
    const p = run(
      [
        ...basic,
        clone([
          ['0x3d0f00', 4, 'CLONE_VM|...'],
          ['0x1200011', 1, 'SIGCHLD|...'],
        ]),
        socket,
      ],
      { args: true },
    );
    expect(rulesFor(p, 'clone').map((r) => r.args)).toEqual([
      [{ index: 0, op: 'eq', value: 0x3d0f00n, label: 'CLONE_VM|...' }],
      [{ index: 0, op: 'eq', value: 0x1200011n, label: 'SIGCHLD|...' }],
    ]);
    expect(rulesFor(p, 'socket').map((r) => r.args)).toEqual([
      [{ index: 0, op: 'masked-eq', mask: 0xffffffffn, value: 2n, label: 'AF_INET' }],
      [{ index: 0, op: 'masked-eq', mask: 0xffffffffn, value: 10n, label: 'AF_INET6' }],
    ]);
    expect(new Set(rulesFor(p, 'clone').map((r) => r.priority)).size).toBe(1);
  });

  it.each([
    {
      name: 'values the profile did not keep',
      call: clone([['0x3d0f00', 4]], 2),
      message: 'clone flags not tightened: 2 calls had values the profile did not keep',
    },
    {
      name: 'more values than the bound',
      call: clone([
        ['0x1', 1],
        ['0x2', 1],
        ['0x3', 1],
      ]),
      options: { maxArgValues: 2 },
      message: 'clone flags not tightened: 3 distinct values, more than --max-arg-values 2',
    },
    { name: 'no histogram', call: { name: 'clone', perRun: [3] }, message: 'clone flags not tightened: the profile has no histogram' },
  ])('left open (and said so) when $name', ({ call, options, message }) => {
    const p = run([...basic, call], { args: true, ...options });
    expect(rulesFor(p, 'clone')).toHaveLength(1);
    expect(rulesFor(p, 'clone')[0]!.args).toBeUndefined();
    expect(
      reviewOf(p, 'args')
        .map((i) => i.message)
        .join('\n'),
    ).toContain(message);
  });

  it('without --args nothing is tightened', () => {
    const p = run([...basic, socket]);
    expect(rulesFor(p, 'socket')[0]!.args).toBeUndefined();
  });
});

describe('denylist (QEMU style)', () => {
  it('denies dangerous groups never observed, allows the rest', () => {
    const p = run(basic, { strategy: 'denylist' });
    expect(formatAction(p.defaultAction)).toBe('allow');
    expect(actionOf(p, 'mount')).toEqual(['kill-process']);
    expect(actionOf(p, 'reboot')).toEqual(['kill-process']);
    expect(actionOf(p, 'setpriority')).toEqual(['errno(EPERM)']);
    expect(actionOf(p, 'clone3')).toEqual(['errno(ENOSYS)']);
    expect(actionOf(p, 'read')).toEqual([]);
    // QEMU's spawn set denies clone only when it would make a process: 23 conditional rows.
    expect(rulesFor(p, 'clone').every((r) => r.args?.length === 1 && r.action.kind === 'kill-process')).toBe(true);
    expect(rulesFor(p, 'clone')).toHaveLength(23);
  });

  it('an observed group is not denied, with a loud warning naming what was seen', () => {
    const p = run([...basic, { name: 'execve', perRun: [3, 1] }], { strategy: 'denylist' });
    expect(actionOf(p, 'execve')).toEqual([]);
    expect(actionOf(p, 'fork')).toEqual([]);
    const [w] = reviewOf(p, 'not-denied').filter((i) => i.message.startsWith('qemu:spawn'));
    expect(w).toMatchObject({ severity: 'warning' });
    expect(w!.message).toContain('execve (2 calls besides the start-up exec of 2 run(s))');
  });

  it('the start-up exec of each run is not spawning: qemu:spawn is denied, execve itself stays allowed for the launcher', () => {
    const p = run([...basic, { name: 'execve', perRun: [1, 1] }], { strategy: 'denylist' });
    expect(reviewOf(p, 'not-denied').some((i) => i.message.startsWith('qemu:spawn'))).toBe(false);
    expect(actionOf(p, 'fork')).toEqual(['kill-process']);
    expect(actionOf(p, 'vfork')).toEqual(['kill-process']);
    expect(actionOf(p, 'execve')).toEqual([]);
    expect(reviewOf(p, 'startup-exec')[0]!.message).toMatch(
      /^execve left allowed although qemu:spawn denies it: its only calls were the start-up exec of 2 run\(s\)/,
    );
  });

  it('a real profile of a program that never spawns (ls) gets qemu:spawn denied', () => {
    const p = propose([{ file: 'ls.profile.json', profile: readProfile(join(ROOT, 'samples', 'profiles', 'ls.profile.json')) }], {
      strategy: 'denylist',
    });
    expect(reviewOf(p, 'not-denied').map((i) => i.message.split(' ')[0])).not.toContain('qemu:spawn');
    expect(actionOf(p, 'vfork')).toEqual(['kill-process']);
    // an attach (--pid) has no start-up exec: its execve is the program's own
    const attached = readProfile(join(ROOT, 'samples', 'profiles', 'ls.profile.json'));
    const asAttach = { ...attached, runs: attached.runs.map((r) => ({ ...r, attachedPid: 4242 })) };
    const q = propose([{ file: 'attached.json', profile: asAttach }], { strategy: 'denylist' });
    expect(reviewOf(q, 'not-denied').find((i) => i.message.startsWith('qemu:spawn'))!.message).toContain('execve (1 calls)');
  });

  it('thread-style clone flags do not count as spawning; process-style ones do', () => {
    const threads = run([...basic, { name: 'clone', perRun: [2], args: [histogram(0, 'flags', [['0x3d0f00', 2]])] }], {
      strategy: 'denylist',
    });
    expect(reviewOf(threads, 'not-denied').some((i) => i.message.startsWith('qemu:spawn'))).toBe(false);
    const fork = run([...basic, { name: 'clone', perRun: [2], args: [histogram(0, 'flags', [['0x1200011', 2]])] }], {
      strategy: 'denylist',
    });
    expect(reviewOf(fork, 'not-denied').find((i) => i.message.startsWith('qemu:spawn'))!.message).toContain('clone with');
  });

  it('--deny names a set: denied even though observed, with a danger item', () => {
    const p = run([...basic, { name: 'execve', perRun: [2, 0] }], { strategy: 'denylist', deny: ['qemu:spawn'] });
    expect(actionOf(p, 'execve')).toEqual(['kill-process']);
    expect(rulesFor(p, 'execve')[0]!.reason).toMatch(/OBSERVED 2 calls/);
    expect(reviewOf(p, 'denied-observed')[0]).toMatchObject({ severity: 'danger' });
    expect(actionOf(p, 'mount')).toEqual([]);
  });

  it('a profile with no syscalls is refused (nothing was learned), unless --allow-empty', () => {
    const empty = () => propose([{ file: 'empty.json', profile: syntheticProfile([]) }]);
    expect(empty).toThrow(
      'empty.json: no syscalls recorded; a policy from it would kill-process every call (learn again, or give --allow-empty)',
    );
    expect(() => propose([{ file: 'empty.json', profile: syntheticProfile([]) }], { strategy: 'denylist' })).toThrow(
      /no syscalls recorded/,
    );
    expect(
      propose([{ file: 'empty.json', profile: syntheticProfile([]) }], { allowEmpty: true }).rules.every((r) => r.action.kind !== 'allow'),
    ).toBe(true);
  });

  it('an unknown --deny category is a clear error', () => {
    expect(() => run(basic, { strategy: 'denylist', deny: ['qemu:nope'] })).toThrow('--deny: unknown category "qemu:nope"');
  });
});

describe('review: danger lint, rare paths, companions', () => {
  it.each([
    {
      call: { name: 'mprotect', perRun: [1], args: [histogram(2, 'prot', [['0x7', 1, 'PROT_READ|PROT_WRITE|PROT_EXEC']])] },
      severity: 'danger',
      text: 'writable and executable memory',
    },
    {
      call: { name: 'clone', perRun: [1], args: [histogram(0, 'flags', [['0x10000000', 1, 'CLONE_NEWUSER']])] },
      severity: 'danger',
      text: 'user namespace',
    },
    {
      call: { name: 'ioctl', perRun: [1], args: [histogram(1, 'request', [['0x5412', 1, 'TIOCSTI']])] },
      severity: 'danger',
      text: 'TIOCSTI',
    },
    {
      call: { name: 'socket', perRun: [1], args: [histogram(0, 'domain', [['0x10', 1, 'AF_NETLINK']])] },
      severity: 'warning',
      text: 'AF_NETLINK',
    },
    {
      call: { name: 'personality', perRun: [1], args: [histogram(0, 'persona', [['0x400000', 1]])] },
      severity: 'danger',
      text: 'READ_IMPLIES_EXEC',
    },
    { call: { name: 'ptrace', perRun: [1] }, severity: 'danger', text: 'other processes' },
    { call: { name: 'bpf', perRun: [1] }, severity: 'danger', text: 'eBPF' },
    { call: { name: 'perf_event_open', perRun: [1] }, severity: 'danger', text: 'performance counters' },
    { call: { name: 'keyctl', perRun: [1] }, severity: 'warning', text: 'keyrings' },
  ] as { call: SyntheticCall; severity: string; text: string }[])('$call.name → $severity', ({ call, severity, text }) => {
    const items = reviewOf(run([...basic, call]), 'danger');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ severity, syscall: call.name });
    expect(items[0]!.message).toContain(text);
  });

  it('harmless argument values do not fire; a missing histogram is said to be unchecked', () => {
    const rw = run([...basic, { name: 'mmap', perRun: [2], args: [histogram(2, 'prot', [['0x3', 2, 'PROT_READ|PROT_WRITE']])] }]);
    expect(reviewOf(rw, 'danger')).toEqual([]);
    const unknown = run([...basic, { name: 'mmap', perRun: [2] }]);
    expect(reviewOf(unknown, 'danger-unchecked')[0]!.message).toContain('no argument histogram');
  });

  it('rare paths: seen a few times, or in one run of several; start-up calls are not rare', () => {
    const p = run(basic);
    expect(reviewOf(p, 'rare').map((i) => i.syscall)).toEqual(['sysinfo']);
    expect(reviewOf(p, 'one-run').map((i) => i.syscall)).toEqual(['write']);
    expect(reviewOf(p, 'one-run')[0]!.message).toBe('write seen in only 1 of 2 runs (workload 0)');
  });

  it('companions not seen are listed, not allowed', () => {
    const p = run([...basic, { name: 'nanosleep', perRun: [3, 3] }]);
    expect(reviewOf(p, 'companion')[0]!.message).toBe(
      'nanosleep seen but not clock_nanosleep: glibc 2.31 and later sleep with clock_nanosleep',
    );
    expect(rulesFor(p, 'clock_nanosleep')).toEqual([]);
  });
});

describe('profiles of several runs and arches', () => {
  it('merges runs: counts add, coverage counts runs', () => {
    const a = syntheticProfile([{ name: 'read', perRun: [5] }]);
    const b = syntheticProfile([
      { name: 'read', perRun: [7] },
      { name: 'write', perRun: [1] },
    ]);
    const p = propose([
      { file: 'a.json', profile: a },
      { file: 'b.json', profile: b },
    ]);
    expect(rulesFor(p, 'read')[0]!.observed).toEqual({ calls: 12, runs: [0, 1] });
    expect(rulesFor(p, 'write')[0]!.observed).toEqual({ calls: 1, runs: [1] });
  });

  it('a profile of another arch is refused at its /arches', () => {
    const x86 = syntheticProfile([{ name: 'read', perRun: [5] }]);
    const arm = syntheticProfile([{ name: 'read', perRun: [5] }], ['aarch64']);
    expect(() =>
      propose([
        { file: 'x86.json', profile: x86 },
        { file: 'arm.json', profile: arm },
      ]),
    ).toThrow('arm.json: /arches/0: profile of another arch: aarch64, but x86.json is x86_64');
  });

  it('--arch that leaves out a profile arch is refused at the first such call', () => {
    const mixed = syntheticProfile(
      [
        { name: 'read', perRun: [5] },
        { name: 'getpid', perRun: [1], arch: 'i386' },
      ],
      ['x86_64', 'i386'],
    );
    expect(() => propose([{ file: 'm.json', profile: mixed }], { arches: ['x86_64'] })).toThrow(
      'm.json: /syscalls/1/arch: getpid was called as i386, but the policy is for x86_64 (add --arch x86_64,i386',
    );
    const both = propose([{ file: 'm.json', profile: mixed }]);
    expect(rulesFor(both, 'getpid')[0]!.arches).toEqual(['i386']);
    expect(rulesFor(both, 'read')[0]!.arches).toEqual(['x86_64']);
  });
});

/** The committed sample policies, and how each is made from the learned profiles. */
const SAMPLE_POLICIES: { name: string; profiles: string[]; args: string[] }[] = [
  { name: 'ls.allowlist', profiles: ['ls'], args: ['--args'] },
  { name: 'dd.allowlist', profiles: ['dd', 'dd-small'], args: [] },
  { name: 'sh-loop.denylist', profiles: ['sh-loop'], args: ['--strategy', 'denylist'] },
  { name: 'threads.allowlist', profiles: ['threads'], args: ['--args'] },
  { name: 'http-server.allowlist', profiles: ['http-server'], args: ['--args'] },
];

describe('sample policies from the real learned profiles (samples/)', () => {
  it.each(SAMPLE_POLICIES)('sbx propose $args $profiles = samples/policies/$name.json', async ({ name, profiles, args }) => {
    const out = join(tempDir(), `${name}.json`);
    const files = profiles.map((p) => `samples/profiles/${p}.profile.json`);
    const res = await runSbx(['propose', '-q', ...args, ...files, '-o', out], { cwd: ROOT });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expectGolden(join(ROOT, 'samples', 'policies', `${name}.json`), readFileSync(out, 'utf8'));
  });

  it('the summary on stderr names the strategy, the knee and the review', async () => {
    const res = await runSbx(['propose', 'samples/profiles/http-server.profile.json'], { cwd: ROOT });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/^sbx: allowlist for x86_64 from 1 run\(s\): \d+ rules \(\d+ observed/);
    expect(res.stderr).toMatch(/sbx: the top \d+ of \d+ syscalls are 9\d\.\d% of calls/);
    expect(policyText(JSON.parse(res.stdout) as Policy)).toBeTruthy();
  });
});

describe('sbx propose: bad input is one line naming the spot, non-zero exit', () => {
  it.each([
    { name: 'not JSON', content: '{', message: /^sbx: .*bad\.json: \/: not valid JSON/ },
    {
      name: 'a policy instead of a profile',
      content: '{"format":"sbx-policy","version":1}',
      message: /^sbx: .*bad\.json: \/format: not an sbx profile/,
    },
  ])('$name', async ({ content, message }) => {
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, content);
    const res = await runSbx(['propose', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a profile that recorded no syscall: one line, exit 2, nothing written; --allow-empty writes it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'empty.json'), JSON.stringify(syntheticProfile([])));
    const res = await runSbx(['propose', 'empty.json', '-o', 'policy.json'], { cwd: dir });
    expect(res.stderr).toBe(
      'sbx: empty.json: no syscalls recorded; a policy from it would kill-process every call (learn again, or give --allow-empty)\n',
    );
    expect(res.code).toBe(2);
    expect(existsSync(join(dir, 'policy.json'))).toBe(false);
    expect((await runSbx(['propose', '-q', '--allow-empty', 'empty.json', '-o', 'policy.json'], { cwd: dir })).code).toBe(0);
    expect(existsSync(join(dir, 'policy.json'))).toBe(true);
  });

  it.each([
    { name: 'a profile', args: ['a.json', 'b.json', '-o', 'b.json'], input: 'b.json' },
    { name: 'a held-out profile', args: ['a.json', '--held-out', 'b.json', '-o', 'b.json'], input: 'b.json' },
  ])('-o naming $name it reads: one line, exit 2, the profile kept', async ({ args, input }) => {
    const dir = tempDir();
    const profile = JSON.stringify(syntheticProfile([{ name: 'read', perRun: [1] }]));
    for (const file of ['a.json', 'b.json']) writeFileSync(join(dir, file), profile);
    const res = await runSbx(['propose', '-q', ...args], { cwd: dir });
    expect(res.stderr).toBe(`sbx: cannot write ${input}: it is the input ${input} (give another -o)\n`);
    expect(res.code).toBe(2);
    expect(readFileSync(join(dir, input), 'utf8')).toBe(profile);
  });

  it('profiles of two arches', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.json'), JSON.stringify(syntheticProfile([{ name: 'read', perRun: [1] }])));
    const other = syntheticProfile([{ name: 'read', perRun: [1] }], ['aarch64']);
    // Another machine's run (the fixture's runs share one start time).
    const a = { ...other, runs: other.runs.map((run) => ({ ...run, hostname: 'arm' })) };
    writeFileSync(join(dir, 'a.json'), JSON.stringify(a));
    const res = await runSbx(['propose', 'x.json', 'a.json'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      'sbx: a.json: /arches/0: profile of another arch: aarch64, but x.json is x86_64 (a policy is for one machine type; give --arch to combine on purpose)\n',
    );
  });

  it.each([
    { args: ['--default', 'errno(EFOO)'], message: 'sbx: --default errno(EFOO): unknown errno "EFOO"\n' },
    { args: ['--arch', 'sparc'], message: /unknown arch "sparc"/ },
    { args: ['--priority-floor', '300'], message: /expected an integer in 0\.\.255/ },
    // an option the strategy does not use is refused, not ignored (the policy's generator would still say args: true)
    { args: ['--strategy', 'denylist', '--args'], message: 'sbx: --args applies to --strategy allowlist, not denylist\n' },
    { args: ['--strategy', 'denylist', '--no-complete'], message: 'sbx: --no-complete applies to --strategy allowlist, not denylist\n' },
    { args: ['--strategy', 'denylist', '--no-hints'], message: 'sbx: --no-hints applies to --strategy allowlist, not denylist\n' },
    {
      args: ['--strategy', 'denylist', '--candidates', 'all'],
      message: 'sbx: --candidates applies to --strategy allowlist, not denylist\n',
    },
    { args: ['--deny', 'systemd:@mount'], message: 'sbx: --deny applies to --strategy denylist, not allowlist\n' },
    { args: ['--max-arg-values', '3'], message: 'sbx: --max-arg-values applies with --args\n' },
  ])('bad option $args', async ({ args, message }) => {
    const res = await runSbx(['propose', ...args, join(ROOT, 'samples/profiles/ls.profile.json')]);
    expect(res.code).not.toBe(0);
    if (typeof message === 'string') expect(res.stderr).toBe(message);
    else expect(res.stderr).toMatch(message);
  });

  it('has --help text', async () => {
    const res = await runSbx(['propose', '--help']);
    expect(res.stdout).toContain('--strategy <strategy>');
    expect(res.stdout).toContain('--args');
    expect(res.stdout).toContain('--no-complete');
  });
});

describe('learned profiles read back', () => {
  it.each(['ls', 'dd', 'dd-small', 'sh-loop', 'threads', 'http-server'])('samples/profiles/%s.profile.json is a real profile', (name) => {
    const profile = readProfile(join(ROOT, 'samples', 'profiles', `${name}.profile.json`));
    expect(profile.runs[0]!.exit).toEqual({ kind: 'exited', code: 0 });
    expect(profile.syscalls.some((s) => s.name === 'execve')).toBe(true);
  });
});
