/**
 * A view of `struct ptrace_syscall_info` (linux/ptrace.h, 88 bytes), which
 * PTRACE_GET_SYSCALL_INFO writes into one reused buffer: the only place that knows its layout.
 * Arguments are read as 32-bit halves so the hot path makes no BigInt unless it needs one.
 */
import * as K from '../linux/constants.js';
import type { CallArgs } from '../profile/recorder.js';
import type { NativeBuffer } from '../linux/libc.js';

const ARGS = K.SI_ARGS / 4;

export class SyscallInfo implements CallArgs {
  private readonly u32: Uint32Array;

  constructor(private readonly buffer: NativeBuffer) {
    this.u32 = buffer.u32;
  }

  /** PTRACE_SYSCALL_INFO_ENTRY, _EXIT or _SECCOMP. */
  get op(): number {
    return this.buffer.bytes[K.SI_OP]!;
  }

  /** The AUDIT_ARCH of the call (seccomp_data.arch). */
  get arch(): number {
    return this.u32[K.SI_ARCH / 4]!;
  }

  /** Entry and seccomp stops: the syscall number (its low 32 bits: the kernel's numbers fit). */
  get nr(): number {
    return this.u32[K.SI_NR / 4]!;
  }

  get instructionPointer(): bigint {
    return (BigInt(this.u32[3]!) << 32n) | BigInt(this.u32[2]!);
  }

  /** Seccomp stops: the SECCOMP_RET_DATA of the filter's TRACE. */
  get retData(): number {
    return this.u32[K.SI_RET_DATA / 4]!;
  }

  /** Exit stops: the return value, and whether it is an error (-errno). */
  get rval(): number {
    return Number(this.buffer.i64[K.SI_RVAL / 8]!);
  }

  get isError(): boolean {
    return this.buffer.bytes[K.SI_IS_ERROR]! !== 0;
  }

  low(index: number): number {
    return this.u32[ARGS + 2 * index]!;
  }

  high(index: number): number {
    return this.u32[ARGS + 2 * index + 1]!;
  }

  /** Argument `index` as the 64-bit register value. */
  arg(index: number): bigint {
    return (BigInt(this.high(index)) << 32n) | BigInt(this.low(index));
  }

  /** All six arguments. */
  args(): bigint[] {
    return [0, 1, 2, 3, 4, 5].map((i) => this.arg(i));
  }
}
