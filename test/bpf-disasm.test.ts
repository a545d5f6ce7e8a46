import { describe, expect, it } from 'vitest';
import { describeRet, disassemble, formatCArray, formatRaw, parseRaw } from '../src/bpf/disasm.js';
import {
  BPF_A,
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_IMM,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JSET,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BpfError,
  DATA_ARCH,
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
  compileProgram,
  jump,
  stmt,
} from '../src/bpf/program.js';

/** x86_64 arch check, a syscall range check, one syscall allowed, one with an arg-derived errno. */
const small = compileProgram([
  stmt(BPF_LD | BPF_W | BPF_ABS, DATA_ARCH),
  jump(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e, 0, 11),
  stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
  jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 9, 0),
  jump(BPF_JMP | BPF_JEQ | BPF_K, 39, 6, 0),
  jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 4),
  stmt(BPF_LD | BPF_W | BPF_ABS, argHi(1)),
  stmt(BPF_ALU | BPF_AND | BPF_K, 0xffff),
  stmt(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
  stmt(BPF_RET | BPF_A),
  stmt(BPF_JMP | BPF_JA, 2),
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
  stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
]);

const SMALL_LISTING = `\
 line  OP   JT   JF   K
=================================
 0000: 0x20 0x00 0x00 0x00000004   ld  $data[arch]
 0001: 0x15 0x00 0x0b 0xc000003e   jeq 3221225534 true:0002 false:0013  # AUDIT_ARCH_X86_64
 0002: 0x20 0x00 0x00 0x00000000   ld  $data[nr]
 0003: 0x35 0x09 0x00 0x40000000   jge 1073741824 true:0013 false:0004  # X32_SYSCALL_BIT
 0004: 0x15 0x06 0x00 0x00000027   jeq 39   true:0011 false:0005  # getpid
 0005: 0x15 0x00 0x04 0x00000001   jeq 1    true:0006 false:0010  # write
 0006: 0x20 0x00 0x00 0x0000001c   ld  $data[args[1].hi]
 0007: 0x54 0x00 0x00 0x0000ffff   and 0x0000ffff
 0008: 0x44 0x00 0x00 0x00050000   or  0x00050000
 0009: 0x16 0x00 0x00 0x00000000   ret $acc
 0010: 0x05 0x00 0x00 0x00000002   jmp 0013
 0011: 0x06 0x00 0x00 0x7fff0000   ret ALLOW
 0012: 0x06 0x00 0x00 0x00050001   ret ERRNO(1)
 0013: 0x06 0x00 0x00 0x80000000   ret KILL_PROCESS
`;

describe('disassemble', () => {
  it('golden: scmp_bpf_disasm columns, named fields and actions', () => {
    expect(disassemble(small)).toBe(SMALL_LISTING);
  });

  it('names a number on the arch every path to it checked, and nothing where the paths disagree', () => {
    const p = compileProgram([
      stmt(BPF_LD | BPF_W | BPF_ABS, DATA_ARCH),
      jump(BPF_JMP | BPF_JEQ | BPF_K, 0x40000003, 0, 2), // i386
      stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
      jump(BPF_JMP | BPF_JEQ | BPF_K, 295, 3, 3), // i386 openat
      jump(BPF_JMP | BPF_JEQ | BPF_K, 0xc00000b7, 0, 2), // aarch64
      stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
      jump(BPF_JMP | BPF_JEQ | BPF_K, 56, 0, 0), // aarch64 openat
      // reached from i386 (A = nr) and from aarch64 (A = nr), and from the failed aarch64 check (A = arch)
      jump(BPF_JMP | BPF_JEQ | BPF_K, 3, 0, 0),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    ]);
    const comments = disassemble(p)
      .split('\n')
      .slice(2, -1)
      .map((l) => l.split('  # ')[1]);
    expect(comments).toEqual(['', 'AUDIT_ARCH_I386', '', 'openat', 'AUDIT_ARCH_AARCH64', '', 'openat', '', ''].map((c) => c || undefined));
  });

  it('names every other operand form', () => {
    const p = compileProgram([
      stmt(BPF_LD | BPF_W | BPF_ABS, DATA_IP_LO),
      stmt(BPF_LD | BPF_W | BPF_LEN),
      stmt(BPF_LDX | BPF_IMM, 3),
      stmt(BPF_LD | BPF_IMM, 70000),
      stmt(BPF_ST, 2),
      stmt(BPF_STX, 15),
      stmt(BPF_LDX | BPF_MEM, 2),
      stmt(BPF_ALU | BPF_LSH | BPF_X),
      stmt(BPF_ALU | BPF_DIV | BPF_K, 10),
      stmt(BPF_ALU | BPF_NEG),
      stmt(BPF_MISC | BPF_TAX),
      stmt(BPF_MISC | BPF_TXA),
      jump(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 1),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 66),
      stmt(BPF_RET | BPF_K, 0x00010000),
    ]);
    const ops = disassemble(p)
      .split('\n')
      .slice(2, -1)
      .map((l) => l.slice(35));
    expect(ops).toEqual([
      'ld  $data[instruction_pointer.lo]',
      'ld  len($data)',
      'ldx 3',
      'ld  70000',
      'st  $temp[2]',
      'stx $temp[15]',
      'ldx $temp[2]',
      'lsh X',
      'div 10',
      'neg',
      'tax',
      'txa',
      'jset X    true:0013 false:0014',
      'ret TRAP(66)',
      'ret 0x00010000',
    ]);
  });
});

describe('describeRet', () => {
  it.each([
    [SECCOMP_RET_KILL_PROCESS, 'KILL_PROCESS'],
    [SECCOMP_RET_KILL_THREAD, 'KILL_THREAD'],
    [SECCOMP_RET_TRAP, 'TRAP'],
    [SECCOMP_RET_ERRNO, 'ERRNO(0)'],
    [SECCOMP_RET_ERRNO | 13, 'ERRNO(13)'],
    [SECCOMP_RET_USER_NOTIF, 'USER_NOTIF'],
    [SECCOMP_RET_TRACE | 0, 'TRACE(0)'],
    [SECCOMP_RET_LOG, 'LOG'],
    [SECCOMP_RET_ALLOW, 'ALLOW'],
    [0x7ffe0000, '0x7ffe0000'],
  ])('%i → %s', (ret, text) => {
    expect(describeRet(ret)).toBe(text);
  });
});

describe('raw sock_filter bytes', () => {
  it('are 8 little-endian bytes per instruction', () => {
    const raw = formatRaw(small);
    expect(raw.length).toBe(small.length * 8);
    expect([...raw.subarray(0, 16)]).toEqual([0x20, 0, 0, 0, 0x04, 0, 0, 0, 0x15, 0, 0, 0x0b, 0x3e, 0x00, 0x00, 0xc0]);
  });

  it('round-trip through parseRaw', () => {
    const back = parseRaw(formatRaw(small));
    expect(back.instructions).toEqual(small.instructions);
  });

  it('parseRaw accepts a view into a larger buffer', () => {
    const raw = formatRaw(small);
    const padded = new Uint8Array(raw.length + 16);
    padded.set(raw, 8);
    expect(parseRaw(padded.subarray(8, 8 + raw.length)).instructions).toEqual(small.instructions);
  });

  it('parseRaw refuses a partial instruction', () => {
    expect(() => parseRaw(new Uint8Array(12))).toThrow(expect.objectContaining({ code: 'raw-size', pc: 1 }));
  });

  it('parseRaw checks like the kernel', () => {
    // ld $data[2]: unaligned
    const bad = new Uint8Array([0x20, 0, 0, 0, 2, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]);
    expect(() => parseRaw(bad)).toThrow(BpfError);
    expect(() => parseRaw(bad)).toThrow(expect.objectContaining({ code: 'data-offset', pc: 0 }));
  });

  it('format as a C initializer', () => {
    const lines = formatCArray(small).split('\n');
    expect(lines.slice(0, 3)).toEqual(['{ 0x20, 0, 0, 0x00000004 },', '{ 0x15, 0, 11, 0xc000003e },', '{ 0x20, 0, 0, 0x00000000 },']);
    expect(lines.length).toBe(small.length + 1);
    expect(lines.at(-1)).toBe('');
  });
});
