import { describe, expect, it } from 'vitest';
import { actionOf, actionRet, combineActions, emulate, type SeccompData } from '../src/bpf/emulator.js';
import { disassemble } from '../src/bpf/disasm.js';
import {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_IMM,
  BPF_JA,
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
  DATA_ARCH,
  DATA_IP_HI,
  DATA_IP_LO,
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
  type Insn,
} from '../src/bpf/program.js';

const data: SeccompData = {
  nr: 39,
  arch: 0xc000003e,
  instructionPointer: 0x00007fff12345678n,
  args: [0n, 0xdeadbeefcafef00dn, -1n, 0x100000000n, 5n, 0x80000000n],
};

const ld = (off: number): Insn => stmt(BPF_LD | BPF_W | BPF_ABS, off);
const imm = (k: number): Insn => stmt(BPF_LD | BPF_IMM, k);
const ldx = (k: number): Insn => stmt(BPF_LDX | BPF_IMM, k);
const alu = (op: number, k: number): Insn => stmt(BPF_ALU | op | BPF_K, k);
const alux = (op: number): Insn => stmt(BPF_ALU | op | BPF_X);
const retA = stmt(BPF_RET | BPF_A);
const retK = (k: number): Insn => stmt(BPF_RET | BPF_K, k);

interface Row {
  name: string;
  insns: Insn[];
  data?: Partial<SeccompData>;
  ret: number;
  executed: number;
}

const rows: Row[] = [
  // loads
  { name: 'nr', insns: [ld(DATA_NR), retA], ret: 39, executed: 2 },
  { name: 'negative nr is its u32', insns: [ld(DATA_NR), retA], data: { nr: -1 }, ret: 0xffffffff, executed: 2 },
  { name: 'arch', insns: [ld(DATA_ARCH), retA], ret: 0xc000003e, executed: 2 },
  { name: 'instruction_pointer lo', insns: [ld(DATA_IP_LO), retA], ret: 0x12345678, executed: 2 },
  { name: 'instruction_pointer hi', insns: [ld(DATA_IP_HI), retA], ret: 0x7fff, executed: 2 },
  { name: 'args[1] lo', insns: [ld(argLo(1)), retA], ret: 0xcafef00d, executed: 2 },
  { name: 'args[1] hi', insns: [ld(argHi(1)), retA], ret: 0xdeadbeef, executed: 2 },
  { name: 'args[2] = -1n lo', insns: [ld(argLo(2)), retA], ret: 0xffffffff, executed: 2 },
  { name: 'args[2] = -1n hi', insns: [ld(argHi(2)), retA], ret: 0xffffffff, executed: 2 },
  { name: 'args[3] = 2^32 lo', insns: [ld(argLo(3)), retA], ret: 0, executed: 2 },
  { name: 'args[3] = 2^32 hi', insns: [ld(argHi(3)), retA], ret: 1, executed: 2 },
  { name: 'missing args read 0', insns: [ld(argHi(5)), retA], data: { args: [1n] }, ret: 0, executed: 2 },
  { name: 'LD LEN is sizeof(seccomp_data)', insns: [stmt(BPF_LD | BPF_W | BPF_LEN), retA], ret: 64, executed: 2 },
  { name: 'LDX LEN, TXA', insns: [stmt(BPF_LDX | BPF_W | BPF_LEN), stmt(BPF_MISC | BPF_TXA), retA], ret: 64, executed: 3 },
  { name: 'A and X start at 0', insns: [stmt(BPF_MISC | BPF_TXA), alux(BPF_ADD), retA], ret: 0, executed: 3 },
  // ALU, all u32
  { name: 'ADD wraps', insns: [imm(0xffffffff), alu(BPF_ADD, 2), retA], ret: 1, executed: 3 },
  { name: 'SUB wraps', insns: [imm(0), alu(BPF_SUB, 1), retA], ret: 0xffffffff, executed: 3 },
  { name: 'MUL keeps the low 32 bits', insns: [imm(0x10001), alu(BPF_MUL, 0x10001), retA], ret: 0x00020001, executed: 3 },
  { name: 'MUL -1 * -1', insns: [imm(0xffffffff), alu(BPF_MUL, 0xffffffff), retA], ret: 1, executed: 3 },
  { name: 'DIV truncates', insns: [imm(100), alu(BPF_DIV, 7), retA], ret: 14, executed: 3 },
  { name: 'DIV is unsigned', insns: [imm(0xfffffffe), alu(BPF_DIV, 2), retA], ret: 0x7fffffff, executed: 3 },
  { name: 'DIV X', insns: [imm(81), ldx(9), alux(BPF_DIV), retA], ret: 9, executed: 4 },
  { name: 'DIV X by 0 returns 0 at once', insns: [imm(81), alux(BPF_DIV), retK(SECCOMP_RET_ALLOW)], ret: 0, executed: 2 },
  { name: 'AND high bit', insns: [imm(0xf0f0f0f0), alu(BPF_AND, 0x8000ffff), retA], ret: 0x8000f0f0, executed: 3 },
  { name: 'OR', insns: [imm(0x0f), alu(BPF_OR, 0x80000000), retA], ret: 0x8000000f, executed: 3 },
  { name: 'XOR', insns: [imm(0xffff0000), alu(BPF_XOR, 0xff00ff00), retA], ret: 0x00ffff00, executed: 3 },
  { name: 'LSH K 31', insns: [imm(3), alu(BPF_LSH, 31), retA], ret: 0x80000000, executed: 3 },
  { name: 'RSH K is logical', insns: [imm(0x80000000), alu(BPF_RSH, 31), retA], ret: 1, executed: 3 },
  { name: 'LSH X takes the count mod 32', insns: [imm(1), ldx(33), alux(BPF_LSH), retA], ret: 2, executed: 4 },
  { name: 'RSH X by 32 is by 0', insns: [imm(0x1234), ldx(32), alux(BPF_RSH), retA], ret: 0x1234, executed: 4 },
  { name: 'ADD X, SUB X', insns: [imm(10), ldx(3), alux(BPF_ADD), alux(BPF_SUB), alux(BPF_SUB), retA], ret: 7, executed: 6 },
  {
    name: 'MUL X, OR X, AND X, XOR X',
    insns: [imm(6), ldx(7), alux(BPF_MUL), alux(BPF_OR), alux(BPF_AND), alux(BPF_XOR), retA],
    ret: 0,
    executed: 7,
  },
  { name: 'NEG 1', insns: [imm(1), stmt(BPF_ALU | BPF_NEG), retA], ret: 0xffffffff, executed: 3 },
  { name: 'NEG 0', insns: [stmt(BPF_ALU | BPF_NEG), retA], ret: 0, executed: 2 },
  { name: 'NEG INT_MIN', insns: [imm(0x80000000), stmt(BPF_ALU | BPF_NEG), retA], ret: 0x80000000, executed: 3 },
  // registers and scratch memory
  { name: 'TAX then TXA', insns: [imm(42), stmt(BPF_MISC | BPF_TAX), imm(0), stmt(BPF_MISC | BPF_TXA), retA], ret: 42, executed: 5 },
  {
    name: 'ST/STX/LD MEM/LDX MEM',
    insns: [
      imm(11),
      stmt(BPF_ST, 0),
      ldx(22),
      stmt(BPF_STX, 15),
      imm(0),
      ldx(0),
      stmt(BPF_LD | BPF_MEM, 15),
      stmt(BPF_LDX | BPF_MEM, 0),
      alux(BPF_SUB),
      retA,
    ],
    ret: 11,
    executed: 10,
  },
  // jumps
  { name: 'JA skips', insns: [stmt(BPF_JMP | BPF_JA, 1), retK(1), retK(2)], ret: 2, executed: 2 },
  { name: 'JEQ K true', insns: [ld(DATA_NR), jump(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1), retK(1), retK(2)], ret: 1, executed: 3 },
  { name: 'JEQ K false', insns: [ld(DATA_NR), jump(BPF_JMP | BPF_JEQ | BPF_K, 40, 0, 1), retK(1), retK(2)], ret: 2, executed: 3 },
  { name: 'JGT K is unsigned', insns: [imm(0x80000000), jump(BPF_JMP | BPF_JGT | BPF_K, 1, 0, 1), retK(1), retK(2)], ret: 1, executed: 3 },
  { name: 'JGT K equal is false', insns: [imm(5), jump(BPF_JMP | BPF_JGT | BPF_K, 5, 0, 1), retK(1), retK(2)], ret: 2, executed: 3 },
  { name: 'JGE K equal is true', insns: [imm(5), jump(BPF_JMP | BPF_JGE | BPF_K, 5, 0, 1), retK(1), retK(2)], ret: 1, executed: 3 },
  {
    name: 'JSET K any bit',
    insns: [imm(0x80000001), jump(BPF_JMP | BPF_JSET | BPF_K, 0x80000000, 0, 1), retK(1), retK(2)],
    ret: 1,
    executed: 3,
  },
  {
    name: 'JSET K no bit',
    insns: [imm(0x7ffffffe), jump(BPF_JMP | BPF_JSET | BPF_K, 0x80000001, 0, 1), retK(1), retK(2)],
    ret: 2,
    executed: 3,
  },
  { name: 'JEQ X', insns: [imm(7), ldx(7), jump(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0), retK(1), retK(2)], ret: 2, executed: 4 },
  {
    name: 'JGT X unsigned',
    insns: [imm(1), ldx(0xffffffff), jump(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1), retK(1), retK(2)],
    ret: 2,
    executed: 4,
  },
  { name: 'JGE X', insns: [imm(9), ldx(8), jump(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 1), retK(1), retK(2)], ret: 1, executed: 4 },
  { name: 'JSET X', insns: [imm(6), ldx(1), jump(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 1), retK(1), retK(2)], ret: 2, executed: 4 },
  {
    name: '64-bit compare: hi then lo',
    insns: [
      ld(argHi(1)),
      jump(BPF_JMP | BPF_JEQ | BPF_K, 0xdeadbeef, 0, 3),
      ld(argLo(1)),
      jump(BPF_JMP | BPF_JEQ | BPF_K, 0xcafef00d, 0, 1),
      retK(SECCOMP_RET_ERRNO | 1),
      retK(SECCOMP_RET_ALLOW),
    ],
    ret: SECCOMP_RET_ERRNO | 1,
    executed: 5,
  },
  { name: 'RET K', insns: [retK(SECCOMP_RET_TRAP | 0x42)], ret: SECCOMP_RET_TRAP | 0x42, executed: 1 },
  {
    name: 'RET A (errno from an arg)',
    insns: [ld(argLo(4)), alu(BPF_OR, SECCOMP_RET_ERRNO), retA],
    ret: SECCOMP_RET_ERRNO | 5,
    executed: 3,
  },
];

describe('emulate', () => {
  it.each(rows)('$name', ({ insns, data: over, ret, executed }) => {
    const program = compileProgram(insns);
    const got = emulate(program, { ...data, ...over });
    expect(got, disassemble(program)).toEqual({ ret: ret >>> 0, executed });
  });

  it('refuses more than six args', () => {
    const program = compileProgram([retK(0)]);
    expect(() => emulate(program, { ...data, args: Array(7).fill(0n) })).toThrow(RangeError);
  });
});

describe('actionOf', () => {
  it.each([
    [SECCOMP_RET_KILL_PROCESS, 'kill_process', 0],
    [SECCOMP_RET_KILL_THREAD, 'kill_thread', 0],
    [SECCOMP_RET_TRAP | 7, 'trap', 7],
    [SECCOMP_RET_ERRNO | 1, 'errno', 1],
    [SECCOMP_RET_ERRNO | 0xffff, 'errno', 0xffff],
    [SECCOMP_RET_USER_NOTIF, 'user_notif', 0],
    [SECCOMP_RET_TRACE | 3, 'trace', 3],
    [SECCOMP_RET_LOG, 'log', 0],
    [SECCOMP_RET_ALLOW, 'allow', 0],
    [SECCOMP_RET_ALLOW | 9, 'allow', 9],
    // an action the kernel does not define takes __seccomp_filter's default: kill the process
    [0x00010000 | 5, 'kill_process', 5],
    [0x7ffe0001, 'kill_process', 1],
  ])('ret %i → %s(%i)', (ret, kind, dataBits) => {
    expect(actionOf(ret)).toEqual({ kind, data: dataBits });
  });

  it('actionRet inverts actionOf', () => {
    expect(actionRet('errno', 13)).toBe((SECCOMP_RET_ERRNO | 13) >>> 0);
    expect(actionRet('kill_process')).toBe(0x80000000);
    expect(actionOf(actionRet('trace', 0xbeef))).toEqual({ kind: 'trace', data: 0xbeef });
    expect(() => actionRet('errno', 0x10000)).toThrow(RangeError);
  });
});

describe('combineActions (stacked filters, oldest first)', () => {
  const errnoRet = (n: number): number => (SECCOMP_RET_ERRNO | n) >>> 0;
  it.each([
    { name: 'no filters: allow', rets: [], want: SECCOMP_RET_ALLOW },
    { name: 'ALLOW data is dropped', rets: [SECCOMP_RET_ALLOW | 5], want: SECCOMP_RET_ALLOW },
    {
      name: 'KILL_PROCESS is lowest (signed)',
      rets: [SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD],
      want: SECCOMP_RET_KILL_PROCESS,
    },
    { name: 'KILL_THREAD beats TRAP', rets: [SECCOMP_RET_TRAP, SECCOMP_RET_KILL_THREAD], want: SECCOMP_RET_KILL_THREAD },
    { name: 'TRAP beats ERRNO', rets: [errnoRet(1), SECCOMP_RET_TRAP | 2], want: SECCOMP_RET_TRAP | 2 },
    { name: 'ERRNO beats USER_NOTIF', rets: [SECCOMP_RET_USER_NOTIF, errnoRet(9)], want: errnoRet(9) },
    { name: 'USER_NOTIF beats TRACE', rets: [SECCOMP_RET_TRACE, SECCOMP_RET_USER_NOTIF], want: SECCOMP_RET_USER_NOTIF },
    { name: 'TRACE beats LOG', rets: [SECCOMP_RET_LOG, SECCOMP_RET_TRACE | 4], want: SECCOMP_RET_TRACE | 4 },
    { name: 'LOG beats ALLOW', rets: [SECCOMP_RET_ALLOW, SECCOMP_RET_LOG], want: SECCOMP_RET_LOG },
    { name: "equal actions: the newest filter's data", rets: [errnoRet(1), errnoRet(2)], want: errnoRet(2) },
    { name: 'unknown action sits by its value (0x10000: under TRAP)', rets: [SECCOMP_RET_TRAP, 0x00010000], want: 0x00010000 },
  ])('$name', ({ rets, want }) => {
    expect(combineActions(rets)).toBe(want >>> 0);
  });
});
