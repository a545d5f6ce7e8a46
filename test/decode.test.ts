import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ARCHES, type ArchName } from '../src/linux/arch.js';
import { CLONE_BITS, CLONE_NEWTIME } from '../src/linux/decode/clone.js';
import {
  CLOCK_IDS,
  EFD_FLAGS,
  EPOLL_CREATE_FLAGS,
  EPOLL_CTL_OPS,
  GRND_FLAGS,
  IN_INIT_FLAGS,
  IN_MASK,
  PIDFD_OPEN_FLAGS,
  SFD_FLAGS,
  TFD_CREATE_FLAGS,
  TFD_SETTIME_FLAGS,
  TIMER_FLAGS,
  UFFD_FLAGS,
} from '../src/linux/decode/fd.js';
import { argDecoders, decodedSyscalls, formatSockaddr } from '../src/linux/decode/index.js';
import { ioctlRequests } from '../src/linux/decode/ioctl.js';
import {
  IPC_CALLS,
  IPC_GET_FLAGS,
  MSG_IPC_FLAGS,
  MSGCTL_CMDS,
  SEMCTL_CMDS,
  SHMAT_FLAGS,
  SHMCTL_CMDS,
  SHMGET_FLAGS,
} from '../src/linux/decode/ipc.js';
import {
  MADV_ADVICE,
  MAP_FLAGS,
  MFD_FLAGS,
  MLOCK2_FLAGS,
  MLOCKALL_FLAGS,
  MREMAP_FLAGS,
  MSYNC_FLAGS,
  PKEY_ACCESS,
  PROT_FLAGS,
} from '../src/linux/decode/mman.js';
import {
  FSMOUNT_FLAGS,
  FSOPEN_FLAGS,
  MOUNT_ATTR_FLAGS,
  MOVE_MOUNT_FLAGS,
  MS_FLAGS,
  OPEN_TREE_FLAGS,
  UMOUNT_FLAGS,
} from '../src/linux/decode/mount.js';
import {
  ACCESS_MODE,
  AT_ACCESS_FLAGS,
  AT_FLAGS,
  AT_LINK_FLAGS,
  AT_STAT_FLAGS,
  AT_UNLINK_FLAGS,
  CLOSE_RANGE_FLAGS,
  DN_FLAGS,
  F_LOCK_TYPES,
  F_SEALS,
  FADVISE_ADVICE,
  FALLOC_FLAGS,
  FCNTL_CMDS,
  FD_FLAGS,
  FLOCK_OPS,
  MKNOD_MODE,
  OPEN_FLAGS,
  PIPE2_FLAGS,
  RENAME_FLAGS,
  SEEK_WHENCE,
  SYNC_FILE_RANGE_FLAGS,
} from '../src/linux/decode/open.js';
import { ARCH_PRCTL_CODES, PR_OPTIONS } from '../src/linux/decode/prctl.js';
import {
  FUTEX_CMDS,
  MEMBARRIER_CMDS,
  PERSONALITY,
  PRIO_WHICH,
  PTRACE_REQUESTS,
  RLIMITS,
  SCHED_POLICY,
  WAIT4_OPTIONS,
  WAITID_OPTIONS,
  WAITID_TYPES,
} from '../src/linux/decode/process.js';
import type { FlagSpec } from '../src/linux/decode/render.js';
import {
  BPF_CMDS,
  KEYCTL_OPS,
  LANDLOCK_CREATE_FLAGS,
  LANDLOCK_RULE_TYPES,
  PERF_FLAGS,
  SECCOMP_FILTER_FLAGS,
  SECCOMP_MODES,
  SECCOMP_OPS,
} from '../src/linux/decode/security.js';
import { ALL_SIGNALS, SIGPROCMASK_HOW } from '../src/linux/decode/signals.js';
import {
  AF_FAMILIES,
  ETH_PROTOCOLS,
  IP_OPTIONS,
  IPPROTOS,
  IPV6_OPTIONS,
  MSG_FLAGS,
  NETLINK_OPTIONS,
  NETLINK_PROTOCOLS,
  SHUT_HOW,
  SO_OPTIONS,
  SOCK_FLAG_BITS,
  SOCK_TYPES,
  SOCKETCALL_CALLS,
  SOL_LEVELS,
  TCP_OPTIONS,
  UDP_OPTIONS,
} from '../src/linux/decode/socket.js';
import { pickArch, type Pairs, type PerArch } from '../src/linux/decode/types.js';
import { syscallNumber } from '../src/linux/syscalls.js';

/** Render argument `name` of `syscall` on `arch`. */
function fmt(arch: ArchName, syscall: string, name: string, value: number | bigint, context?: number): string {
  const d = argDecoders(arch, syscall).find((x) => x.name === name);
  if (!d) throw new Error(`${arch} ${syscall} has no decoder for ${name}`);
  return d.format(value, context);
}

describe('argument rendering', () => {
  it.each<[ArchName, string, string, number | bigint, number | undefined, string]>([
    // clone: CLONE_* ascending, unknown bits in hex, the exit signal last
    [
      'x86_64',
      'clone',
      'flags',
      0x3d0f00 + 17,
      undefined,
      'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD',
    ],
    ['x86_64', 'clone', 'flags', 0x01200000 + 17, undefined, 'CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD'],
    ['x86_64', 'clone', 'flags', 0x400000100n + 17n, undefined, 'CLONE_VM|0x400000000|SIGCHLD'],
    ['x86_64', 'clone', 'flags', 0x4111, undefined, 'CLONE_VM|CLONE_VFORK|SIGCHLD'],
    [
      'i386',
      'clone',
      'flags',
      0x3d0f00 + 17,
      undefined,
      'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD',
    ],
    ['x86_64', 'clone', 'flags', 0, undefined, '0'],
    // clone3 flags (the u64 read from clone_args): 64-bit bits, CLONE_NEWTIME allowed
    ['x86_64', 'clone3', 'cl_args', 0x300000000n, undefined, 'CLONE_CLEAR_SIGHAND|CLONE_INTO_CGROUP'],
    ['i386', 'clone3', 'cl_args', 0x200000080n, undefined, 'CLONE_NEWTIME|CLONE_INTO_CGROUP'],
    ['x86_64', 'unshare', 'flags', 0x10020000, undefined, 'CLONE_NEWNS|CLONE_NEWUSER'],
    ['x86_64', 'setns', 'nstype', 0, undefined, '0'],
    ['x86_64', 'setns', 'nstype', 0x40000000, undefined, 'CLONE_NEWNET'],
    // open flags: access mode first, arch-specific bits
    ['x86_64', 'openat', 'flags', 0x80000, undefined, 'O_RDONLY|O_CLOEXEC'],
    ['x86_64', 'openat', 'flags', 0o2200000, undefined, 'O_RDONLY|O_DIRECTORY|O_CLOEXEC'],
    ['aarch64', 'openat', 'flags', 0o2040000, undefined, 'O_RDONLY|O_DIRECTORY|O_CLOEXEC'],
    ['aarch64', 'openat', 'flags', 0o200000, undefined, 'O_RDONLY|O_DIRECT'],
    ['x86_64', 'open', 'flags', 0o1101, undefined, 'O_WRONLY|O_CREAT|O_TRUNC'],
    ['i386', 'open', 'flags', 0o100002, undefined, 'O_RDWR|O_LARGEFILE'],
    ['x86_64', 'openat', 'flags', 0o4010002, undefined, 'O_RDWR|O_SYNC'],
    ['x86_64', 'openat', 'flags', 0o20200002, undefined, 'O_RDWR|O_TMPFILE'],
    ['x86_64', 'openat', 'flags', 0x80000000, undefined, 'O_RDONLY|0x80000000'],
    ['x86_64', 'pipe2', 'flags', 0o2004000, undefined, 'O_NONBLOCK|O_CLOEXEC'],
    ['x86_64', 'dup3', 'flags', 0, undefined, '0'],
    // sockets
    ['x86_64', 'socket', 'domain', 2, undefined, 'AF_INET'],
    ['x86_64', 'socket', 'domain', 99, undefined, '99'],
    ['x86_64', 'socket', 'type', 0x80001, undefined, 'SOCK_STREAM|SOCK_CLOEXEC'],
    ['x86_64', 'socketpair', 'type', 0x80805, undefined, 'SOCK_SEQPACKET|SOCK_NONBLOCK|SOCK_CLOEXEC'],
    ['x86_64', 'socket', 'protocol', 6, 2, 'IPPROTO_TCP'],
    ['x86_64', 'socket', 'protocol', 0, 10, 'IPPROTO_IP'],
    ['x86_64', 'socket', 'protocol', 15, 16, 'NETLINK_KOBJECT_UEVENT'],
    ['x86_64', 'socket', 'protocol', 0x300, 17, 'htons(ETH_P_ALL)'],
    ['x86_64', 'socket', 'protocol', 0, 1, '0'],
    ['x86_64', 'socket', 'protocol', 6, undefined, '6'],
    ['x86_64', 'accept4', 'flags', 0x80800, undefined, 'SOCK_NONBLOCK|SOCK_CLOEXEC'],
    ['x86_64', 'setsockopt', 'level', 1, undefined, 'SOL_SOCKET'],
    ['x86_64', 'setsockopt', 'optname', 2, 1, 'SO_REUSEADDR'],
    ['x86_64', 'setsockopt', 'optname', 1, 6, 'TCP_NODELAY'],
    ['x86_64', 'getsockopt', 'optname', 26, 41, 'IPV6_V6ONLY'],
    ['x86_64', 'setsockopt', 'optname', 1, undefined, '1'],
    ['x86_64', 'sendto', 'flags', 0x4040, undefined, 'MSG_DONTWAIT|MSG_NOSIGNAL'],
    ['i386', 'socketcall', 'call', 3, undefined, 'SYS_CONNECT'],
    // ioctl
    ['x86_64', 'ioctl', 'request', 0x5401, undefined, 'TCGETS'],
    ['x86_64', 'ioctl', 'request', 0x5412, undefined, 'TIOCSTI'],
    ['x86_64', 'ioctl', 'request', 0x5413, undefined, 'TIOCGWINSZ'],
    ['x86_64', 'ioctl', 'request', 0x541b, undefined, 'FIONREAD'],
    ['x86_64', 'ioctl', 'request', 0x5451, undefined, 'FIOCLEX'],
    ['x86_64', 'ioctl', 'request', 0xae80, undefined, 'KVM_RUN'],
    ['x86_64', 'ioctl', 'request', 0xae01, undefined, 'KVM_CREATE_VM'],
    ['x86_64', 'ioctl', 'request', 0x400454ca, undefined, 'TUNSETIFF'],
    ['x86_64', 'ioctl', 'request', 0x40049409, undefined, 'FICLONE'],
    ['x86_64', 'ioctl', 'request', 0x8913, undefined, 'SIOCGIFFLAGS'],
    ['x86_64', 'ioctl', 'request', 0x80081272, undefined, 'BLKGETSIZE64'],
    ['i386', 'ioctl', 'request', 0x80041272, undefined, 'BLKGETSIZE64'],
    ['x32', 'ioctl', 'request', 0x80046601, undefined, 'FS_IOC_GETFLAGS'],
    ['x86_64', 'ioctl', 'request', 0x80046601, undefined, 'FS_IOC32_GETFLAGS'],
    ['aarch64', 'ioctl', 'request', 0x4020aeae, undefined, 'KVM_ARM_VCPU_INIT'],
    ['x86_64', 'ioctl', 'request', 0x4020aeae, undefined, '_IOC(_IOC_WRITE,0xae,0xae,0x20)'],
    ['x86_64', 'ioctl', 'request', 0xc0186699, undefined, '_IOC(_IOC_READ|_IOC_WRITE,0x66,0x99,0x18)'],
    ['x86_64', 'ioctl', 'request', 0x1234, undefined, '_IOC(_IOC_NONE,0x12,0x34,0x0)'],
    ['x86_64', 'ioctl', 'request', 0xffffffff00005401n, undefined, 'TCGETS'],
    // fcntl: cmd, and arg by cmd
    ['x86_64', 'fcntl', 'cmd', 1030, undefined, 'F_DUPFD_CLOEXEC'],
    ['i386', 'fcntl64', 'cmd', 14, undefined, 'F_SETLKW64'],
    ['x86_64', 'fcntl', 'cmd', 14, undefined, '14'],
    ['x86_64', 'fcntl', 'arg', 0o4000, 4, 'O_NONBLOCK'],
    ['x86_64', 'fcntl', 'arg', 1, 2, 'FD_CLOEXEC'],
    ['x86_64', 'fcntl', 'arg', 0xf, 1033, 'F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE'],
    // prctl, arch_prctl, personality, ptrace
    ['x86_64', 'prctl', 'option', 38, undefined, 'PR_SET_NO_NEW_PRIVS'],
    ['x86_64', 'prctl', 'option', 22, undefined, 'PR_SET_SECCOMP'],
    ['x86_64', 'prctl', 'option', 0x53564d41, undefined, 'PR_SET_VMA'],
    ['x86_64', 'prctl', 'option', 1000, undefined, '1000'],
    ['x86_64', 'arch_prctl', 'code', 0x1002, undefined, 'ARCH_SET_FS'],
    ['x86_64', 'personality', 'persona', 0xffffffff, undefined, '0xffffffff (query)'],
    ['x86_64', 'personality', 'persona', 0x0040000, undefined, 'PER_LINUX|ADDR_NO_RANDOMIZE'],
    ['x86_64', 'personality', 'persona', 0x0400008, undefined, 'PER_LINUX32|READ_IMPLIES_EXEC'],
    ['x86_64', 'ptrace', 'request', 0x4206, undefined, 'PTRACE_SEIZE'],
    ['x86_64', 'ptrace', 'request', 12, undefined, 'PTRACE_GETREGS'],
    ['aarch64', 'ptrace', 'request', 12, undefined, '0xc'],
    // memory
    ['x86_64', 'mmap', 'prot', 7, undefined, 'PROT_READ|PROT_WRITE|PROT_EXEC'],
    ['x86_64', 'mprotect', 'prot', 0, undefined, 'PROT_NONE'],
    ['aarch64', 'mprotect', 'prot', 0x15, undefined, 'PROT_READ|PROT_EXEC|PROT_BTI'],
    ['x86_64', 'mmap', 'flags', 0x22, undefined, 'MAP_PRIVATE|MAP_ANONYMOUS'],
    ['x86_64', 'mmap', 'flags', 0x40022, undefined, 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB'],
    ['x86_64', 'mmap', 'flags', 0x40022 + 21 * 2 ** 26, undefined, 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB'],
    ['x86_64', 'mmap', 'flags', 0x4000022, undefined, 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_UNINITIALIZED'],
    ['x86_64', 'mmap', 'flags', 0x100011, undefined, 'MAP_SHARED|MAP_FIXED|MAP_FIXED_NOREPLACE'],
    ['x86_64', 'mmap', 'flags', 0x62, undefined, 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_32BIT'],
    ['aarch64', 'mmap', 'flags', 0x62, undefined, 'MAP_PRIVATE|MAP_ANONYMOUS|0x40'],
    ['i386', 'mmap2', 'flags', 0x22, undefined, 'MAP_PRIVATE|MAP_ANONYMOUS'],
    ['x86_64', 'mremap', 'flags', 3, undefined, 'MREMAP_MAYMOVE|MREMAP_FIXED'],
    ['x86_64', 'madvise', 'advice', 4, undefined, 'MADV_DONTNEED'],
    ['x86_64', 'madvise', 'advice', 14, undefined, 'MADV_HUGEPAGE'],
    ['x86_64', 'mlockall', 'flags', 3, undefined, 'MCL_CURRENT|MCL_FUTURE'],
    ['x86_64', 'memfd_create', 'flags', 3, undefined, 'MFD_CLOEXEC|MFD_ALLOW_SEALING'],
    ['x86_64', 'pkey_alloc', 'access_rights', 1, undefined, 'PKEY_DISABLE_ACCESS'],
    // futex and scheduling
    ['x86_64', 'futex', 'op', 128, undefined, 'FUTEX_WAIT_PRIVATE'],
    ['x86_64', 'futex', 'op', 129, undefined, 'FUTEX_WAKE_PRIVATE'],
    ['x86_64', 'futex', 'op', 9 + 128 + 256, undefined, 'FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME'],
    ['x86_64', 'futex', 'op', 0, undefined, 'FUTEX_WAIT'],
    ['x86_64', 'futex', 'op', 99 + 128, undefined, '0x63|FUTEX_PRIVATE_FLAG'],
    ['i386', 'futex_time64', 'op', 1, undefined, 'FUTEX_WAKE'],
    ['x86_64', 'sched_setscheduler', 'policy', 0x40000001, undefined, 'SCHED_FIFO|SCHED_RESET_ON_FORK'],
    ['x86_64', 'sched_setscheduler', 'policy', 0, undefined, 'SCHED_NORMAL'],
    // signals
    ['x86_64', 'kill', 'sig', 9, undefined, 'SIGKILL'],
    ['x86_64', 'kill', 'sig', 0, undefined, '0'],
    ['x86_64', 'tgkill', 'sig', 6, undefined, 'SIGABRT'],
    ['x86_64', 'tkill', 'sig', 32, undefined, 'SIGRTMIN'],
    ['x86_64', 'rt_sigqueueinfo', 'sig', 34, undefined, 'SIGRTMIN+2'],
    ['x86_64', 'pidfd_send_signal', 'sig', 15, undefined, 'SIGTERM'],
    ['x86_64', 'rt_sigaction', 'signum', 17, undefined, 'SIGCHLD'],
    ['x86_64', 'rt_sigprocmask', 'how', 2, undefined, 'SIG_SETMASK'],
    // security multiplexers
    ['x86_64', 'seccomp', 'operation', 1, undefined, 'SECCOMP_SET_MODE_FILTER'],
    ['x86_64', 'seccomp', 'flags', 9, undefined, 'SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_NEW_LISTENER'],
    ['x86_64', 'bpf', 'cmd', 5, undefined, 'BPF_PROG_LOAD'],
    ['x86_64', 'keyctl', 'operation', 0, undefined, 'KEYCTL_GET_KEYRING_ID'],
    ['x86_64', 'perf_event_open', 'flags', 8, undefined, 'PERF_FLAG_FD_CLOEXEC'],
    // mounts
    ['x86_64', 'mount', 'mountflags', 0x5000, undefined, 'MS_BIND|MS_REC'],
    ['x86_64', 'mount', 'mountflags', 0xc0ed0000n + 0x21n, undefined, 'MS_MGC_VAL|MS_RDONLY|MS_REMOUNT'],
    ['x86_64', 'mount', 'mountflags', 0x40000, undefined, 'MS_PRIVATE'],
    ['x86_64', 'umount2', 'flags', 2, undefined, 'MNT_DETACH'],
    // fds, clocks, waits, limits
    ['x86_64', 'eventfd2', 'flags', 0x80800, undefined, 'EFD_NONBLOCK|EFD_CLOEXEC'],
    ['x86_64', 'epoll_create1', 'flags', 0x80000, undefined, 'EPOLL_CLOEXEC'],
    ['x86_64', 'inotify_init1', 'flags', 0x80800, undefined, 'IN_NONBLOCK|IN_CLOEXEC'],
    ['x86_64', 'timerfd_create', 'clockid', 1, undefined, 'CLOCK_MONOTONIC'],
    ['x86_64', 'timerfd_create', 'flags', 0x80000, undefined, 'TFD_CLOEXEC'],
    ['x86_64', 'clock_gettime', 'clockid', 7, undefined, 'CLOCK_BOOTTIME'],
    ['x86_64', 'clock_gettime', 'clockid', 0xfffffffa, undefined, '-6'],
    ['x86_64', 'clock_nanosleep', 'flags', 1, undefined, 'TIMER_ABSTIME'],
    ['x86_64', 'wait4', 'options', 0x40000001, undefined, 'WNOHANG|__WALL'],
    ['x86_64', 'waitid', 'options', 4, undefined, 'WEXITED'],
    ['x86_64', 'waitid', 'idtype', 3, undefined, 'P_PIDFD'],
    ['x86_64', 'prlimit64', 'resource', 7, undefined, 'RLIMIT_NOFILE'],
    ['i386', 'ugetrlimit', 'resource', 3, undefined, 'RLIMIT_STACK'],
    ['x86_64', 'fadvise64', 'advice', 4, undefined, 'POSIX_FADV_DONTNEED'],
    ['x86_64', 'fallocate', 'mode', 3, undefined, 'FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE'],
    ['x86_64', 'flock', 'operation', 6, undefined, 'LOCK_EX|LOCK_NB'],
    ['x86_64', 'lseek', 'whence', 3, undefined, 'SEEK_DATA'],
    ['x86_64', 'getrandom', 'flags', 1, undefined, 'GRND_NONBLOCK'],
    // System V IPC
    ['x86_64', 'shmget', 'shmflg', 0o1600, undefined, 'IPC_CREAT|0600'],
    ['x86_64', 'semget', 'semflg', 0o3666, undefined, 'IPC_CREAT|IPC_EXCL|0666'],
    ['x86_64', 'shmctl', 'cmd', 0, undefined, 'IPC_RMID'],
    ['i386', 'shmctl', 'cmd', 0x102, undefined, 'IPC_STAT|IPC_64'],
    ['x86_64', 'semctl', 'cmd', 16, undefined, 'SETVAL'],
    ['i386', 'ipc', 'call', 23, undefined, 'SHMGET'],
    ['i386', 'ipc', 'call', 0x10015, undefined, 'SHMAT|0x10000'],
    // files
    ['x86_64', 'access', 'mode', 0, undefined, 'F_OK'],
    ['x86_64', 'faccessat2', 'mode', 6, undefined, 'W_OK|R_OK'],
    ['x86_64', 'newfstatat', 'flags', 0x1000, undefined, 'AT_EMPTY_PATH'],
    ['x86_64', 'unlinkat', 'flags', 0x200, undefined, 'AT_REMOVEDIR'],
    ['x86_64', 'renameat2', 'flags', 1, undefined, 'RENAME_NOREPLACE'],
    ['x86_64', 'mknod', 'mode', 0o20666, undefined, 'S_IFCHR|0666'],
    ['x86_64', 'mknodat', 'mode', 0o100644, undefined, 'S_IFREG|0644'],
    ['x86_64', 'execveat', 'flags', 0x1000, undefined, 'AT_EMPTY_PATH'],
    // int args and negative numbers as callers may pass them
    ['x86_64', 'pkey_alloc', 'flags', 0, undefined, '0'],
    ['x86_64', 'pkey_alloc', 'flags', -1, undefined, '-1'],
  ])('%s %s %s %s (context %s) → %s', (arch, syscall, name, value, context, expected) => {
    expect(fmt(arch, syscall, name, value, context)).toBe(expected);
  });

  it('renders only the low `width` bits (upper register bits are ignored for int arguments)', () => {
    const [d] = argDecoders('x86_64', 'kill');
    expect(d!.width).toBe(32);
    expect(d!.format(0xdeadbeef00000009n)).toBe('SIGKILL');
    const [clone] = argDecoders('x86_64', 'clone');
    expect(clone!.width).toBe(64);
    const [iclone] = argDecoders('i386', 'clone');
    expect(iclone!.width).toBe(32);
  });

  it('describes pointer arguments so the tracer knows what to read', () => {
    expect(argDecoders('x86_64', 'connect')).toMatchObject([{ index: 1, kind: 'sockaddr', lengthIndex: 2, width: 64 }]);
    expect(argDecoders('x86_64', 'sendto').map((d) => [d.index, d.kind, d.lengthIndex])).toEqual([
      [3, 'flags', undefined],
      [4, 'sockaddr', 5],
    ]);
    expect(argDecoders('x86_64', 'openat').map((d) => [d.index, d.kind])).toEqual([
      [1, 'path'],
      [2, 'flags'],
    ]);
    expect(argDecoders('x86_64', 'mount').map((d) => d.kind)).toEqual(['path', 'path', 'path', 'flags']);
    expect(argDecoders('x86_64', 'execve')).toMatchObject([{ index: 0, kind: 'path' }]);
    expect(argDecoders('x86_64', 'clone3')).toMatchObject([{ index: 0, kind: 'clone_args', width: 64 }]);
    expect(argDecoders('i386', 'clone3')).toMatchObject([{ index: 0, kind: 'clone_args', width: 32 }]);
    expect(argDecoders('x86_64', 'socket')[2]).toMatchObject({ name: 'protocol', contextIndex: 0 });
    expect(argDecoders('x86_64', 'setsockopt')[1]).toMatchObject({ name: 'optname', contextIndex: 1 });
  });

  it('knows per-arch argument positions and arch-only decoders', () => {
    expect(argDecoders('x86_64', 'fadvise64')[0]!.index).toBe(3);
    expect(argDecoders('i386', 'fadvise64')[0]!.index).toBe(4);
    expect(argDecoders('i386', 'fadvise64_64')[0]!.index).toBe(5);
    expect(argDecoders('i386', 'sync_file_range')[0]!.index).toBe(5);
    expect(argDecoders('aarch64', 'sync_file_range')[0]!.index).toBe(3);
    expect(argDecoders('i386', 'mmap')).toEqual([]); // old_mmap(struct mmap_arg_struct *)
    expect(argDecoders('x86_64', 'mmap').map((d) => d.name)).toEqual(['prot', 'flags']);
    expect(argDecoders('aarch64', 'arch_prctl')).toEqual([]);
    expect(argDecoders('x86_64', 'read')).toEqual([]);
    expect(argDecoders('x86_64', 'constructor')).toEqual([]);
  });

  it('returns the same frozen list on every call (callers cache it per syscall number)', () => {
    const a = argDecoders('x86_64', 'openat');
    expect(argDecoders('x86_64', 'openat')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });
});

describe('the registry', () => {
  it('names only syscalls that exist on at least one arch', () => {
    const missing = decodedSyscalls().filter((name) => ARCHES.every((a) => syscallNumber(a.name, name) === undefined));
    expect(missing).toEqual([]);
  });

  it('has sane indexes on every arch where the syscall exists', () => {
    for (const { name: arch } of ARCHES) {
      for (const name of decodedSyscalls()) {
        if (syscallNumber(arch, name) === undefined) continue;
        const ds = argDecoders(arch, name);
        const indexes = ds.map((d) => d.index);
        expect(new Set(indexes).size, `${arch} ${name}`).toBe(indexes.length);
        for (const d of ds) {
          expect(d.index, `${arch} ${name} ${d.name}`).toBeGreaterThanOrEqual(0);
          expect(d.index, `${arch} ${name} ${d.name}`).toBeLessThan(6);
          if (d.kind === 'sockaddr') expect(d.lengthIndex, `${arch} ${name}`).toBeDefined();
          for (const other of [d.lengthIndex, d.contextIndex]) {
            if (other !== undefined) expect(other).not.toBe(d.index);
            if (other !== undefined) expect(other).toBeLessThan(6);
          }
          expect(() => d.format(0)).not.toThrow();
          expect(() => d.format(2n ** 64n - 1n)).not.toThrow();
        }
      }
    }
  });
});

describe('formatSockaddr', () => {
  const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
  const unix = (path: string, abstract = false): Uint8Array =>
    new Uint8Array([1, 0, ...(abstract ? [0] : []), ...Buffer.from(path), ...(abstract ? [] : [0])]);
  it.each<[string, Uint8Array, string]>([
    ['inet', bytes(2, 0, 0, 80, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0), '1.2.3.4:80'],
    ['inet high port', bytes(2, 0, 0xff, 0xff, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), '127.0.0.1:65535'],
    ['inet6 loopback', bytes(10, 0, 0, 80, 0, 0, 0, 0, ...Array(15).fill(0), 1, 0, 0, 0, 0), '[::1]:80'],
    ['inet6 any', bytes(10, 0, 0x1f, 0x90, 0, 0, 0, 0, ...Array(16).fill(0), 0, 0, 0, 0), '[::]:8080'],
    ['inet6 scoped', bytes(10, 0, 0, 22, 0, 0, 0, 0, 0xfe, 0x80, ...Array(13).fill(0), 1, 2, 0, 0, 0), '[fe80::1%2]:22'],
    ['inet6 v4-mapped', bytes(10, 0, 0, 53, 0, 0, 0, 0, ...Array(10).fill(0), 0xff, 0xff, 10, 0, 0, 1, 0, 0, 0, 0), '[::ffff:10.0.0.1]:53'],
    [
      'inet6 RFC 5952 (first longest zero run)',
      bytes(10, 0, 0, 1, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0),
      '[2001:db8::1:0:0:1]:1',
    ],
    ['unix path', unix('/run/dbus/system_bus_socket'), '/run/dbus/system_bus_socket'],
    ['unix path without NUL', new Uint8Array([1, 0, ...Buffer.from('/tmp/s')]), '/tmp/s'],
    ['unix abstract', unix('/tmp/.X11-unix/X0', true), '@/tmp/.X11-unix/X0'],
    ['unix abstract with binary bytes', bytes(1, 0, 0, 0x61, 0, 0x0a), '@a\\x00\\x0a'],
    ['unix unnamed', bytes(1, 0), 'AF_UNIX(unnamed)'],
    ['netlink', bytes(16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 'AF_NETLINK'],
    ['unknown family', bytes(200, 0, 1, 2), 'AF_200'],
    ['truncated inet', bytes(2, 0, 0, 80), 'AF_INET(truncated)'],
    ['empty', bytes(), '(empty)'],
  ])('%s', (_label, input, expected) => {
    expect(formatSockaddr(input)).toBe(expected);
  });
});

// ---- self-check against the C headers ----------------------------------------------------------

const hasGcc = spawnSync('gcc', ['--version']).status === 0;
// Without gcc the header cross-check cannot run: in CI that is a failure, never a skip.
if (!hasGcc && process.env.CI)
  throw new Error('gcc is required to check the decoder constants against the C headers (.ci/run installs it)');
const run = promisify(execFile);

/** gcc flag per ABI; all three compile on an x86_64 host with the bi-arch headers. */
const ABI_FLAGS: Partial<Record<ArchName, string>> = { x86_64: '-m64', x32: '-mx32', i386: '-m32' };

/** Names newer than the installed headers (Linux 6.1 uapi); their values come from later kernels. */
const NEWER_THAN_HEADERS = new Set([
  'F_DUPFD_QUERY',
  'F_CREATED_QUERY',
  'F_SEAL_EXEC',
  'MAP_DROPPABLE',
  'MAP_ABOVE4G',
  'MADV_GUARD_INSTALL',
  'MADV_GUARD_REMOVE',
  'MFD_NOEXEC_SEAL',
  'MFD_EXEC',
  'MFD_HUGE_16KB',
  'SHM_HUGE_16KB',
  'SO_PASSPIDFD',
  'SO_PEERPIDFD',
  'PR_SET_MDWE',
  'PR_GET_MDWE',
  'PR_SET_MEMORY_MERGE',
  'PR_GET_MEMORY_MERGE',
  'PR_RISCV_V_SET_CONTROL',
  'PR_RISCV_V_GET_CONTROL',
  'PR_RISCV_SET_ICACHE_FLUSH_CTX',
  'PR_PPC_GET_DEXCR',
  'PR_PPC_SET_DEXCR',
  'PR_GET_SHADOW_STACK_STATUS',
  'PR_SET_SHADOW_STACK_STATUS',
  'PR_LOCK_SHADOW_STACK_STATUS',
  'PR_TIMER_CREATE_RESTORE_IDS',
  'PR_FUTEX_HASH',
  'PR_GET_AUXV',
  'ARCH_GET_UNTAG_MASK',
  'ARCH_ENABLE_TAGGED_ADDR',
  'ARCH_GET_MAX_TAG_BITS',
  'ARCH_FORCE_TAGGED_SVA',
  'ARCH_SHSTK_ENABLE',
  'ARCH_SHSTK_DISABLE',
  'ARCH_SHSTK_LOCK',
  'ARCH_SHSTK_UNLOCK',
  'ARCH_SHSTK_STATUS',
  'PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG',
  'PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG',
  'SCHED_EXT',
  'MEMBARRIER_CMD_GET_REGISTRATIONS',
  'BPF_TOKEN_CREATE',
  'LANDLOCK_RULE_NET_PORT',
  'MOVE_MOUNT_BENEATH',
  'SECCOMP_IOCTL_NOTIF_SET_FLAGS',
  'PIDFD_THREAD',
]);

/** Our spelling → the C expression that yields it. */
const C_ALIASES: Readonly<Record<string, string>> = { O_ASYNC: 'FASYNC' };

type Check = readonly [name: string, value: bigint, cExpr: string];

function pairChecks(pairs: Pairs): Check[] {
  return pairs.map(([name, value]) => [name, BigInt(value), C_ALIASES[name] ?? name] as const);
}

/** Every named constant of a flag set: bits as they are, field values as ((NAME & mask) >> shift). */
function specChecks(spec: FlagSpec): Check[] {
  const out = pairChecks(spec.bits);
  for (const f of spec.fields ?? []) {
    for (const [name, value] of f.names ?? []) {
      const expr = `(((unsigned long long)(${C_ALIASES[name] ?? name}) & ${BigInt(f.mask)}ULL) >> ${f.shift ?? 0})`;
      out.push([name, BigInt(value), expr]);
    }
  }
  return out;
}

function perArch<T>(t: T | PerArch<T>, arch: ArchName, f: (x: T) => Check[]): Check[] {
  return f(pickArch(t, arch));
}

interface HeaderGroup {
  readonly label: string;
  readonly includes: readonly string[];
  readonly checks: (arch: ArchName) => Check[];
}

const KERNEL_FILE_HEADERS = [
  'stddef.h',
  'linux/types.h',
  'linux/fcntl.h',
  'linux/fs.h',
  'linux/stat.h',
  'linux/falloc.h',
  'linux/fadvise.h',
  'linux/close_range.h',
  'linux/ioctl.h',
  'linux/watch_queue.h',
];

const GROUPS: readonly HeaderGroup[] = [
  { label: 'clone', includes: ['linux/sched.h'], checks: () => [...pairChecks(CLONE_BITS), ...pairChecks(CLONE_NEWTIME)] },
  { label: 'signals', includes: ['stddef.h', 'asm/signal.h'], checks: () => [...pairChecks(ALL_SIGNALS), ...pairChecks(SIGPROCMASK_HOW)] },
  {
    label: 'files',
    includes: KERNEL_FILE_HEADERS,
    checks: (arch) => [
      ...perArch(OPEN_FLAGS, arch, specChecks),
      ...perArch(PIPE2_FLAGS, arch, specChecks),
      ...perArch(FCNTL_CMDS, arch, pairChecks),
      ...[
        AT_STAT_FLAGS,
        AT_FLAGS,
        AT_ACCESS_FLAGS,
        AT_UNLINK_FLAGS,
        AT_LINK_FLAGS,
        RENAME_FLAGS,
        FD_FLAGS,
        F_SEALS,
        DN_FLAGS,
        FLOCK_OPS,
        FALLOC_FLAGS,
        SYNC_FILE_RANGE_FLAGS,
        CLOSE_RANGE_FLAGS,
        MKNOD_MODE,
      ].flatMap(specChecks),
      ...[F_LOCK_TYPES, SEEK_WHENCE, FADVISE_ADVICE].flatMap(pairChecks),
    ],
  },
  {
    label: 'glibc-only names',
    includes: ['unistd.h', 'sys/eventfd.h', 'sys/mount.h'],
    checks: () => [ACCESS_MODE, EFD_FLAGS, UMOUNT_FLAGS].flatMap(specChecks),
  },
  {
    label: 'memory',
    includes: ['stddef.h', 'linux/mman.h', 'linux/memfd.h'],
    checks: (arch) => [
      ...perArch(PROT_FLAGS, arch, specChecks),
      ...perArch(MAP_FLAGS, arch, specChecks),
      ...[MREMAP_FLAGS, MSYNC_FLAGS, MLOCKALL_FLAGS, MLOCK2_FLAGS, PKEY_ACCESS, MFD_FLAGS].flatMap(specChecks),
      ...pairChecks(MADV_ADVICE),
    ],
  },
  {
    label: 'sockets (libc)',
    includes: ['sys/socket.h', 'netinet/in.h', 'netinet/tcp.h', 'netinet/udp.h'],
    checks: () => [
      ...[AF_FAMILIES, SOCK_TYPES, SOCK_FLAG_BITS, SOL_LEVELS, SO_OPTIONS, SHUT_HOW].flatMap(pairChecks),
      ...specChecks(MSG_FLAGS),
    ],
  },
  {
    label: 'sockets (kernel)',
    includes: ['stddef.h', 'linux/in.h', 'linux/in6.h', 'linux/tcp.h', 'linux/udp.h', 'linux/netlink.h', 'linux/if_ether.h', 'linux/net.h'],
    checks: () =>
      [
        IPPROTOS,
        NETLINK_PROTOCOLS,
        ETH_PROTOCOLS,
        IP_OPTIONS,
        IPV6_OPTIONS,
        TCP_OPTIONS,
        UDP_OPTIONS,
        NETLINK_OPTIONS,
        SOCKETCALL_CALLS,
      ].flatMap(pairChecks),
  },
  {
    label: 'ioctl',
    includes: [
      'stddef.h',
      'linux/types.h',
      'linux/ioctl.h',
      'asm/termbits.h',
      'linux/serial.h',
      'asm/ioctls.h',
      'linux/sockios.h',
      'linux/filter.h',
      'linux/if_tun.h',
      'linux/fs.h',
      'linux/blkpg.h',
      'linux/fiemap.h',
      'linux/blktrace_api.h',
      'linux/loop.h',
      'linux/nsfs.h',
      'linux/random.h',
      'linux/perf_event.h',
      'linux/userfaultfd.h',
      'linux/seccomp.h',
      'linux/vt.h',
      'linux/kd.h',
      'linux/kvm.h',
    ],
    checks: (arch) => pairChecks(ioctlRequests(arch)),
  },
  { label: 'prctl', includes: ['linux/prctl.h', 'asm/prctl.h'], checks: () => [PR_OPTIONS, ARCH_PRCTL_CODES].flatMap(pairChecks) },
  {
    label: 'processes',
    includes: [
      'stddef.h',
      'linux/ptrace.h',
      'asm/ptrace-abi.h',
      'linux/personality.h',
      'linux/wait.h',
      'linux/resource.h',
      'linux/sched.h',
      'linux/futex.h',
      'linux/membarrier.h',
    ],
    checks: (arch) => [
      ...perArch(PTRACE_REQUESTS, arch, pairChecks),
      ...[PERSONALITY, WAIT4_OPTIONS, WAITID_OPTIONS, SCHED_POLICY].flatMap(specChecks),
      ...[WAITID_TYPES, RLIMITS, PRIO_WHICH, FUTEX_CMDS, MEMBARRIER_CMDS].flatMap(pairChecks),
    ],
  },
  {
    label: 'file descriptors and clocks',
    includes: [
      'stddef.h',
      'linux/fcntl.h',
      'linux/eventpoll.h',
      'linux/inotify.h',
      'linux/timerfd.h',
      'linux/signalfd.h',
      'linux/pidfd.h',
      'linux/userfaultfd.h',
      'linux/random.h',
      'linux/time.h',
    ],
    checks: () => [
      ...[
        EPOLL_CREATE_FLAGS,
        IN_INIT_FLAGS,
        IN_MASK,
        TFD_CREATE_FLAGS,
        TFD_SETTIME_FLAGS,
        SFD_FLAGS,
        PIDFD_OPEN_FLAGS,
        UFFD_FLAGS,
        GRND_FLAGS,
        TIMER_FLAGS,
      ].flatMap(specChecks),
      ...[EPOLL_CTL_OPS, CLOCK_IDS].flatMap(pairChecks),
    ],
  },
  {
    label: 'security',
    includes: ['stddef.h', 'linux/seccomp.h', 'linux/bpf.h', 'linux/keyctl.h', 'linux/landlock.h', 'linux/perf_event.h'],
    checks: () => [
      ...[SECCOMP_FILTER_FLAGS, LANDLOCK_CREATE_FLAGS, PERF_FLAGS].flatMap(specChecks),
      ...[SECCOMP_OPS, SECCOMP_MODES, BPF_CMDS, KEYCTL_OPS, LANDLOCK_RULE_TYPES].flatMap(pairChecks),
    ],
  },
  {
    label: 'System V IPC',
    includes: ['stddef.h', 'linux/ipc.h', 'linux/shm.h', 'linux/sem.h', 'linux/msg.h'],
    checks: () => [
      ...[IPC_GET_FLAGS, SHMGET_FLAGS, SHMCTL_CMDS, SEMCTL_CMDS, MSGCTL_CMDS, SHMAT_FLAGS, MSG_IPC_FLAGS].flatMap(specChecks),
      ...pairChecks(IPC_CALLS),
    ],
  },
  {
    label: 'mounts',
    includes: ['stddef.h', 'linux/fcntl.h', 'linux/mount.h'],
    checks: () => [MS_FLAGS, OPEN_TREE_FLAGS, MOVE_MOUNT_FLAGS, FSOPEN_FLAGS, FSMOUNT_FLAGS, MOUNT_ATTR_FLAGS].flatMap(specChecks),
  },
];

const work = hasGcc ? mkdtempSync(join(tmpdir(), 'sbx-decode-')) : '';
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Compile (to assembly only: no 32-bit libc needed) and read each constant's value back. */
async function valuesFromC(arch: ArchName, includes: readonly string[], checks: readonly Check[], tag: string): Promise<bigint[]> {
  const inc = join(work, 'inc');
  mkdirSync(join(inc, 'gnu'), { recursive: true });
  // glibc's headers want gnu/stubs-<abi>.h, which only a multilib libc installs; they are lists of
  // unimplemented functions, irrelevant to constants.
  writeFileSync(join(inc, 'gnu', 'stubs-32.h'), '');
  writeFileSync(join(inc, 'gnu', 'stubs-x32.h'), '');
  const src = [
    '#define _GNU_SOURCE',
    ...includes.map((h) => `#include <${h}>`),
    ...checks.map(([, , expr], i) => `const unsigned long long k${i} = (unsigned long long)(${expr});`),
  ].join('\n');
  const base = join(work, `${tag}-${arch}`);
  writeFileSync(`${base}.c`, src);
  await run('gcc', [ABI_FLAGS[arch]!, '-I', inc, '-I', '/usr/include/x86_64-linux-gnu', '-S', '-o', `${base}.s`, `${base}.c`]);
  const asm = readFileSync(`${base}.s`, 'utf8');
  return checks.map((_, i) => {
    const m = new RegExp(`^k${i}:\\n((?:\\t\\.\\w+\\t[^\\n]*\\n)+)`, 'm').exec(asm);
    if (!m) throw new Error(`no k${i} in ${base}.s`);
    const words = [...m[1]!.matchAll(/\.(quad|long|zero)\t(-?\d+)/g)].map((x) => [x[1]!, BigInt(x[2]!)] as const);
    const [kind, v] = words[0]!;
    if (kind === 'zero') return 0n;
    if (kind === 'quad') return BigInt.asUintN(64, v);
    return BigInt.asUintN(32, v) | (BigInt.asUintN(32, words[1]?.[1] ?? 0n) << 32n);
  });
}

describe.skipIf(!hasGcc)('constants match the C headers', () => {
  const cases = GROUPS.flatMap((g) => (['x86_64', 'x32', 'i386'] as const).map((arch) => [g.label, arch, g] as const));
  it.each(cases)('%s (%s)', async (label, arch, group) => {
    const checks = group.checks(arch).filter(([name]) => !NEWER_THAN_HEADERS.has(name));
    expect(checks.length).toBeGreaterThan(0);
    const got = await valuesFromC(arch, group.includes, checks, label.replace(/\W+/g, '_'));
    // An int-typed C constant with bit 31 set (MS_NOUSER is 1<<31) sign-extends on its way to 64 bits.
    const same = (want: bigint, value: bigint): boolean =>
      want === value || (want < 1n << 32n && value === BigInt.asUintN(64, BigInt.asIntN(32, want)));
    const wrong = checks
      .map(([name, want], i) => ({ name, want, got: got[i]! }))
      .filter((r) => !same(r.want, r.got))
      .map((r) => ({ name: r.name, want: `0x${r.want.toString(16)}`, got: `0x${r.got.toString(16)}` }));
    expect(wrong).toEqual([]);
  });

  it('sockaddr bytes laid out by the C library render as expected', async () => {
    const src = `#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <arpa/inet.h>
#include <sys/un.h>
static void dump(const void *p, size_t n) { const unsigned char *b = p; for (size_t i = 0; i < n; i++) printf("%02x", b[i]); printf("\\n"); }
int main(void) {
  struct sockaddr_in in4; memset(&in4, 0, sizeof in4); in4.sin_family = AF_INET; in4.sin_port = htons(443);
  inet_pton(AF_INET, "192.168.1.20", &in4.sin_addr); dump(&in4, sizeof in4);
  struct sockaddr_in6 in6; memset(&in6, 0, sizeof in6); in6.sin6_family = AF_INET6; in6.sin6_port = htons(8443);
  inet_pton(AF_INET6, "2001:db8::42", &in6.sin6_addr); dump(&in6, sizeof in6);
  struct sockaddr_un un; memset(&un, 0, sizeof un); un.sun_family = AF_UNIX; strcpy(un.sun_path, "/run/x.sock");
  dump(&un, offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path) + 1);
  memset(&un, 0, sizeof un); un.sun_family = AF_UNIX; memcpy(un.sun_path, "\\0abstract", 9);
  dump(&un, offsetof(struct sockaddr_un, sun_path) + 9);
  return 0;
}`;
    writeFileSync(join(work, 'sockaddr.c'), src);
    await run('gcc', ['-o', join(work, 'sockaddr'), join(work, 'sockaddr.c')]);
    const { stdout } = await run(join(work, 'sockaddr'));
    const lines = stdout
      .trim()
      .split('\n')
      .map((h) => new Uint8Array(Buffer.from(h, 'hex')));
    expect(lines.map(formatSockaddr)).toEqual(['192.168.1.20:443', '[2001:db8::42]:8443', '/run/x.sock', '@abstract']);
  });
});
