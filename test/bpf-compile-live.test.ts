/**
 * Compiled policies in the real kernel: each filter is loaded with seccomp() in a child (the
 * C helper of test/bpf-live-helpers.ts), which makes one syscall; what happens (allowed,
 * EPERM, ENOSYS, a SIGSYS trap, killed by SIGSYS) must be what the emulator predicts, and the
 * emulator must return what the policy decides, for every layout.
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { hostArch, X32_SYSCALL_BIT } from '../src/linux/arch.js';
import { syscallNumber } from '../src/linux/syscalls.js';
import { checkPolicy, type Policy } from '../src/policy/policy.js';
import { compilePolicy, LAYOUTS, type Layout } from '../src/policy/compile/compile.js';
import { disassemble } from '../src/bpf/disasm.js';
import { actionOf, emulate } from '../src/bpf/emulator.js';
import type { Program } from '../src/bpf/program.js';
import { cachedSyscalls } from '../src/policy/compile/stats.js';
import { LiveHelper, policyRet, predict, type Call, type Outcome } from './bpf-live-helpers.js';
import { INT80, needs } from './machine.js';

const live = LiveHelper.build();
afterAll(() => live.close());
const native = hostArch();
const x86 = native === 'x86_64';
const nr = (name: string): number => syscallNumber(native, name)!;

/** What the helper needs once the filter is in: write its answers, take a SIGSYS, exit. */
const plumbing = ['write', 'exit_group', 'exit', 'rt_sigreturn'].map((syscall) => ({ syscall, action: 'allow' }));

/** Allowlist: errno(EPERM) by default, nonexistent numbers 1000.. for actions the helper can watch. */
const allowlist = checkPolicy(
  {
    format: 'sbx-policy',
    version: 1,
    arches: [native],
    defaultAction: 'errno(EPERM)',
    rules: [
      ...plumbing,
      { syscall: 'getppid', action: 'allow' },
      { syscall: 'getuid', action: 'kill-process' },
      { syscall: 'syscall_1000', action: 'allow' },
      { syscall: 'syscall_1001', action: 'allow', args: [{ index: 0, op: 'eq', value: '0x100000001' }] },
      {
        syscall: 'syscall_1001',
        action: 'allow',
        args: [
          { index: 1, op: 'gt', value: '0xffffffff' },
          { index: 2, op: 'masked-eq', mask: '0xff00', value: '0x1200' },
        ],
      },
      { syscall: 'syscall_1002', action: 'trace(5)' },
      { syscall: 'syscall_1003', action: 'trap' },
      { syscall: 'syscall_1004', action: 'errno(ENOSYS)' },
      { syscall: 'syscall_1005', action: 'kill-thread' },
      { syscall: 'syscall_1006', action: 'log' },
    ],
  },
  'allowlist.json',
);

/** Two ABIs in one filter (x86_64 hosts): allow by default, rules per arch. */
const twoArches = x86
  ? checkPolicy(
      {
        format: 'sbx-policy',
        version: 1,
        arches: ['x86_64', 'i386'],
        defaultAction: 'allow',
        rules: [
          { syscall: 'getppid', arches: ['i386'], action: 'errno(EPERM)' },
          { syscall: 'getuid', action: 'errno(EACCES)' },
          { syscall: 'getgid', arches: ['x86_64'], action: 'kill-process' },
        ],
      },
      'two-arches.json',
    )
  : undefined;

/** The outcome in a word, so each row says what it is there to show. */
function outcomeClass(o: Outcome): string {
  if (o.kind === 'signal') return `killed by ${o.signal}`;
  if (o.kind === 'trap') return 'SIGSYS trap';
  if (o.ret !== '-1') return 'ran';
  return ({ 1: 'EPERM', 13: 'EACCES', 38: 'ENOSYS' } as Record<number, string>)[o.errno] ?? `errno ${o.errno}`;
}

interface Row {
  readonly name: string;
  readonly policy: () => Policy;
  readonly call: Call;
  readonly want: string;
}

const rows: Row[] = [
  { name: 'allowed', policy: () => allowlist, call: { nr: nr('getppid') }, want: 'ran' },
  { name: 'default EPERM', policy: () => allowlist, call: { nr: nr('getgid') }, want: 'EPERM' },
  { name: 'kill-process', policy: () => allowlist, call: { nr: nr('getuid') }, want: 'killed by SIGSYS' },
  { name: 'allowed, the kernel has no such syscall', policy: () => allowlist, call: { nr: 1000 }, want: 'ENOSYS' },
  { name: '64-bit eq matches', policy: () => allowlist, call: { nr: 1001, args: [0x100000001n] }, want: 'ENOSYS' },
  { name: '64-bit eq: low word only', policy: () => allowlist, call: { nr: 1001, args: [0x1n] }, want: 'EPERM' },
  { name: '64-bit eq: high word only', policy: () => allowlist, call: { nr: 1001, args: [0x100000000n] }, want: 'EPERM' },
  {
    name: 'second set: gt and masked-eq hold',
    policy: () => allowlist,
    call: { nr: 1001, args: [0n, 0x100000000n, 0xab1234n] },
    want: 'ENOSYS',
  },
  { name: 'second set: gt fails at 2^32-1', policy: () => allowlist, call: { nr: 1001, args: [0n, 0xffffffffn, 0x1200n] }, want: 'EPERM' },
  { name: 'second set: masked-eq fails', policy: () => allowlist, call: { nr: 1001, args: [0n, 0x100000000n, 0x1300n] }, want: 'EPERM' },
  { name: 'trace without a tracer', policy: () => allowlist, call: { nr: 1002 }, want: 'ENOSYS' },
  { name: 'trap', policy: () => allowlist, call: { nr: 1003 }, want: 'SIGSYS trap' },
  { name: 'errno(ENOSYS)', policy: () => allowlist, call: { nr: 1004 }, want: 'ENOSYS' },
  { name: 'kill-thread of the only thread', policy: () => allowlist, call: { nr: 1005 }, want: 'killed by SIGSYS' },
  { name: 'log runs the call', policy: () => allowlist, call: { nr: 1006 }, want: 'ENOSYS' },
  ...(x86
    ? [
        { name: 'x32 number on an x86_64 policy', policy: () => allowlist, call: { nr: X32_SYSCALL_BIT | 39 }, want: 'killed by SIGSYS' },
        { name: 'i386 call on an x86_64 policy', policy: () => allowlist, call: { nr: 64, i386: true }, want: 'killed by SIGSYS' },
        { name: 'two arches: x86_64 getppid', policy: () => twoArches!, call: { nr: nr('getppid') }, want: 'ran' },
        { name: 'two arches: i386 getppid (64)', policy: () => twoArches!, call: { nr: 64, i386: true }, want: 'EPERM' },
        { name: 'two arches: x86_64 getuid', policy: () => twoArches!, call: { nr: nr('getuid') }, want: 'EACCES' },
        { name: 'two arches: i386 getuid (24)', policy: () => twoArches!, call: { nr: 24, i386: true }, want: 'EACCES' },
        { name: 'two arches: x86_64 getgid', policy: () => twoArches!, call: { nr: nr('getgid') }, want: 'killed by SIGSYS' },
        { name: 'two arches: i386 getgid (47)', policy: () => twoArches!, call: { nr: 47, i386: true }, want: 'ran' },
        { name: 'two arches: x32 number', policy: () => twoArches!, call: { nr: X32_SYSCALL_BIT | 39 }, want: 'killed by SIGSYS' },
      ]
    : []),
];

const programs = new Map<string, Program>();
function compiled(policy: Policy, layout: Layout): Program {
  const key = `${policy.rules.length}:${policy.arches.join()}:${layout}`;
  if (!programs.has(key)) programs.set(key, compilePolicy(policy, { layout }));
  return programs.get(key)!;
}

describe('compiled policies in the kernel', () => {
  it('the helper and sbx agree on syscall numbers', () => {
    expect(live.sysno).toEqual({ getppid: nr('getppid'), getuid: nr('getuid'), getpid: nr('getpid') });
  });

  it.for(rows.flatMap((row) => LAYOUTS.map((layout) => ({ ...row, layout }))))(
    '$name → $want ($layout)',
    ({ policy, call, want, layout }, ctx) => {
      if (call.i386) needs(ctx, INT80);
      const p = policy();
      const program = compiled(p, layout);
      const ret = emulate(program, live.dataFor(call)).ret;
      expect(ret, `emulator vs policy\n${disassemble(program)}`).toBe(policyRet(p, live.dataFor(call)));
      const expected = predict(actionOf(ret), call, () => live.runOne([], call));
      const kernel = live.runOne([program], call);
      expect(kernel, `kernel vs emulator\n${disassemble(program)}`).toEqual(expected);
      expect(outcomeClass(kernel)).toBe(want);
    },
  );
});

// Only kernels built with CONFIG_SECCOMP_CACHE_DEBUG have /proc/PID/seccomp_cache (the 6.18
// kernel this was written on does not), so this runs where it exists and is skipped elsewhere.
describe.skipIf(!existsSync('/proc/self/seccomp_cache'))('the action cache in the kernel', () => {
  // Allow by default, so the helper can open and read /proc/self/seccomp_cache once filtered.
  const policy = checkPolicy(
    {
      format: 'sbx-policy',
      version: 1,
      arches: [native],
      defaultAction: 'allow',
      rules: [
        { syscall: 'getppid', action: 'errno(EPERM)' },
        { syscall: 'ioctl', action: 'errno(ENOTTY)', args: [{ index: 1, op: 'eq', value: '0x5401' }] },
        { syscall: 'getuid', action: 'log' },
      ],
    },
    'cache.json',
  );
  it.each(LAYOUTS)('cachedSyscalls matches /proc/self/seccomp_cache (%s)', (layout) => {
    const program = compilePolicy(policy, { layout });
    const r = live.cache(program);
    expect(r.status, r.stdout).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const nativeLines = lines.filter((l) => l[0] === lines[0]![0]);
    const kernel = nativeLines.filter((l) => l[2] === 'ALLOW').map((l) => Number(l[1]));
    const listed = new Set(nativeLines.map((l) => Number(l[1])));
    expect(kernel).toEqual(cachedSyscalls(program, [native])[0]!.nrs.filter((n) => listed.has(n)));
  });
});
