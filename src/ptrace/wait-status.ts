/**
 * The status word waitpid(2) fills in, decoded the way <sys/wait.h>'s macros do, plus the
 * ptrace event in its high bits (ptrace(2): `status >> 16` is PTRACE_EVENT_*).
 */

/** WIFSTOPPED: a ptrace stop (or a group-stop), not an exit. */
export function isStopped(status: number): boolean {
  return (status & 0xff) === 0x7f;
}

/** WSTOPSIG: the signal of a stop (SIGTRAP | 0x80 for a syscall stop with TRACESYSGOOD). */
export function stopSignal(status: number): number {
  return (status >> 8) & 0xff;
}

/** The PTRACE_EVENT_* of a stop, 0 for a plain signal-delivery or syscall stop. */
export function ptraceEvent(status: number): number {
  return status >>> 16;
}

/** WTERMSIG: the signal that killed the process, 0 when it exited. */
export function termSignal(status: number): number {
  return status & 0x7f;
}

/** WCOREDUMP. */
export function dumpedCore(status: number): boolean {
  return (status & 0x80) !== 0;
}

/** WEXITSTATUS. */
export function exitCode(status: number): number {
  return (status >> 8) & 0xff;
}
