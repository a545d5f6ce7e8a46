/**
 * Text and byte forms of a `Program`: a listing in the style of libseccomp's
 * tools/scmp_bpf_disasm.c (same columns, with seccomp_data fields and actions named), the
 * raw `struct sock_filter[]` bytes the kernel takes, and a C initializer.
 */
import { ARCHES, X32_SYSCALL_BIT } from '../linux/arch.js';
import { syscallName } from '../linux/syscalls.js';
import { ACTION_RET, actionOf } from './emulator.js';
import {
  BPF_A,
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_IMM,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MISC,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TXA,
  BPF_X,
  BpfError,
  DATA_ARCH,
  DATA_NR,
  SECCOMP_RET_ACTION_FULL,
  bpfClass,
  bpfMode,
  bpfOp,
  bpfSrc,
  compileProgram,
  dataOffsetName,
  isDataOffset,
  type Insn,
  type Program,
} from './program.js';

/** Bytes of one struct sock_filter: u16 code, u8 jt, u8 jf, u32 k, little-endian. */
export const SOCK_FILTER_SIZE = 8;

const pad4 = (n: number): string => String(n).padStart(4, '0');
const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
const hex8 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

const ALU_NAMES: Readonly<Record<number, string>> = {
  0x00: 'add',
  0x10: 'sub',
  0x20: 'mul',
  0x30: 'div',
  0x40: 'or',
  0x50: 'and',
  0x60: 'lsh',
  0x70: 'rsh',
  0x80: 'neg',
  0x90: 'mod',
  0xa0: 'xor',
};

const JMP_NAMES: Readonly<Record<number, string>> = {
  [BPF_JA]: 'jmp',
  [BPF_JEQ]: 'jeq',
  [BPF_JGT]: 'jgt',
  [BPF_JGE]: 'jge',
  [BPF_JSET]: 'jset',
};

/** The mnemonic column (scmp_bpf_disasm bpf_decode_op; a checked program has only W loads). */
function mnemonic(code: number): string {
  switch (bpfClass(code)) {
    case BPF_LD:
      return 'ld';
    case BPF_LDX:
      return 'ldx';
    case BPF_ST:
      return 'st';
    case BPF_STX:
      return 'stx';
    case BPF_ALU:
      return ALU_NAMES[bpfOp(code)] ?? '???';
    case BPF_JMP:
      return JMP_NAMES[bpfOp(code)] ?? '???';
    case BPF_RET:
      return 'ret';
    case BPF_MISC:
      return (code & 0xf8) === BPF_TXA ? 'txa' : 'tax';
    default:
      return '???';
  }
}

/**
 * A return value as scmp_bpf_disasm names it: `ALLOW`, `ERRNO(1)`, `TRACE(7)`, `KILL_PROCESS`,
 * `KILL_THREAD`, `TRAP`, `LOG`, `USER_NOTIF`; data is shown when non-zero (always for ERRNO
 * and TRACE); an action the kernel does not define is shown in hex.
 */
export function describeRet(ret: number): string {
  const { kind, data } = actionOf(ret);
  if (ACTION_RET[kind] !== (ret & SECCOMP_RET_ACTION_FULL) >>> 0) return hex8(ret >>> 0);
  const name = kind.toUpperCase();
  return kind === 'errno' || kind === 'trace' || data !== 0 ? `${name}(${data})` : name;
}

function loadOperand(insn: Insn): string {
  switch (bpfMode(insn.code)) {
    case BPF_ABS:
      return `$data[${isDataOffset(insn.k) ? dataOffsetName(insn.k) : insn.k}]`;
    case BPF_MEM:
      return `$temp[${insn.k}]`;
    case BPF_IMM:
      return String(insn.k);
    case BPF_LEN:
      return 'len($data)';
    default:
      return '???';
  }
}

/** The operand column for instruction `insn` at line `pc`. */
function operand(insn: Insn, pc: number): string {
  const { code, k } = insn;
  switch (bpfClass(code)) {
    case BPF_LD:
    case BPF_LDX:
      return loadOperand(insn);
    case BPF_ST:
    case BPF_STX:
      return `$temp[${k}]`;
    case BPF_ALU:
      if (bpfOp(code) === BPF_NEG) return '';
      if (bpfSrc(code) === BPF_X) return 'X';
      return bpfOp(code) === BPF_OR || bpfOp(code) === BPF_AND ? hex8(k) : String(k);
    case BPF_JMP: {
      if (bpfOp(code) === BPF_JA) return pad4(pc + 1 + k);
      const value = bpfSrc(code) === BPF_X ? 'X' : String(k);
      return `${value.padEnd(4)} true:${pad4(pc + 1 + insn.jt)} false:${pad4(pc + 1 + insn.jf)}`;
    }
    case BPF_RET:
      return (code & 0x18) === BPF_A ? '$acc' : describeRet(k);
    default:
      return '';
  }
}

/** What the accumulator holds on entry to an instruction, as far as the listing can tell. */
interface Known {
  /** A holds seccomp_data.arch, .nr, or something else. */
  readonly a: 'arch' | 'nr' | 'other';
  /** The arch every path to here has checked (its audit value), if they agree. */
  readonly arch: number | undefined;
}

/** The name of each audit arch value (linux/audit.h); x32 shares x86_64's. */
const AUDIT_ARCH_NAMES: ReadonlyMap<number, string> = new Map(
  ARCHES.filter((a) => a.nrBit === undefined).map((a) => [
    a.auditArch >>> 0,
    `AUDIT_ARCH_${a.name === 'i386' ? 'I386' : a.name.toUpperCase()}`,
  ]),
);

function mergeKnown(states: readonly Known[]): Known {
  if (states.length === 0) return { a: 'other', arch: undefined };
  const [first, ...rest] = states;
  return {
    a: rest.every((s) => s.a === first!.a) ? first!.a : 'other',
    arch: rest.every((s) => s.arch === first!.arch) ? first!.arch : undefined,
  };
}

/** The syscall a number names on an audit arch (x32 numbers carry X32_SYSCALL_BIT on x86_64's). */
function syscallComment(audit: number, nr: number): string | undefined {
  const archs = ARCHES.filter((a) => a.auditArch >>> 0 === audit);
  if (nr === X32_SYSCALL_BIT && archs.some((a) => a.nrBit === X32_SYSCALL_BIT)) return 'X32_SYSCALL_BIT';
  const arch = archs.find((a) => (a.nrBit ? nr >= a.nrBit : nr < X32_SYSCALL_BIT)) ?? archs[0];
  return arch ? syscallName(arch.name, nr) : undefined;
}

/**
 * Comments for jumps that compare the arch or the syscall number with a constant
 * (`# AUDIT_ARCH_X86_64`, `# openat`), by following what A holds along every path: a
 * number is named on the arch every path to it checked. Jumps are forward, so one pass does.
 */
function annotations(program: Program): (string | undefined)[] {
  const insns = program.instructions;
  const incoming: Known[][] = insns.map(() => []);
  incoming[0]!.push({ a: 'other', arch: undefined });
  const out: (string | undefined)[] = [];
  insns.forEach((insn, pc) => {
    const known = mergeKnown(incoming[pc]!);
    const to = (target: number, state: Known) => incoming[target]?.push(state);
    const { code, k } = insn;
    switch (bpfClass(code)) {
      case BPF_LD: {
        const a = bpfMode(code) === BPF_ABS && k === DATA_ARCH ? 'arch' : bpfMode(code) === BPF_ABS && k === DATA_NR ? 'nr' : 'other';
        to(pc + 1, { ...known, a });
        break;
      }
      case BPF_JMP: {
        if (bpfOp(code) === BPF_JA) {
          to(pc + 1 + k, known);
          break;
        }
        const constant = bpfSrc(code) !== BPF_X;
        if (constant && known.a === 'arch') out[pc] = AUDIT_ARCH_NAMES.get(k >>> 0);
        if (constant && known.a === 'nr' && known.arch !== undefined) out[pc] = syscallComment(known.arch, k);
        const checked = constant && known.a === 'arch' && bpfOp(code) === BPF_JEQ ? { ...known, arch: k >>> 0 } : known;
        to(pc + 1 + insn.jt, checked);
        to(pc + 1 + insn.jf, known);
        break;
      }
      case BPF_RET:
        break;
      case BPF_ALU:
        to(pc + 1, { ...known, a: 'other' });
        break;
      case BPF_MISC:
        to(pc + 1, (code & 0xf8) === BPF_TXA ? { ...known, a: 'other' } : known);
        break;
      default: // ST, STX, LDX leave A alone
        to(pc + 1, known);
    }
  });
  return out;
}

/**
 * A listing like libseccomp's `scmp_bpf_disasm`:
 *
 * ```
 *  line  OP   JT   JF   K
 * =================================
 *  0000: 0x20 0x00 0x00 0x00000004   ld  $data[arch]
 *  0001: 0x15 0x00 0x02 0xc000003e   jeq 3221225534 true:0002 false:0004  # AUDIT_ARCH_X86_64
 * ```
 *
 * Loads name their seccomp_data field (`$data[nr]`, `$data[args[1].hi]`), scratch memory is
 * `$temp[i]`, RET A is `$acc`, X operands print as `X`. Comparisons of the arch or the syscall
 * number end in a comment naming the constant. Ends with a newline.
 */
export function disassemble(program: Program): string {
  const lines = [' line  OP   JT   JF   K', '================================='];
  const comments = annotations(program);
  program.instructions.forEach((insn, pc) => {
    const raw = ` ${pad4(pc)}: ${hex2(insn.code)} ${hex2(insn.jt)} ${hex2(insn.jf)} ${hex8(insn.k)}`;
    const comment = comments[pc] !== undefined ? `  # ${comments[pc]}` : '';
    lines.push(`${`${raw}   ${mnemonic(insn.code).padEnd(3)} ${operand(insn, pc)}`.trimEnd()}${comment}`);
  });
  return `${lines.join('\n')}\n`;
}

/** Decodes raw sock_filter bytes (8 per instruction, little-endian) and checks them. */
export function parseRaw(bytes: Uint8Array): Program {
  if (bytes.length % SOCK_FILTER_SIZE !== 0) {
    throw new BpfError(
      'raw-size',
      Math.floor(bytes.length / SOCK_FILTER_SIZE),
      `${bytes.length} bytes is not a whole number of ${SOCK_FILTER_SIZE}-byte instructions`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const insns: Insn[] = [];
  for (let off = 0; off < bytes.length; off += SOCK_FILTER_SIZE) {
    insns.push({
      code: view.getUint16(off, true),
      jt: view.getUint8(off + 2),
      jf: view.getUint8(off + 3),
      k: view.getUint32(off + 4, true),
    });
  }
  return compileProgram(insns);
}

/** The program as the kernel reads it: struct sock_filter[] in little-endian byte order. */
export function formatRaw(program: Program): Uint8Array {
  const bytes = new Uint8Array(program.length * SOCK_FILTER_SIZE);
  const view = new DataView(bytes.buffer);
  program.instructions.forEach((insn, pc) => {
    const off = pc * SOCK_FILTER_SIZE;
    view.setUint16(off, insn.code, true);
    view.setUint8(off + 2, insn.jt);
    view.setUint8(off + 3, insn.jf);
    view.setUint32(off + 4, insn.k, true);
  });
  return bytes;
}

/**
 * The body of a C `struct sock_filter filter[] = { ... };` initializer, one line per
 * instruction: `{ 0x20, 0, 0, 0x00000004 },`. Ends with a newline.
 */
export function formatCArray(program: Program): string {
  return program.instructions.map((i) => `{ ${hex2(i.code)}, ${i.jt}, ${i.jf}, ${hex8(i.k)} },\n`).join('');
}
