import { describe, expect, it } from 'vitest';
import {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGT,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MAXINSNS,
  BPF_MEM,
  BPF_MOD,
  BPF_MSH,
  BPF_NEG,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_W,
  BPF_X,
  BpfError,
  DATA_ARCH,
  DATA_NR,
  Program,
  SECCOMP_RET_ALLOW,
  argHi,
  argLo,
  compileProgram,
  dataOffsetName,
  jump,
  stmt,
  type BpfErrorCode,
  type DataOffset,
  type Insn,
} from '../src/bpf/program.js';

const RET_ALLOW = stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
const LD_NR = stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR);

interface RejectRow {
  name: string;
  insns: Insn[];
  code: BpfErrorCode;
  pc: number;
}

/** Programs the kernel refuses; all are EINVAL there, the code says which rule. */
const rejectRows: RejectRow[] = [
  { name: 'empty', insns: [], code: 'length', pc: 0 },
  { name: 'over BPF_MAXINSNS', insns: Array(BPF_MAXINSNS + 1).fill(RET_ALLOW), code: 'length', pc: BPF_MAXINSNS },
  { name: 'code over u16', insns: [{ code: 0x10006, jt: 0, jf: 0, k: 0 }], code: 'field-range', pc: 0 },
  { name: 'k over u32', insns: [{ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 2 ** 32 }], code: 'field-range', pc: 0 },
  { name: 'jt over u8', insns: [{ ...LD_NR, code: BPF_JMP | BPF_JEQ, jt: 256 }, RET_ALLOW], code: 'field-range', pc: 0 },
  { name: 'unknown opcode', insns: [LD_NR, stmt(0x0e), RET_ALLOW], code: 'opcode', pc: 1 },
  { name: 'RET X is not classic BPF', insns: [LD_NR, stmt(BPF_RET | BPF_X)], code: 'opcode', pc: 1 },
  { name: 'MOD K (classic, not seccomp)', insns: [LD_NR, stmt(BPF_ALU | BPF_MOD | BPF_K, 3), RET_ALLOW], code: 'seccomp-opcode', pc: 1 },
  { name: 'MOD X', insns: [LD_NR, stmt(BPF_ALU | BPF_MOD | BPF_X), RET_ALLOW], code: 'seccomp-opcode', pc: 1 },
  { name: 'LD H ABS', insns: [stmt(BPF_LD | BPF_H | BPF_ABS, 0), RET_ALLOW], code: 'seccomp-opcode', pc: 0 },
  { name: 'LD B ABS', insns: [stmt(BPF_LD | BPF_B | BPF_ABS, 0), RET_ALLOW], code: 'seccomp-opcode', pc: 0 },
  { name: 'LD W IND', insns: [stmt(BPF_LD | BPF_W | BPF_IND, 0), RET_ALLOW], code: 'seccomp-opcode', pc: 0 },
  { name: 'LDX B MSH', insns: [stmt(BPF_LDX | BPF_B | BPF_MSH, 0), RET_ALLOW], code: 'seccomp-opcode', pc: 0 },
  { name: 'DIV K 0', insns: [LD_NR, stmt(BPF_ALU | BPF_DIV | BPF_K, 0), RET_ALLOW], code: 'div-by-zero', pc: 1 },
  // bpf_check_classic runs before seccomp_check_filter: MOD by 0 is reported as such.
  { name: 'MOD K 0 fails the classic check first', insns: [stmt(BPF_ALU | BPF_MOD | BPF_K, 0), RET_ALLOW], code: 'div-by-zero', pc: 0 },
  { name: 'LSH K 32', insns: [stmt(BPF_ALU | BPF_LSH | BPF_K, 32), RET_ALLOW], code: 'shift-range', pc: 0 },
  { name: 'RSH K 40', insns: [stmt(BPF_ALU | BPF_RSH | BPF_K, 40), RET_ALLOW], code: 'shift-range', pc: 0 },
  { name: 'ST M[16]', insns: [stmt(BPF_ST, 16), RET_ALLOW], code: 'mem-index', pc: 0 },
  { name: 'LDX MEM M[20]', insns: [stmt(BPF_LDX | BPF_MEM, 20), RET_ALLOW], code: 'mem-index', pc: 0 },
  { name: 'JA onto the end', insns: [stmt(BPF_JMP | BPF_JA, 1), RET_ALLOW], code: 'jump-range', pc: 0 },
  { name: 'JA with huge k', insns: [stmt(BPF_JMP | BPF_JA, 0xffffffff), RET_ALLOW], code: 'jump-range', pc: 0 },
  { name: 'jt past the end', insns: [LD_NR, jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0), RET_ALLOW], code: 'jump-range', pc: 1 },
  { name: 'jf past the end', insns: [LD_NR, jump(BPF_JMP | BPF_JGT | BPF_X, 1, 0, 5), RET_ALLOW], code: 'jump-range', pc: 1 },
  { name: 'last is not RET', insns: [RET_ALLOW, LD_NR], code: 'last-not-ret', pc: 1 },
  { name: 'LD MEM never stored', insns: [stmt(BPF_LD | BPF_MEM, 3), RET_ALLOW], code: 'mem-uninit', pc: 0 },
  {
    name: 'LD MEM stored on one branch only',
    insns: [
      LD_NR,
      jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), // true: 2, false: 3
      stmt(BPF_ST, 0),
      stmt(BPF_LDX | BPF_MEM, 0), // reached from 1 (no store) and 2
      RET_ALLOW,
    ],
    code: 'mem-uninit',
    pc: 3,
  },
  {
    // check_load_and_stores does not reset its mask after RET: pc 5 is reached only from pc 3,
    // after M[0] was stored, yet the RET path's empty mask is ANDed in. The kernel refuses it
    // too (the live test loads this very program).
    name: 'kernel quirk: mask flows through RET',
    insns: [
      LD_NR,
      jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 2, 0), // true: 4, false: 2
      stmt(BPF_ST, 0),
      stmt(BPF_JMP | BPF_JA, 1), // to 5
      RET_ALLOW,
      stmt(BPF_LD | BPF_MEM, 0),
      stmt(BPF_RET | BPF_A),
    ],
    code: 'mem-uninit',
    pc: 5,
  },
  { name: 'load past seccomp_data', insns: [stmt(BPF_LD | BPF_W | BPF_ABS, 64), RET_ALLOW], code: 'data-offset', pc: 0 },
  { name: 'unaligned load', insns: [stmt(BPF_LD | BPF_W | BPF_ABS, 2), RET_ALLOW], code: 'data-offset', pc: 0 },
  { name: 'unknown ancillary load', insns: [stmt(BPF_LD | BPF_W | BPF_ABS, 0xfffff000 + 0x100), RET_ALLOW], code: 'data-offset', pc: 0 },
  {
    name: 'known ancillary load (SKF_AD_PROTOCOL)',
    insns: [stmt(BPF_LD | BPF_W | BPF_ABS, 0xfffff000), RET_ALLOW],
    code: 'data-offset',
    pc: 0,
  },
  // Kernel order: all of bpf_check_classic before seccomp_check_filter, so the later opcode wins.
  {
    name: 'classic error at 2 beats seccomp error at 0',
    insns: [stmt(BPF_LD | BPF_W | BPF_ABS, 2), RET_ALLOW, stmt(0x0e), RET_ALLOW],
    code: 'opcode',
    pc: 2,
  },
  {
    name: 'uninitialized read beats a seccomp-only opcode',
    insns: [stmt(BPF_ALU | BPF_MOD | BPF_X), stmt(BPF_LD | BPF_MEM, 0), RET_ALLOW],
    code: 'mem-uninit',
    pc: 1,
  },
];

describe('compileProgram rejects what the kernel rejects', () => {
  it.each(rejectRows)('$name → $code at $pc', ({ insns, code, pc }) => {
    let err: unknown;
    try {
      compileProgram(insns);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect({ code: (err as BpfError).code, pc: (err as BpfError).pc }).toEqual({ code, pc });
  });
});

const acceptRows: { name: string; insns: Insn[] }[] = [
  { name: 'just RET', insns: [RET_ALLOW] },
  { name: 'max length', insns: Array(BPF_MAXINSNS).fill(RET_ALLOW) },
  { name: 'RET A', insns: [LD_NR, stmt(BPF_RET | BPF_A)] },
  {
    name: 'LEN loads (rewritten to 64 by the kernel)',
    insns: [stmt(BPF_LD | BPF_W | BPF_LEN), stmt(BPF_LDX | BPF_W | BPF_LEN), RET_ALLOW],
  },
  { name: 'last data word', insns: [stmt(BPF_LD | BPF_W | BPF_ABS, argHi(5)), RET_ALLOW] },
  { name: 'immediates and MISC', insns: [stmt(BPF_LD | BPF_IMM, 7), stmt(BPF_LDX | BPF_IMM, 9), stmt(0x07), stmt(0x87), RET_ALLOW] },
  {
    name: 'NEG, shifts by 31, DIV K 3',
    insns: [stmt(BPF_ALU | BPF_NEG), stmt(BPF_ALU | BPF_LSH | BPF_K, 31), stmt(BPF_ALU | BPF_DIV | BPF_K, 3), RET_ALLOW],
  },
  { name: 'DIV X (zero X is a runtime matter)', insns: [stmt(BPF_ALU | BPF_DIV | BPF_X), RET_ALLOW] },
  {
    name: 'ST then LD MEM',
    insns: [stmt(BPF_ST, 15), stmt(BPF_STX, 0), stmt(BPF_LD | BPF_MEM, 15), stmt(BPF_LDX | BPF_MEM, 0), RET_ALLOW],
  },
  {
    name: 'stored on both branches',
    insns: [
      LD_NR,
      jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2), // true: 2, false: 4
      stmt(BPF_ST, 1),
      stmt(BPF_JMP | BPF_JA, 1), // to 5
      stmt(BPF_ST, 1),
      stmt(BPF_LD | BPF_MEM, 1),
      RET_ALLOW,
    ],
  },
  { name: 'JA to the last instruction', insns: [stmt(BPF_JMP | BPF_JA, 1), LD_NR, RET_ALLOW] },
  { name: 'jumps with X', insns: [LD_NR, jump(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1), RET_ALLOW, RET_ALLOW] },
  { name: 'ALU ADD X', insns: [stmt(BPF_ALU | BPF_ADD | BPF_X), RET_ALLOW] },
];

describe('compileProgram accepts what the kernel accepts', () => {
  it.each(acceptRows)('$name', ({ insns }) => {
    const program = compileProgram(insns);
    expect(program).toBeInstanceOf(Program);
    expect(program.length).toBe(insns.length);
    expect(program.instructions).toEqual(insns);
  });

  it('keeps its own frozen copy', () => {
    const insns = [{ ...LD_NR }, { ...RET_ALLOW }];
    const program = compileProgram(insns);
    insns[0]!.k = 4;
    expect(program.at(0).k).toBe(DATA_NR);
    expect(Object.isFrozen(program.instructions)).toBe(true);
    expect(Object.isFrozen(program.at(1))).toBe(true);
    expect(() => program.at(2)).toThrow(RangeError);
  });
});

describe('seccomp_data offsets', () => {
  it.each([
    [DATA_NR, 'nr'],
    [DATA_ARCH, 'arch'],
    [8 as DataOffset, 'instruction_pointer.lo'],
    [12 as DataOffset, 'instruction_pointer.hi'],
    [argLo(0), 'args[0].lo'],
    [argHi(1), 'args[1].hi'],
    [argLo(5), 'args[5].lo'],
    [argHi(5), 'args[5].hi'],
  ])('%i is %s', (off, name) => {
    expect(dataOffsetName(off)).toBe(name);
  });

  it('places args little-endian: lo at 16+8i, hi at 20+8i', () => {
    expect([argLo(0), argHi(0), argLo(3), argHi(3), argHi(5)]).toEqual([16, 20, 40, 44, 60]);
    expect(() => argLo(6)).toThrow(RangeError);
    expect(() => argHi(-1)).toThrow(RangeError);
  });
});
