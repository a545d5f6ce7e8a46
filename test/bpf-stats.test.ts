/** Filter costs on the emulator: hand-built programs whose instruction counts are known. */
import { describe, expect, it } from 'vitest';
import { archDef } from '../src/linux/arch.js';
import { syscallNumber, syscallTable } from '../src/linux/syscalls.js';
import { checkPolicy } from '../src/policy/policy.js';
import type { Profile, SyscallEntry } from '../src/profile/types.js';
import { NEXT, ProgramBuilder } from '../src/bpf/builder.js';
import { compilePolicy, LAYOUTS } from '../src/policy/compile/compile.js';
import { emulate } from '../src/bpf/emulator.js';
import {
  DATA_ARCH,
  DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  argLo,
  type Program,
} from '../src/bpf/program.js';
import {
  cachedSyscalls,
  callMix,
  expectedCost,
  isCached,
  kernelCacheCovers,
  longestPath,
  policyCallMix,
  type CallMix,
  formatCost,
} from '../src/policy/compile/stats.js';

const X86_64 = archDef('x86_64').auditArch;

/**
 * 0 ld arch; 1 jeq x86_64; 2 ld nr; 3 jeq 0 → ALLOW; 4 jeq 1 → args; 5 ret ERRNO(1);
 * 6 ld args[0].lo; 7 jeq 7 → ALLOW else ERRNO(1); then the shared RETs.
 * nr 0: 5 instructions (cached); nr 1: 7 (runs the filter); nr 2: 6.
 */
function small(): Program {
  const b = new ProgramBuilder();
  b.load(DATA_ARCH).jeq(X86_64, NEXT, b.returnLabel(SECCOMP_RET_KILL_PROCESS));
  b.load(DATA_NR);
  b.jeq(0, b.returnLabel(SECCOMP_RET_ALLOW), NEXT);
  b.jeq(1, 'args', NEXT);
  b.ret(SECCOMP_RET_ERRNO | 1);
  b.label('args')
    .load(argLo(0))
    .jeq(7, b.returnLabel(SECCOMP_RET_ALLOW), b.returnLabel(SECCOMP_RET_ERRNO | 1));
  return b.build();
}

describe('formatCost', () => {
  it.each([
    [0, '0'],
    [0.003, '0.0030'],
    [0.0004567, '0.00046'],
    [0.18, '0.18'],
    [1, '1.00'],
    [10.294, '10.29'],
  ])('%d → %s (small costs keep two significant digits, not 0.00)', (cost, text) => {
    expect(formatCost(cost)).toBe(text);
  });
});

describe('expectedCost', () => {
  const program = small();
  const mix: CallMix = [
    { arch: 'x86_64', nr: 0, count: 6 },
    { arch: 'x86_64', nr: 1, count: 3, args: [7n] },
    { arch: 'x86_64', nr: 2, count: 1 },
  ];

  it('weights instructions per call by count; cached calls count 0 in the cached figures', () => {
    const cost = expectedCost(program, mix);
    expect(cost).toEqual({
      instructions: program.length,
      calls: 10,
      expected: (6 * 5 + 3 * 8 + 1 * 6) / 10,
      worstSeen: 8,
      worst: 8,
      expectedCached: (3 * 8 + 1 * 6) / 10,
      worstSeenCached: 8,
      cachedCalls: 6,
    });
  });

  it('agrees with emulate call by call', () => {
    const data = (nr: number, args: bigint[] = []) => ({ nr, arch: X86_64, instructionPointer: 0n, args });
    expect(emulate(program, data(0)).executed).toBe(5);
    expect(emulate(program, data(1, [7n])).executed).toBe(8);
    expect(emulate(program, data(2)).executed).toBe(6);
  });

  it('an empty mix costs nothing', () => {
    expect(expectedCost(program, [])).toMatchObject({ calls: 0, expected: 0, expectedCached: 0, worstSeen: 0, worst: 8 });
  });

  it('longestPath follows both branches of every jump', () => {
    expect(longestPath(program)).toBe(8);
    const b = new ProgramBuilder();
    b.load(DATA_NR).jeq(1, 'long', b.returnLabel(SECCOMP_RET_ALLOW));
    b.label('long').load(DATA_ARCH).load(DATA_NR).load(DATA_ARCH).ret(SECCOMP_RET_ALLOW);
    expect(longestPath(b.build())).toBe(6);
  });
});

describe('the action cache', () => {
  it('covers the native and compat arch up to the last table number, never x32', () => {
    const last = syscallTable('x86_64').at(-1)!.nr;
    expect(kernelCacheCovers('x86_64', 0)).toBe(true);
    expect(kernelCacheCovers('x86_64', last)).toBe(true);
    expect(kernelCacheCovers('x86_64', last + 1)).toBe(false);
    expect(kernelCacheCovers('i386', 3)).toBe(true);
    expect(kernelCacheCovers('x32', syscallNumber('x32', 'read')!)).toBe(false);
  });

  it('isCached and cachedSyscalls: plain ALLOW only', () => {
    const program = small();
    expect(isCached(program, 'x86_64', 0)).toBe(true);
    expect(isCached(program, 'x86_64', 1)).toBe(false); // loads an argument
    expect(isCached(program, 'x86_64', 2)).toBe(false); // ERRNO
    expect(isCached(program, 'i386', 0)).toBe(false); // fails the arch check
    expect(cachedSyscalls(program, ['x86_64', 'i386'])).toEqual([
      { arch: 'x86_64', nrs: [0] },
      { arch: 'i386', nrs: [] },
    ]);
  });
});

function entry(name: string, count: number, args?: SyscallEntry['args']): SyscallEntry {
  return { arch: 'x86_64', nr: syscallNumber('x86_64', name)!, name, count, perRun: [count], firstSeen: 1, ...(args ? { args } : {}) };
}

describe('call mixes', () => {
  it("callMix: a profile's counts, each argument at its most frequent numeric value", () => {
    const profile = {
      syscalls: [
        entry('ioctl', 10, [
          {
            index: 1,
            name: 'request',
            values: [
              { value: '0x5401', count: 3 },
              { value: '0x5413', count: 7 },
            ],
            other: 0,
          },
          { index: 0, name: 'fd', values: [{ value: '0x1', count: 10 }], other: 0 },
        ]),
        entry('openat', 4, [{ index: 1, name: 'pathname', values: [{ value: '/etc/passwd', count: 4 }], other: 0 }]),
        entry('read', 0),
      ],
    } as unknown as Profile;
    expect(callMix(profile)).toEqual([
      { arch: 'x86_64', nr: 16, count: 10, args: [1n, 0x5413n] },
      { arch: 'x86_64', nr: 257, count: 4 },
    ]);
  });

  it("policyCallMix: the rules' observed counts, once per syscall", () => {
    const policy = checkPolicy(
      {
        format: 'sbx-policy',
        version: 1,
        arches: ['x86_64'],
        defaultAction: 'kill-process',
        runs: [{ command: ['x'], calls: 12 }],
        rules: [
          { syscall: 'read', action: 'allow', observed: { calls: 9, runs: [0] } },
          { syscall: 'ioctl', action: 'allow', args: [{ index: 1, op: 'eq', value: '1' }], observed: { calls: 3, runs: [0] } },
          { syscall: 'ioctl', action: 'allow', args: [{ index: 1, op: 'eq', value: '2' }], observed: { calls: 3, runs: [0] } },
          { syscall: 'write', action: 'allow' },
        ],
      },
      'p.json',
    );
    expect(policyCallMix(policy)).toEqual([
      { arch: 'x86_64', nr: 0, count: 9 },
      { arch: 'x86_64', nr: 16, count: 3 },
    ]);
  });

  it('compiled layouts: the cached figures never exceed the plain ones, and plain allows are cache hits', () => {
    const policy = checkPolicy(
      {
        format: 'sbx-policy',
        version: 1,
        arches: ['x86_64'],
        defaultAction: 'errno(EPERM)',
        rules: [
          { syscall: 'read', action: 'allow' },
          { syscall: 'ioctl', action: 'allow', args: [{ index: 1, op: 'eq', value: '0x5413' }] },
        ],
      },
      'p.json',
    );
    const mix: CallMix = [
      { arch: 'x86_64', nr: 0, count: 100 },
      { arch: 'x86_64', nr: 16, count: 10, args: [1n, 0x5413n] },
    ];
    for (const layout of LAYOUTS) {
      const cost = expectedCost(compilePolicy(policy, { layout, profile: mix }), mix);
      expect(cost.cachedCalls).toBe(100);
      expect(cost.expectedCached).toBeLessThan(cost.expected);
      expect(cost.worstSeenCached).toBeLessThanOrEqual(cost.worstSeen);
      expect(cost.worstSeen).toBeLessThanOrEqual(cost.worst);
    }
  });
});
