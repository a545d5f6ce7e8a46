import { describe, expect, it } from 'vitest';
import { NEXT, ProgramBuilder } from '../src/bpf/builder.js';
import { disassemble } from '../src/bpf/disasm.js';
import { emulate, type SeccompData } from '../src/bpf/emulator.js';
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_JA,
  BPF_JEQ,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_MEM,
  BPF_RET,
  BPF_ST,
  BPF_W,
  BPF_X,
  BpfError,
  DATA_ARCH,
  DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_TRAP,
  argLo,
  type BpfErrorCode,
  type Program,
} from '../src/bpf/program.js';

const X86_64 = 0xc000003e;
const call = (nr: number, args: bigint[] = []): SeccompData => ({ nr, arch: X86_64, instructionPointer: 0n, args });
const run = (p: Program, d: SeccompData): number => emulate(p, d).ret;

describe('ProgramBuilder', () => {
  it('resolves labels, NEXT and shared returns (pinned instructions)', () => {
    const b = new ProgramBuilder();
    b.load(DATA_ARCH).jeq(X86_64, NEXT, b.returnLabel(SECCOMP_RET_KILL_PROCESS));
    b.load(DATA_NR).jeq(39, b.returnLabel(SECCOMP_RET_ALLOW), 'other');
    b.label('other').jeq(1, b.returnLabel(SECCOMP_RET_ALLOW), NEXT);
    b.ret(SECCOMP_RET_ERRNO | 1);
    const p = b.build();
    expect(p.instructions).toEqual([
      { code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: DATA_ARCH },
      { code: BPF_JMP | BPF_JEQ | BPF_K, jt: 0, jf: 4, k: X86_64 },
      { code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: DATA_NR },
      { code: BPF_JMP | BPF_JEQ | BPF_K, jt: 3, jf: 0, k: 39 },
      { code: BPF_JMP | BPF_JEQ | BPF_K, jt: 2, jf: 0, k: 1 },
      { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: (SECCOMP_RET_ERRNO | 1) >>> 0 },
      { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: SECCOMP_RET_KILL_PROCESS },
      { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: SECCOMP_RET_ALLOW },
    ]);
    expect(run(p, call(39))).toBe(SECCOMP_RET_ALLOW);
    expect(run(p, call(1))).toBe(SECCOMP_RET_ALLOW);
    expect(run(p, call(2))).toBe((SECCOMP_RET_ERRNO | 1) >>> 0);
    expect(run(p, { ...call(39), arch: 0x40000003 })).toBe(SECCOMP_RET_KILL_PROCESS);
  });

  it('emits a shared return only if some jump uses it, and can build twice', () => {
    const b = new ProgramBuilder();
    b.returnLabel(SECCOMP_RET_TRAP);
    b.load(DATA_NR).jeq(5, 'five', NEXT).ret(SECCOMP_RET_ALLOW).label('five').ret(SECCOMP_RET_ERRNO);
    const first = b.build();
    expect(first.length).toBe(4);
    expect(b.build().instructions).toEqual(first.instructions);
  });

  it('ja names a label', () => {
    const b = new ProgramBuilder();
    b.ja('end').ret(SECCOMP_RET_KILL_PROCESS).label('end').ret(SECCOMP_RET_ALLOW);
    const p = b.build();
    expect(p.at(0)).toEqual({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: 1 });
    expect(run(p, call(0))).toBe(SECCOMP_RET_ALLOW);
  });

  const errorRows: { name: string; make: (b: ProgramBuilder) => void; code: BpfErrorCode; pc: number }[] = [
    { name: 'label never placed', make: (b) => b.load(DATA_NR).jeq(1, 'nowhere', NEXT).ret(0), code: 'builder-label-unresolved', pc: 1 },
    { name: 'ja to a label never placed', make: (b) => b.ja('nowhere').ret(0), code: 'builder-label-unresolved', pc: 0 },
    {
      name: 'backward jump',
      make: (b) => b.label('top').load(DATA_NR).jeq(1, 'top', NEXT).ret(0),
      code: 'builder-label-backward',
      pc: 1,
    },
    {
      name: 'jump to its own position',
      make: (b) => b.load(DATA_NR).label('self').jeq(1, 'self', NEXT).ret(0),
      code: 'builder-label-backward',
      pc: 1,
    },
    { name: 'label nobody jumps to', make: (b) => b.load(DATA_NR).label('lonely').ret(0), code: 'builder-label-unused', pc: 1 },
    {
      name: 'label placed twice',
      make: (b) => b.load(DATA_NR).jeq(1, 'l', NEXT).label('l').ret(0).label('l').ret(1),
      code: 'builder-label-duplicate',
      pc: 3,
    },
    { name: 'label at the end', make: (b) => b.load(DATA_NR).jeq(1, 'end', NEXT).ret(0).label('end'), code: 'builder-label-at-end', pc: 3 },
    { name: 'NEXT from the last instruction', make: (b) => b.load(DATA_NR).jeq(1, NEXT, NEXT), code: 'jump-range', pc: 1 },
    { name: 'the checker still runs', make: (b) => b.load(DATA_NR), code: 'last-not-ret', pc: 0 },
  ];

  it.each(errorRows)('build() throws $code: $name', ({ make, code, pc }) => {
    const b = new ProgramBuilder();
    make(b);
    expect(() => b.build()).toThrow(BpfError);
    expect(() => b.build()).toThrow(expect.objectContaining({ code, pc }));
  });

  it('refuses jumps through stmt() and non-jumps through jump()', () => {
    const b = new ProgramBuilder();
    expect(() => b.stmt(BPF_JMP | BPF_JA, 0)).toThrow(expect.objectContaining({ code: 'builder-opcode' }));
    expect(() => b.jump(BPF_JMP | BPF_JA, 0, NEXT, NEXT)).toThrow(expect.objectContaining({ code: 'builder-opcode' }));
    expect(() => b.jump(BPF_RET | BPF_K, 0, NEXT, NEXT)).toThrow(expect.objectContaining({ code: 'builder-opcode' }));
    expect(() => b.label('@mine')).toThrow(expect.objectContaining({ code: 'builder-opcode' }));
  });
});

/** n filler instructions that change nothing observable (A += 0). */
function filler(b: ProgramBuilder, n: number): void {
  for (let i = 0; i < n; i++) b.stmt(BPF_ALU | BPF_ADD | BPF_K, 0);
}

describe('ProgramBuilder long jumps', () => {
  it('adds a JA trampoline when a label is more than 255 instructions away', () => {
    const b = new ProgramBuilder();
    b.load(DATA_NR).jeq(7, 'far', NEXT);
    filler(b, 300);
    b.ret(SECCOMP_RET_ALLOW);
    b.label('far')
      .stmt(BPF_ALU | BPF_ADD | BPF_K, 0)
      .ret(SECCOMP_RET_ERRNO | 7);
    const p = b.build();
    expect(p.length).toBe(2 + 300 + 3 + 1);
    // jt -> trampoline right after the jump; jf skips it.
    expect(p.at(1)).toMatchObject({ jt: 0, jf: 1 });
    expect(p.at(2)).toEqual({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: 301 });
    expect(run(p, call(7)), disassemble(p)).toBe((SECCOMP_RET_ERRNO | 7) >>> 0);
    expect(emulate(p, call(7)).executed).toBe(5);
    expect(run(p, call(8))).toBe(SECCOMP_RET_ALLOW);
    expect(emulate(p, call(8)).executed).toBe(303);
  });

  it('exactly 255 away needs no trampoline, 256 does', () => {
    const at = (n: number): Program => {
      const b = new ProgramBuilder();
      b.load(DATA_NR).jeq(7, 'far', NEXT);
      filler(b, n);
      b.ret(SECCOMP_RET_ALLOW).label('far').ret(SECCOMP_RET_TRAP);
      return b.build();
    };
    expect(at(254).length).toBe(2 + 254 + 2);
    expect(at(254).at(1).jt).toBe(255);
    expect(at(255).length).toBe(2 + 255 + 2 + 1);
    for (const n of [254, 255]) {
      expect(run(at(n), call(7))).toBe(SECCOMP_RET_TRAP);
      expect(run(at(n), call(6))).toBe(SECCOMP_RET_ALLOW);
    }
  });

  it('both branches far: two trampolines', () => {
    const b = new ProgramBuilder();
    b.load(DATA_NR).jeq(7, 'yes', 'no');
    filler(b, 280);
    b.ret(SECCOMP_RET_KILL_PROCESS);
    b.label('yes').ret(SECCOMP_RET_ERRNO | 1);
    b.label('no').ret(SECCOMP_RET_ERRNO | 2);
    const p = b.build();
    expect(p.length).toBe(2 + 2 + 280 + 3);
    expect(run(p, call(7)), disassemble(p)).toBe((SECCOMP_RET_ERRNO | 1) >>> 0);
    expect(run(p, call(8))).toBe((SECCOMP_RET_ERRNO | 2) >>> 0);
  });

  it('a far jump to a shared return gets a copy of the RET', () => {
    const b = new ProgramBuilder();
    const allow = b.returnLabel(SECCOMP_RET_ALLOW);
    b.load(DATA_NR).jeq(7, allow, NEXT);
    filler(b, 300);
    b.ret(SECCOMP_RET_KILL_PROCESS);
    const p = b.build();
    expect(p.at(2)).toEqual({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: SECCOMP_RET_ALLOW });
    expect(emulate(p, call(7))).toEqual({ ret: SECCOMP_RET_ALLOW, executed: 3 });
    expect(run(p, call(8))).toBe(SECCOMP_RET_KILL_PROCESS);
  });

  it('uses JA, not a RET copy, when the program reads scratch memory', () => {
    const b = new ProgramBuilder();
    const allow = b.returnLabel(SECCOMP_RET_ALLOW);
    b.load(DATA_NR).stmt(BPF_ST, 0).jeq(7, allow, NEXT);
    filler(b, 300);
    b.stmt(BPF_LD | BPF_MEM, 0).ret(SECCOMP_RET_KILL_PROCESS);
    const p = b.build();
    expect(p.at(3).code).toBe(BPF_JMP | BPF_JA);
    expect(run(p, call(7))).toBe(SECCOMP_RET_ALLOW);
  });

  // 700 syscalls, each `jeq nr`: even ones go straight to the shared ALLOW, odd ones must also
  // have args[0] == nr, checked either in one shared block (JEQ X) or in a block per syscall.
  it.each([
    { name: 'one shared arg check', perSyscall: false },
    { name: 'an arg check per syscall (a trampoline each)', perSyscall: true },
  ])('a 700-syscall chain decides as written: $name', ({ perSyscall }) => {
    const allowed = Array.from({ length: 700 }, (_, i) => i * 3);
    const b = new ProgramBuilder();
    const allow = b.returnLabel(SECCOMP_RET_ALLOW);
    const deny = b.returnLabel(SECCOMP_RET_ERRNO | 1);
    b.load(DATA_ARCH).jeq(X86_64, NEXT, b.returnLabel(SECCOMP_RET_KILL_PROCESS));
    b.load(DATA_NR);
    allowed.forEach((nr, i) => {
      if (i % 2 === 0) b.jeq(nr, allow, NEXT);
      else b.jeq(nr, perSyscall ? `args${i}` : 'args', NEXT);
    });
    b.ja('default');
    if (perSyscall) {
      allowed.forEach((nr, i) => {
        if (i % 2 === 1) b.label(`args${i}`).load(argLo(0)).jeq(nr, allow, deny);
      });
    } else {
      b.label('args')
        .stmt(0x07 /* TAX */)
        .load(argLo(0))
        .jump(BPF_JMP | BPF_JEQ | BPF_X, 0, allow, deny);
    }
    b.label('default').ret(SECCOMP_RET_TRAP);
    const p = b.build();
    const user = 3 + 700 + 1 + (perSyscall ? 350 * 2 : 3) + 1;
    const trampolines = p.length - user - 3;
    if (perSyscall) {
      // Distinct far targets cannot share: nearly one JA per odd syscall.
      expect(trampolines).toBeGreaterThan(250);
    } else {
      // Shared targets: a few per 255 instructions, not one per far jump.
      expect(trampolines).toBeGreaterThan(0);
      expect(trampolines).toBeLessThan(16);
    }
    const want = (nr: number, arg0: bigint): number => {
      const i = allowed.indexOf(nr);
      if (i < 0) return SECCOMP_RET_TRAP;
      if (i % 2 === 0 || arg0 === BigInt(nr)) return SECCOMP_RET_ALLOW;
      return (SECCOMP_RET_ERRNO | 1) >>> 0;
    };
    for (let nr = 0; nr < 2200; nr++) {
      for (const arg0 of [BigInt(nr), 0n]) {
        const got = run(p, call(nr, [arg0]));
        if (got !== want(nr, arg0)) expect.fail(`nr ${nr} arg0 ${arg0}: got ${got}, want ${want(nr, arg0)}\n${disassemble(p)}`);
      }
    }
  });
});
