/**
 * Signal numbers (asm/signal.h; x86 and arm64 share asm-generic numbering) and the sigprocmask
 * `how` values. Real-time signals render in kernel numbering: 32 is SIGRTMIN, 33 is SIGRTMIN+1
 * (glibc reserves the first two, so its SIGRTMIN is the kernel's SIGRTMIN+2).
 */
import type { Pairs } from './types.js';

/** SIGRTMIN as the kernel defines it (glibc's SIGRTMIN is 34). */
export const KERNEL_SIGRTMIN = 32;
/** SIGRTMAX (_NSIG - 1) on every arch sbx supports. */
export const KERNEL_SIGRTMAX = 64;

/** The named (non-real-time) signals, 1..31. */
export const SIGNALS: Pairs = [
  ['SIGHUP', 1],
  ['SIGINT', 2],
  ['SIGQUIT', 3],
  ['SIGILL', 4],
  ['SIGTRAP', 5],
  ['SIGABRT', 6],
  ['SIGBUS', 7],
  ['SIGFPE', 8],
  ['SIGKILL', 9],
  ['SIGUSR1', 10],
  ['SIGSEGV', 11],
  ['SIGUSR2', 12],
  ['SIGPIPE', 13],
  ['SIGALRM', 14],
  ['SIGTERM', 15],
  ['SIGSTKFLT', 16],
  ['SIGCHLD', 17],
  ['SIGCONT', 18],
  ['SIGSTOP', 19],
  ['SIGTSTP', 20],
  ['SIGTTIN', 21],
  ['SIGTTOU', 22],
  ['SIGURG', 23],
  ['SIGXCPU', 24],
  ['SIGXFSZ', 25],
  ['SIGVTALRM', 26],
  ['SIGPROF', 27],
  ['SIGWINCH', 28],
  ['SIGIO', 29],
  ['SIGPWR', 30],
  ['SIGSYS', 31],
];

/** Named signals plus SIGRTMIN .. SIGRTMIN+32 (= SIGRTMAX). */
export const ALL_SIGNALS: Pairs = [
  ...SIGNALS,
  ...Array.from(
    { length: KERNEL_SIGRTMAX - KERNEL_SIGRTMIN + 1 },
    (_, i) => [i === 0 ? 'SIGRTMIN' : `SIGRTMIN+${i}`, KERNEL_SIGRTMIN + i] as const,
  ),
];

/** rt_sigprocmask / sigprocmask `how`. */
export const SIGPROCMASK_HOW: Pairs = [
  ['SIG_BLOCK', 0],
  ['SIG_UNBLOCK', 1],
  ['SIG_SETMASK', 2],
];
