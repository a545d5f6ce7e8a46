/** Rule and program passes, one row per rewrite: {name, passes?, input, want}; no `passes` means all of them. */
import { describe, expect, it } from 'vitest';
import type { ArgCondition, ArgIndex } from '../src/policy/policy.js';
import { disassemble } from '../src/bpf/disasm.js';
import { emulate } from '../src/bpf/emulator.js';
import { BPF_PASSES, optimizeProgram, removeInstructions, removeRedundantLoads } from '../src/bpf/passes.js';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_JA,
  BPF_JEQ,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_RET,
  BPF_W,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  compileProgram,
  jump,
  stmt,
  type Insn,
} from '../src/bpf/program.js';
import {
  CONDITION_PASSES,
  dropConditionsThatAlwaysHold,
  dropSetsThatNeverHold,
  dropSubsumedSets,
  type ConditionSets,
} from '../src/policy/compile/rule-passes.js';
import { runPasses, type Pass } from '../src/bpf/pass.js';

const U64 = (1n << 64n) - 1n;
type Op = Exclude<ArgCondition['op'], 'masked-eq'>;
const c = (index: ArgIndex, op: Op, value: bigint): ArgCondition => ({ index, op, value });
const masked = (index: ArgIndex, mask: bigint, value: bigint): ArgCondition => ({ index, op: 'masked-eq', mask, value });

interface Row {
  readonly name: string;
  readonly passes?: readonly Pass<ConditionSets>[];
  readonly input: ConditionSets;
  readonly want: ConditionSets;
}

const rows: Row[] = [
  {
    name: 'ge 0 always holds',
    passes: [dropConditionsThatAlwaysHold],
    input: [[c(0, 'ge', 0n), c(1, 'eq', 1n)]],
    want: [[c(1, 'eq', 1n)]],
  },
  { name: 'le 2^64-1 always holds', passes: [dropConditionsThatAlwaysHold], input: [[c(0, 'le', U64)]], want: [[]] },
  { name: 'masked-eq with mask 0 always holds', passes: [dropConditionsThatAlwaysHold], input: [[masked(2, 0n, 0n)]], want: [[]] },
  { name: 'ge 1 is kept', passes: [dropConditionsThatAlwaysHold], input: [[c(0, 'ge', 1n)]], want: [[c(0, 'ge', 1n)]] },
  { name: 'lt 0 never holds', passes: [dropSetsThatNeverHold], input: [[c(0, 'lt', 0n)], [c(1, 'eq', 1n)]], want: [[c(1, 'eq', 1n)]] },
  { name: 'gt 2^64-1 never holds', passes: [dropSetsThatNeverHold], input: [[c(0, 'eq', 3n), c(1, 'gt', U64)]], want: [] },
  {
    name: 'a set inside another makes it redundant',
    passes: [dropSubsumedSets],
    input: [[c(0, 'eq', 1n), c(1, 'eq', 2n)], [c(0, 'eq', 1n)]],
    want: [[c(0, 'eq', 1n)]],
  },
  {
    name: 'labels do not count',
    passes: [dropSubsumedSets],
    input: [[c(0, 'eq', 1n)], [{ ...c(0, 'eq', 1n), label: 'x' }]],
    want: [[c(0, 'eq', 1n)]],
  },
  {
    name: 'different sets are kept',
    passes: [dropSubsumedSets],
    input: [[c(0, 'eq', 1n)], [c(0, 'eq', 2n)]],
    want: [[c(0, 'eq', 1n)], [c(0, 'eq', 2n)]],
  },
  { name: 'all: an always-true set makes the rule unconditional', input: [[c(0, 'ge', 0n)], [c(1, 'eq', 1n)]], want: [[]] },
  { name: 'all: only never-true sets leave nothing', input: [[c(0, 'lt', 0n)], [c(3, 'gt', U64)]], want: [] },
  {
    name: 'restart: a later pass enables an earlier one',
    passes: [dropSubsumedSets, dropConditionsThatAlwaysHold],
    input: [
      [c(0, 'ge', 0n), c(1, 'eq', 1n)],
      [c(1, 'eq', 1n), c(2, 'eq', 2n)],
    ],
    want: [[c(1, 'eq', 1n)]],
  },
];

describe('condition passes', () => {
  it.each(rows)('$name', ({ passes, input, want }) => {
    expect(runPasses(passes ?? CONDITION_PASSES, input)).toEqual(want);
  });

  it('each pass says whether it changed anything', () => {
    for (const pass of CONDITION_PASSES) {
      const [out, changed] = pass([[c(0, 'eq', 1n)]]);
      expect(changed).toBe(false);
      expect(out).toEqual([[c(0, 'eq', 1n)]]);
    }
  });

  it('a pass that never settles is an error, not a hang', () => {
    const flip: Pass<number> = (n) => [n + 1, true];
    expect(() => runPasses([flip], 0, 50)).toThrow('runPasses: no fixpoint');
  });
});

// ---- program passes ----

const LD = (off: number): Insn => stmt(BPF_LD | BPF_W | BPF_ABS, off);
const JEQ = (k: number, jt: number, jf: number): Insn => jump(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
const RET = (k: number): Insn => stmt(BPF_RET | BPF_K, k);
const ALLOW = SECCOMP_RET_ALLOW;
const EPERM = SECCOMP_RET_ERRNO | 1;

interface ProgramRow {
  readonly name: string;
  readonly passes?: readonly Pass<readonly Insn[]>[];
  readonly input: readonly Insn[];
  readonly want: readonly Insn[];
}

const programRows: ProgramRow[] = [
  {
    name: 'a reload after a failed compare goes; jumps over it shrink',
    input: [LD(24), JEQ(0x5401, 2, 0), LD(24), JEQ(0x5413, 0, 1), RET(ALLOW), RET(EPERM)],
    want: [LD(24), JEQ(0x5401, 1, 0), JEQ(0x5413, 0, 1), RET(ALLOW), RET(EPERM)],
  },
  {
    name: 'a load reached with different words in A stays',
    input: [LD(0), JEQ(1, 0, 1), LD(4), LD(4), RET(ALLOW)],
    want: [LD(0), JEQ(1, 0, 1), LD(4), LD(4), RET(ALLOW)],
  },
  {
    name: 'after an ALU operation A is unknown',
    input: [LD(16), stmt(BPF_ALU | BPF_AND | BPF_K, 0xff), LD(16), RET(ALLOW)],
    want: [LD(16), stmt(BPF_ALU | BPF_AND | BPF_K, 0xff), LD(16), RET(ALLOW)],
  },
  {
    name: 'a jump target that goes is replaced by what follows it',
    input: [LD(16), JEQ(7, 0, 2), RET(EPERM), RET(EPERM), LD(16), RET(ALLOW)],
    want: [LD(16), JEQ(7, 0, 2), RET(EPERM), RET(EPERM), RET(ALLOW)],
  },
];

describe('program passes', () => {
  it.each(programRows)('$name', ({ passes, input, want }) => {
    const program = compileProgram(input);
    const out = optimizeProgram(program, passes ?? BPF_PASSES);
    expect(out.instructions, disassemble(out)).toEqual(want);
    // Same decisions, never more instructions, on every nr/arg0/arg1 the rows look at.
    for (const nr of [0, 1, 7, 0x5401, 0x5413]) {
      for (const a of [0n, 7n, 0x5401n, 0x5413n]) {
        const data = { nr, arch: 0, instructionPointer: 0n, args: [a, a] };
        const before = emulate(program, data);
        const after = emulate(out, data);
        expect(after.ret).toBe(before.ret);
        expect(after.executed).toBeLessThanOrEqual(before.executed);
      }
    }
  });

  it('nothing to do: the same program comes back', () => {
    const program = compileProgram([LD(0), JEQ(1, 0, 1), RET(ALLOW), RET(EPERM)]);
    expect(optimizeProgram(program)).toBe(program);
  });

  it('removeInstructions re-aims every jump', () => {
    const insns = [LD(0), jump(BPF_JMP | BPF_JA, 2, 0, 0), LD(4), LD(8), RET(ALLOW)];
    expect(removeInstructions(insns, new Set([2]))).toEqual([LD(0), jump(BPF_JMP | BPF_JA, 1, 0, 0), LD(8), RET(ALLOW)]);
    expect(removeRedundantLoads(insns)[1]).toBe(false);
  });
});
