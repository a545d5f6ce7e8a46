/**
 * Classic BPF as seccomp accepts it: instruction type, opcode and seccomp constants, and
 * `Program`, the checked program type every other module takes. The only way to make a
 * `Program` is `compileProgram`, which applies the kernel's own checks in the kernel's own
 * order, so a `Program` is exactly a filter that `seccomp(SECCOMP_SET_MODE_FILTER)` accepts.
 *
 * Sources ported (Linux 6.x):
 *  - net/core/filter.c `bpf_check_basics_ok`, `bpf_check_classic`, `chk_code_allowed`,
 *    `check_load_and_stores`;
 *  - kernel/seccomp.c `seccomp_prepare_filter` (length), `seccomp_check_filter` (opcodes,
 *    seccomp_data bounds).
 */

/** One `struct sock_filter`: `code` is u16, `jt`/`jf` are u8, `k` is u32 (held as 0..2^32-1). */
export interface Insn {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

// ---- opcode fields (linux/filter.h, linux/bpf_common.h) ----

/** Instruction classes: `code & 0x07`. */
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

/** Load sizes: `code & 0x18`. Seccomp only accepts `BPF_W`. */
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;

/** Load modes: `code & 0xe0`. */
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;

/** ALU operations: `code & 0xf0`. `BPF_MOD` is classic BPF but seccomp rejects it. */
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

/** Jump operations: `code & 0xf0`. */
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

/** Operand source: `code & 0x08`; the constant `k` or the X register. */
export const BPF_K = 0x00;
export const BPF_X = 0x08;

/** Return value source: `code & 0x18`. */
export const BPF_A = 0x10;

/** MISC operations: `code & 0xf8`. */
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** Longest program the kernel accepts (linux/bpf_common.h BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Scratch memory words M[0..15] (linux/filter.h BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;
/** Largest jt/jf offset a conditional jump can encode. */
export const MAX_COND_OFFSET = 0xff;

/** The class bits of an opcode. */
export function bpfClass(code: number): number {
  return code & 0x07;
}
/** The operation bits of an ALU or JMP opcode. */
export function bpfOp(code: number): number {
  return code & 0xf0;
}
/** The source bit (`BPF_K` or `BPF_X`) of an ALU or JMP opcode. */
export function bpfSrc(code: number): number {
  return code & 0x08;
}
/** The mode bits of an LD/LDX opcode. */
export function bpfMode(code: number): number {
  return code & 0xe0;
}

/** A statement (linux/filter.h BPF_STMT). */
export function stmt(code: number, k = 0): Insn {
  return { code, jt: 0, jf: 0, k: k >>> 0 };
}

/** A jump (linux/filter.h BPF_JUMP). */
export function jump(code: number, k: number, jt: number, jf: number): Insn {
  return { code, jt, jf, k: k >>> 0 };
}

// ---- seccomp return values (linux/seccomp.h) ----

/** A value a seccomp filter returns: an action in the high 16 bits, data in the low 16. */
export type SeccompRet = number & { readonly __brand: 'SeccompRet' };

export const SECCOMP_RET_KILL_PROCESS = 0x80000000 as SeccompRet;
export const SECCOMP_RET_KILL_THREAD = 0x00000000 as SeccompRet;
export const SECCOMP_RET_TRAP = 0x00030000 as SeccompRet;
export const SECCOMP_RET_ERRNO = 0x00050000 as SeccompRet;
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000 as SeccompRet;
export const SECCOMP_RET_TRACE = 0x7ff00000 as SeccompRet;
export const SECCOMP_RET_LOG = 0x7ffc0000 as SeccompRet;
export const SECCOMP_RET_ALLOW = 0x7fff0000 as SeccompRet;
/** Mask of the action part of a return value. */
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
/** Mask of the data part (errno, trap/trace data). */
export const SECCOMP_RET_DATA = 0x0000ffff;

// ---- struct seccomp_data (linux/seccomp.h) ----

/**
 * A byte offset into `struct seccomp_data` that a `BPF_LD|BPF_W|BPF_ABS` may read: 4-byte
 * aligned and below `SECCOMP_DATA_SIZE`. Made by the constants and functions below.
 */
export type DataOffset = number & { readonly __brand: 'DataOffset' };

/** sizeof(struct seccomp_data); also what `BPF_LD|BPF_W|BPF_LEN` loads under seccomp. */
export const SECCOMP_DATA_SIZE = 64;
/** Number of syscall arguments in seccomp_data. */
export const SECCOMP_ARG_COUNT = 6;

export const DATA_NR = 0 as DataOffset;
export const DATA_ARCH = 4 as DataOffset;
/** Low word of instruction_pointer (the struct is read in the host's little-endian order). */
export const DATA_IP_LO = 8 as DataOffset;
export const DATA_IP_HI = 12 as DataOffset;

function checkArgIndex(i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= SECCOMP_ARG_COUNT) {
    throw new RangeError(`syscall argument index ${i} is not in 0..${SECCOMP_ARG_COUNT - 1}`);
  }
}

/** Offset of the low 32 bits of args[i] (little-endian: 16 + 8i). */
export function argLo(i: number): DataOffset {
  checkArgIndex(i);
  return (16 + 8 * i) as DataOffset;
}

/** Offset of the high 32 bits of args[i] (little-endian: 20 + 8i). */
export function argHi(i: number): DataOffset {
  checkArgIndex(i);
  return (20 + 8 * i) as DataOffset;
}

/** Checks a raw number is a loadable seccomp_data offset. */
export function isDataOffset(k: number): k is DataOffset {
  return Number.isInteger(k) && k >= 0 && k < SECCOMP_DATA_SIZE && (k & 3) === 0;
}

/**
 * The field a seccomp_data offset names: `nr`, `arch`, `instruction_pointer.lo`/`.hi`,
 * `args[i].lo`/`.hi`.
 */
export function dataOffsetName(off: DataOffset): string {
  switch (off) {
    case DATA_NR:
      return 'nr';
    case DATA_ARCH:
      return 'arch';
    case DATA_IP_LO:
      return 'instruction_pointer.lo';
    case DATA_IP_HI:
      return 'instruction_pointer.hi';
    default: {
      const i = (off - 16) >> 3;
      return `args[${i}].${off & 4 ? 'hi' : 'lo'}`;
    }
  }
}

// ---- errors ----

/**
 * Why a program was refused. The kernel answers EINVAL to all checker codes; the code says
 * which rule it was. `builder-*` codes come from `ProgramBuilder`.
 */
export type BpfErrorCode =
  /** Length is 0 or over BPF_MAXINSNS (pc = the missing or first excess instruction). */
  | 'length'
  /** A field does not fit its C type (code u16, jt/jf u8, k u32). */
  | 'field-range'
  /** Raw sock_filter bytes whose length is not a multiple of 8 (pc = the partial one). */
  | 'raw-size'
  /** Not a classic BPF opcode at all (chk_code_allowed). */
  | 'opcode'
  /** Classic BPF the seccomp checker refuses: MOD, byte/half/indirect loads, MSH. */
  | 'seccomp-opcode'
  /** DIV (or MOD) by the constant 0. */
  | 'div-by-zero'
  /** LSH/RSH by a constant of 32 or more. */
  | 'shift-range'
  /** ST/STX/LD MEM/LDX MEM with k >= BPF_MEMWORDS. */
  | 'mem-index'
  /** A jump target past the last instruction. */
  | 'jump-range'
  /** The last instruction is not RET K or RET A. */
  | 'last-not-ret'
  /** LD/LDX MEM of a scratch word some path did not store (check_load_and_stores). */
  | 'mem-uninit'
  /** An absolute load outside seccomp_data, unaligned, or an unknown ancillary load. */
  | 'data-offset'
  | 'builder-label-unresolved'
  | 'builder-label-backward'
  | 'builder-label-unused'
  | 'builder-label-duplicate'
  | 'builder-label-at-end'
  | 'builder-opcode';

/** A refused program: `code` says which rule, `pc` which instruction. */
export class BpfError extends Error {
  override readonly name = 'BpfError';
  constructor(
    readonly code: BpfErrorCode,
    /** Index of the offending instruction (for `length`: the missing or first excess one). */
    readonly pc: number,
    message: string,
  ) {
    super(`${code} at ${pc}: ${message}`);
  }
}

// ---- the checker ----

/** Every opcode classic BPF knows (net/core/filter.c chk_code_allowed). */
const CLASSIC_CODES: ReadonlySet<number> = new Set([
  ...[BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH].flatMap((op) => [
    BPF_ALU | op | BPF_K,
    BPF_ALU | op | BPF_X,
  ]),
  BPF_ALU | BPF_NEG,
  BPF_LD | BPF_W | BPF_ABS,
  BPF_LD | BPF_H | BPF_ABS,
  BPF_LD | BPF_B | BPF_ABS,
  BPF_LD | BPF_W | BPF_LEN,
  BPF_LD | BPF_W | BPF_IND,
  BPF_LD | BPF_H | BPF_IND,
  BPF_LD | BPF_B | BPF_IND,
  BPF_LD | BPF_IMM,
  BPF_LD | BPF_MEM,
  BPF_LDX | BPF_W | BPF_LEN,
  BPF_LDX | BPF_B | BPF_MSH,
  BPF_LDX | BPF_IMM,
  BPF_LDX | BPF_MEM,
  BPF_ST,
  BPF_STX,
  BPF_MISC | BPF_TAX,
  BPF_MISC | BPF_TXA,
  BPF_RET | BPF_K,
  BPF_RET | BPF_A,
  BPF_JMP | BPF_JA,
  ...[BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

/**
 * The opcodes seccomp_check_filter lets through. `LD|W|ABS` is further limited to
 * seccomp_data; `LD|W|LEN` and `LDX|W|LEN` are rewritten by the kernel into immediate loads
 * of SECCOMP_DATA_SIZE.
 */
const SECCOMP_CODES: ReadonlySet<number> = new Set([
  BPF_LD | BPF_W | BPF_ABS,
  BPF_LD | BPF_W | BPF_LEN,
  BPF_LDX | BPF_W | BPF_LEN,
  BPF_RET | BPF_K,
  BPF_RET | BPF_A,
  ...[BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH].flatMap((op) => [
    BPF_ALU | op | BPF_K,
    BPF_ALU | op | BPF_X,
  ]),
  BPF_ALU | BPF_NEG,
  BPF_LD | BPF_IMM,
  BPF_LDX | BPF_IMM,
  BPF_MISC | BPF_TAX,
  BPF_MISC | BPF_TXA,
  BPF_LD | BPF_MEM,
  BPF_LDX | BPF_MEM,
  BPF_ST,
  BPF_STX,
  BPF_JMP | BPF_JA,
  ...[BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

/** Whether `code` is a conditional jump (JEQ/JGT/JGE/JSET, K or X). */
export function isConditionalJump(code: number): boolean {
  return bpfClass(code) === BPF_JMP && bpfOp(code) !== BPF_JA && CLASSIC_CODES.has(code);
}

/** SKF_AD_OFF (-0x1000 as u32): absolute loads at or above it are socket ancillary data. */
const SKF_AD_OFF = 0xfffff000;
/** SKF_AD_PROTOCOL .. SKF_AD_VLAN_TPID, the ancillary offsets bpf_anc_helper knows. */
const SKF_AD_LAST = 60;

function isKnownAncillary(k: number): boolean {
  const rel = k - SKF_AD_OFF;
  return rel >= 0 && rel <= SKF_AD_LAST && rel % 4 === 0;
}

function isU(n: number, bits: 8 | 16 | 32): boolean {
  return Number.isInteger(n) && n >= 0 && n < 2 ** bits;
}

/** Field widths; not a kernel check (C cannot express the error) but a precondition of all others. */
function checkFields(insns: readonly Insn[]): void {
  insns.forEach((insn, pc) => {
    if (!isU(insn.code, 16)) throw new BpfError('field-range', pc, `code ${insn.code} is not a u16`);
    if (!isU(insn.jt, 8)) throw new BpfError('field-range', pc, `jt ${insn.jt} is not a u8`);
    if (!isU(insn.jf, 8)) throw new BpfError('field-range', pc, `jf ${insn.jf} is not a u8`);
    if (!isU(insn.k, 32)) throw new BpfError('field-range', pc, `k ${insn.k} is not a u32`);
  });
}

/** net/core/filter.c bpf_check_basics_ok, with seccomp_prepare_filter's identical bound. */
function checkLength(insns: readonly Insn[]): void {
  if (insns.length === 0) throw new BpfError('length', 0, 'a filter needs at least one instruction');
  if (insns.length > BPF_MAXINSNS) {
    throw new BpfError('length', BPF_MAXINSNS, `${insns.length} instructions is over BPF_MAXINSNS (${BPF_MAXINSNS})`);
  }
}

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** net/core/filter.c bpf_check_classic: per-instruction checks, then last-is-RET. */
function checkClassic(insns: readonly Insn[]): void {
  const flen = insns.length;
  insns.forEach((insn, pc) => {
    const { code, k } = insn;
    if (!CLASSIC_CODES.has(code)) throw new BpfError('opcode', pc, `unknown opcode ${hex(code)}`);
    switch (code) {
      case BPF_ALU | BPF_DIV | BPF_K:
      case BPF_ALU | BPF_MOD | BPF_K:
        if (k === 0) throw new BpfError('div-by-zero', pc, 'division by the constant 0');
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_K:
        if (k >= 32) throw new BpfError('shift-range', pc, `shift by ${k}`);
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS) throw new BpfError('mem-index', pc, `scratch index ${k} is not below ${BPF_MEMWORDS}`);
        break;
      case BPF_JMP | BPF_JA:
        if (k >= flen - pc - 1) throw new BpfError('jump-range', pc, `ja +${k} leaves the program`);
        break;
      case BPF_LD | BPF_W | BPF_ABS:
      case BPF_LD | BPF_H | BPF_ABS:
      case BPF_LD | BPF_B | BPF_ABS:
        if (k >= SKF_AD_OFF && !isKnownAncillary(k)) {
          throw new BpfError('data-offset', pc, `unknown ancillary load ${hex(k)}`);
        }
        break;
      default:
        if (isConditionalJump(code) && (pc + insn.jt + 1 >= flen || pc + insn.jf + 1 >= flen)) {
          throw new BpfError('jump-range', pc, `jump +${insn.jt}/+${insn.jf} leaves the program`);
        }
    }
  });
  const last = insns[flen - 1]!;
  if (last.code !== (BPF_RET | BPF_K) && last.code !== (BPF_RET | BPF_A)) {
    throw new BpfError('last-not-ret', flen - 1, 'the last instruction must be RET');
  }
}

/**
 * net/core/filter.c check_load_and_stores, kept bit for bit: one 16-bit "valid" mask flows
 * forward; a jump ANDs it into its targets' masks and resets it to all-ones; a RET does not
 * reset it. So the instruction after a RET sees the AND of the RET's own path and its jumps
 * in: the kernel (and this checker) may refuse a program whose every real path did store.
 */
function checkLoadAndStores(insns: readonly Insn[]): void {
  const masks = new Uint16Array(insns.length).fill(0xffff);
  let memvalid = 0;
  insns.forEach((insn, pc) => {
    memvalid &= masks[pc]!;
    switch (insn.code) {
      case BPF_ST:
      case BPF_STX:
        memvalid |= 1 << insn.k;
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
        if (!(memvalid & (1 << insn.k))) {
          throw new BpfError('mem-uninit', pc, `M[${insn.k}] may be read before it is stored`);
        }
        break;
      case BPF_JMP | BPF_JA:
        masks[pc + 1 + insn.k]! &= memvalid;
        memvalid = 0xffff;
        break;
      default:
        if (isConditionalJump(insn.code)) {
          masks[pc + 1 + insn.jt]! &= memvalid;
          masks[pc + 1 + insn.jf]! &= memvalid;
          memvalid = 0xffff;
        }
    }
  });
}

/** kernel/seccomp.c seccomp_check_filter. */
function checkSeccomp(insns: readonly Insn[]): void {
  insns.forEach(({ code, k }, pc) => {
    if (!SECCOMP_CODES.has(code)) throw new BpfError('seccomp-opcode', pc, `opcode ${hex(code)} is not allowed in seccomp`);
    if (code === (BPF_LD | BPF_W | BPF_ABS) && !isDataOffset(k)) {
      throw new BpfError('data-offset', pc, `load of seccomp_data[${k}] is out of bounds or unaligned`);
    }
  });
}

// ---- Program ----

let makeProgram: (insns: readonly Insn[]) => Program;

/**
 * A filter the kernel accepts. Only `compileProgram` makes one; the emulator, the
 * disassembler, the action cache and any loader take only this type. Holds the instructions
 * as the kernel receives them (LEN loads are not rewritten here; their readers handle them).
 */
export class Program {
  readonly #insns: readonly Insn[];

  static {
    makeProgram = (insns) => new Program(insns);
  }

  private constructor(insns: readonly Insn[]) {
    this.#insns = Object.freeze(insns.map((i) => Object.freeze({ code: i.code, jt: i.jt, jf: i.jf, k: i.k })));
  }

  /** Number of instructions. */
  get length(): number {
    return this.#insns.length;
  }

  /** The instructions, frozen. */
  get instructions(): readonly Insn[] {
    return this.#insns;
  }

  /** The instruction at `pc` (throws RangeError outside the program). */
  at(pc: number): Insn {
    const insn = this.#insns[pc];
    if (!insn) throw new RangeError(`pc ${pc} is outside a ${this.#insns.length}-instruction program`);
    return insn;
  }
}

/**
 * Checks `insns` the way `seccomp(SECCOMP_SET_MODE_FILTER)` does and returns a `Program`, or
 * throws the first `BpfError` in the kernel's order: length (bpf_check_basics_ok), then
 * bpf_check_classic per instruction (known opcode, DIV/MOD by 0, shift >= 32, scratch index,
 * jump range, ancillary loads), last-is-RET, check_load_and_stores, and finally
 * seccomp_check_filter (seccomp opcodes, loads inside seccomp_data and aligned).
 */
export function compileProgram(insns: readonly Insn[]): Program {
  checkLength(insns);
  checkFields(insns);
  checkClassic(insns);
  checkLoadAndStores(insns);
  checkSeccomp(insns);
  return makeProgram(insns);
}
