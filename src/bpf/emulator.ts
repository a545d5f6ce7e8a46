/**
 * Runs a checked `Program` exactly as the kernel runs a seccomp filter, and names what its
 * return value makes the kernel do.
 *
 * Semantics follow net/core/filter.c `bpf_convert_filter` (classic BPF is translated to eBPF
 * and then JITed or interpreted): A and X start at 0; ALU is 32-bit unsigned; `DIV X` with
 * X = 0 ends the program returning 0; a register shift count is taken modulo 32 (the
 * interpreter's `SHT` macro and the x86/arm64 32-bit shift instructions agree); M[] words
 * are never read before written (the checker guarantees it); `LD|W|LEN` loads
 * sizeof(struct seccomp_data) as seccomp_check_filter rewrites it.
 */
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
  BPF_MEMWORDS,
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
  SECCOMP_ARG_COUNT,
  SECCOMP_DATA_SIZE,
  SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
  type Program,
  type SeccompRet,
} from './program.js';

/**
 * What a filter sees (struct seccomp_data). `nr` and `arch` are taken as 32-bit values
 * (`-1` and `0xffffffff` are the same nr); `instructionPointer` and `args` are u64 taken
 * modulo 2^64 (so `-1n` is all ones). Missing args are 0; more than six is an error.
 */
export interface SeccompData {
  readonly nr: number;
  readonly arch: number;
  readonly instructionPointer: bigint;
  readonly args: readonly bigint[];
}

/** A filter run: its return value and how many instructions ran (the RET included). */
export interface EmulateResult {
  readonly ret: SeccompRet;
  readonly executed: number;
}

const U32 = 0xffffffffn;

/** seccomp_data as the 16 little-endian u32 words a `LD|W|ABS` reads. */
function dataWords(data: SeccompData): Uint32Array {
  if (data.args.length > SECCOMP_ARG_COUNT) {
    throw new RangeError(`seccomp_data has ${SECCOMP_ARG_COUNT} args, got ${data.args.length}`);
  }
  const words = new Uint32Array(SECCOMP_DATA_SIZE / 4);
  words[0] = data.nr >>> 0;
  words[1] = data.arch >>> 0;
  const put = (i: number, v: bigint): void => {
    const u = BigInt.asUintN(64, v);
    words[i] = Number(u & U32);
    words[i + 1] = Number(u >> 32n);
  };
  put(2, data.instructionPointer);
  data.args.forEach((a, i) => put(4 + 2 * i, a));
  return words;
}

/**
 * Runs `program` on `data` with the kernel's semantics. Every checked program ends in a
 * RET on every path (jumps are forward and in range), so this always terminates within
 * `program.length` steps.
 */
export function emulate(program: Program, data: SeccompData): EmulateResult {
  const insns = program.instructions;
  const words = dataWords(data);
  const mem = new Uint32Array(BPF_MEMWORDS);
  let a = 0;
  let x = 0;
  let executed = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, jt, jf, k } = insns[pc]!;
    executed++;
    switch (code) {
      case BPF_LD | BPF_W | BPF_ABS:
        a = words[k >>> 2]!;
        break;
      case BPF_LD | BPF_W | BPF_LEN:
        a = SECCOMP_DATA_SIZE;
        break;
      case BPF_LDX | BPF_W | BPF_LEN:
        x = SECCOMP_DATA_SIZE;
        break;
      case BPF_LD | BPF_IMM:
        a = k;
        break;
      case BPF_LDX | BPF_IMM:
        x = k;
        break;
      case BPF_LD | BPF_MEM:
        a = mem[k]!;
        break;
      case BPF_LDX | BPF_MEM:
        x = mem[k]!;
        break;
      case BPF_ST:
        mem[k] = a;
        break;
      case BPF_STX:
        mem[k] = x;
        break;
      case BPF_MISC | BPF_TAX:
        x = a;
        break;
      case BPF_MISC | BPF_TXA:
        a = x;
        break;
      case BPF_ALU | BPF_NEG:
        a = -a >>> 0;
        break;
      case BPF_RET | BPF_K:
        return { ret: k as SeccompRet, executed };
      case BPF_RET | BPF_A:
        return { ret: a as SeccompRet, executed };
      case BPF_JMP | BPF_JA:
        pc += k;
        break;
      default: {
        const src = code & BPF_X ? x : k;
        if ((code & 0x07) === BPF_ALU) {
          if ((code & 0xf0) === BPF_DIV && src === 0) {
            // bpf_convert_filter: "Error with exception code on div/mod by 0. For cBPF
            // programs, this was always return 0." (DIV K by 0 is refused by the checker.)
            return { ret: 0 as SeccompRet, executed };
          }
          a = alu(code & 0xf0, a, src);
        } else if ((code & 0x07) === BPF_JMP) {
          pc += jumpTaken(code & 0xf0, a, src) ? jt : jf;
        } else {
          throw new Error(`emulate: opcode 0x${code.toString(16)} at ${pc} got past the checker`);
        }
      }
    }
  }
  throw new Error('emulate: ran off the end of a checked program');
}

function alu(op: number, a: number, v: number): number {
  switch (op) {
    case BPF_ADD:
      return (a + v) >>> 0;
    case BPF_SUB:
      return (a - v) >>> 0;
    case BPF_MUL:
      return Math.imul(a, v) >>> 0;
    case BPF_DIV:
      return Math.floor(a / v) >>> 0;
    case BPF_AND:
      return (a & v) >>> 0;
    case BPF_OR:
      return (a | v) >>> 0;
    case BPF_XOR:
      return (a ^ v) >>> 0;
    case BPF_LSH:
      return (a << (v & 31)) >>> 0;
    case BPF_RSH:
      return a >>> (v & 31);
    default:
      throw new Error(`emulate: ALU op 0x${op.toString(16)} got past the checker`);
  }
}

function jumpTaken(op: number, a: number, v: number): boolean {
  switch (op) {
    case BPF_JEQ:
      return a === v;
    case BPF_JGT:
      return a > v;
    case BPF_JGE:
      return a >= v;
    case BPF_JSET:
      return (a & v) !== 0;
    default:
      throw new Error(`emulate: jump op 0x${op.toString(16)} got past the checker`);
  }
}

// ---- actions ----

/** What the kernel does for a return value, by name. */
export type ActionKind = 'kill_process' | 'kill_thread' | 'trap' | 'errno' | 'user_notif' | 'trace' | 'log' | 'allow';

/** A decoded return value: the action, and the 16 data bits (errno, SIGSYS si_errno, trace message). */
export interface Action {
  readonly kind: ActionKind;
  readonly data: number;
}

/** The action part of each kind (what `ret & SECCOMP_RET_ACTION_FULL` equals). */
export const ACTION_RET: Readonly<Record<ActionKind, SeccompRet>> = {
  kill_process: SECCOMP_RET_KILL_PROCESS,
  kill_thread: SECCOMP_RET_KILL_THREAD,
  trap: SECCOMP_RET_TRAP,
  errno: SECCOMP_RET_ERRNO,
  user_notif: SECCOMP_RET_USER_NOTIF,
  trace: SECCOMP_RET_TRACE,
  log: SECCOMP_RET_LOG,
  allow: SECCOMP_RET_ALLOW,
};

const KIND_BY_ACTION = new Map<number, ActionKind>(
  (Object.entries(ACTION_RET) as [ActionKind, number][]).map(([kind, ret]) => [ret >>> 0, kind]),
);

/**
 * Names what the kernel does with return value `ret` (kernel/seccomp.c __seccomp_filter):
 * the action is `ret & SECCOMP_RET_ACTION_FULL`, the data `ret & SECCOMP_RET_DATA`.
 * An action value the kernel does not know is handled as KILL_PROCESS (the `default:` of
 * the switch), so it decodes as `kill_process` (data kept). For `errno` the kernel caps the
 * errno it sets at MAX_ERRNO (4095); `data` here is the raw 16 bits.
 *
 * Precedence when several filters are stacked (lowest wins, compared as signed 32-bit
 * action values, see `combineActions`):
 * KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW.
 */
export function actionOf(ret: number): Action {
  const u = ret >>> 0;
  const kind = KIND_BY_ACTION.get((u & SECCOMP_RET_ACTION_FULL) >>> 0) ?? 'kill_process';
  return { kind, data: u & SECCOMP_RET_DATA };
}

/** The return value for an action and its data (data must fit 16 bits). */
export function actionRet(kind: ActionKind, data = 0): SeccompRet {
  if (!Number.isInteger(data) || data < 0 || data > SECCOMP_RET_DATA) {
    throw new RangeError(`seccomp action data ${data} does not fit 16 bits`);
  }
  return ((ACTION_RET[kind] | data) >>> 0) as SeccompRet;
}

/** kernel/seccomp.c ACTION_ONLY: the action bits read as a signed 32-bit number. */
function actionOnly(ret: number): number {
  return (ret & SECCOMP_RET_ACTION_FULL) | 0;
}

/**
 * The return value the kernel acts on when several filters are stacked
 * (kernel/seccomp.c seccomp_run_filters). `rets` are the filters' results in the order the
 * filters were installed, oldest first. The kernel starts from SECCOMP_RET_ALLOW, runs the
 * newest filter first, and takes a result only when its action is strictly lower as a
 * signed number, so: KILL_PROCESS (0x80000000, negative) beats everything; among equal
 * actions the newest filter's data wins; an empty list, or ALLOW with data, gives plain
 * SECCOMP_RET_ALLOW.
 */
export function combineActions(rets: readonly number[]): SeccompRet {
  let ret: number = SECCOMP_RET_ALLOW;
  for (let i = rets.length - 1; i >= 0; i--) {
    const cur = rets[i]! >>> 0;
    if (actionOnly(cur) < actionOnly(ret)) ret = cur;
  }
  return ret as SeccompRet;
}
