/**
 * The real kernel as the reference: programs built with ProgramBuilder are loaded with
 * seccomp(SECCOMP_SET_MODE_FILTER) in a child process, which then makes syscalls; what the
 * kernel does is compared with what `emulate` + `actionOf` (+ `combineActions`) predict.
 * Also checks that `compileProgram` accepts exactly what the kernel accepts, and (only where
 * the kernel has CONFIG_SECCOMP_CACHE_DEBUG) `cacheableAllows` against /proc/self/seccomp_cache.
 *
 * There is no launcher in the repo yet, so the child is a small C helper compiled with gcc
 * (test/bpf-live-helpers.ts).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheableAllows } from '../src/bpf/action-cache.js';
import { NEXT, ProgramBuilder } from '../src/bpf/builder.js';
import { disassemble } from '../src/bpf/disasm.js';
import { actionOf, combineActions, emulate, type Action } from '../src/bpf/emulator.js';
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
  BpfError,
  DATA_ARCH,
  DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
  argHi,
  argLo,
  compileProgram,
  jump,
  stmt,
  type DataOffset,
  type Insn,
  type Program,
} from '../src/bpf/program.js';
import { LiveHelper, encode, mulberry32, predict, randomU32, randomU64, type Call } from './bpf-live-helpers.js';
import { INT80, needs } from './machine.js';

// sbx runs on Linux x86_64/aarch64 only, and the live suite needs gcc: missing either is a loud failure.
const live = LiveHelper.build();
const { auditArch, sysno } = live;
const runCalls = live.runCalls.bind(live);
const runOne = live.runOne.bind(live);
const dataFor = live.dataFor.bind(live);

/** Nonexistent syscall numbers the filter gives meaning to; allowed, they fail with ENOSYS. */
const NR = { ARGS: 1000, TRACE: 1001, NOTIF: 1002, BIG_ERRNO: 1003, ERRNO0: 1004, KILL_THREAD: 1005, ALU: 1006, UNLISTED: 1999 };

/**
 * The live filter: arch check, a few syscalls by number, 300 filler comparisons (so the
 * early jumps to shared returns and labels need long-jump trampolines), then per-syscall
 * blocks that inspect arguments and compute a return value with ALU ops and scratch memory.
 */
function liveProgram(): Program {
  const b = new ProgramBuilder();
  const ret = (k: number): string => b.returnLabel(k);
  b.load(DATA_ARCH).jeq(auditArch, NEXT, ret(SECCOMP_RET_KILL_PROCESS));
  b.load(DATA_NR);
  b.jeq(sysno.getppid!, ret(SECCOMP_RET_ERRNO | 1), NEXT);
  b.jeq(sysno.getuid!, ret(SECCOMP_RET_LOG), NEXT);
  b.jeq(NR.ARGS, 'args', NEXT);
  b.jeq(NR.TRACE, ret(SECCOMP_RET_TRACE | 7), NEXT);
  b.jeq(NR.NOTIF, ret(SECCOMP_RET_USER_NOTIF), NEXT);
  b.jeq(NR.BIG_ERRNO, ret(SECCOMP_RET_ERRNO | 5000), NEXT);
  b.jeq(NR.ERRNO0, ret(SECCOMP_RET_ERRNO | 0), NEXT);
  b.jeq(NR.KILL_THREAD, ret(SECCOMP_RET_KILL_THREAD), NEXT);
  b.jeq(NR.ALU, 'alu', NEXT);
  for (let nr = 2000; nr < 2300; nr++) b.jeq(nr, ret(SECCOMP_RET_ERRNO | 2), NEXT);
  b.ret(SECCOMP_RET_ALLOW);

  // args[0] == 0x1_deadbeef -> TRAP(0x42); args[0].hi == 1 otherwise -> ERRNO(3);
  // else args[1] bit 31 -> KILL_PROCESS; args[1].hi >= 0x10 -> ERRNO(4); else ALLOW.
  b.label('args').load(argHi(0)).jeq(1, NEXT, 'notone');
  b.load(argLo(0)).jeq(0xdeadbeef, ret(SECCOMP_RET_TRAP | 0x42), ret(SECCOMP_RET_ERRNO | 3));
  b.label('notone').load(argLo(1)).jset(0x80000000, ret(SECCOMP_RET_KILL_PROCESS), NEXT);
  b.load(argHi(1)).jge(0x10, ret(SECCOMP_RET_ERRNO | 4), ret(SECCOMP_RET_ALLOW));

  // ERRNO(((args[1] << (args[0] & 31 as the CPU does it)) / args[2]) & 0xfff); args[2] == 0 -> returns 0.
  b.label('alu')
    .load(argLo(0))
    .stmt(BPF_MISC | BPF_TAX);
  b.load(argLo(1))
    .stmt(BPF_ALU | BPF_LSH | BPF_X)
    .stmt(BPF_ST, 3);
  b.load(argLo(2)).stmt(BPF_MISC | BPF_TAX);
  b.stmt(BPF_LD | BPF_MEM, 3).stmt(BPF_ALU | BPF_DIV | BPF_X);
  b.stmt(BPF_ALU | BPF_AND | BPF_K, 0xfff)
    .stmt(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO)
    .stmt(0x16 /* RET A */);
  return b.build();
}

interface LiveRow {
  name: string;
  call: () => Call;
  /** The action the emulator must pick, so each row tests the path it names. */
  want: Action['kind'];
}

const liveRows: LiveRow[] = [
  { name: 'getppid → ERRNO(1)', call: () => ({ nr: sysno.getppid! }), want: 'errno' },
  { name: 'getuid → LOG (runs)', call: () => ({ nr: sysno.getuid! }), want: 'log' },
  { name: 'unlisted nr → ALLOW (ENOSYS)', call: () => ({ nr: NR.UNLISTED }), want: 'allow' },
  { name: 'filler nr 2150 → ERRNO(2)', call: () => ({ nr: 2150 }), want: 'errno' },
  { name: '64-bit arg match → TRAP(0x42)', call: () => ({ nr: NR.ARGS, args: [0x1deadbeefn] }), want: 'trap' },
  { name: 'arg hi matches, lo does not → ERRNO(3)', call: () => ({ nr: NR.ARGS, args: [0x100000000n] }), want: 'errno' },
  { name: 'JSET bit 31 of args[1] → KILL_PROCESS', call: () => ({ nr: NR.ARGS, args: [0n, 0x80000000n] }), want: 'kill_process' },
  { name: 'args[1].hi >= 0x10 → ERRNO(4)', call: () => ({ nr: NR.ARGS, args: [0n, 0x1000000005n] }), want: 'errno' },
  { name: 'args fall through → ALLOW', call: () => ({ nr: NR.ARGS, args: [2n, 5n] }), want: 'allow' },
  { name: 'TRACE without a tracer → ENOSYS', call: () => ({ nr: NR.TRACE }), want: 'trace' },
  { name: 'USER_NOTIF without a listener → ENOSYS', call: () => ({ nr: NR.NOTIF }), want: 'user_notif' },
  { name: 'ERRNO(5000) is capped at 4095', call: () => ({ nr: NR.BIG_ERRNO }), want: 'errno' },
  { name: 'ERRNO(0) returns 0', call: () => ({ nr: NR.ERRNO0 }), want: 'errno' },
  { name: 'KILL_THREAD kills the only thread', call: () => ({ nr: NR.KILL_THREAD }), want: 'kill_thread' },
  { name: 'ALU: shift by 33 is by 1', call: () => ({ nr: NR.ALU, args: [33n, 0x123n, 1n] }), want: 'errno' },
  { name: 'ALU: divide by 3', call: () => ({ nr: NR.ALU, args: [4n, 0x1234n, 3n] }), want: 'errno' },
  { name: 'ALU: DIV X by 0 returns 0 = KILL_THREAD', call: () => ({ nr: NR.ALU, args: [0n, 5n, 0n] }), want: 'kill_thread' },
  ...(process.arch === 'x64'
    ? [
        {
          name: 'i386 ABI (int $0x80) fails the arch check → KILL_PROCESS',
          call: (): Call => ({ nr: 20, i386: true }),
          want: 'kill_process' as const,
        },
      ]
    : []),
];

describe('live kernel', () => {
  let program: Program;

  beforeAll(() => {
    program = liveProgram();
  });

  afterAll(() => live.close());

  it('the live filter needed long jumps', () => {
    // 300 filler comparisons sit between the early jumps and their targets.
    expect(program.length).toBeGreaterThan(300);
    const longJumps = program.instructions.filter((i, pc) => pc > 0 && pc < 20 && (i.code === 0x05 || i.code === 0x06)).length;
    expect(longJumps, disassemble(program)).toBeGreaterThan(0);
  });

  it.for(liveRows)('kernel agrees with the emulator: $name', ({ call: makeCall, want }, ctx) => {
    const call = makeCall();
    if (call.i386) needs(ctx, INT80);
    const { ret } = emulate(program, dataFor(call));
    const action = actionOf(ret);
    expect(action.kind, disassemble(program)).toBe(want);
    const expected = predict(action, call, () => runOne([], call));
    expect(runOne([program], call)).toEqual(expected);
  });

  it('several calls in one process: TRAP returns to the caller', () => {
    const calls: Call[] = [
      { nr: NR.ARGS, args: [0x1deadbeefn] },
      { nr: sysno.getppid! },
      { nr: NR.ALU, args: [31n, 1n, 1n] },
      { nr: NR.UNLISTED },
    ];
    const baseline = runCalls([], calls);
    const expected = calls.map((c, i) => predict(actionOf(emulate(program, dataFor(c)).ret), c, () => baseline[i]!));
    expect(runCalls([program], calls)).toEqual(expected);
  });

  describe('stacked filters: combineActions picks what the kernel picks', () => {
    const first = (): Program => {
      const b = new ProgramBuilder();
      b.load(DATA_NR);
      b.jeq(1101, b.returnLabel(SECCOMP_RET_ERRNO | 5), NEXT);
      b.jeq(1102, b.returnLabel(SECCOMP_RET_TRAP | 1), NEXT);
      b.jeq(1103, b.returnLabel(SECCOMP_RET_ERRNO | 6), NEXT);
      b.jeq(1104, b.returnLabel(SECCOMP_RET_LOG), NEXT);
      b.jeq(1105, b.returnLabel(SECCOMP_RET_KILL_PROCESS), NEXT);
      return b.ret(SECCOMP_RET_ALLOW).build();
    };
    const second = (): Program => {
      const b = new ProgramBuilder();
      b.load(DATA_NR);
      b.jeq(1101, b.returnLabel(SECCOMP_RET_ERRNO | 7), NEXT);
      b.jeq(1102, b.returnLabel(SECCOMP_RET_ERRNO | 2), NEXT);
      b.jeq(1103, b.returnLabel(SECCOMP_RET_LOG), NEXT);
      b.jeq(1104, b.returnLabel(SECCOMP_RET_TRACE), NEXT);
      b.jeq(1105, b.returnLabel(SECCOMP_RET_TRAP | 9), NEXT);
      return b.ret(SECCOMP_RET_ALLOW | 3).build();
    };
    it.each([
      { name: "equal actions: the newer filter's errno", nr: 1101 },
      { name: 'TRAP (older) beats ERRNO (newer)', nr: 1102 },
      { name: 'ERRNO beats LOG', nr: 1103 },
      { name: 'TRACE beats LOG', nr: 1104 },
      { name: 'KILL_PROCESS (older) beats TRAP', nr: 1105 },
      { name: 'both allow', nr: 1199 },
    ])('$name', ({ nr }) => {
      const filters = [first(), second()];
      const call: Call = { nr };
      const ret = combineActions(filters.map((p) => emulate(p, dataFor(call)).ret));
      const expected = predict(actionOf(ret), call, () => runOne([], call));
      expect(runOne(filters, call)).toEqual(expected);
    });
  });

  describe('random ALU programs (differential, seeded)', () => {
    it.each(Array.from({ length: 16 }, (_, i) => ({ seed: i + 1 })))('seed $seed', ({ seed }) => {
      const rand = mulberry32(seed);
      const ops = randomOps(rand);
      const argSets = Array.from({ length: 6 }, () => [randomU64(rand), randomU64(rand), randomU64(rand)]);
      for (const half of ['low', 'high'] as const) {
        const p = randomProgram(ops, half);
        const calls: Call[] = argSets.map((args) => ({ nr: NR.ALU, args }));
        const expected = calls.map((c) => predict(actionOf(emulate(p, dataFor(c)).ret), c, () => ({ kind: 'signal', signal: 'baseline' })));
        expect(runCalls([p], calls), disassemble(p)).toEqual(expected);
      }
    });
  });

  describe('compileProgram accepts exactly what the kernel accepts', () => {
    const RET_ALLOW = stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    const LD_NR = stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR);
    const rows: { name: string; insns: Insn[] }[] = [
      { name: 'minimal', insns: [RET_ALLOW] },
      { name: 'LEN loads', insns: [stmt(BPF_LD | BPF_W | BPF_LEN), stmt(BPF_LDX | BPF_W | BPF_LEN), RET_ALLOW] },
      { name: 'MOD K', insns: [LD_NR, stmt(BPF_ALU | BPF_MOD | BPF_K, 3), RET_ALLOW] },
      { name: 'LD B ABS', insns: [stmt(BPF_LD | 0x10 | BPF_ABS, 0), RET_ALLOW] },
      { name: 'DIV K 0', insns: [stmt(BPF_ALU | BPF_DIV | BPF_K, 0), RET_ALLOW] },
      { name: 'LSH K 31', insns: [stmt(BPF_ALU | BPF_LSH | BPF_K, 31), RET_ALLOW] },
      { name: 'LSH K 32', insns: [stmt(BPF_ALU | BPF_LSH | BPF_K, 32), RET_ALLOW] },
      { name: 'ST M[16]', insns: [stmt(BPF_ST, 16), RET_ALLOW] },
      { name: 'load offset 60', insns: [stmt(BPF_LD | BPF_W | BPF_ABS, 60), RET_ALLOW] },
      { name: 'load offset 64', insns: [stmt(BPF_LD | BPF_W | BPF_ABS, 64), RET_ALLOW] },
      { name: 'load offset 6', insns: [stmt(BPF_LD | BPF_W | BPF_ABS, 6), RET_ALLOW] },
      { name: 'last not RET', insns: [RET_ALLOW, LD_NR] },
      { name: 'jump past the end', insns: [LD_NR, jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0), RET_ALLOW] },
      { name: 'uninitialized M[0]', insns: [stmt(BPF_LD | BPF_MEM, 0), RET_ALLOW] },
      {
        name: 'check_load_and_stores quirk: mask flows through RET',
        insns: [
          LD_NR,
          jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 2, 0),
          stmt(BPF_ST, 0),
          stmt(BPF_JMP, 1),
          RET_ALLOW,
          stmt(BPF_LD | BPF_MEM, 0),
          stmt(BPF_RET | 0x10),
        ],
      },
      {
        name: 'same shape with the store before the branch',
        insns: [
          LD_NR,
          stmt(BPF_ST, 0),
          jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
          stmt(BPF_JMP, 1),
          RET_ALLOW,
          stmt(BPF_LD | BPF_MEM, 0),
          stmt(BPF_RET | 0x10),
        ],
      },
    ];
    it.each(rows)('$name', ({ insns }) => {
      let ours: string;
      try {
        compileProgram(insns);
        ours = 'ok';
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        ours = 'err 22'; // every checker refusal is EINVAL in the kernel
      }
      expect(live.load(encode(insns))).toBe(ours);
    });
  });

  // CONFIG_SECCOMP_CACHE_DEBUG is off on the kernel this was written on (6.18, no
  // /proc/self/seccomp_cache), so this comparison is skipped there; it runs where it exists.
  it.skipIf(!existsSync('/proc/self/seccomp_cache'))('cacheableAllows matches /proc/self/seccomp_cache', () => {
    const b = new ProgramBuilder();
    b.load(DATA_ARCH).jeq(auditArch, NEXT, b.returnLabel(SECCOMP_RET_KILL_PROCESS));
    b.load(DATA_NR);
    b.jeq(sysno.getppid!, 'args', NEXT);
    b.jset(0x100, b.returnLabel(SECCOMP_RET_ERRNO | 1), NEXT); // 256..511 filtered
    b.jge(440, b.returnLabel(SECCOMP_RET_LOG), NEXT);
    b.ret(SECCOMP_RET_ALLOW);
    b.label('args')
      .load(argLo(0))
      .jeq(0, b.returnLabel(SECCOMP_RET_ALLOW), b.returnLabel(SECCOMP_RET_ERRNO | 2));
    const p = b.build();
    const r = live.cache(p);
    expect(r.status, r.stdout).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const nativeName = lines[0]![0];
    const native = lines.filter((l) => l[0] === nativeName);
    const kernelAllows = native.filter((l) => l[2] === 'ALLOW').map((l) => Number(l[1]));
    const ours = cacheableAllows(
      p,
      auditArch,
      native.map((l) => Number(l[1])),
    );
    expect(kernelAllows).toEqual([...ours].sort((a, b) => a - b));
  });
});

type Op = (b: ProgramBuilder, stored: Set<number>, label: () => string) => void;

/** A random straight-line-ish sequence of ALU, register, memory, load and skip operations. */
function randomOps(rand: () => number): Op[] {
  const aluK = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH];
  const aluX = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH];
  const jumps = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET];
  const words: DataOffset[] = [argLo(0), argHi(0), argLo(1), argHi(1), argLo(2), argHi(2)];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const aluOp = (): Op => {
    if (rand() < 0.5) {
      const op = pick(aluK);
      let k = randomU32(rand);
      if (op === BPF_LSH || op === BPF_RSH) k &= 31;
      if (op === BPF_DIV && k === 0) k = 7;
      return (b) => b.stmt(BPF_ALU | op | BPF_K, k);
    }
    const op = pick(aluX);
    return (b) => b.stmt(BPF_ALU | op | BPF_X);
  };
  const ops: Op[] = [];
  for (let i = 0; i < 14; i++) {
    const r = rand();
    if (r < 0.45) ops.push(aluOp());
    else if (r < 0.5) ops.push((b) => b.stmt(BPF_ALU | BPF_NEG));
    else if (r < 0.58) ops.push((b) => b.stmt(BPF_MISC | BPF_TAX));
    else if (r < 0.64) ops.push((b) => b.stmt(BPF_MISC | BPF_TXA));
    else if (r < 0.72) {
      const w = pick(words);
      ops.push((b) => b.load(w));
    } else if (r < 0.8) {
      const m = Math.floor(rand() * 16);
      const x = rand() < 0.5;
      ops.push((b, stored) => {
        b.stmt(x ? BPF_STX : BPF_ST, m);
        stored.add(m);
      });
    } else if (r < 0.88) {
      const x = rand() < 0.5;
      const pickIndex = rand();
      ops.push((b, stored) => {
        const slots = [...stored];
        if (!slots.length) return;
        b.stmt((x ? BPF_LDX : BPF_LD) | BPF_MEM, slots[Math.floor(pickIndex * slots.length)]!);
      });
    } else {
      // a conditional jump that may skip one ALU op
      const op = pick(jumps);
      const src = rand() < 0.5 ? BPF_X : BPF_K;
      const k = randomU32(rand);
      const skipped = aluOp();
      const onTrue = rand() < 0.5;
      ops.push((b, stored, label) => {
        const l = label();
        if (onTrue) b.jump(BPF_JMP | op | src, k, l, NEXT);
        else b.jump(BPF_JMP | op | src, k, NEXT, l);
        skipped(b, stored, label);
        b.label(l);
      });
    }
  }
  return ops;
}

/** nr == ALU: run `ops` on the args, then TRAP with the low or high 16 bits of A; else ALLOW. */
function randomProgram(ops: readonly Op[], half: 'low' | 'high'): Program {
  const b = new ProgramBuilder();
  b.load(DATA_NR).jeq(NR.ALU, NEXT, b.returnLabel(SECCOMP_RET_ALLOW));
  b.load(argLo(0))
    .stmt(BPF_ST, 0)
    .load(argLo(1))
    .stmt(BPF_MISC | BPF_TAX)
    .load(argHi(2));
  const stored = new Set([0]);
  let n = 0;
  // the op closures draw from their own captured randomness only, so both halves see the same program
  for (const op of ops) op(b, stored, () => `skip${n++}`);
  if (half === 'high') b.stmt(BPF_ALU | BPF_RSH | BPF_K, 16);
  b.stmt(BPF_ALU | BPF_AND | BPF_K, 0xffff)
    .stmt(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_TRAP)
    .stmt(0x16);
  return b.build();
}
