/** Kernel ABI numbers for ptrace, wait and seccomp (linux/ptrace.h, sys/wait.h, linux/seccomp.h). */
import { constants as osConstants } from 'node:os';

export const PTRACE_CONT = 7;
export const PTRACE_KILL = 8;
export const PTRACE_DETACH = 17;
export const PTRACE_SYSCALL = 24;
export const PTRACE_GETEVENTMSG = 0x4201;
export const PTRACE_GETSIGINFO = 0x4202;
export const PTRACE_SEIZE = 0x4206;
export const PTRACE_INTERRUPT = 0x4207;
export const PTRACE_LISTEN = 0x4208;
export const PTRACE_GET_SYSCALL_INFO = 0x420e;

export const PTRACE_O_TRACESYSGOOD = 0x01;
export const PTRACE_O_TRACEFORK = 0x02;
export const PTRACE_O_TRACEVFORK = 0x04;
export const PTRACE_O_TRACECLONE = 0x08;
export const PTRACE_O_TRACEEXEC = 0x10;
export const PTRACE_O_TRACESECCOMP = 0x80;
export const PTRACE_O_EXITKILL = 0x100000;

export const PTRACE_EVENT_FORK = 1;
export const PTRACE_EVENT_VFORK = 2;
export const PTRACE_EVENT_CLONE = 3;

/** clone flag: no tracer follows the child (sbx clears it, see tracer.ts followUntracedClone). */
export const CLONE_UNTRACED = 0x00800000;
export const PTRACE_EVENT_EXEC = 4;
export const PTRACE_EVENT_SECCOMP = 7;
export const PTRACE_EVENT_STOP = 128;

export const PTRACE_SYSCALL_INFO_ENTRY = 1;
export const PTRACE_SYSCALL_INFO_EXIT = 2;
export const PTRACE_SYSCALL_INFO_SECCOMP = 3;

/** struct ptrace_syscall_info layout (88 bytes). */
export const SYSCALL_INFO_SIZE = 88;
export const SI_OP = 0;
export const SI_ARCH = 4;
export const SI_NR = 24;
export const SI_ARGS = 32;
export const SI_RVAL = 24;
export const SI_IS_ERROR = 32;
/** Seccomp stop: the SECCOMP_RET_DATA of the filter's TRACE (u32). */
export const SI_RET_DATA = 80;

export const WALL = 0x40000000;
export const WNOHANG = 1;

export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_SET_SECCOMP = 22;
export const SECCOMP_MODE_STRICT = 1;
export const SECCOMP_MODE_FILTER = 2;
export const SECCOMP_SET_MODE_STRICT = 0;
export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_FILTER_FLAG_TSYNC = 1;

export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;

export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const O_NONBLOCK = 0o4000;
export const SIG_SETMASK = 2;

/** si_code of a SIGSYS raised by a seccomp RET_TRAP. */
export const SYS_SECCOMP = 1;

/** errno values by name (EINTR, ECHILD, ...), from the platform Node runs on. */
export const ERRNO = osConstants.errno;
export const SIG = osConstants.signals;

const signalNames = new Map<number, string>();
for (const [name, nr] of Object.entries(osConstants.signals)) if (!signalNames.has(nr)) signalNames.set(nr, name);
const errnoNames = new Map<number, string>();
for (const [name, nr] of Object.entries(osConstants.errno)) if (!errnoNames.has(nr)) errnoNames.set(nr, name);

/** "SIGINT" for 2; "SIG<n>" for real-time or unknown numbers. */
export function signalName(nr: number): string {
  return signalNames.get(nr) ?? `SIG${nr}`;
}

/** "ENOENT" for 2; "E<n>" for numbers the platform does not name. */
export function errnoName(nr: number): string {
  return errnoNames.get(nr) ?? `E${nr}`;
}

/** Inverse of errnoName, accepting "ENOENT" or a plain number. */
export function errnoNumber(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  return (osConstants.errno as Record<string, number>)[name];
}
