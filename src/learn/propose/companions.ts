/**
 * Companions, as data: calls a program that makes X usually also makes, often because another
 * libc or kernel version picks a different variant for the same job. sbx does not allow them
 * on its own; it lists the ones not seen so a person decides ("rare-path warnings").
 */
export interface Companion {
  readonly seen: readonly string[];
  /** Warn when none of these was seen or allowed. */
  readonly expect: readonly string[];
  readonly why: string;
}

export const COMPANIONS: readonly Companion[] = [
  { seen: ['open'], expect: ['openat'], why: 'glibc 2.26 and later open files with openat' },
  { seen: ['stat', 'lstat'], expect: ['newfstatat', 'statx'], why: 'newer glibc stats with newfstatat or statx' },
  { seen: ['fstat'], expect: ['newfstatat', 'statx'], why: 'glibc 2.33 and later implement fstat with newfstatat' },
  { seen: ['poll'], expect: ['ppoll'], why: 'some libc builds implement poll with ppoll' },
  { seen: ['select'], expect: ['pselect6'], why: 'some libc builds implement select with pselect6' },
  { seen: ['dup2'], expect: ['dup3'], why: 'aarch64 has no dup2: libc uses dup3 there' },
  { seen: ['pipe'], expect: ['pipe2'], why: 'libc may create pipes with pipe2' },
  { seen: ['wait4'], expect: ['waitid'], why: 'some libc and language runtimes wait with waitid' },
  { seen: ['clone'], expect: ['clone3'], why: 'glibc 2.34 and later create threads with clone3 (falling back to clone on ENOSYS)' },
  { seen: ['fork', 'vfork'], expect: ['clone', 'clone3'], why: 'glibc forks with clone and spawns with clone3' },
  { seen: ['accept'], expect: ['accept4'], why: 'many runtimes accept with accept4' },
  { seen: ['epoll_wait'], expect: ['epoll_pwait'], why: 'some libc builds implement epoll_wait with epoll_pwait' },
  { seen: ['nanosleep'], expect: ['clock_nanosleep'], why: 'glibc 2.31 and later sleep with clock_nanosleep' },
  { seen: ['getdents'], expect: ['getdents64'], why: 'libc reads directories with getdents64' },
  { seen: ['faccessat'], expect: ['faccessat2'], why: 'glibc 2.33 and later try faccessat2 first' },
  { seen: ['fchmodat'], expect: ['fchmodat2'], why: 'glibc 2.39 and later try fchmodat2 first' },
  { seen: ['eventfd'], expect: ['eventfd2'], why: 'libc creates eventfds with eventfd2' },
  { seen: ['signalfd'], expect: ['signalfd4'], why: 'libc creates signalfds with signalfd4' },
  { seen: ['mmap'], expect: ['munmap'], why: 'mapped memory is usually unmapped; the run may have exited first' },
];

/**
 * Calls the C runtime makes a fixed few times per process or thread (start-up, exit): a count
 * of one is their normal, not a rare path, so the rare-path review leaves them out.
 */
export const ONCE_PER_PROCESS: readonly string[] = [
  'execve',
  'exit_group',
  'exit',
  'arch_prctl',
  'set_tid_address',
  'set_robust_list',
  'rseq',
  'prlimit64',
  'getrandom',
  'brk',
  'access',
  'pread64',
  'mprotect',
  'munmap',
];
