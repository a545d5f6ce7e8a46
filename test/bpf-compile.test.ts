/**
 * The policy compiler against the policy's own meaning: every row and every random input runs
 * the compiled filter on the emulator and compares its return value with what `decide()` says,
 * for every layout. A failure prints the disassembly.
 */
import { describe, expect, it } from 'vitest';
import { archDef, X32_SYSCALL_BIT, type ArchName } from '../src/linux/arch.js';
import { syscallNumber, syscallTable } from '../src/linux/syscalls.js';
import { CMP_OPS, checkPolicy, decide, policyDecisions, type Policy } from '../src/policy/policy.js';
import { compilePolicy, FilterTooLongError, LAYOUTS, planPolicy, type Layout, type Search } from '../src/policy/compile/compile.js';
import { walkDispatch } from '../src/policy/compile/compile-plan.js';
import { describeRet, disassemble } from '../src/bpf/disasm.js';
import { emulate, type SeccompData } from '../src/bpf/emulator.js';
import { BPF_JA, BPF_JMP, type Program } from '../src/bpf/program.js';
import { cachedSyscalls, expectedCost, type CallMix } from '../src/policy/compile/stats.js';
import { mulberry32, policyRet } from './bpf-live-helpers.js';

const U64 = (1n << 64n) - 1n;

/** A policy as a file would hold it (format and version added), checked like one. */
function policyOf(body: Record<string, unknown>): Policy {
  return checkPolicy({ format: 'sbx-policy', version: 1, ...body }, 'test.json');
}

const oracle = policyRet;

const compiled = new Map<string, Program>();
/** Compiled once per (policy, layout, mix, search). */
function compileCached(policy: Policy, layout: Layout, mix?: CallMix, search: Search = 'full'): Program {
  const key = `${JSON.stringify(policy, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}|${layout}|${search}|${JSON.stringify(mix ?? null, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`;
  let p = compiled.get(key);
  if (!p) {
    p = compilePolicy(policy, { layout, search, ...(mix ? { profile: mix } : {}) });
    compiled.set(key, p);
  }
  return p;
}

interface CallSpec {
  readonly arch: ArchName | number;
  /** A syscall name of `arch`, or a raw number. */
  readonly nr: string | number;
  readonly args?: readonly bigint[];
}

function dataOf(spec: CallSpec): SeccompData {
  const arch = typeof spec.arch === 'number' ? spec.arch : archDef(spec.arch).auditArch;
  let nr = spec.nr;
  if (typeof nr === 'string') {
    const found = syscallNumber(spec.arch as ArchName, nr);
    if (found === undefined) throw new Error(`no syscall ${nr} on ${spec.arch}`);
    nr = found;
  }
  return { arch, nr, instructionPointer: 0n, args: spec.args ?? [] };
}

// ---- spec rows ----

/** Every comparison, each on its own syscall, on both sides of the hi/lo word boundary. */
const comparisons = policyOf({
  arches: ['x86_64'],
  defaultAction: 'errno(EPERM)',
  rules: [
    { syscall: 'read', action: 'allow', args: [{ index: 0, op: 'eq', value: '0x100000001' }] },
    { syscall: 'write', action: 'allow', args: [{ index: 0, op: 'ne', value: '0x100000001' }] },
    { syscall: 'open', action: 'allow', args: [{ index: 1, op: 'lt', value: '0x100000000' }] },
    { syscall: 'close', action: 'allow', args: [{ index: 2, op: 'le', value: '0x1ffffffff' }] },
    { syscall: 'stat', action: 'allow', args: [{ index: 3, op: 'gt', value: '0xffffffff' }] },
    { syscall: 'fstat', action: 'allow', args: [{ index: 4, op: 'ge', value: '0x100000000' }] },
    { syscall: 'lstat', action: 'allow', args: [{ index: 5, op: 'masked-eq', mask: '0xff000000ff', value: '0x100000002' }] },
    { syscall: 'poll', action: 'trace(7)', args: [{ index: 0, op: 'eq', value: '1' }] },
    {
      syscall: 'poll',
      action: 'trace(7)',
      args: [
        { index: 1, op: 'eq', value: '2' },
        { index: 2, op: 'gt', value: '0xfffffffffffffffe' },
      ],
    },
    {
      syscall: 'lseek',
      action: 'log',
      args: [
        { index: 0, op: 'gt', value: '5' },
        { index: 1, op: 'lt', value: '0xffffffffffffffff' },
      ],
    },
    { syscall: 'mmap', action: 'allow', args: [{ index: 0, op: 'ge', value: '0' }] },
    { syscall: 'brk', action: 'allow', args: [{ index: 0, op: 'masked-eq', mask: '0xffffffff00000000', value: '0xffffffff00000000' }] },
    { syscall: 'ioctl', action: 'allow', args: [{ index: 1, op: 'lt', value: '0xffffffff00000001' }] },
  ],
});

const multiArch = policyOf({
  arches: ['x86_64', 'i386'],
  defaultAction: 'kill-process',
  rules: [
    { syscall: 'read', action: 'allow' },
    { syscall: 'getpid', arches: ['i386'], action: 'errno(EACCES)' },
    { syscall: 'getppid', action: 'errno(ENOSYS)', args: [{ index: 0, op: 'eq', value: '0' }] },
  ],
});

const x32Only = policyOf({ arches: ['x32'], defaultAction: 'errno(ENOSYS)', rules: [{ syscall: 'read', action: 'allow' }] });

const x86AndX32 = policyOf({
  arches: ['x86_64', 'x32'],
  defaultAction: 'allow',
  rules: [{ syscall: 'read', arches: ['x32'], action: 'kill-process' }],
});

const actions = policyOf({
  arches: ['x86_64'],
  defaultAction: 'allow',
  rules: [
    { syscall: 'getpid', action: 'trap' },
    { syscall: 'getppid', action: 'kill-thread' },
    { syscall: 'getuid', action: 'errno(0)' },
    { syscall: 'getgid', action: 'trace(65535)' },
    { syscall: 'geteuid', action: 'log' },
    { syscall: 'getegid', action: 'kill-process' },
    { syscall: 'setuid', action: 'errno(4095)' },
  ],
});

interface SpecRow {
  readonly desc: string;
  readonly policy: Policy;
  readonly data: CallSpec;
  readonly want: string;
}

const X86 = 'x86_64' as const;
const specRows: SpecRow[] = [
  // arch and number dispatch
  { desc: 'listed syscall', policy: multiArch, data: { arch: X86, nr: 'read' }, want: 'ALLOW' },
  { desc: 'unlisted syscall gets the default', policy: multiArch, data: { arch: X86, nr: 'write' }, want: 'KILL_PROCESS' },
  { desc: 'i386 read (3) is allowed on i386', policy: multiArch, data: { arch: 'i386', nr: 'read' }, want: 'ALLOW' },
  { desc: 'i386 nr 0 is not x86_64 read', policy: multiArch, data: { arch: 'i386', nr: 0 }, want: 'KILL_PROCESS' },
  { desc: 'rule for i386 only', policy: multiArch, data: { arch: 'i386', nr: 'getpid' }, want: 'ERRNO(13)' },
  { desc: 'rule for i386 only: not on x86_64', policy: multiArch, data: { arch: X86, nr: 'getpid' }, want: 'KILL_PROCESS' },
  { desc: 'args on i386 compare all 64 bits', policy: multiArch, data: { arch: 'i386', nr: 'getppid', args: [0n] }, want: 'ERRNO(38)' },
  { desc: 'args on i386: hi word set', policy: multiArch, data: { arch: 'i386', nr: 'getppid', args: [1n << 32n] }, want: 'KILL_PROCESS' },
  { desc: 'foreign arch is killed', policy: multiArch, data: { arch: 'aarch64', nr: 63 }, want: 'KILL_PROCESS' },
  { desc: 'unknown arch value is killed', policy: actions, data: { arch: 0x12345678, nr: 0 }, want: 'KILL_PROCESS' },
  {
    desc: 'x32 number on an x86_64 policy is killed (default allow)',
    policy: actions,
    data: { arch: X86, nr: X32_SYSCALL_BIT },
    want: 'KILL_PROCESS',
  },
  { desc: 'nr -1 has the x32 bit: killed', policy: actions, data: { arch: X86, nr: 0xffffffff }, want: 'KILL_PROCESS' },
  { desc: 'nr 0x80000000 is x86_64 (no x32 bit): default', policy: actions, data: { arch: X86, nr: 0x80000000 }, want: 'ALLOW' },
  { desc: 'nr 0xbfffffff is x86_64: default', policy: comparisons, data: { arch: X86, nr: 0xbfffffff }, want: 'ERRNO(1)' },
  { desc: 'x32 policy: x32 read', policy: x32Only, data: { arch: X86, nr: X32_SYSCALL_BIT }, want: 'ALLOW' },
  { desc: 'x32 policy: x32 write gets the default', policy: x32Only, data: { arch: X86, nr: X32_SYSCALL_BIT + 1 }, want: 'ERRNO(38)' },
  { desc: 'x32 policy: x86_64 read is killed', policy: x32Only, data: { arch: X86, nr: 0 }, want: 'KILL_PROCESS' },
  { desc: 'x32 policy: 0xc0000000 is x32', policy: x32Only, data: { arch: X86, nr: 0xc0000000 }, want: 'ERRNO(38)' },
  { desc: 'x32 policy: 0x80000000 is x86_64', policy: x32Only, data: { arch: X86, nr: 0x80000000 }, want: 'KILL_PROCESS' },
  { desc: 'x86_64+x32: rule on x32 read only', policy: x86AndX32, data: { arch: X86, nr: X32_SYSCALL_BIT }, want: 'KILL_PROCESS' },
  { desc: 'x86_64+x32: x86_64 read allowed', policy: x86AndX32, data: { arch: X86, nr: 0 }, want: 'ALLOW' },
  { desc: 'x86_64+x32: other x32 allowed', policy: x86AndX32, data: { arch: X86, nr: X32_SYSCALL_BIT + 1 }, want: 'ALLOW' },
  // actions
  { desc: 'trap', policy: actions, data: { arch: X86, nr: 'getpid' }, want: 'TRAP' },
  { desc: 'kill-thread', policy: actions, data: { arch: X86, nr: 'getppid' }, want: 'KILL_THREAD' },
  { desc: 'errno(0)', policy: actions, data: { arch: X86, nr: 'getuid' }, want: 'ERRNO(0)' },
  { desc: 'trace(65535)', policy: actions, data: { arch: X86, nr: 'getgid' }, want: 'TRACE(65535)' },
  { desc: 'log', policy: actions, data: { arch: X86, nr: 'geteuid' }, want: 'LOG' },
  { desc: 'kill-process', policy: actions, data: { arch: X86, nr: 'getegid' }, want: 'KILL_PROCESS' },
  { desc: 'errno(4095)', policy: actions, data: { arch: X86, nr: 'setuid' }, want: 'ERRNO(4095)' },
  // 64-bit comparisons
  ...(
    [
      ['eq: equal', 'read', [0x100000001n], 'ALLOW'],
      ['eq: lo equal, hi not', 'read', [0x1n], 'ERRNO(1)'],
      ['eq: hi equal, lo not', 'read', [0x100000000n], 'ERRNO(1)'],
      ['ne: equal', 'write', [0x100000001n], 'ERRNO(1)'],
      ['ne: lo equal, hi not', 'write', [0x200000001n], 'ALLOW'],
      ['ne: hi equal, lo not', 'write', [0x100000002n], 'ALLOW'],
      ['lt: just below 2^32', 'open', [0n, 0xffffffffn], 'ALLOW'],
      ['lt: 2^32', 'open', [0n, 0x100000000n], 'ERRNO(1)'],
      ['lt: hi above', 'open', [0n, 0x200000000n], 'ERRNO(1)'],
      ['le: equal', 'close', [0n, 0n, 0x1ffffffffn], 'ALLOW'],
      ['le: one above (carry into hi)', 'close', [0n, 0n, 0x200000000n], 'ERRNO(1)'],
      ['le: hi below, lo max', 'close', [0n, 0n, 0x0ffffffffn], 'ALLOW'],
      ['gt: 2^32 - 1', 'stat', [0n, 0n, 0n, 0xffffffffn], 'ERRNO(1)'],
      ['gt: 2^32', 'stat', [0n, 0n, 0n, 0x100000000n], 'ALLOW'],
      ['gt: max', 'stat', [0n, 0n, 0n, U64], 'ALLOW'],
      ['ge: 2^32', 'fstat', [0n, 0n, 0n, 0n, 0x100000000n], 'ALLOW'],
      ['ge: 2^32 - 1', 'fstat', [0n, 0n, 0n, 0n, 0xffffffffn], 'ERRNO(1)'],
      ['masked-eq: both words match', 'lstat', [0n, 0n, 0n, 0n, 0n, 0x01abcdef02n], 'ALLOW'],
      ['masked-eq: hi byte differs', 'lstat', [0n, 0n, 0n, 0n, 0n, 0x02abcdef02n], 'ERRNO(1)'],
      ['masked-eq: lo byte differs', 'lstat', [0n, 0n, 0n, 0n, 0n, 0x0100000003n], 'ERRNO(1)'],
      ['OR: first set', 'poll', [1n], 'TRACE(7)'],
      ['OR: second set', 'poll', [0n, 2n, U64], 'TRACE(7)'],
      ['OR: second set, one condition fails', 'poll', [0n, 2n, U64 - 1n], 'ERRNO(1)'],
      ['AND: both hold', 'lseek', [6n, 0n], 'LOG'],
      ['AND: second fails', 'lseek', [6n, U64], 'ERRNO(1)'],
      ['AND: first fails', 'lseek', [5n, 0n], 'ERRNO(1)'],
      ['ge 0 always holds', 'mmap', [U64], 'ALLOW'],
      ['masked-eq on the hi word only', 'brk', [0xffffffff12345678n], 'ALLOW'],
      ['masked-eq on the hi word only: differs', 'brk', [0xfffffffe12345678n], 'ERRNO(1)'],
      ['lt hi max: below', 'ioctl', [0n, 0xffffffff00000000n], 'ALLOW'],
      ['lt hi max: equal', 'ioctl', [0n, 0xffffffff00000001n], 'ERRNO(1)'],
    ] as const
  ).map(([desc, nr, args, want]) => ({ desc, policy: comparisons, data: { arch: X86, nr, args }, want })),
];

describe('spec rows: emulate(compile(policy)) returns what the policy decides', () => {
  it.each(specRows.flatMap((row) => LAYOUTS.map((layout) => ({ ...row, layout }))))('$desc ($layout)', ({ policy, data, want, layout }) => {
    const d = dataOf(data);
    expect(describeRet(oracle(policy, d)), 'the row disagrees with decide()').toBe(want);
    const program = compileCached(policy, layout);
    expect(describeRet(emulate(program, d).ret), disassemble(program)).toBe(want);
  });
});

// ---- random policies ----

const ARCH_SETS: readonly (readonly ArchName[])[] = [
  ['x86_64'],
  ['x86_64', 'i386'],
  ['i386'],
  ['x86_64', 'x32'],
  ['x32'],
  ['aarch64'],
  ['x86_64', 'i386', 'x32'],
];
const ACTIONS = ['allow', 'errno(EPERM)', 'errno(0)', 'trace(3)', 'log', 'trap', 'kill-thread', 'kill-process'];
const VALUES: readonly bigint[] = [
  0n,
  1n,
  2n,
  0x7fffffffn,
  0x80000000n,
  0xfffffffen,
  0xffffffffn,
  0x100000000n,
  0x100000001n,
  0x1ffffffffn,
  0xffffffff00000000n,
  0xfffffffffffffffen,
  U64,
];
const MASKS: readonly bigint[] = [0n, 0xffn, 0xff00000000n, 0xffffffffn, 0xffffffff00000000n, U64, 0x8000000000000001n];
const OPS = Object.keys(CMP_OPS) as (keyof typeof CMP_OPS)[];

function randomU64(rand: () => number): bigint {
  return (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
}

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

function randomValue(rand: () => number): bigint {
  return rand() < 0.8 ? pick(rand, VALUES) : randomU64(rand);
}

function randomCondition(rand: () => number, index: number): Record<string, unknown> {
  const op = pick(rand, OPS);
  if (op === 'masked-eq') {
    const mask = rand() < 0.8 ? pick(rand, MASKS) : randomU64(rand);
    return { index, op, mask: `0x${mask.toString(16)}`, value: `0x${(randomValue(rand) & mask).toString(16)}` };
  }
  return { index, op, value: `0x${randomValue(rand).toString(16)}` };
}

/** A random valid policy: a few arches, 1..14 syscalls, some with OR-ed argument rules. */
function randomPolicy(rand: () => number): Policy {
  const arches = pick(rand, ARCH_SETS);
  const defaultAction = pick(rand, ACTIONS);
  // Low numbers: close together, so ranges merge and neighbours matter.
  const names = [
    ...new Set(
      arches.flatMap((a) =>
        syscallTable(a)
          .slice(0, 24)
          .map((e) => e.name),
      ),
    ),
  ];
  const count = 1 + Math.floor(rand() * 14);
  const chosen = new Set<string>();
  while (chosen.size < Math.min(count, names.length)) chosen.add(pick(rand, names));
  const rules: Record<string, unknown>[] = [];
  for (const syscall of chosen) {
    const has = arches.filter((a) => syscallNumber(a, syscall) !== undefined);
    const ruleArches = rand() < 0.3 ? has.filter(() => rand() < 0.6) : undefined;
    if (ruleArches && ruleArches.length === 0) continue;
    const action = pick(
      rand,
      ACTIONS.filter((a) => a !== defaultAction),
    );
    const priority = rand() < 0.3 ? Math.floor(rand() * 256) : undefined;
    const base = { syscall, action, ...(ruleArches ? { arches: ruleArches } : {}), ...(priority !== undefined ? { priority } : {}) };
    if (rand() < 0.5) {
      rules.push(base);
      continue;
    }
    const sets = 1 + Math.floor(rand() * 3);
    const seen = new Set<string>();
    for (let s = 0; s < sets; s++) {
      const indexes = [0, 1, 2, 3, 4, 5].filter(() => rand() < 0.35).slice(0, 3);
      if (indexes.length === 0) indexes.push(Math.floor(rand() * 6));
      const args = indexes.map((i) => randomCondition(rand, i));
      const key = JSON.stringify([...args].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push({ ...base, args });
    }
  }
  return policyOf({ arches, defaultAction, rules });
}

const NR_EDGES = [0, 1, 0x3fffffff, X32_SYSCALL_BIT, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000, 0xffffffff];
const OTHER_ARCHES = [archDef('x86_64').auditArch, archDef('i386').auditArch, archDef('aarch64').auditArch, 0x40000028, 0];

/** Inputs aimed at the policy: its numbers and their neighbours, the x32 bit, edge values, foreign arches. */
function randomData(rand: () => number, policy: Policy): SeccompData {
  const decisions = policyDecisions(policy);
  const d = decisions.length ? pick(rand, decisions) : undefined;
  const r = rand();
  let arch: number = d && r < 0.75 ? archDef(d.arch).auditArch : pick(rand, OTHER_ARCHES);
  if (r > 0.95) arch = Math.floor(rand() * 2 ** 32);
  const n = rand();
  let nr: number;
  if (d && n < 0.55) nr = d.nr;
  else if (d && n < 0.7) nr = d.nr + (rand() < 0.5 ? 1 : -1);
  else if (d && n < 0.8) nr = (d.nr ^ X32_SYSCALL_BIT) >>> 0;
  else if (n < 0.9) nr = pick(rand, NR_EDGES);
  else nr = Math.floor(rand() * 40);
  const conditions = d?.when.flat() ?? [];
  const args = [0, 1, 2, 3, 4, 5].map((i) => {
    const on = conditions.filter((c) => c.index === i);
    if (on.length && rand() < 0.7) return pick(rand, CMP_OPS[pick(rand, on).op].interestingValues(pick(rand, on)));
    return rand() < 0.5 ? randomValue(rand) : 0n;
  });
  return { arch: arch >>> 0, nr: nr >>> 0, instructionPointer: 0n, args };
}

/** Random call counts on some of the policy's syscalls and a few others, so layouts differ. */
function randomMix(rand: () => number, policy: Policy): CallMix {
  const mix: { arch: ArchName; nr: number; count: number }[] = [];
  for (const d of policyDecisions(policy))
    if (rand() < 0.7) mix.push({ arch: d.arch, nr: d.nr, count: Math.floor(1 + rand() ** 4 * 10000) });
  for (const arch of policy.arches)
    if (rand() < 0.5) mix.push({ arch, nr: syscallTable(arch)[Math.floor(rand() * 30)]!.nr, count: Math.floor(rand() * 500) });
  return mix;
}

/** Every layout as planned in full, and the quick plans a policy's first `sbx run` starts with. */
const BUILDS: readonly { layout: Layout; search: Search }[] = [
  ...LAYOUTS.map((layout) => ({ layout, search: 'full' as const })),
  ...LAYOUTS.filter((layout) => layout !== 'linear').map((layout) => ({ layout, search: 'quick' as const })),
];

describe('random policies × random seccomp_data: the filter decides what the policy decides', () => {
  const SEEDS = Array.from({ length: 120 }, (_, i) => ({ seed: i + 1 }));
  it.each(SEEDS)('seed $seed', ({ seed }) => {
    const rand = mulberry32(seed);
    const policy = randomPolicy(rand);
    const mix = rand() < 0.7 ? randomMix(rand, policy) : undefined;
    const inputs = Array.from({ length: 250 }, () => randomData(rand, policy));
    for (const { layout, search } of BUILDS) {
      const program = compileCached(policy, layout, mix, search);
      for (const data of inputs) {
        const want = oracle(policy, data);
        const got = emulate(program, data).ret;
        if (got !== want) {
          expect.fail(
            `${layout} (${search}): arch 0x${data.arch.toString(16)} nr 0x${data.nr.toString(16)} args ${data.args.map((a) => `0x${a.toString(16)}`).join(',')}: ` +
              `filter ${describeRet(got)}, policy ${describeRet(want)}\n${disassemble(program)}`,
          );
        }
      }
    }
  });
});

// ---- the action cache ----

/** (arch, nr) the policy allows whatever the arguments, read off the rules (no simplification). */
function plainlyAllowed(policy: Policy, arch: ArchName): number[] {
  const rules = new Map(
    policyDecisions(policy)
      .filter((d) => d.arch === arch)
      .map((d) => [d.nr as number, d]),
  );
  return syscallTable(arch)
    .map((e) => e.nr as number)
    .filter((nr) => {
      const d = rules.get(nr);
      return d ? d.action.kind === 'allow' && d.when.length === 0 : policy.defaultAction.kind === 'allow';
    });
}

describe('cacheability is never spoiled', () => {
  it.each(Array.from({ length: 60 }, (_, i) => ({ seed: 1000 + i })))(
    'random policy $seed: every plainly allowed syscall is const-allow, and nothing else',
    ({ seed }) => {
      const rand = mulberry32(seed);
      const policy = randomPolicy(rand);
      for (const { layout, search } of BUILDS) {
        const program = compileCached(policy, layout, randomMix(rand, policy), search);
        for (const { arch, nrs } of cachedSyscalls(
          program,
          policy.arches.filter((a) => a !== 'x32'),
        )) {
          const cached = new Set(nrs);
          for (const nr of plainlyAllowed(policy, arch))
            expect(cached.has(nr), `${layout} ${arch} ${nr}\n${disassemble(program)}`).toBe(true);
          // Whatever is cached is allowed for any arguments.
          for (const nr of cached) {
            for (const args of [[], [U64, U64, U64, U64, U64, U64], [1n, 2n, 3n, 0x100000000n, 5n, 6n]]) {
              expect(decide(policy, arch, nr, args).kind, `${layout} ${arch} ${nr}`).toBe('allow');
            }
          }
        }
      }
    },
  );

  it('exactly the plain allows of the native and compat arch; argument rules and other actions run the filter', () => {
    for (const layout of LAYOUTS) {
      const program = compileCached(multiArch, layout);
      const byArch = new Map(cachedSyscalls(program, ['x86_64', 'i386']).map((c) => [c.arch, c.nrs]));
      expect(byArch.get('x86_64')).toEqual([0]);
      expect(byArch.get('i386')).toEqual([3]);
      const cmp = compileCached(comparisons, layout);
      // mmap's only condition always holds, so it is a plain allow once simplified.
      expect(cachedSyscalls(cmp, ['x86_64'])[0]!.nrs).toEqual([syscallNumber('x86_64', 'mmap')]);
    }
  });
});

// ---- layouts ----

describe('layouts', () => {
  const hot = policyOf({
    arches: ['x86_64'],
    defaultAction: 'kill-process',
    rules: ['read', 'write', 'close', 'futex', 'ppoll', 'openat', 'mmap', 'munmap', 'brk', 'exit_group']
      .map((syscall) => ({ syscall, action: 'allow' }))
      .concat([
        { syscall: 'ioctl', action: 'allow', args: [{ index: 1, op: 'eq', value: '0x5401' }] } as never,
        { syscall: 'clone3', action: 'errno(ENOSYS)' } as never,
      ]),
  });
  const n = (name: string): number => syscallNumber('x86_64', name)!;
  const mix: CallMix = [
    { arch: 'x86_64', nr: n('futex'), count: 5000 },
    { arch: 'x86_64', nr: n('read'), count: 3000 },
    { arch: 'x86_64', nr: n('write'), count: 2000 },
    { arch: 'x86_64', nr: n('ioctl'), count: 400, args: [0n, 0x5401n] },
    { arch: 'x86_64', nr: n('clone3'), count: 3 },
    { arch: 'x86_64', nr: n('close'), count: 100 },
  ];
  const executed = (p: Program, name: string, args: bigint[] = []): number =>
    emulate(p, { arch: archDef('x86_64').auditArch, nr: n(name), instructionPointer: 0n, args }).executed;

  it('linear: the most called syscall is the first comparison after the arch check', () => {
    const p = compileCached(hot, 'linear', mix);
    expect(p.instructions[3], disassemble(p)).toMatchObject({ code: 0x15, k: n('futex') });
    expect(executed(p, 'futex')).toBe(5); // ld arch, jeq arch, ld nr, jeq, ret
    expect(executed(p, 'futex')).toBeLessThan(executed(p, 'close'));
  });

  it('tree: the hot syscalls cost no more than in the linear chain, and the mean is lower', () => {
    const linear = compileCached(hot, 'linear', mix);
    const tree = compileCached(hot, 'tree', mix);
    for (const name of ['futex', 'read', 'write'])
      expect(executed(tree, name), disassemble(tree)).toBeLessThanOrEqual(executed(linear, name));
    expect(expectedCost(tree, mix).expected).toBeLessThan(expectedCost(linear, mix).expected);
  });

  it('cache-aware: the calls that run the filter come first; with cache hits as 0 it is the cheapest', () => {
    const tree = compileCached(hot, 'tree', mix);
    const aware = compileCached(hot, 'cache-aware', mix);
    expect(executed(aware, 'ioctl', [0n, 0x5401n]), disassemble(aware)).toBeLessThan(executed(tree, 'ioctl', [0n, 0x5401n]));
    for (const layout of ['linear', 'tree'] as const) {
      expect(expectedCost(aware, mix).expectedCached).toBeLessThan(expectedCost(compileCached(hot, layout, mix), mix).expectedCached);
    }
  });

  it('planPolicy is what compilePolicy renders: emulated instructions = arch check + comparisons + RET', () => {
    for (const layout of LAYOUTS) {
      const p = compileCached(multiArch, layout, mix);
      const plans = planPolicy(multiArch, { layout, profile: mix });
      plans.forEach((section, position) => {
        for (const arch of section.arches) {
          for (const { nr } of syscallTable(arch).slice(0, 40)) {
            const { leaf, comparisons } = walkDispatch(section.plan, nr);
            if (!leaf.startsWith('ret:')) continue; // argument blocks cost more
            const archCheck = 2 + position; // ld arch, then one jeq per arch tested before
            const ran = emulate(p, { arch: archDef(arch).auditArch, nr, instructionPointer: 0n, args: [] }).executed;
            expect(ran, `${layout} ${arch} ${nr}\n${disassemble(p)}`).toBe(
              archCheck + (section.plan.kind === 'leaf' ? 0 : 1 + comparisons) + 1,
            );
          }
        }
      });
    }
  });
});

// ---- size ----

/** `count` x86_64 syscalls (from the table's start), each with `sets` OR-ed rules of two 64-bit equalities. */
function argHeavy(count: number, sets: number, extra: Record<string, unknown>[] = []): Policy {
  const rules = syscallTable('x86_64')
    .slice(0, count)
    .flatMap((e) =>
      Array.from({ length: sets }, (_, s) => ({
        syscall: e.name,
        action: 'allow',
        args: [
          { index: 0, op: 'eq', value: `0x${(0x100000000n + BigInt(s)).toString(16)}` },
          { index: 1, op: 'ne', value: String(e.nr) },
        ],
      })),
    );
  return policyOf({ arches: ['x86_64'], defaultAction: 'errno(EPERM)', rules: [...rules, ...extra] });
}

describe('size', () => {
  it('long programs: jumps over 255 instructions go through trampolines and still decide right', () => {
    const policy = argHeavy(60, 2);
    for (const layout of LAYOUTS) {
      const p = compileCached(policy, layout);
      expect(p.length).toBeGreaterThan(600);
      expect(p.instructions.some((i) => i.code === (BPF_JMP | BPF_JA)) || p.length > 600, disassemble(p)).toBe(true);
      const rand = mulberry32(7);
      for (let i = 0; i < 400; i++) {
        const data = randomData(rand, policy);
        expect(emulate(p, data).ret, `${layout} nr ${data.nr}`).toBe(oracle(policy, data));
      }
    }
  });

  it('shares identical argument blocks and returns', () => {
    // Two syscalls with the same rules and action share one block; every RET value appears once.
    const policy = policyOf({
      arches: ['x86_64'],
      defaultAction: 'errno(EPERM)',
      rules: ['read', 'pread64'].map((syscall) => ({ syscall, action: 'allow', args: [{ index: 2, op: 'lt', value: '0x1000' }] })),
    });
    for (const layout of LAYOUTS) {
      const p = compileCached(policy, layout);
      const loads = p.instructions.filter((i) => i.code === 0x20 && i.k >= 16);
      expect(loads.length, disassemble(p)).toBe(2); // args[2].hi and .lo, once
      const rets = p.instructions.filter((i) => i.code === 0x06).map((i) => i.k);
      expect(new Set(rets).size, disassemble(p)).toBe(rets.length);
    }
  });

  it('a program over BPF_MAXINSNS is refused with the count and what would fit', () => {
    const policy = argHeavy(300, 3);
    for (const layout of LAYOUTS) {
      let error: unknown;
      try {
        compilePolicy(policy, { layout, source: 'big.json' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FilterTooLongError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^big\\.json: the ${layout} filter needs \\d+ instructions, more than the kernel accepts \\(BPF_MAXINSNS = 4096\\): use fewer argument rules \\(\\d+ instructions check arguments\\)$`,
        ),
      );
    }
  });

  it('when only the linear chain is too long, the message names the layouts that fit', () => {
    // 288 plain allows: one JEQ each in linear, a few ranges in a tree; plus argument rules near the limit.
    // Linear ends up just over: the long-jump trampolines push it past 4096.
    const plain = syscallTable('x86_64')
      .slice(152, 440)
      .map((e) => ({ syscall: e.name, action: 'allow' }));
    const policy = argHeavy(152, 3, plain);
    const tree = compilePolicy(policy, { layout: 'tree' });
    expect(tree.length).toBeLessThanOrEqual(4096);
    expect(() => compilePolicy(policy, { layout: 'linear', source: 'p.json' })).toThrow(
      /^p\.json: the linear filter needs over 4096 instructions \(\d+ and long-jump trampolines\), more than the kernel accepts \(BPF_MAXINSNS = 4096\): --layout tree fits \(\d+ instructions\); or --layout cache-aware fits \(\d+ instructions\); or use fewer argument rules/,
    );
  });
});
