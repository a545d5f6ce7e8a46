/**
 * A small label-based eBPF assembler: the programs in programs.ts are written against this
 * API, `build()` resolves labels and checks every instruction (register numbers, immediate
 * and offset ranges, unresolved or duplicate labels, jump range), and the result carries both
 * the bytes the kernel loads and a listing in LLVM's BPF assembly syntax. test/ebpf-asm.test.ts
 * feeds that listing to `llvm-mc -triple=bpfel` and compares every byte.
 *
 * Why hand-written: no npm package assembles eBPF, and clang/libbpf at run time would make a
 * compiler a dependency of `sbx learn` (the peers that do that are the slow, fragile ones).
 */

/** A register number 0..10 (r10 is the read-only frame pointer). */
export type Reg = number & { readonly __brand: 'EbpfReg' };

function reg(n: number): Reg {
  return n as Reg;
}

export const R0 = reg(0);
export const R1 = reg(1);
export const R2 = reg(2);
export const R3 = reg(3);
export const R4 = reg(4);
export const R5 = reg(5);
export const R6 = reg(6);
export const R7 = reg(7);
export const R8 = reg(8);
export const R9 = reg(9);
export const R10 = reg(10);

/** Memory access widths, as the `(u8 *)` casts of the listing say. */
export type Size = 'u8' | 'u16' | 'u32' | 'u64';

const SIZE_BITS: Record<Size, number> = { u32: 0x00, u16: 0x08, u8: 0x10, u64: 0x18 };

// Instruction classes and fields (linux/bpf_common.h, linux/bpf.h).
const BPF_LD = 0x00;
const BPF_LDX = 0x01;
const BPF_STX = 0x03;
const BPF_ALU = 0x04;
const BPF_JMP = 0x05;
const BPF_JMP32 = 0x06;
const BPF_ALU64 = 0x07;
const BPF_IMM = 0x00;
const BPF_MEM = 0x60;
const BPF_ATOMIC = 0xc0;
const BPF_K = 0x00;
const BPF_X = 0x08;
const BPF_CALL = 0x80;
const BPF_EXIT = 0x90;
const BPF_JA = 0x00;
/** src_reg of a 64-bit immediate load whose value is a map fd. */
export const BPF_PSEUDO_MAP_FD = 1;

/** ALU operations and their listing operators. */
const ALU_OPS = {
  add: [0x00, '+='],
  sub: [0x10, '-='],
  mul: [0x20, '*='],
  or: [0x40, '|='],
  and: [0x50, '&='],
  lsh: [0x60, '<<='],
  rsh: [0x70, '>>='],
  mov: [0xb0, '='],
} as const satisfies Record<string, readonly [number, string]>;
export type AluOp = keyof typeof ALU_OPS;

/** Conditional jumps and their listing operators (`s` = signed). */
const JUMP_OPS = {
  '==': 0x10,
  '>': 0x20,
  '>=': 0x30,
  '!=': 0x50,
  's>': 0x60,
  's>=': 0x70,
  '<': 0xa0,
  '<=': 0xb0,
  's<': 0xc0,
  's<=': 0xd0,
} as const satisfies Record<string, number>;
export type JumpOp = keyof typeof JUMP_OPS;

/** One encoded instruction slot (8 bytes); ld_imm64 takes two. */
interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** An instruction while building: jumps keep their label until `build()`. */
interface Item {
  readonly insns: Insn[];
  readonly text: string;
  readonly target?: string;
}

/** A built program: what the kernel loads, and what a human (or llvm-mc) reads. */
export interface EbpfProgram {
  readonly name: string;
  /** Instruction count (ld_imm64 counts two, as the kernel counts). */
  readonly length: number;
  readonly bytes: Uint8Array;
  /** One line per instruction in LLVM BPF syntax; labels as `name:` lines, notes after `#`. */
  readonly listing: readonly string[];
}

/** An assembler error names the program, the label or instruction, and what is wrong. */
export class AsmError extends Error {}

const S16 = [-0x8000, 0x7fff] as const;
const S32 = [-0x80000000, 0x7fffffff] as const;

function checkRange(what: string, value: number, [lo, hi]: readonly [number, number]): void {
  if (!Number.isInteger(value) || value < lo || value > hi) throw new AsmError(`${what} ${value} outside ${lo}..${hi}`);
}

function checkReg(r: Reg, writable: boolean): void {
  if (!Number.isInteger(r) || r < 0 || r > 10) throw new AsmError(`no register r${r}`);
  if (writable && r === 10) throw new AsmError('r10 is the read-only frame pointer');
}

function signed(off: number): string {
  return off < 0 ? `- ${-off}` : `+ ${off}`;
}

/**
 * Builds one program. Every method appends one instruction and returns `this`; `label()`
 * names the next instruction. Jumps go forward or backward to any label (the verifier rejects
 * loops it cannot bound; the programs here only jump forward).
 */
export class Assembler {
  private readonly items: Item[] = [];
  private readonly labels = new Map<string, number>();
  private readonly comments = new Map<number, string>();

  constructor(readonly name: string) {}

  private push(insn: Insn, text: string, target?: string): this {
    this.items.push({ insns: [insn], text, ...(target !== undefined ? { target } : {}) });
    return this;
  }

  /** Apply a fragment writer inline, so chains of instructions read top to bottom. */
  pipe(write: (a: this) => Assembler): this {
    write(this);
    return this;
  }

  /** Name the next instruction. */
  label(name: string): this {
    if (this.labels.has(name)) throw new AsmError(`${this.name}: label ${name} placed twice`);
    this.labels.set(name, this.items.length);
    return this;
  }

  /** A note shown in the listing before the next instruction. */
  comment(text: string): this {
    const at = this.items.length;
    this.comments.set(at, this.comments.has(at) ? `${this.comments.get(at)}; ${text}` : text);
    return this;
  }

  /** 64-bit ALU: `dst op= src` with a register or a 32-bit signed immediate. */
  alu64(op: AluOp, dst: Reg, src: Reg | number, isReg = false): this {
    return this.alu(BPF_ALU64, 'r', op, dst, src, isReg);
  }

  /** 32-bit ALU (`w` registers; the result is zero-extended). */
  alu32(op: AluOp, dst: Reg, src: Reg | number, isReg = false): this {
    return this.alu(BPF_ALU, 'w', op, dst, src, isReg);
  }

  private alu(cls: number, prefix: 'r' | 'w', op: AluOp, dst: Reg, src: Reg | number, isReg: boolean): this {
    checkReg(dst, true);
    const [code, sym] = ALU_OPS[op];
    if (isReg) {
      checkReg(src as Reg, false);
      return this.push({ code: cls | code | BPF_X, dst, src, off: 0, imm: 0 }, `${prefix}${dst} ${sym} ${prefix}${src}`);
    }
    checkRange('immediate', src, S32);
    if ((op === 'lsh' || op === 'rsh') && (src < 0 || src >= (cls === BPF_ALU64 ? 64 : 32))) throw new AsmError(`shift by ${src}`);
    return this.push({ code: cls | code | BPF_K, dst, src: 0, off: 0, imm: src }, `${prefix}${dst} ${sym} ${src}`);
  }

  /** `dst = imm` (64-bit register, sign-extended 32-bit immediate). */
  mov(dst: Reg, imm: number): this {
    return this.alu64('mov', dst, imm);
  }

  /** `dst = src` (64-bit). */
  movReg(dst: Reg, src: Reg): this {
    return this.alu64('mov', dst, src, true);
  }

  /** A full 64-bit immediate (two instruction slots). */
  ldImm64(dst: Reg, value: bigint, src = 0, note?: string): this {
    checkReg(dst, true);
    const v = BigInt.asUintN(64, value);
    const lo = Number(v & 0xffffffffn) | 0;
    const hi = Number(v >> 32n) | 0;
    this.items.push({
      insns: [
        { code: BPF_LD | BPF_IMM | SIZE_BITS.u64, dst, src, off: 0, imm: lo },
        { code: 0, dst: 0, src: 0, off: 0, imm: hi },
      ],
      text: `r${dst} = ${v} ll${note ? ` # ${note}` : ''}`,
    });
    return this;
  }

  /** Load a map's fd for a helper call (the kernel swaps in the map pointer). */
  ldMap(dst: Reg, fd: number, mapName: string): this {
    return this.ldImm64(dst, BigInt(fd), BPF_PSEUDO_MAP_FD, `map ${mapName} (pseudo map fd: src_reg 1)`);
  }

  /** `dst = *(size *)(src + off)`. */
  load(size: Size, dst: Reg, src: Reg, off: number): this {
    checkReg(dst, true);
    checkReg(src, false);
    checkRange('offset', off, S16);
    return this.push(
      { code: BPF_LDX | BPF_MEM | SIZE_BITS[size], dst, src, off, imm: 0 },
      `r${dst} = *(${size} *)(r${src} ${signed(off)})`,
    );
  }

  /** `*(size *)(dst + off) = src`. */
  store(size: Size, dst: Reg, off: number, src: Reg): this {
    checkReg(dst, false);
    checkReg(src, false);
    checkRange('offset', off, S16);
    return this.push(
      { code: BPF_STX | BPF_MEM | SIZE_BITS[size], dst, src, off, imm: 0 },
      `*(${size} *)(r${dst} ${signed(off)}) = r${src}`,
    );
  }

  /** `lock *(size *)(dst + off) += src`: an atomic add (u32 or u64). */
  atomicAdd(size: 'u32' | 'u64', dst: Reg, off: number, src: Reg): this {
    checkReg(dst, false);
    checkReg(src, false);
    checkRange('offset', off, S16);
    const w = size === 'u64' ? 'r' : 'w';
    return this.push(
      { code: BPF_STX | BPF_ATOMIC | SIZE_BITS[size], dst, src, off, imm: 0 },
      `lock *(${size} *)(r${dst} ${signed(off)}) += ${w}${src}`,
    );
  }

  /** `if dst op src goto label` (64-bit compare; `src` a register or a 32-bit immediate). */
  jump(op: JumpOp, dst: Reg, src: Reg | number, target: string, isReg = false): this {
    return this.cond(BPF_JMP, 'r', op, dst, src, target, isReg);
  }

  /** `if wdst op src goto label` (32-bit compare). */
  jump32(op: JumpOp, dst: Reg, src: Reg | number, target: string, isReg = false): this {
    return this.cond(BPF_JMP32, 'w', op, dst, src, target, isReg);
  }

  private cond(cls: number, prefix: 'r' | 'w', op: JumpOp, dst: Reg, src: Reg | number, target: string, isReg: boolean): this {
    checkReg(dst, false);
    if (isReg) {
      checkReg(src as Reg, false);
      return this.push(
        { code: cls | JUMP_OPS[op] | BPF_X, dst, src, off: 0, imm: 0 },
        `if ${prefix}${dst} ${op} ${prefix}${src} goto`,
        target,
      );
    }
    checkRange('immediate', src, S32);
    return this.push({ code: cls | JUMP_OPS[op] | BPF_K, dst, src: 0, off: 0, imm: src }, `if ${prefix}${dst} ${op} ${src} goto`, target);
  }

  /** `goto label`. */
  goto(target: string): this {
    return this.push({ code: BPF_JMP | BPF_JA, dst: 0, src: 0, off: 0, imm: 0 }, 'goto', target);
  }

  /** Call helper number `helper` (linux/bpf.h `enum bpf_func_id`); `note` names it in the listing. */
  call(helper: number, note?: string): this {
    checkRange('helper', helper, [0, 0xffff]);
    return this.push({ code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: helper }, `call ${helper}${note ? ` # ${note}` : ''}`);
  }

  exit(): this {
    return this.push({ code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 }, 'exit');
  }

  /** Resolve labels, check jump ranges, encode. */
  build(): EbpfProgram {
    if (this.items.length === 0) throw new AsmError(`${this.name}: empty program`);
    // Slot index of each item (ld_imm64 takes two slots).
    const slotOf: number[] = [];
    let slots = 0;
    for (const item of this.items) {
      slotOf.push(slots);
      slots += item.insns.length;
    }
    slotOf.push(slots);
    const byIndex = new Map<number, string[]>();
    for (const [name, index] of this.labels) byIndex.set(index, [...(byIndex.get(index) ?? []), name]);
    const last = this.items[this.items.length - 1]!;
    if (last.text !== 'exit' && last.target === undefined)
      throw new AsmError(`${this.name}: falls off the end (last instruction is not exit or a jump)`);
    const bytes = new Uint8Array(slots * 8);
    const view = new DataView(bytes.buffer);
    const listing: string[] = [];
    this.items.forEach((item, index) => {
      for (const name of byIndex.get(index) ?? []) listing.push(`${name}:`);
      const note = this.comments.get(index);
      if (note !== undefined) listing.push(`\t# ${note}`);
      let text = item.text;
      if (item.target !== undefined) {
        const at = this.labels.get(item.target);
        if (at === undefined) throw new AsmError(`${this.name}: jump to unresolved label ${item.target}`);
        const off = slotOf[at]! - slotOf[index]! - 1;
        if (off < S16[0] || off > S16[1])
          throw new AsmError(`${this.name}: jump to ${item.target} is ${off} instructions, outside a 16-bit offset`);
        item.insns[0]!.off = off;
        text = `${text} ${off < 0 ? off : `+${off}`} # -> ${item.target}`;
      }
      listing.push(`\t${text}`);
      item.insns.forEach((insn, k) => {
        const at = (slotOf[index]! + k) * 8;
        view.setUint8(at, insn.code);
        view.setUint8(at + 1, (insn.src << 4) | insn.dst);
        view.setInt16(at + 2, insn.off, true);
        view.setInt32(at + 4, insn.imm, true);
      });
    });
    for (const [name, index] of this.labels)
      if (index === this.items.length) throw new AsmError(`${this.name}: label ${name} names no instruction`);
    return { name: this.name, length: slots, bytes, listing };
  }
}

/** The listing of a program with its name and length as a header, for `--dump-bpf`. */
export function formatListing(program: EbpfProgram): string {
  return [`# ${program.name}: ${program.length} instructions`, ...program.listing].join('\n');
}
