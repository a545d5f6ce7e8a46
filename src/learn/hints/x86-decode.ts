/**
 * An x86-64 instruction length decoder that also reports the operands a call graph needs:
 * branch targets (call/jmp/jcc rel8/rel32), RIP-relative memory operands (lea of a function,
 * `call *foo@GOTPCREL(%rip)`), and 32-bit immediates (function addresses in non-PIE code).
 *
 * Hand-written rather than a disassembler library: the candidates usable from Node without a
 * native addon (capstone's emscripten builds) decode every operand into objects, which is
 * far too slow for the ~7 million instructions of QEMU and its libraries in the 2 s the
 * static hints may take, and they add a large WASM/asm.js blob for the four facts used here.
 * Finding those facts still needs the exact length of every instruction (linear sweep), so
 * this decodes all of the encoding: legacy prefixes, REX, VEX (C4/C5), EVEX (62), XOP (8F),
 * the one-byte, 0F, 0F38 and 0F3A maps, ModRM/SIB/displacement and immediates.
 * test/x86-decode.test.ts checks it against `objdump -d` on real libraries.
 */

/** What one instruction is, for the call graph. */
export enum Kind {
  Other = 0,
  /** call rel32: `target` is the callee. */
  Call = 1,
  /** jmp rel8/rel32, jcc, loop/jrcxz: `target` is the destination. */
  Jump = 2,
  /** Bytes no instruction starts with in 64-bit mode (objdump's "(bad)"); length 1. */
  Bad = 3,
}

/** The result of `decode`, reused between calls (the decoder allocates nothing). */
export interface Decoded {
  length: number;
  kind: Kind;
  /** Branch destination (Call/Jump), as an address. */
  target: number;
  /** The address a RIP-relative memory operand points at, or -1. */
  ripTarget: number;
  /** Opcode of a RIP-relative operand's instruction in the one-byte map (0x8d: lea; 0xff: call/jmp *), or -1 for other maps. */
  ripOpcode: number;
  /** A 32-bit immediate that can be an absolute address (mov $imm32, push $imm32), or -1. */
  imm: number;
}

// Operand flags of an opcode in a map.
const M = 1; // ModRM follows
const I8 = 2; // imm8
const IZ = 4; // imm16 with a 66 prefix, else imm32
const I16 = 8; // imm16
const BAD = 16; // invalid in 64-bit mode
const R8 = 32; // rel8 branch
const R32 = 64; // rel32 branch (jcc/jmp/call)

function table(fill: number, rows: readonly [from: number, to: number, flags: number][]): Uint8Array {
  const t = new Uint8Array(256).fill(fill);
  for (const [from, to, flags] of rows) t.fill(flags, from, to + 1);
  return t;
}

/** The one-byte map; prefixes, REX, VEX/EVEX/XOP and 0F are handled before the lookup. */
const ONE = table(0, [
  // ALU ops: 00-05, 08-0D, ... 38-3D follow one pattern
  ...[0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38].flatMap((b): [number, number, number][] => [
    [b, b + 3, M],
    [b + 4, b + 4, I8],
    [b + 5, b + 5, IZ],
  ]),
  [0x06, 0x07, BAD],
  [0x0e, 0x0e, BAD],
  [0x16, 0x17, BAD],
  [0x1e, 0x1f, BAD],
  [0x27, 0x27, BAD],
  [0x2f, 0x2f, BAD],
  [0x37, 0x37, BAD],
  [0x3f, 0x3f, BAD],
  [0x60, 0x61, BAD],
  [0x63, 0x63, M],
  [0x68, 0x68, IZ],
  [0x69, 0x69, M | IZ],
  [0x6a, 0x6a, I8],
  [0x6b, 0x6b, M | I8],
  [0x70, 0x7f, R8],
  [0x80, 0x80, M | I8],
  [0x81, 0x81, M | IZ],
  [0x82, 0x82, BAD],
  [0x83, 0x83, M | I8],
  [0x84, 0x8f, M],
  [0x9a, 0x9a, BAD],
  [0xa8, 0xa8, I8],
  [0xa9, 0xa9, IZ],
  [0xb0, 0xb7, I8],
  [0xc0, 0xc1, M | I8],
  [0xc2, 0xc2, I16],
  [0xc6, 0xc6, M | I8],
  [0xc7, 0xc7, M | IZ],
  [0xca, 0xca, I16],
  [0xcd, 0xcd, I8],
  [0xce, 0xce, BAD],
  [0xd0, 0xd3, M],
  [0xd4, 0xd6, BAD],
  [0xd8, 0xdf, M],
  [0xe0, 0xe3, R8],
  [0xe4, 0xe7, I8],
  [0xe8, 0xe9, R32],
  [0xea, 0xea, BAD],
  [0xeb, 0xeb, R8],
  [0xf6, 0xf7, M],
  [0xfe, 0xff, M],
]);

/** The 0F map. */
const TWO = table(M, [
  [0x04, 0x04, BAD],
  [0x05, 0x09, 0],
  [0x0a, 0x0a, BAD],
  [0x0b, 0x0b, 0],
  [0x0c, 0x0c, BAD],
  [0x0e, 0x0e, 0],
  [0x0f, 0x0f, M | I8], // 3DNow!: the suffix byte is the opcode
  [0x24, 0x27, BAD],
  [0x30, 0x37, 0],
  [0x39, 0x39, BAD],
  [0x3b, 0x3f, BAD],
  [0x70, 0x73, M | I8],
  [0x77, 0x77, 0],
  [0x80, 0x8f, R32],
  [0xa0, 0xa2, 0],
  [0xa4, 0xa4, M | I8],
  [0xa6, 0xa7, BAD],
  [0xa8, 0xaa, 0],
  [0xac, 0xac, M | I8],
  [0xba, 0xba, M | I8],
  [0xc2, 0xc2, M | I8],
  [0xc4, 0xc6, M | I8],
  [0xc8, 0xcf, 0],
]);

/** VEX/EVEX map 1 (0F): which opcodes take an imm8. */
const VEX_MAP1_IMM = table(0, [
  [0x70, 0x73, I8],
  [0xc2, 0xc2, I8],
  [0xc4, 0xc6, I8],
]);

const LEGACY = 1;
const REX = 2;
/** Legacy prefixes (operand/address size, lock, rep, segments) and REX. */
const PREFIX = new Uint8Array(256);
for (const b of [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65]) PREFIX[b] = LEGACY;
PREFIX.fill(REX, 0x40, 0x50);

const scratch: Decoded = { length: 0, kind: Kind.Other, target: 0, ripTarget: -1, ripOpcode: -1, imm: -1 };

/**
 * Decode the instruction at `code[at]`, which lies at virtual address `address`; `end` bounds
 * the bytes that may be read. Returns a shared object overwritten by the next call. An
 * instruction cut off by `end`, longer than 15 bytes or invalid is Bad with length 1.
 */
export function decode(code: Uint8Array, at: number, end: number, address: number): Decoded {
  const d = scratch;
  d.kind = Kind.Other;
  d.ripTarget = -1;
  d.ripOpcode = -1;
  d.imm = -1;
  const len = instructionLength(code, at, Math.min(end, at + 15), address, d);
  if (len <= 0) {
    d.length = 1;
    d.kind = Kind.Bad;
    d.ripTarget = -1;
    d.imm = -1;
  } else {
    d.length = len;
  }
  return d;
}

/** The length, or 0 when invalid or truncated. Fills `d`'s operand fields. */
function instructionLength(code: Uint8Array, start: number, end: number, address: number, d: Decoded): number {
  let i = start;
  let opsize16 = false;
  let addr32 = false;
  let rexW = false;
  // Legacy prefixes and REX (a REX counts only right before the opcode).
  for (;;) {
    if (i >= end) return 0;
    const b = code[i]!;
    const prefix = PREFIX[b]!;
    if (prefix === 0) break;
    if (prefix === LEGACY) {
      if (b === 0x66) opsize16 = true;
      else if (b === 0x67) addr32 = true;
    } else {
      rexW = (b & 8) !== 0 && !(i + 1 < end && PREFIX[code[i + 1]!] === LEGACY);
    }
    i++;
  }
  const op = code[i++]!;
  let flags: number;
  let map = 0; // 0: one-byte, 1: 0F, 2: 0F38, 3: 0F3A, 8/9/10: XOP, 5/6/7: EVEX maps
  let vex = false;
  if (op === 0x0f) {
    if (i >= end) return 0;
    const op2 = code[i++]!;
    if (op2 === 0x38) {
      if (i >= end) return 0;
      i++;
      flags = M;
      map = 2;
    } else if (op2 === 0x3a) {
      if (i >= end) return 0;
      i++;
      flags = M | I8;
      map = 3;
    } else {
      flags = TWO[op2]!;
      map = 1;
    }
  } else if (op === 0xc4 || op === 0xc5 || op === 0x62 || (op === 0x8f && i < end && (code[i]! & 0x1f) >= 8)) {
    vex = true;
    if (op === 0xc5) {
      if (i + 2 > end) return 0;
      map = 1;
      i += 1;
    } else if (op === 0xc4 || op === 0x8f) {
      if (i + 3 > end) return 0;
      map = code[i]! & 0x1f;
      rexW = (code[i + 1]! & 0x80) !== 0;
      i += 2;
    } else {
      if (i + 4 > end) return 0;
      map = code[i]! & 0x07;
      if (map === 0 || map === 4) return 0;
      rexW = (code[i + 1]! & 0x80) !== 0;
      i += 3;
    }
    const opcode = code[i++]!;
    if (op === 0x8f && map > 10) return 0;
    if (op === 0x8f) flags = map === 8 ? M | I8 : map === 10 ? M | IZ : M;
    else if (map === 1) flags = opcode === 0x77 && op !== 0x62 ? 0 : M | VEX_MAP1_IMM[opcode]!;
    else if (map === 3) flags = M | I8;
    else if (map === 2 || map === 5 || map === 6) flags = M;
    else return 0;
    if (op === 0x8f && map === 10) opsize16 = false; // XOP map 0A immediates are always 32 bits
  } else {
    flags = ONE[op]!;
    if (op >= 0xb8 && op <= 0xbf) {
      // mov r, imm: imm64 with REX.W
      const n = rexW ? 8 : opsize16 ? 2 : 4;
      if (i + n > end) return 0;
      if (n === 4) d.imm = readU32(code, i);
      return i + n - start;
    }
    if (op >= 0xa0 && op <= 0xa3) {
      const n = addr32 ? 4 : 8; // moffs
      return i + n > end ? 0 : i + n - start;
    }
    if (op === 0xc8) return i + 3 > end ? 0 : i + 3 - start; // enter iw, ib
  }
  if (flags & BAD) return 0;

  let modrmAt = -1;
  if (flags & M) {
    if (i >= end) return 0;
    modrmAt = i;
    const modrm = code[i++]!;
    const mod = modrm >> 6;
    const rm = modrm & 7;
    if (mod !== 3) {
      if (rm === 4) {
        if (i >= end) return 0;
        const sib = code[i++]!;
        if (mod === 0 && (sib & 7) === 5) i += 4;
      } else if (mod === 0 && rm === 5) {
        i += 4; // RIP-relative disp32
      }
      if (mod === 1) i += 1;
      else if (mod === 2) i += 4;
    }
    if (!vex && map === 0) {
      const reg = (modrm >> 3) & 7;
      // F6/F7 /0 and /1 (test) take an immediate; the other group members do not.
      if (op === 0xf6 && reg < 2) flags |= I8;
      else if (op === 0xf7 && reg < 2) flags |= IZ;
      // Group members that do not exist: mov /1-/7 (but xabort/xbegin), inc/dec byte /2-/7, FF /7.
      else if ((op === 0xc6 || op === 0xc7) && reg !== 0 && modrm !== 0xf8) return 0;
      else if ((op === 0xfe && reg > 1) || (op === 0xff && reg === 7)) return 0;
    }
  }
  const immAt = i;
  if (flags & I8) i += 1;
  else if (flags & IZ) i += opsize16 ? 2 : 4;
  else if (flags & I16) i += 2;
  else if (flags & R8) i += 1;
  else if (flags & R32) i += 4;
  if (i > end) return 0;

  const next = address + (i - start);
  if (flags & R8) {
    d.kind = op === 0xe8 ? Kind.Call : Kind.Jump;
    d.target = next + ((code[immAt]! << 24) >> 24);
  } else if (flags & R32) {
    d.kind = op === 0xe8 ? Kind.Call : Kind.Jump;
    d.target = next + readI32(code, immAt);
  } else if (map === 0 && !vex && op === 0xc7 && code[modrmAt] === 0xf8) {
    // xbegin rel32: the abort handler is a branch target
    d.kind = Kind.Jump;
    d.target = next + readI32(code, immAt);
  } else if (flags & IZ && !opsize16 && map === 0 && (op === 0x68 || op === 0xc7)) {
    d.imm = readU32(code, immAt);
  }
  if (modrmAt >= 0) {
    const modrm = code[modrmAt]!;
    if ((modrm & 0xc7) === 0x05) {
      d.ripTarget = next + readI32(code, modrmAt + 1);
      d.ripOpcode = map === 0 && !vex ? op : -1;
      if (addr32) d.ripTarget >>>= 0; // eip-relative: the address wraps at 4 GiB
    }
  }
  return i - start;
}

function readI32(code: Uint8Array, at: number): number {
  return code[at]! | (code[at + 1]! << 8) | (code[at + 2]! << 16) | (code[at + 3]! << 24);
}

function readU32(code: Uint8Array, at: number): number {
  return readI32(code, at) >>> 0;
}

/**
 * Linear sweep over one code section like `objdump -d`: instruction after instruction from
 * the start, starting afresh at each of `starts` (ascending: symbols, FDEs) that falls inside
 * an instruction, so data inside code cannot hide the function after it. `visit` gets each
 * instruction's address and the shared Decoded.
 */
export function sweep(code: Uint8Array, address: number, starts: ArrayLike<number>, visit: (address: number, d: Decoded) => void): void {
  let next = firstAtOrAfter(starts, address);
  for (let at = 0; at < code.length; ) {
    const here = address + at;
    while (next < starts.length && starts[next]! <= here) next++;
    const d = decode(code, at, code.length, here);
    const limit = next < starts.length ? starts[next]! - here : Infinity;
    if (d.length > limit) {
      // Cut off by a function start: what precedes it is data, not this instruction.
      at += limit;
      continue;
    }
    visit(here, d);
    at += d.length;
  }
}

function firstAtOrAfter(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
