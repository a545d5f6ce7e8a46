/**
 * Process and thread constants: ptrace requests (linux/ptrace.h + per-arch asm/ptrace*.h),
 * personality (linux/personality.h), wait options and idtypes (linux/wait.h), resource limits
 * (asm-generic/resource.h), priorities, scheduling policies (linux/sched.h), futex operations
 * (linux/futex.h) and membarrier commands (linux/membarrier.h).
 */
import { formatEnum, type FlagSpec } from './render.js';
import type { Pairs, PerArch } from './types.js';

const PTRACE_GENERIC: Pairs = [
  ['PTRACE_TRACEME', 0],
  ['PTRACE_PEEKTEXT', 1],
  ['PTRACE_PEEKDATA', 2],
  ['PTRACE_PEEKUSR', 3],
  ['PTRACE_POKETEXT', 4],
  ['PTRACE_POKEDATA', 5],
  ['PTRACE_POKEUSR', 6],
  ['PTRACE_CONT', 7],
  ['PTRACE_KILL', 8],
  ['PTRACE_SINGLESTEP', 9],
  ['PTRACE_ATTACH', 16],
  ['PTRACE_DETACH', 17],
  ['PTRACE_SYSCALL', 24],
  ['PTRACE_SETOPTIONS', 0x4200],
  ['PTRACE_GETEVENTMSG', 0x4201],
  ['PTRACE_GETSIGINFO', 0x4202],
  ['PTRACE_SETSIGINFO', 0x4203],
  ['PTRACE_GETREGSET', 0x4204],
  ['PTRACE_SETREGSET', 0x4205],
  ['PTRACE_SEIZE', 0x4206],
  ['PTRACE_INTERRUPT', 0x4207],
  ['PTRACE_LISTEN', 0x4208],
  ['PTRACE_PEEKSIGINFO', 0x4209],
  ['PTRACE_GETSIGMASK', 0x420a],
  ['PTRACE_SETSIGMASK', 0x420b],
  ['PTRACE_SECCOMP_GET_FILTER', 0x420c],
  ['PTRACE_SECCOMP_GET_METADATA', 0x420d],
  ['PTRACE_GET_SYSCALL_INFO', 0x420e],
  ['PTRACE_GET_RSEQ_CONFIGURATION', 0x420f],
  ['PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG', 0x4210],
  ['PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG', 0x4211],
];

const PTRACE_X86: Pairs = [
  ['PTRACE_GETREGS', 12],
  ['PTRACE_SETREGS', 13],
  ['PTRACE_GETFPREGS', 14],
  ['PTRACE_SETFPREGS', 15],
  ['PTRACE_GETFPXREGS', 18],
  ['PTRACE_SETFPXREGS', 19],
  ['PTRACE_OLDSETOPTIONS', 21],
  ['PTRACE_GET_THREAD_AREA', 25],
  ['PTRACE_SET_THREAD_AREA', 26],
  ['PTRACE_SYSEMU', 31],
  ['PTRACE_SYSEMU_SINGLESTEP', 32],
  ['PTRACE_SINGLEBLOCK', 33],
];

/** ptrace request, per arch (the low numbers 12..34 are arch-specific). */
export const PTRACE_REQUESTS: PerArch<Pairs> = {
  default: [...PTRACE_GENERIC, ...PTRACE_X86, ['PTRACE_ARCH_PRCTL', 30]],
  i386: [...PTRACE_GENERIC, ...PTRACE_X86],
  aarch64: [
    ...PTRACE_GENERIC,
    ['PTRACE_SYSEMU', 31],
    ['PTRACE_SYSEMU_SINGLESTEP', 32],
    ['PTRACE_PEEKMTETAGS', 33],
    ['PTRACE_POKEMTETAGS', 34],
  ],
};

// ---- personality ---------------------------------------------------------------------------

/** The execution domain in the low byte (PER_MASK); the PER_* names that carry flags list only their base. */
export const PER_DOMAINS: Pairs = [
  ['PER_LINUX', 0x00],
  ['PER_SVR4', 0x01],
  ['PER_SVR3', 0x02],
  ['PER_SCOSVR3', 0x03],
  ['PER_WYSEV386', 0x04],
  ['PER_ISCR4', 0x05],
  ['PER_BSD', 0x06],
  ['PER_XENIX', 0x07],
  ['PER_LINUX32', 0x08],
  ['PER_IRIX32', 0x09],
  ['PER_IRIXN32', 0x0a],
  ['PER_IRIX64', 0x0b],
  ['PER_RISCOS', 0x0c],
  ['PER_SOLARIS', 0x0d],
  ['PER_UW7', 0x0e],
  ['PER_OSF4', 0x0f],
  ['PER_HPUX', 0x10],
];

/** personality flags above the domain byte. */
export const PER_FLAG_BITS: Pairs = [
  ['UNAME26', 0x0020000],
  ['ADDR_NO_RANDOMIZE', 0x0040000],
  ['FDPIC_FUNCPTRS', 0x0080000],
  ['MMAP_PAGE_ZERO', 0x0100000],
  ['ADDR_COMPAT_LAYOUT', 0x0200000],
  ['READ_IMPLIES_EXEC', 0x0400000],
  ['ADDR_LIMIT_32BIT', 0x0800000],
  ['SHORT_INODE', 0x1000000],
  ['WHOLE_SECONDS', 0x2000000],
  ['STICKY_TIMEOUTS', 0x4000000],
  ['ADDR_LIMIT_3GB', 0x8000000],
];

/** personality(2) argument: PER_LINUX|ADDR_NO_RANDOMIZE; 0xffffffff only queries. */
export const PERSONALITY: FlagSpec = {
  bits: PER_FLAG_BITS,
  fields: [{ mask: 0xff, names: PER_DOMAINS }],
  special: [['0xffffffff (query)', 0xffffffff]],
};

// ---- wait ----------------------------------------------------------------------------------

const WAIT_COMMON: Pairs = [
  ['WNOHANG', 0x00000001],
  ['WCONTINUED', 0x00000008],
  ['__WNOTHREAD', 0x20000000],
  ['__WALL', 0x40000000],
  ['__WCLONE', 0x80000000],
];

/** wait4 / waitpid options. */
export const WAIT4_OPTIONS: FlagSpec = { bits: [...WAIT_COMMON, ['WUNTRACED', 0x00000002]] };

/** waitid options. */
export const WAITID_OPTIONS: FlagSpec = {
  bits: [...WAIT_COMMON, ['WSTOPPED', 0x00000002], ['WEXITED', 0x00000004], ['WNOWAIT', 0x01000000]],
};

/** waitid idtype. */
export const WAITID_TYPES: Pairs = [
  ['P_ALL', 0],
  ['P_PID', 1],
  ['P_PGID', 2],
  ['P_PIDFD', 3],
];

// ---- limits, priorities, scheduling ----------------------------------------------------------

/** getrlimit / setrlimit / prlimit64 resource (same on x86 and arm64). */
export const RLIMITS: Pairs = [
  ['RLIMIT_CPU', 0],
  ['RLIMIT_FSIZE', 1],
  ['RLIMIT_DATA', 2],
  ['RLIMIT_STACK', 3],
  ['RLIMIT_CORE', 4],
  ['RLIMIT_RSS', 5],
  ['RLIMIT_NPROC', 6],
  ['RLIMIT_NOFILE', 7],
  ['RLIMIT_MEMLOCK', 8],
  ['RLIMIT_AS', 9],
  ['RLIMIT_LOCKS', 10],
  ['RLIMIT_SIGPENDING', 11],
  ['RLIMIT_MSGQUEUE', 12],
  ['RLIMIT_NICE', 13],
  ['RLIMIT_RTPRIO', 14],
  ['RLIMIT_RTTIME', 15],
];

/** getpriority / setpriority which. */
export const PRIO_WHICH: Pairs = [
  ['PRIO_PROCESS', 0],
  ['PRIO_PGRP', 1],
  ['PRIO_USER', 2],
];

/** Scheduling policies (sched_setscheduler, sched_setattr). */
export const SCHED_POLICIES: Pairs = [
  ['SCHED_NORMAL', 0],
  ['SCHED_FIFO', 1],
  ['SCHED_RR', 2],
  ['SCHED_BATCH', 3],
  ['SCHED_IDLE', 5],
  ['SCHED_DEADLINE', 6],
  ['SCHED_EXT', 7],
];

/** ORed into a sched_setscheduler policy: children revert to SCHED_NORMAL. */
export const SCHED_RESET_ON_FORK = 0x40000000;

/** sched_setscheduler policy: SCHED_FIFO|SCHED_RESET_ON_FORK. */
export const SCHED_POLICY: FlagSpec = {
  bits: [['SCHED_RESET_ON_FORK', SCHED_RESET_ON_FORK]],
  fields: [{ mask: 0xffffffff & ~SCHED_RESET_ON_FORK, names: SCHED_POLICIES }],
};

// ---- futex ---------------------------------------------------------------------------------

/** futex command (op & FUTEX_CMD_MASK). */
export const FUTEX_CMDS: Pairs = [
  ['FUTEX_WAIT', 0],
  ['FUTEX_WAKE', 1],
  ['FUTEX_FD', 2],
  ['FUTEX_REQUEUE', 3],
  ['FUTEX_CMP_REQUEUE', 4],
  ['FUTEX_WAKE_OP', 5],
  ['FUTEX_LOCK_PI', 6],
  ['FUTEX_UNLOCK_PI', 7],
  ['FUTEX_TRYLOCK_PI', 8],
  ['FUTEX_WAIT_BITSET', 9],
  ['FUTEX_WAKE_BITSET', 10],
  ['FUTEX_WAIT_REQUEUE_PI', 11],
  ['FUTEX_CMP_REQUEUE_PI', 12],
  ['FUTEX_LOCK_PI2', 13],
];

/** futex op flag: the futex is process-private (no shared-memory lookup). */
export const FUTEX_PRIVATE_FLAG = 128;
/** futex op flag: timeouts are measured against CLOCK_REALTIME. */
export const FUTEX_CLOCK_REALTIME = 256;

/**
 * futex op as glibc and strace spell it: the command with a _PRIVATE suffix when
 * FUTEX_PRIVATE_FLAG is set, then |FUTEX_CLOCK_REALTIME (FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME).
 */
export function formatFutexOp(v: bigint): string {
  const priv = (v & BigInt(FUTEX_PRIVATE_FLAG)) !== 0n;
  const rt = (v & BigInt(FUTEX_CLOCK_REALTIME)) !== 0n;
  const cmd = v & ~BigInt(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const name = formatEnum(FUTEX_CMDS, cmd, 'hex');
  const known = name.startsWith('FUTEX_');
  const parts = [known && priv ? `${name}_PRIVATE` : name];
  if (!known && priv) parts.push('FUTEX_PRIVATE_FLAG');
  if (rt) parts.push('FUTEX_CLOCK_REALTIME');
  return parts.join('|');
}

/** membarrier cmd. */
export const MEMBARRIER_CMDS: Pairs = [
  ['MEMBARRIER_CMD_QUERY', 0],
  ['MEMBARRIER_CMD_GLOBAL', 1 << 0],
  ['MEMBARRIER_CMD_GLOBAL_EXPEDITED', 1 << 1],
  ['MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED', 1 << 2],
  ['MEMBARRIER_CMD_PRIVATE_EXPEDITED', 1 << 3],
  ['MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED', 1 << 4],
  ['MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE', 1 << 5],
  ['MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE', 1 << 6],
  ['MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ', 1 << 7],
  ['MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ', 1 << 8],
  ['MEMBARRIER_CMD_GET_REGISTRATIONS', 1 << 9],
];
