/**
 * Static hints, the data half: which syscalls an imported library function can make.
 *
 * The rows describe glibc 2.36 on x86_64 (Debian 12) plus libaio, liburing 2.3 and libnuma,
 * as traced on this machine (see docs/static-hints.md, "The import table"). The policy:
 *
 * - A function maps to the syscalls it makes itself and those of the glibc internals it always
 *   or conditionally reaches (stdio buffer set-up, the time zone file, NSS and DNS, thread
 *   start-up, the child side of posix_spawn ...), but NOT to the generic allocator syscalls:
 *   the `malloc` row covers those through the malloc family imports.
 * - A function whose name equals a syscall of the arch maps to that syscall (glibc's thin
 *   wrappers: socket, bind, mlockall ...) unless an explicit row says otherwise; explicit rows
 *   always win (open -> openat, select -> pselect6, nanosleep -> clock_nanosleep ...).
 * - Import spellings are normalized: symbol versions (`@GLIBC_2.2.5`), fortify variants
 *   (`__read_chk`, `__open64_2`), `__isoc99_`/`__libc_`/`__xpg_` prefixes, other `__` aliases
 *   and the LFS `64` suffix (`fopen64`, `preadv64v2`).
 * - `fallbacks` are syscalls made only when something else failed: the kernel or a seccomp
 *   filter answered ENOSYS (clone3 -> clone, faccessat2 -> faccessat), the vDSO is absent, or an
 *   operation is unsupported (posix_fallocate's write-zeros emulation). They are included by
 *   default; `{ fallbacks: false }` leaves them out.
 * - `ANY_SYSCALL` means the function can make any syscall (`syscall()` itself).
 */
import type { ArchName } from '../../linux/arch.js';
import { syscallNumber } from '../../linux/syscalls.js';

/** Means "can make any syscall" (syscall(), and functions like it). */
export const ANY_SYSCALL: unique symbol = Symbol('sbx.anySyscall');

/** One row of the table: these functions can make these syscalls (x86_64 names). */
export interface ImportRow {
  readonly functions: readonly string[];
  readonly syscalls: readonly string[] | typeof ANY_SYSCALL;
  /** Only when something else failed: ENOSYS from the kernel or a filter, no vDSO, unsupported operation. */
  readonly fallbacks?: readonly string[];
  readonly why?: string;
}

/** How syscallsForImport answers. */
export interface ImportLookupOptions {
  /** Include each row's fallbacks (default true: a filter that answers ENOSYS makes them real). */
  readonly fallbacks?: boolean;
}

// Shared syscall sets: glibc internals that many functions reach.

/** ld.so loading a library (dlopen, NSS modules, gconv modules, libgcc_s for unwinding). */
const LOAD_LIBRARY = ['openat', 'read', 'pread64', 'newfstatat', 'mmap', 'mprotect', 'munmap', 'close'] as const;
/** First use of a stdio stream: _IO_file_doallocate stats the fd and asks whether it is a tty. */
const STDIO_BUFFER = ['newfstatat', 'ioctl'] as const;
/** Reading a stream: read; glibc flushes line-buffered output streams before it reads. */
const STDIO_READ = ['read', 'write', 'lseek', ...STDIO_BUFFER] as const;
const STDIO_WRITE = ['write', 'lseek', ...STDIO_BUFFER] as const;
/** gettext: message catalogs are looked up (openat) and mapped when they exist. */
const GETTEXT = ['openat', 'newfstatat', 'read', 'mmap', 'munmap', 'close'] as const;
/** The time zone file (/etc/localtime or $TZ): loaded once, stat-ed again on each tzset. */
const TZFILE = ['openat', 'newfstatat', 'read', 'lseek', 'close'] as const;
/** A new thread: its stack, clone3, and what start_thread and thread exit do in the new thread. */
const THREAD_CREATE = [
  'mmap',
  'mprotect',
  'munmap',
  'madvise',
  'clone3',
  'rt_sigprocmask',
  'rt_sigaction',
  'set_robust_list',
  'rseq',
  'futex',
  'exit',
] as const;
/** Thread exit and cancellation unwind through libgcc_s, which glibc dlopens on first use. */
const THREAD_UNWIND = ['exit', 'madvise', 'munmap', 'futex', ...LOAD_LIBRARY] as const;
/** setuid and friends in a multi-threaded process: every thread is signalled to do the same. */
const SETXID_BROADCAST = ['getpid', 'tgkill', 'futex', 'rt_sigprocmask'] as const;
/** posix_spawn: a CLONE_VM|CLONE_VFORK child on its own stack resets signals and execs. */
const SPAWN = ['mmap', 'munmap', 'clone3', 'rt_sigprocmask', 'rt_sigaction', 'execve', 'exit_group'] as const;
/** Name service switch for users, groups, services, protocols: nscd socket, the files, then modules. */
const NSS = [
  'socket',
  'connect',
  'sendto',
  'recvmsg',
  'poll',
  'close',
  'openat',
  'newfstatat',
  'read',
  'lseek',
  'fcntl',
  'futex',
  'prctl',
  'rt_sigprocmask',
  ...LOAD_LIBRARY,
] as const;
/** DNS over UDP (and TCP on truncation), /etc/hosts, resolv.conf, netlink for AI_ADDRCONFIG, nscd. */
const RESOLVER = [...NSS, 'bind', 'getsockname', 'setsockopt', 'sendmmsg', 'recvfrom', 'ioctl', 'writev', 'uname'] as const;
/** Netlink dump of links and addresses (getifaddrs, if_nameindex, AI_ADDRCONFIG). */
const NETLINK_DUMP = ['socket', 'bind', 'getsockname', 'sendto', 'recvmsg', 'close'] as const;
/** Signalling a thread of this process. */
const SIGNAL_THREAD = ['tgkill', 'getpid', 'gettid', 'rt_sigprocmask'] as const;
const ABORT = ['rt_sigprocmask', 'rt_sigaction', 'tgkill', 'getpid', 'gettid', 'exit_group'] as const;
/** __libc_message (fortify and stack protector failures, malloc corruption): writes, then aborts. */
const FATAL_MESSAGE = ['writev', 'write', 'mmap', 'openat', ...ABORT] as const;
/** The utmp/wtmp files: locked with fcntl and an alarm-based timeout. */
const UTMP = ['openat', 'read', 'write', 'lseek', 'fcntl', 'close', 'newfstatat', 'alarm', 'rt_sigaction', 'setitimer'] as const;
/** POSIX AIO in glibc: helper threads doing the I/O, notification by signal or by thread. */
const POSIX_AIO = [
  ...THREAD_CREATE,
  'pread64',
  'pwrite64',
  'read',
  'write',
  'fsync',
  'fdatasync',
  'getpid',
  'getuid',
  'rt_sigqueueinfo',
] as const;

/** The explicit rows. They win over the identity rule (a name that equals a syscall name). */
export const IMPORT_ROWS: readonly ImportRow[] = [
  // Start-up, exit, fatal paths
  {
    functions: ['__libc_start_main'],
    syscalls: [
      'execve',
      'brk',
      'arch_prctl',
      'mmap',
      'mprotect',
      'munmap',
      'access',
      'openat',
      'newfstatat',
      'read',
      'pread64',
      'close',
      'set_tid_address',
      'set_robust_list',
      'rseq',
      'prlimit64',
      'exit_group',
    ],
    why: 'every dynamically linked program imports it: what ld.so and libc start-up do before main, exit after it',
  },
  {
    functions: ['exit', 'quick_exit'],
    syscalls: ['exit_group', 'write', 'lseek'],
    why: "flushes stdio, then exit_group (atexit handlers are the program's own code)",
  },
  { functions: ['_exit', '_Exit'], syscalls: ['exit_group'] },
  { functions: ['abort'], syscalls: ABORT, why: 'blocks signals, raise(SIGABRT) via tgkill, resets the handler if it returns' },
  {
    functions: ['__assert_fail', '__assert_perror_fail', '__assert'],
    syscalls: [...FATAL_MESSAGE, ...GETTEXT],
    why: 'message via __fxprintf into an mmap-ed buffer, then abort',
  },
  {
    functions: ['__stack_chk_fail', '__chk_fail', '__fortify_fail'],
    syscalls: FATAL_MESSAGE,
    why: '__libc_message writev to stderr, then abort',
  },

  // The allocator
  {
    functions: [
      'malloc',
      'calloc',
      'realloc',
      'reallocarray',
      'free',
      'cfree',
      'posix_memalign',
      'aligned_alloc',
      'memalign',
      'valloc',
      'pvalloc',
      'malloc_trim',
    ],
    syscalls: ['brk', 'mmap', 'munmap', 'mremap', 'madvise', 'mprotect', 'getrandom'],
    why: 'the malloc row: brk/mmap for the main and thread arenas, mprotect to grow a thread arena, madvise/munmap to trim, getrandom seeds the tcache key on the first call',
  },
  { functions: ['malloc_stats', 'malloc_info'], syscalls: STDIO_WRITE },

  // Files: open, stat family, legacy spellings glibc 2.36 implements with *at syscalls
  { functions: ['open', 'openat', '__open_nocancel'], syscalls: ['openat'], why: 'glibc 2.36 opens everything with openat' },
  {
    functions: ['stat', 'lstat', 'fstat', 'fstatat', '__xstat', '__lxstat', '__fxstat', '__fxstatat'],
    syscalls: ['newfstatat'],
    why: 'glibc 2.33+ implements the whole stat family with newfstatat (fstat too: AT_EMPTY_PATH)',
  },
  { functions: ['statx'], syscalls: ['statx'], fallbacks: ['newfstatat'] },
  { functions: ['statvfs', 'statfs'], syscalls: ['statfs'] },
  { functions: ['fstatvfs', 'fstatfs'], syscalls: ['fstatfs'] },
  { functions: ['faccessat'], syscalls: ['faccessat2'], fallbacks: ['faccessat'] },
  {
    functions: ['euidaccess', 'eaccess'],
    syscalls: ['access', 'newfstatat', 'getuid', 'geteuid', 'getgid', 'getegid', 'getgroups'],
    why: 'access() when real and effective ids agree, else stat + group membership',
  },
  { functions: ['utime', 'utimes', 'futimes', 'lutimes', 'futimesat', 'futimens'], syscalls: ['utimensat'] },
  { functions: ['mknod', 'mkfifo', 'mkfifoat', 'mknodat', '__xmknod', '__xmknodat'], syscalls: ['mknodat'] },
  { functions: ['lchmod'], syscalls: ['openat', 'newfstatat', 'chmod', 'close'], why: 'O_PATH open, then chmod of /proc/self/fd/N' },
  {
    functions: ['fchmodat'],
    syscalls: ['fchmodat', 'openat', 'newfstatat', 'chmod', 'close'],
    why: 'AT_SYMLINK_NOFOLLOW goes through an O_PATH fd (no fchmodat2 in 2.36)',
  },
  { functions: ['renameat2'], syscalls: ['renameat2'], fallbacks: ['renameat'] },
  { functions: ['remove'], syscalls: ['unlink', 'rmdir'] },
  { functions: ['umount'], syscalls: ['umount2'] },
  { functions: ['creat'], syscalls: ['creat'], why: 'traced: creat is still the creat syscall on x86_64' },
  { functions: ['posix_fadvise'], syscalls: ['fadvise64'] },
  {
    functions: ['posix_fallocate'],
    syscalls: ['fallocate'],
    fallbacks: ['newfstatat', 'fstatfs', 'pread64', 'pwrite64'],
    why: 'writes zeros when the filesystem says EOPNOTSUPP',
  },
  { functions: ['lockf'], syscalls: ['fcntl'] },
  { functions: ['pwrite'], syscalls: ['pwrite64'] },
  { functions: ['pread'], syscalls: ['pread64'] },
  { functions: ['closefrom'], syscalls: ['close_range'], fallbacks: ['openat', 'getdents64', 'close'] },
  { functions: ['fexecve'], syscalls: ['execveat'], fallbacks: ['execve'] },
  { functions: ['getdtablesize'], syscalls: ['prlimit64'] },
  { functions: ['realpath', 'canonicalize_file_name'], syscalls: ['readlink', 'getcwd', 'faccessat2'], fallbacks: ['faccessat'] },
  { functions: ['get_current_dir_name'], syscalls: ['newfstatat', 'getcwd'], why: 'trusts $PWD when it names the cwd' },
  { functions: ['getwd'], syscalls: ['getcwd'] },
  { functions: ['ftok'], syscalls: ['newfstatat'] },
  { functions: ['pathconf'], syscalls: ['statfs', 'openat', 'read', 'close'], why: 'limits depend on the filesystem type' },
  { functions: ['fpathconf'], syscalls: ['fstatfs', 'openat', 'read', 'close'] },
  { functions: ['truncate'], syscalls: ['truncate'] },
  {
    functions: ['mkstemp', 'mkostemp', 'mkstemps', 'mkostemps', 'mktemp', 'tempnam', 'tmpnam', 'tmpnam_r'],
    syscalls: ['getrandom', 'openat', 'newfstatat'],
    why: 'random name from getrandom, then O_EXCL open (mktemp/tmpnam: lstat)',
  },
  { functions: ['mkdtemp'], syscalls: ['getrandom', 'mkdir'] },
  {
    functions: ['tmpfile'],
    syscalls: ['openat', 'fcntl', 'close'],
    fallbacks: ['getrandom', 'newfstatat', 'unlink'],
    why: 'O_TMPFILE; a named file removed at once when that fails',
  },

  // Directories
  { functions: ['opendir'], syscalls: ['openat', 'newfstatat'] },
  { functions: ['fdopendir'], syscalls: ['newfstatat', 'fcntl'] },
  { functions: ['readdir', 'readdir_r', 'getdirentries'], syscalls: ['getdents64'] },
  { functions: ['rewinddir', 'seekdir'], syscalls: ['lseek'] },
  { functions: ['closedir'], syscalls: ['close'] },
  { functions: ['scandir', 'scandirat'], syscalls: ['openat', 'newfstatat', 'getdents64', 'close'] },
  { functions: ['glob'], syscalls: ['openat', 'newfstatat', 'getdents64', 'close'] },
  { functions: ['ftw', 'nftw'], syscalls: ['openat', 'newfstatat', 'getdents64', 'close', 'chdir', 'fchdir', 'getcwd'] },
  {
    functions: ['fts_open', 'fts_read', 'fts_children', 'fts_close'],
    syscalls: ['openat', 'newfstatat', 'getdents64', 'fchdir', 'close', 'fstatfs'],
  },

  // stdio
  { functions: ['fopen'], syscalls: ['openat', 'lseek'], why: 'append mode seeks to the end' },
  { functions: ['freopen'], syscalls: ['openat', 'dup3', 'close', 'fcntl', 'write', 'lseek'] },
  { functions: ['fdopen'], syscalls: ['fcntl', 'lseek'] },
  { functions: ['fclose', 'fcloseall'], syscalls: ['close', 'write', 'lseek', 'munmap'] },
  { functions: ['fflush', 'fflush_unlocked', '_IO_flush_all'], syscalls: ['write', 'lseek'] },
  { functions: ['fseek', 'fseeko', 'fsetpos', 'rewind', 'ftell', 'ftello', 'fgetpos'], syscalls: ['lseek', 'write'] },
  {
    functions: [
      'fread',
      'fread_unlocked',
      'fgets',
      'fgets_unlocked',
      'fgetc',
      'fgetc_unlocked',
      'getc',
      'getc_unlocked',
      'getchar',
      'getchar_unlocked',
      'getline',
      'getdelim',
      'getw',
      'ungetc',
      'fscanf',
      'scanf',
      'vfscanf',
      'vscanf',
      '__uflow',
      '__underflow',
      'fgetwc',
      'getwc',
      'getwchar',
      'fgetws',
      'fwscanf',
      'wscanf',
      'vfwscanf',
      'gets',
    ],
    syscalls: STDIO_READ,
  },
  {
    functions: [
      'printf',
      'fprintf',
      'vprintf',
      'vfprintf',
      'puts',
      'fputs',
      'fputs_unlocked',
      'fputc',
      'fputc_unlocked',
      'putc',
      'putc_unlocked',
      'putchar',
      'putchar_unlocked',
      'putw',
      'fwrite',
      'fwrite_unlocked',
      '__overflow',
      'obstack_printf',
      'obstack_vprintf',
      'fputwc',
      'putwc',
      'putwchar',
      'fputws',
      'wprintf',
      'fwprintf',
      'vwprintf',
      'vfwprintf',
    ],
    syscalls: STDIO_WRITE,
    why: 'first use of the stream stats it and asks whether it is a tty (TCGETS); then write',
  },
  { functions: ['dprintf', 'vdprintf'], syscalls: ['write'] },
  {
    functions: ['perror'],
    syscalls: [...STDIO_WRITE, 'dup', 'fcntl', 'close', ...GETTEXT],
    why: 'an unoriented stderr is dup-ed and fdopen-ed',
  },
  {
    functions: [
      'err',
      'errx',
      'warn',
      'warnx',
      'verr',
      'verrx',
      'vwarn',
      'vwarnx',
      'error',
      'error_at_line',
      'psignal',
      'psiginfo',
      'herror',
    ],
    syscalls: [...STDIO_WRITE, ...GETTEXT, 'exit_group'],
  },
  {
    functions: ['popen'],
    syscalls: ['pipe2', 'prlimit64', ...SPAWN, 'dup2', 'close', 'fcntl'],
    fallbacks: ['clone'],
    why: 'posix_spawn of /bin/sh -c; file actions check fds against RLIMIT_NOFILE',
  },
  { functions: ['pclose'], syscalls: ['close', 'wait4', 'write', 'lseek'] },

  // Locale, messages, character sets
  {
    functions: ['setlocale', 'newlocale'],
    syscalls: ['openat', 'newfstatat', 'read', 'mmap', 'munmap', 'close', 'futex'],
    why: 'the locale archive or locale files',
  },
  {
    functions: [
      'strerror',
      'strerror_r',
      'strerror_l',
      'strsignal',
      'gai_strerror',
      'hstrerror',
      'gettext',
      'dgettext',
      'dcgettext',
      'ngettext',
      'dngettext',
      'dcngettext',
      'textdomain',
      'bindtextdomain',
      'bind_textdomain_codeset',
      'catopen',
      'catgets',
    ],
    syscalls: GETTEXT,
    why: 'message catalogs are searched for the current LC_MESSAGES',
  },
  { functions: ['iconv_open'], syscalls: [...LOAD_LIBRARY], why: 'gconv-modules.cache and gconv modules' },
  { functions: ['iconv_close'], syscalls: ['munmap'] },

  // Time
  {
    functions: ['nanosleep', 'usleep', 'sleep', 'clock_nanosleep', 'thrd_sleep'],
    syscalls: ['clock_nanosleep'],
    why: 'glibc 2.36 sleeps with clock_nanosleep only',
  },
  { functions: ['ualarm'], syscalls: ['setitimer'] },
  { functions: ['clock'], syscalls: ['clock_gettime'], why: 'CLOCK_PROCESS_CPUTIME_ID is not served by the vDSO' },
  { functions: ['time', 'ftime'], syscalls: [], fallbacks: ['time'], why: 'vDSO; the syscall only without one' },
  {
    functions: ['gettimeofday'],
    syscalls: [],
    fallbacks: ['gettimeofday'],
    why: 'vDSO; the syscall when the clocksource has no vDSO mode',
  },
  { functions: ['getcpu', 'sched_getcpu'], syscalls: [], fallbacks: ['getcpu'], why: 'rseq area or vDSO' },
  { functions: ['settimeofday'], syscalls: ['clock_settime', 'settimeofday'], why: 'settimeofday only for the time zone argument' },
  { functions: ['adjtime', 'ntp_adjtime', 'ntp_gettime', 'ntp_gettimex', 'adjtimex'], syscalls: ['adjtimex'] },
  {
    functions: ['localtime', 'localtime_r', 'mktime', 'timelocal', 'tzset', 'ctime', 'ctime_r'],
    syscalls: TZFILE,
    why: 'loads the zone file once, then stats it on each tzset',
  },
  {
    functions: ['timer_create'],
    syscalls: ['timer_create', ...THREAD_CREATE, 'rt_sigtimedwait'],
    why: 'SIGEV_THREAD: a helper thread waits for the timer signal',
  },
  { functions: ['getitimer'], syscalls: ['getitimer'] },

  // Signals
  { functions: ['sigaction', 'signal', 'bsd_signal', 'sysv_signal', 'siginterrupt', 'sigvec', 'sigignore'], syscalls: ['rt_sigaction'] },
  { functions: ['sigset'], syscalls: ['rt_sigaction', 'rt_sigprocmask'] },
  {
    functions: ['sigprocmask', 'pthread_sigmask', 'sigblock', 'sigsetmask', 'siggetmask', 'sighold', 'sigrelse'],
    syscalls: ['rt_sigprocmask'],
  },
  { functions: ['sigsuspend'], syscalls: ['rt_sigsuspend'] },
  { functions: ['sigpause', '__sigpause'], syscalls: ['rt_sigsuspend', 'rt_sigprocmask'] },
  { functions: ['sigpending'], syscalls: ['rt_sigpending'] },
  { functions: ['sigwait', 'sigwaitinfo', 'sigtimedwait'], syscalls: ['rt_sigtimedwait'] },
  { functions: ['sigqueue'], syscalls: ['rt_sigqueueinfo', 'getpid', 'getuid'] },
  { functions: ['pthread_sigqueue'], syscalls: ['rt_tgsigqueueinfo', 'getpid', 'getuid'] },
  { functions: ['raise', 'gsignal', 'pthread_kill'], syscalls: SIGNAL_THREAD },
  { functions: ['killpg'], syscalls: ['kill'] },
  { functions: ['signalfd'], syscalls: ['signalfd4'] },
  {
    functions: ['__sigsetjmp', 'siglongjmp', 'longjmp'],
    syscalls: ['rt_sigprocmask'],
    why: 'saves or restores the signal mask when asked to',
  },
  { functions: ['__longjmp_chk'], syscalls: ['rt_sigprocmask', 'sigaltstack'], why: 'checks the alternate signal stack before jumping' },
  { functions: ['getcontext', 'setcontext', 'swapcontext'], syscalls: ['rt_sigprocmask'] },

  // Credentials: with threads, every thread is made to change its ids (SIGSETXID)
  { functions: ['setuid'], syscalls: ['setuid', ...SETXID_BROADCAST] },
  { functions: ['setgid'], syscalls: ['setgid', ...SETXID_BROADCAST] },
  { functions: ['setreuid'], syscalls: ['setreuid', ...SETXID_BROADCAST] },
  { functions: ['setregid'], syscalls: ['setregid', ...SETXID_BROADCAST] },
  { functions: ['setresuid', 'seteuid'], syscalls: ['setresuid', ...SETXID_BROADCAST] },
  { functions: ['setresgid', 'setegid'], syscalls: ['setresgid', ...SETXID_BROADCAST] },
  { functions: ['setgroups'], syscalls: ['setgroups', ...SETXID_BROADCAST] },

  // Processes
  {
    functions: ['fork', '_Fork'],
    syscalls: ['clone', 'set_robust_list'],
    why: 'fork is clone(SIGCHLD|CHILD_SETTID|CHILD_CLEARTID); the child re-registers its robust list',
  },
  { functions: ['clone'], syscalls: ['clone', 'exit'], why: 'the child exits with exit when its function returns' },
  { functions: ['execv', 'execvp', 'execvpe', 'execl', 'execlp', 'execle'], syscalls: ['execve'] },
  { functions: ['wait', 'waitpid', 'wait3'], syscalls: ['wait4'] },
  {
    functions: ['posix_spawn', 'posix_spawnp'],
    syscalls: SPAWN,
    fallbacks: ['clone'],
    why: 'clone3(CLONE_VM|CLONE_VFORK), clone on ENOSYS; the child resets signal dispositions and execs',
  },
  // posix_spawn attributes and file actions: each maps to what it makes the spawned child do (and
  // the file actions check the fd against RLIMIT_NOFILE in the parent).
  { functions: ['posix_spawn_file_actions_addopen'], syscalls: ['prlimit64', 'openat', 'dup2', 'close'] },
  { functions: ['posix_spawn_file_actions_addclose'], syscalls: ['prlimit64', 'close'] },
  { functions: ['posix_spawn_file_actions_adddup2'], syscalls: ['prlimit64', 'dup2', 'fcntl'] },
  { functions: ['posix_spawn_file_actions_addchdir_np'], syscalls: ['chdir'] },
  { functions: ['posix_spawn_file_actions_addfchdir_np'], syscalls: ['fchdir'] },
  { functions: ['posix_spawn_file_actions_addclosefrom_np'], syscalls: ['close_range'], fallbacks: ['openat', 'getdents64', 'close'] },
  { functions: ['posix_spawnattr_setpgroup'], syscalls: ['setpgid'] },
  { functions: ['posix_spawnattr_setschedparam'], syscalls: ['sched_setparam'] },
  { functions: ['posix_spawnattr_setschedpolicy'], syscalls: ['sched_setscheduler'] },
  { functions: ['posix_spawnattr_setsigmask'], syscalls: ['rt_sigprocmask'] },
  { functions: ['posix_spawnattr_setsigdefault'], syscalls: ['rt_sigaction'] },
  {
    functions: ['posix_spawnattr_setflags'],
    syscalls: ['setsid', 'setpgid', 'setuid', 'setgid', 'sched_setparam', 'sched_setscheduler', 'rt_sigprocmask', 'rt_sigaction'],
    why: 'POSIX_SPAWN_SETSID, _RESETIDS, _SETSCHED...: the flags enable the other attributes',
  },
  {
    functions: ['system'],
    syscalls: ['rt_sigaction', 'rt_sigprocmask', 'mmap', 'munmap', 'clone3', 'execve', 'wait4', 'exit_group'],
    fallbacks: ['clone'],
    why: 'posix_spawn of /bin/sh -c with SIGINT/SIGQUIT ignored and SIGCHLD blocked, then waitpid',
  },
  {
    functions: ['daemon'],
    syscalls: ['clone', 'set_robust_list', 'setsid', 'chdir', 'openat', 'newfstatat', 'dup2', 'close', 'exit_group'],
  },
  { functions: ['setpgrp'], syscalls: ['setpgid'] },
  { functions: ['nice'], syscalls: ['getpriority', 'setpriority'] },
  { functions: ['getrlimit', 'setrlimit', 'prlimit', 'ulimit'], syscalls: ['prlimit64'] },
  { functions: ['semop'], syscalls: ['semtimedop'], why: 'glibc 2.36 semop is semtimedop with no timeout' },

  // Terminals and ptys
  {
    functions: [
      'isatty',
      'tcgetattr',
      'tcsetattr',
      'tcdrain',
      'tcflow',
      'tcflush',
      'tcsendbreak',
      'tcgetpgrp',
      'tcsetpgrp',
      'tcgetsid',
      'ptsname',
      'ptsname_r',
      'grantpt',
      'unlockpt',
      'sockatmark',
    ],
    syscalls: ['ioctl'],
  },
  { functions: ['ttyname', 'ttyname_r'], syscalls: ['ioctl', 'readlink', 'newfstatat', 'openat', 'getdents64', 'close'] },
  { functions: ['posix_openpt', 'getpt'], syscalls: ['openat'] },
  { functions: ['openpty'], syscalls: ['openat', 'ioctl', 'close'] },
  { functions: ['login_tty'], syscalls: ['setsid', 'ioctl', 'dup2', 'close', 'openat'] },
  { functions: ['forkpty'], syscalls: ['openat', 'ioctl', 'close', 'clone', 'set_robust_list', 'setsid', 'dup2', 'exit_group'] },
  { functions: ['getlogin', 'getlogin_r', 'cuserid'], syscalls: ['openat', 'read', 'close', ...UTMP] },
  {
    functions: [
      'setutent',
      'getutent',
      'getutent_r',
      'getutid',
      'getutid_r',
      'getutline',
      'getutline_r',
      'pututline',
      'endutent',
      'updwtmp',
      'logwtmp',
      'login',
      'logout',
      'setutxent',
      'getutxent',
      'getutxid',
      'getutxline',
      'pututxline',
      'endutxent',
      'updwtmpx',
    ],
    syscalls: UTMP,
  },

  // Threads
  {
    functions: ['pthread_create', 'thrd_create'],
    syscalls: THREAD_CREATE,
    fallbacks: ['clone'],
    why: 'stack mmap + guard mprotect, clone3 (clone on ENOSYS); the new thread registers rseq and its robust list, exits with madvise(MADV_DONTNEED) + exit',
  },
  { functions: ['pthread_attr_setaffinity_np'], syscalls: ['sched_setaffinity'], why: 'made by pthread_create for the new thread' },
  {
    functions: ['pthread_attr_setinheritsched', 'pthread_attr_setschedpolicy'],
    syscalls: ['sched_setscheduler', 'sched_setparam'],
    why: 'PTHREAD_EXPLICIT_SCHED: made by pthread_create for the new thread',
  },
  { functions: ['pthread_attr_setschedparam'], syscalls: ['sched_get_priority_min', 'sched_get_priority_max', 'sched_setparam'] },
  {
    functions: ['pthread_exit', 'thrd_exit', 'pthread_cancel', 'pthread_testcancel', '__pthread_unwind_next'],
    syscalls: [...THREAD_UNWIND, 'rt_sigaction', 'tgkill', 'getpid'],
    why: 'cancellation signal via tgkill; unwinding dlopens libgcc_s.so.1 on first use',
  },
  {
    functions: [
      'pthread_join',
      'pthread_tryjoin_np',
      'pthread_timedjoin_np',
      'pthread_clockjoin_np',
      'thrd_join',
      'pthread_mutex_lock',
      'pthread_mutex_timedlock',
      'pthread_mutex_clocklock',
      'pthread_mutex_trylock',
      'pthread_mutex_unlock',
      'pthread_mutex_init',
      'pthread_mutex_consistent',
      'pthread_cond_wait',
      'pthread_cond_timedwait',
      'pthread_cond_clockwait',
      'pthread_cond_signal',
      'pthread_cond_broadcast',
      'pthread_rwlock_rdlock',
      'pthread_rwlock_wrlock',
      'pthread_rwlock_timedrdlock',
      'pthread_rwlock_timedwrlock',
      'pthread_rwlock_clockrdlock',
      'pthread_rwlock_clockwrlock',
      'pthread_rwlock_unlock',
      'pthread_rwlock_tryrdlock',
      'pthread_rwlock_trywrlock',
      'pthread_barrier_wait',
      'pthread_once',
      'call_once',
      'sem_wait',
      'sem_timedwait',
      'sem_clockwait',
      'sem_post',
      'sem_trywait',
      'mtx_lock',
      'mtx_timedlock',
      'mtx_trylock',
      'mtx_unlock',
      'cnd_wait',
      'cnd_timedwait',
      'cnd_signal',
      'cnd_broadcast',
    ],
    syscalls: ['futex'],
    why: 'futex only when contended or waiting (robust and PI mutexes too)',
  },
  { functions: ['pthread_yield', 'thrd_yield'], syscalls: ['sched_yield'] },
  { functions: ['pthread_getaffinity_np'], syscalls: ['sched_getaffinity'] },
  { functions: ['pthread_setaffinity_np'], syscalls: ['sched_setaffinity'] },
  {
    functions: ['pthread_getattr_np'],
    syscalls: ['openat', 'read', 'close', 'newfstatat', 'prlimit64', 'sched_getaffinity'],
    why: "the main thread's stack comes from /proc/self/maps and RLIMIT_STACK",
  },
  { functions: ['pthread_setschedparam', 'pthread_setschedprio'], syscalls: ['sched_setscheduler', 'sched_setparam'] },
  { functions: ['pthread_getschedparam'], syscalls: ['sched_getscheduler', 'sched_getparam'] },
  {
    functions: ['pthread_setname_np'],
    syscalls: ['prctl', 'openat', 'write', 'close'],
    why: 'prctl for the calling thread, /proc/self/task/TID/comm for others',
  },
  { functions: ['pthread_getname_np'], syscalls: ['prctl', 'openat', 'read', 'close'] },
  {
    functions: ['sem_open'],
    syscalls: ['openat', 'getrandom', 'newfstatat', 'write', 'mmap', 'link', 'unlink', 'close'],
    why: 'a new semaphore is written to a temporary /dev/shm file, mapped, then linked into place',
  },
  { functions: ['sem_close'], syscalls: ['munmap'] },
  { functions: ['sem_unlink', 'shm_unlink'], syscalls: ['unlink'] },
  { functions: ['shm_open'], syscalls: ['openat'], why: 'a file in /dev/shm' },

  // POSIX message queues and AIO
  { functions: ['mq_send', 'mq_timedsend'], syscalls: ['mq_timedsend'] },
  { functions: ['mq_receive', 'mq_timedreceive'], syscalls: ['mq_timedreceive'] },
  { functions: ['mq_getattr', 'mq_setattr'], syscalls: ['mq_getsetattr'] },
  { functions: ['mq_close'], syscalls: ['close'] },
  {
    functions: ['mq_notify'],
    syscalls: ['mq_notify', 'socket', 'recvfrom', ...THREAD_CREATE],
    why: 'SIGEV_THREAD: a netlink socket and a helper thread',
  },
  {
    functions: ['aio_read', 'aio_write', 'aio_fsync', 'lio_listio', 'aio_suspend', 'aio_cancel', 'aio_init'],
    syscalls: POSIX_AIO,
    fallbacks: ['clone'],
    why: 'glibc POSIX AIO is helper threads doing pread/pwrite/fsync; completion by signal or thread',
  },

  // I/O multiplexing, event fds
  { functions: ['select', 'pselect'], syscalls: ['pselect6'], why: 'glibc 2.36 select is pselect6 on x86_64 too' },
  { functions: ['pipe'], syscalls: ['pipe2'], why: 'glibc 2.36 pipe is pipe2(fds, 0)' },
  { functions: ['eventfd'], syscalls: ['eventfd2'] },
  { functions: ['eventfd_read'], syscalls: ['read'] },
  { functions: ['eventfd_write'], syscalls: ['write'] },

  // Sockets and the network
  { functions: ['send'], syscalls: ['sendto'] },
  { functions: ['recv'], syscalls: ['recvfrom'] },
  { functions: ['if_nametoindex', 'if_indextoname'], syscalls: ['socket', 'ioctl', 'close'] },
  { functions: ['if_nameindex', 'getifaddrs'], syscalls: NETLINK_DUMP },
  {
    functions: [
      'getaddrinfo',
      'getnameinfo',
      'gethostbyname',
      'gethostbyname_r',
      'gethostbyname2',
      'gethostbyname2_r',
      'gethostbyaddr',
      'gethostbyaddr_r',
      'gethostent',
      'gethostent_r',
      'sethostent',
      'getaddrinfo_a',
      '__res_init',
      '__res_ninit',
      'res_query',
      'res_nquery',
      'res_search',
      'res_nsearch',
      'res_querydomain',
      'res_nquerydomain',
      'res_send',
      'res_nsend',
      'rcmd',
      'rexec',
    ],
    syscalls: RESOLVER,
    why: 'one function, many paths: nsswitch.conf, /etc/hosts, resolv.conf, nscd, DNS over UDP then TCP, netlink for AI_ADDRCONFIG',
  },
  { functions: ['__res_nclose'], syscalls: ['close'] },
  {
    functions: [
      'getpwnam',
      'getpwnam_r',
      'getpwuid',
      'getpwuid_r',
      'getpwent',
      'getpwent_r',
      'setpwent',
      'endpwent',
      'getgrnam',
      'getgrnam_r',
      'getgrgid',
      'getgrgid_r',
      'getgrent',
      'getgrent_r',
      'setgrent',
      'endgrent',
      'getgrouplist',
      'getspnam',
      'getspnam_r',
      'getspent',
      'getspent_r',
      'setspent',
      'endspent',
      'getsgnam',
      'getsgent',
      'getservbyname',
      'getservbyname_r',
      'getservbyport',
      'getservbyport_r',
      'getservent',
      'getservent_r',
      'setservent',
      'endservent',
      'getprotobyname',
      'getprotobyname_r',
      'getprotobynumber',
      'getprotobynumber_r',
      'getprotoent',
      'getprotoent_r',
      'setprotoent',
      'endprotoent',
      'getnetbyname',
      'getnetbyname_r',
      'getnetbyaddr',
      'getnetbyaddr_r',
      'getnetent',
      'getrpcbyname',
      'getrpcbynumber',
      'getrpcent',
      'ether_ntohost',
      'ether_hostton',
      'getnetgrent',
      'setnetgrent',
      'innetgr',
    ],
    syscalls: NSS,
    why: 'nscd first (socket/connect), then the files, then modules such as libnss_systemd (dlopen-ed, so no ELF reader sees their imports)',
  },
  { functions: ['initgroups'], syscalls: [...NSS, 'setgroups', ...SETXID_BROADCAST] },
  { functions: ['fgetpwent', 'fgetgrent', 'fgetspent', 'fgetpwent_r', 'fgetgrent_r', 'getmntent', 'getmntent_r'], syscalls: STDIO_READ },
  { functions: ['setmntent'], syscalls: ['openat', 'newfstatat', 'read', 'lseek'] },
  { functions: ['endmntent'], syscalls: ['close'] },
  { functions: ['lckpwdf', 'ulckpwdf'], syscalls: ['openat', 'fcntl', 'close', 'rt_sigaction', 'rt_sigprocmask', 'alarm'] },
  {
    functions: ['openlog', 'syslog', 'vsyslog'],
    syscalls: ['getpid', 'socket', 'connect', 'sendto', 'close', 'openat', 'write', ...TZFILE],
    why: 'the /dev/log socket (the syslog(2) syscall is klogctl); LOG_CONS writes to /dev/console; the time stamp loads the zone',
  },
  { functions: ['closelog'], syscalls: ['close'] },
  { functions: ['klogctl'], syscalls: ['syslog'] },

  // System information
  {
    functions: ['sysconf', 'get_nprocs', 'get_nprocs_conf', 'get_phys_pages', 'get_avphys_pages'],
    syscalls: ['openat', 'read', 'close', 'getdents64', 'newfstatat', 'prlimit64', 'sysinfo', 'sched_getaffinity'],
    why: 'CPU counts from /sys/devices/system/cpu, limits from RLIMIT_*, memory from sysinfo',
  },
  { functions: ['getloadavg'], syscalls: ['sysinfo'] },
  { functions: ['gethostname', 'getdomainname'], syscalls: ['uname'] },
  {
    functions: ['getentropy', 'arc4random', 'arc4random_buf', 'arc4random_uniform'],
    syscalls: ['getrandom'],
    fallbacks: ['openat', 'read', 'close', 'poll'],
  },
  { functions: ['posix_madvise'], syscalls: ['madvise'] },

  // Dynamic loading
  { functions: ['dlopen', 'dlmopen'], syscalls: LOAD_LIBRARY, why: "the library's own constructors are its own imports" },
  { functions: ['dlclose'], syscalls: ['munmap'] },

  // syscall() and libraries built on it
  { functions: ['syscall'], syscalls: ANY_SYSCALL, why: 'the number is an argument' },

  // libaio (LIBAIO_0.x): thin syscall() wrappers
  { functions: ['io_queue_init'], syscalls: ['io_setup'] },
  { functions: ['io_queue_release'], syscalls: ['io_destroy'] },
  { functions: ['io_queue_run', 'io_queue_wait'], syscalls: ['io_getevents'] },

  // liburing 2.3: built without libc, makes its own syscalls
  {
    functions: ['io_uring_queue_init', 'io_uring_queue_init_params', 'io_uring_queue_mmap'],
    syscalls: ['io_uring_setup', 'mmap', 'munmap', 'close'],
    why: 'io_uring_setup, then the SQ/CQ rings and SQE array are mmap-ed',
  },
  { functions: ['io_uring_queue_exit'], syscalls: ['munmap', 'close', 'io_uring_register'] },
  {
    functions: [
      'io_uring_submit',
      'io_uring_submit_and_wait',
      'io_uring_submit_and_wait_timeout',
      'io_uring_submit_and_get_events',
      'io_uring_get_events',
      'io_uring_wait_cqes',
      'io_uring_wait_cqe_timeout',
      '__io_uring_get_cqe',
      '__io_uring_sqring_wait',
      'io_uring_peek_batch_cqe',
      'io_uring_enter2',
    ],
    syscalls: ['io_uring_enter'],
  },
  {
    functions: [
      'io_uring_register_buffers',
      'io_uring_register_buffers_sparse',
      'io_uring_register_buffers_tags',
      'io_uring_register_buffers_update_tag',
      'io_uring_unregister_buffers',
      'io_uring_register_files',
      'io_uring_register_files_sparse',
      'io_uring_register_files_tags',
      'io_uring_register_files_update',
      'io_uring_register_files_update_tag',
      'io_uring_unregister_files',
      'io_uring_register_eventfd',
      'io_uring_register_eventfd_async',
      'io_uring_unregister_eventfd',
      'io_uring_register_probe',
      'io_uring_register_personality',
      'io_uring_unregister_personality',
      'io_uring_register_iowq_aff',
      'io_uring_unregister_iowq_aff',
      'io_uring_register_iowq_max_workers',
      'io_uring_register_ring_fd',
      'io_uring_unregister_ring_fd',
      'io_uring_register_buf_ring',
      'io_uring_unregister_buf_ring',
      'io_uring_register_sync_cancel',
      'io_uring_register_file_alloc_range',
    ],
    syscalls: ['io_uring_register'],
  },
  {
    functions: ['io_uring_get_probe', 'io_uring_mlock_size', 'io_uring_mlock_size_params'],
    syscalls: ['io_uring_setup', 'io_uring_register', 'mmap', 'munmap', 'close'],
    why: 'a throw-away ring',
  },
  { functions: ['io_uring_get_probe_ring'], syscalls: ['io_uring_register'] },
  { functions: ['io_uring_ring_dontfork'], syscalls: ['madvise'] },

  // libnuma (its constructor also reads /sys and /proc when the library is loaded)
  {
    functions: [
      'numa_available',
      'numa_get_membind',
      'numa_get_interleave_mask',
      'numa_get_interleave_node',
      'numa_preferred',
      'numa_has_preferred_many',
    ],
    syscalls: ['get_mempolicy'],
  },
  {
    functions: [
      'numa_set_membind',
      'numa_set_membind_balancing',
      'numa_set_interleave_mask',
      'numa_set_preferred',
      'numa_set_preferred_many',
      'numa_set_localalloc',
    ],
    syscalls: ['set_mempolicy'],
  },
  { functions: ['numa_bind'], syscalls: ['set_mempolicy', 'sched_setaffinity', 'sched_getaffinity'] },
  {
    functions: ['numa_run_on_node', 'numa_run_on_node_mask', 'numa_run_on_node_mask_all', 'numa_sched_setaffinity'],
    syscalls: ['sched_setaffinity', 'openat', 'read', 'close'],
  },
  { functions: ['numa_sched_getaffinity', 'numa_get_run_node_mask'], syscalls: ['sched_getaffinity', 'openat', 'read', 'close'] },
  {
    functions: ['numa_alloc', 'numa_alloc_onnode', 'numa_alloc_interleaved', 'numa_alloc_interleaved_subset', 'numa_alloc_local'],
    syscalls: ['mmap', 'mbind', 'munmap'],
  },
  { functions: ['numa_realloc'], syscalls: ['mremap', 'mbind'] },
  { functions: ['numa_free'], syscalls: ['munmap'] },
  {
    functions: ['numa_tonode_memory', 'numa_tonodemask_memory', 'numa_interleave_memory', 'numa_setlocal_memory', 'numa_police_memory'],
    syscalls: ['mbind'],
  },
  { functions: ['numa_migrate_pages'], syscalls: ['migrate_pages'] },
  { functions: ['numa_move_pages'], syscalls: ['move_pages'] },
  {
    functions: [
      'numa_node_to_cpus',
      'numa_node_to_cpu_update',
      'numa_node_of_cpu',
      'numa_node_size',
      'numa_node_size64',
      'numa_distance',
      'numa_get_mems_allowed',
    ],
    syscalls: ['openat', 'read', 'newfstatat', 'getdents64', 'close'],
    why: 'files under /sys/devices/system/node and /proc/self/status',
  },
  { functions: ['numa_error', 'numa_warn'], syscalls: STDIO_WRITE },
];

/**
 * What the names of a syscall are called on an arch whose table lacks the x86_64 name (the
 * asm-generic arches, such as aarch64, have only the *at and "2" spellings).
 */
const LEGACY_EQUIVALENTS: Readonly<Record<string, readonly string[]>> = {
  open: ['openat'],
  creat: ['openat'],
  access: ['faccessat'],
  stat: ['newfstatat'],
  lstat: ['newfstatat'],
  newfstatat: ['fstatat64'],
  fstat: ['fstat64'],
  unlink: ['unlinkat'],
  rmdir: ['unlinkat'],
  mkdir: ['mkdirat'],
  rename: ['renameat', 'renameat2'],
  renameat: ['renameat2'],
  link: ['linkat'],
  symlink: ['symlinkat'],
  readlink: ['readlinkat'],
  chmod: ['fchmodat'],
  chown: ['fchownat'],
  lchown: ['fchownat'],
  mknod: ['mknodat'],
  dup2: ['dup3'],
  pipe: ['pipe2'],
  poll: ['ppoll'],
  select: ['pselect6'],
  epoll_wait: ['epoll_pwait'],
  epoll_create: ['epoll_create1'],
  inotify_init: ['inotify_init1'],
  eventfd: ['eventfd2'],
  signalfd: ['signalfd4'],
  fork: ['clone'],
  vfork: ['clone'],
  alarm: ['setitimer'],
  pause: ['ppoll'],
  utimes: ['utimensat'],
  futimesat: ['utimensat'],
  getdents: ['getdents64'],
  fadvise64: ['fadvise64_64', 'arm_fadvise64_64'],
  mmap: ['mmap2'],
  lseek: ['_llseek'],
  sendfile: ['sendfile64'],
  truncate: ['truncate64'],
  ftruncate: ['ftruncate64'],
  statfs: ['statfs64'],
  fstatfs: ['fstatfs64'],
  fcntl: ['fcntl64'],
  getrlimit: ['prlimit64'],
  setrlimit: ['prlimit64'],
  time: [],
  gettimeofday: [],
};

interface Resolved {
  readonly row: ImportRow;
}

let rowsByFunction: ReadonlyMap<string, Resolved> | undefined;

/** The explicit rows by function name; a function named by two rows is a table bug and throws. */
function explicitRows(): ReadonlyMap<string, Resolved> {
  if (rowsByFunction) return rowsByFunction;
  const map = new Map<string, Resolved>();
  for (const row of IMPORT_ROWS) {
    for (const fn of row.functions) {
      if (map.has(fn)) throw new Error(`import table: ${fn} is in two rows`);
      map.set(fn, { row });
    }
  }
  rowsByFunction = map;
  return map;
}

/**
 * The spellings to look an imported symbol up by, most specific first: the name without its
 * symbol version, then with fortify and alias decorations removed (`__read_chk` -> read,
 * `__open64_2` -> open64, `__isoc99_sscanf` -> sscanf, `__libc_malloc` -> malloc, `__xpg_sigpause`
 * -> sigpause, `__close` -> close); each spelling is followed by its form without the LFS `64`
 * (`open64` -> open, `preadv64v2` -> preadv2, `readdir64_r` -> readdir_r).
 */
export function importSpellings(symbol: string): string[] {
  const base = symbol.replace(/@.*$/, '');
  const stems = [base];
  const decorations: readonly RegExp[] = [/^__(.+)_chk$/, /^__(.+)_2$/, /^__isoc(?:99|23)_(.+)$/, /^__libc_(.+)$/, /^__xpg_(.+)$/];
  for (const pattern of decorations) {
    const m = pattern.exec(base);
    if (m?.[1]) stems.push(m[1]);
  }
  // Any other `__` alias (`__close`, `__fxstat64`) is tried without it, last.
  const alias = /^__(.+)$/.exec(base);
  if (stems.length === 1 && alias?.[1]) stems.push(alias[1]);
  const out: string[] = [];
  for (const stem of stems) {
    out.push(stem);
    const without64 = stem.replace(/64v2$/, '2').replace(/64(_r)?$/, '$1');
    if (without64 !== stem && without64 !== '') out.push(without64);
  }
  return [...new Set(out)];
}

/**
 * The table entry for an imported symbol: the explicit row or the identity rule for the first
 * spelling that has either, or undefined. The identity rule uses the x86_64 table.
 */
export function importRowFor(symbol: string): ImportRow | undefined {
  const rows = explicitRows();
  for (const spelling of importSpellings(symbol)) {
    const explicit = rows.get(spelling);
    if (explicit) return explicit.row;
    if (syscallNumber('x86_64', spelling) !== undefined) {
      return { functions: [spelling], syscalls: [spelling], why: 'identity: glibc wraps the syscall of the same name' };
    }
  }
  return undefined;
}

/** x86_64 syscall names to the names `arch` has: kept, replaced by the generic spelling, or dropped. */
function namesOnArch(names: readonly string[], arch: ArchName): string[] {
  const out = new Set<string>();
  for (const name of names) {
    if (arch === 'x86_64' || syscallNumber(arch, name) !== undefined) {
      out.add(name);
      continue;
    }
    for (const alt of LEGACY_EQUIVALENTS[name] ?? []) {
      if (syscallNumber(arch, alt) !== undefined) {
        out.add(alt);
        break;
      }
    }
  }
  return [...out];
}

/**
 * The syscalls `name` (an imported symbol, with or without `@VERSION`) can make on `arch`:
 * ANY_SYSCALL for syscall() and its like, undefined when it is not known to make any (string
 * functions, qsort, math, and anything the table does not know), [] for a known function that
 * makes none (vDSO time functions without fallbacks). The rows are verified on x86_64; on other
 * arches names the arch lacks are replaced by their generic spelling or dropped.
 */
export function syscallsForImport(
  name: string,
  arch: ArchName,
  options: ImportLookupOptions = {},
): readonly string[] | typeof ANY_SYSCALL | undefined {
  // Hints look up every import of every object, most of them many times: answers are kept.
  const key = `${arch}\0${options.fallbacks === false ? 0 : 1}\0${name}`;
  if (lookups.has(key)) return lookups.get(key);
  const row = importRowFor(name);
  const names =
    !row || row.syscalls === ANY_SYSCALL
      ? undefined
      : options.fallbacks === false
        ? row.syscalls
        : [...row.syscalls, ...(row.fallbacks ?? [])];
  const answer = !row ? undefined : row.syscalls === ANY_SYSCALL ? ANY_SYSCALL : namesOnArch(names!, arch);
  lookups.set(key, answer);
  return answer;
}

const lookups = new Map<string, readonly string[] | typeof ANY_SYSCALL | undefined>();
