import { describe, expect, it } from 'vitest';
import type { AuditArch } from '../src/linux/arch.js';
import { cacheableAllows, isConstAllow } from '../src/bpf/action-cache.js';
import { NEXT, ProgramBuilder } from '../src/bpf/builder.js';
import { disassemble } from '../src/bpf/disasm.js';
import { emulate } from '../src/bpf/emulator.js';
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_A,
  BPF_JEQ,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LEN,
  BPF_RET,
  BPF_W,
  BPF_X,
  DATA_ARCH,
  DATA_IP_LO,
  DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_LOG,
  argHi,
  argLo,
  compileProgram,
  stmt,
  type Program,
} from '../src/bpf/program.js';

const X86_64 = 0xc000003e as AuditArch;
const I386 = 0x40000003 as AuditArch;
const NRS = Array.from({ length: 512 }, (_, i) => i);
const all = new Set(NRS);
const allBut = (...nrs: number[]): Set<number> => new Set(NRS.filter((n) => !nrs.includes(n)));

function build(make: (b: ProgramBuilder) => void): Program {
  const b = new ProgramBuilder();
  make(b);
  return b.build();
}

/** arch check, then per-nr decisions; `1` inspects args, the rest only nr. */
const typical = build((b) => {
  b.load(DATA_ARCH).jeq(X86_64, NEXT, b.returnLabel(SECCOMP_RET_KILL_PROCESS));
  b.load(DATA_NR);
  b.jeq(1, 'write', NEXT);
  b.jeq(59, b.returnLabel(SECCOMP_RET_ERRNO | 1), NEXT);
  b.jge(400, b.returnLabel(SECCOMP_RET_KILL_PROCESS), NEXT);
  b.ret(SECCOMP_RET_ALLOW);
  b.label('write')
    .load(argLo(0))
    .jeq(2, b.returnLabel(SECCOMP_RET_ALLOW), b.returnLabel(SECCOMP_RET_ERRNO | 9));
});

interface Row {
  name: string;
  program: Program;
  arch?: AuditArch;
  want: Set<number>;
}

const rows: Row[] = [
  { name: 'allow everything: all cacheable', program: compileProgram([stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)]), want: all },
  { name: 'kill everything: none', program: compileProgram([stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)]), want: new Set() },
  { name: 'args load makes only that nr uncacheable', program: typical, want: new Set(NRS.filter((n) => n !== 1 && n !== 59 && n < 400)) },
  { name: 'other arch fails the arch check', program: typical, arch: I386, want: new Set() },
  {
    name: 'JSET on nr: even numbers',
    program: build((b) =>
      b
        .load(DATA_NR)
        .jset(1, b.returnLabel(SECCOMP_RET_ERRNO | 1), NEXT)
        .ret(SECCOMP_RET_ALLOW),
    ),
    want: new Set(NRS.filter((n) => n % 2 === 0)),
  },
  {
    name: 'JSET on arch (bit 31 = 64-bit ABI)',
    program: build((b) => b.load(DATA_ARCH).jset(0x80000000, NEXT, b.returnLabel(SECCOMP_RET_ERRNO)).ret(SECCOMP_RET_ALLOW)),
    want: all,
  },
  {
    name: 'JSET on arch, i386 has bit 31 clear',
    program: build((b) => b.load(DATA_ARCH).jset(0x80000000, NEXT, b.returnLabel(SECCOMP_RET_ERRNO)).ret(SECCOMP_RET_ALLOW)),
    arch: I386,
    want: new Set(),
  },
  {
    name: 'ALU AND K is understood',
    program: build((b) =>
      b
        .load(DATA_NR)
        .stmt(BPF_ALU | BPF_AND | BPF_K, 0xff)
        .jeq(5, b.returnLabel(SECCOMP_RET_ERRNO), NEXT)
        .ret(SECCOMP_RET_ALLOW),
    ),
    want: allBut(5, 261),
  },
  {
    name: 'JGT/JGE bounds',
    program: build((b) =>
      b.load(DATA_NR).jgt(300, b.returnLabel(SECCOMP_RET_ERRNO), NEXT).jge(10, b.returnLabel(SECCOMP_RET_ALLOW), NEXT).ret(SECCOMP_RET_LOG),
    ),
    want: new Set(NRS.filter((n) => n >= 10 && n <= 300)),
  },
  {
    name: 'JA is followed',
    program: build((b) =>
      b.load(DATA_NR).jeq(3, NEXT, 'skip').ja('allow').label('skip').ret(SECCOMP_RET_ERRNO).label('allow').ret(SECCOMP_RET_ALLOW),
    ),
    want: new Set([3]),
  },
  {
    name: 'args load on every path: none',
    program: build((b) => b.load(argHi(0)).jeq(0, b.returnLabel(SECCOMP_RET_ALLOW), NEXT).ret(SECCOMP_RET_ALLOW)),
    want: new Set(),
  },
  {
    name: 'instruction_pointer load: none',
    program: compileProgram([stmt(BPF_LD | BPF_W | BPF_ABS, DATA_IP_LO), stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)]),
    want: new Set(),
  },
  {
    name: 'ALLOW with data is not SECCOMP_RET_ALLOW',
    program: compileProgram([stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW | 1)]),
    want: new Set(),
  },
  { name: 'LOG is not ALLOW', program: compileProgram([stmt(BPF_RET | BPF_K, SECCOMP_RET_LOG)]), want: new Set() },
  {
    name: 'RET A is not understood',
    program: compileProgram([stmt(BPF_LD | BPF_W | BPF_LEN), stmt(BPF_RET | BPF_A)]),
    want: new Set(),
  },
  {
    // the kernel emulates orig_prog, before LEN is rewritten to an immediate
    name: 'LEN load is not understood',
    program: compileProgram([stmt(BPF_LD | BPF_W | BPF_LEN), stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)]),
    want: new Set(),
  },
  {
    name: 'ALU other than AND K is not understood',
    program: compileProgram([
      stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
      stmt(BPF_ALU | BPF_ADD | BPF_K, 0),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    ]),
    want: new Set(),
  },
  {
    name: 'jumps on X are not understood',
    program: compileProgram([
      stmt(BPF_LD | BPF_W | BPF_ABS, DATA_NR),
      { code: BPF_JMP | BPF_JEQ | BPF_X, jt: 0, jf: 0, k: 0 },
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    ]),
    want: new Set(),
  },
];

describe('cacheableAllows (kernel seccomp_is_const_allow)', () => {
  it.each(rows)('$name', ({ program, arch, want }) => {
    const got = cacheableAllows(program, arch ?? X86_64, NRS);
    expect(
      [...got].sort((a, b) => a - b),
      disassemble(program),
    ).toEqual([...want].sort((a, b) => a - b));
  });

  it.each(rows)('is sound: a cacheable nr is allowed whatever the args ($name)', ({ program, arch }) => {
    const a = arch ?? X86_64;
    const samples = [0n, 1n, 2n, -1n, 0x1234567890abcdefn];
    for (const nr of cacheableAllows(program, a, NRS)) {
      for (const v of samples) {
        const d = { nr, arch: a, instructionPointer: v, args: [v, v, v, v, v, v] };
        expect(emulate(program, d).ret).toBe(SECCOMP_RET_ALLOW);
      }
    }
  });

  it('isConstAllow answers one number', () => {
    expect(isConstAllow(typical, X86_64, 0)).toBe(true);
    expect(isConstAllow(typical, X86_64, 1)).toBe(false);
  });
});
