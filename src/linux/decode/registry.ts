/**
 * The registry: for each syscall name, the arguments that matter for a seccomp policy and how to
 * render them. Pure data over the topic tables; index.ts turns a row into ArgDecoders.
 *
 * Conventions: argument indexes are the kernel's (register order). `width` is the C type's width
 * in the kernel's prototype (64 for unsigned long and pointers, else 32), capped by the arch's
 * register width when decoders are built. Names only some arches have (mmap2, socketcall, ipc,
 * _llseek, fcntl64, waitpid...) simply never get asked for on the others.
 */
import type { ArchName } from '../arch.js';
import { CLONE3_FLAGS, CLONE_FLAGS } from './clone.js';
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
} from './fd.js';
import { formatIoctl } from './ioctl.js';
import { IPC_CALL, IPC_GET_FLAGS, MSG_IPC_FLAGS, MSGCTL_CMDS, SEMCTL_CMDS, SHMAT_FLAGS, SHMCTL_CMDS, SHMGET_FLAGS } from './ipc.js';
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
} from './mman.js';
import { FSMOUNT_FLAGS, FSOPEN_FLAGS, MOUNT_ATTR_FLAGS, MOVE_MOUNT_FLAGS, MS_FLAGS, OPEN_TREE_FLAGS, UMOUNT_FLAGS } from './mount.js';
import {
  ACCESS_MODE,
  AT_ACCESS_FLAGS,
  AT_FLAGS,
  AT_LINK_FLAGS,
  AT_STAT_FLAGS,
  AT_UNLINK_FLAGS,
  CLOEXEC_ONLY,
  CLOSE_RANGE_FLAGS,
  F_LOCK_TYPES,
  FADVISE_ADVICE,
  FALLOC_FLAGS,
  FCNTL_ARG_KINDS,
  FCNTL_CMDS,
  FLOCK_OPS,
  MKNOD_MODE,
  OPEN_FLAGS,
  PIPE2_FLAGS,
  RENAME_FLAGS,
  SEEK_WHENCE,
  SYNC_FILE_RANGE_FLAGS,
} from './open.js';
import { ARCH_PRCTL_CODES, PR_OPTIONS } from './prctl.js';
import {
  formatFutexOp,
  MEMBARRIER_CMDS,
  PERSONALITY,
  PRIO_WHICH,
  PTRACE_REQUESTS,
  RLIMITS,
  SCHED_POLICY,
  WAIT4_OPTIONS,
  WAITID_OPTIONS,
  WAITID_TYPES,
} from './process.js';
import {
  contextualCodec,
  customCodec,
  enumCodec,
  flagsCodec,
  formatEnum,
  formatFlags,
  formatUnknown,
  hex,
  INT,
  PATH,
  SOCKADDR,
} from './render.js';
import {
  BPF_CMDS,
  KEYCTL_OPS,
  LANDLOCK_CREATE_FLAGS,
  LANDLOCK_RULE_TYPES,
  PERF_FLAGS,
  SECCOMP_FILTER_FLAGS,
  SECCOMP_OPS,
} from './security.js';
import { ALL_SIGNALS, SIGPROCMASK_HOW } from './signals.js';
import {
  ACCEPT4_FLAGS,
  AF_FAMILIES,
  MSG_FLAGS,
  optnameRenderer,
  protocolRenderer,
  SHUT_HOW,
  SOCK_TYPE_FLAGS,
  SOCKETCALL_CALLS,
  SOL_LEVELS,
} from './socket.js';
import { pickArch, X86_ARCHES, type Codec, type PerArch, type Render } from './types.js';

/** One decoded argument of one syscall. */
export interface ArgSpec {
  /** Register position, or per-arch positions where 32-bit ABIs split a 64-bit argument before it. */
  readonly index: number | PerArch<number>;
  readonly name: string;
  readonly codec: Codec;
  /** Width of the kernel's C parameter type; defaults to 64 for pointers, 32 otherwise. */
  readonly width?: 32 | 64;
  /** For sockaddr arguments: the argument holding the address length. */
  readonly lengthIndex?: number;
  /** The argument this one's rendering depends on (see ArgDecoder.contextIndex). */
  readonly contextIndex?: number;
  /** Only decode on these arches (e.g. i386's mmap takes a struct pointer). */
  readonly arches?: readonly ArchName[];
}

type Opts = Omit<ArgSpec, 'index' | 'name' | 'codec'>;

function arg(index: number | PerArch<number>, name: string, codec: Codec, opts: Opts = {}): ArgSpec {
  return { index, name, codec, ...opts };
}

const W64 = { width: 64 } as const;

/** i386's mmap is old_mmap(struct mmap_arg_struct *): its registers hold no prot/flags. */
const NOT_OLD_MMAP: Opts = { width: 64, arches: ['x86_64', 'x32', 'aarch64'] };

// ---- codecs shared by several rows ----------------------------------------------------------

const decimal: Render = (v) => formatUnknown(v, 'auto');

const SIGNAL = enumCodec(ALL_SIGNALS);
const CLOCKID = enumCodec(CLOCK_IDS, 'signed');
const OPEN = flagsCodec(OPEN_FLAGS);
const PROT = flagsCodec(PROT_FLAGS);
const MAP = flagsCodec(MAP_FLAGS);
const NS = flagsCodec(CLONE3_FLAGS);
const MSG = flagsCodec(MSG_FLAGS);
const RLIMIT = enumCodec(RLIMITS);
const WAIT4 = flagsCodec(WAIT4_OPTIONS);
const MADV = enumCodec(MADV_ADVICE);
const TIMER = flagsCodec(TIMER_FLAGS);
const TFD_SET = flagsCodec(TFD_SETTIME_FLAGS);
const FUTEX_OP = customCodec('enum', () => formatFutexOp);
const SIG_HOW = enumCodec(SIGPROCMASK_HOW);
const FADV = enumCodec(FADVISE_ADVICE);
const AT = flagsCodec(AT_FLAGS);
const AT_STAT = flagsCodec(AT_STAT_FLAGS);
const ACCESS = flagsCodec(ACCESS_MODE);
const IPC_GET = flagsCodec(IPC_GET_FLAGS);
const MSG_IPC = flagsCodec(MSG_IPC_FLAGS);
const MKNOD = flagsCodec(MKNOD_MODE);

/** clone3: the caller reads clone_args.flags (u64 at offset 0) and formats that. */
const CLONE_ARGS = customCodec('clone_args', () => (v) => formatFlags(CLONE3_FLAGS, v));

const IOCTL_REQUEST = customCodec('enum', (arch) => (v) => formatIoctl(arch, v));

/** socket protocol: IPPROTO_* for inet, NETLINK_* for netlink, htons(ETH_P_*) for packet. */
const PROTOCOL = contextualCodec('enum', (domain) => protocolRenderer(domain), decimal);

/** optname: SO_* / IP_* / IPV6_* / TCP_* / UDP_* / NETLINK_* by level. */
const OPTNAME = contextualCodec('enum', (level) => optnameRenderer(level), decimal);

/** fcntl's third argument, by command (FCNTL_ARG_KINDS); other commands ignore it. */
const FCNTL_ARG = contextualCodec(
  'flags',
  (cmd, arch) => {
    const how = FCNTL_ARG_KINDS.get(Number(BigInt.asUintN(32, cmd)));
    if (how === undefined) return undefined;
    if (how === 'int') return (v) => formatUnknown(v, 'signed');
    if (how === 'pointer') return hex;
    if (how === 'signal') return (v) => formatEnum(ALL_SIGNALS, v);
    if (how === 'lease') return (v) => formatEnum(F_LOCK_TYPES, v);
    const spec = pickArch(how, arch);
    return (v) => formatFlags(spec, v);
  },
  decimal,
);

// ---- the registry ---------------------------------------------------------------------------

/** Syscall name → decoded arguments. Syscalls not listed have no argument worth decoding. */
export const SYSCALL_ARGS: Readonly<Record<string, readonly ArgSpec[]>> = {
  // processes, namespaces
  clone: [arg(0, 'flags', flagsCodec(CLONE_FLAGS), W64)],
  clone3: [arg(0, 'cl_args', CLONE_ARGS)],
  unshare: [arg(0, 'flags', NS, W64)],
  setns: [arg(1, 'nstype', NS)],
  execve: [arg(0, 'filename', PATH)],
  execveat: [arg(1, 'pathname', PATH), arg(4, 'flags', AT)],
  personality: [arg(0, 'persona', flagsCodec(PERSONALITY))],
  prctl: [arg(0, 'option', enumCodec(PR_OPTIONS))],
  arch_prctl: [arg(0, 'code', enumCodec(ARCH_PRCTL_CODES, 'hex'), { arches: X86_ARCHES })],
  ptrace: [arg(0, 'request', enumCodec(PTRACE_REQUESTS, 'hex'), W64)],
  wait4: [arg(2, 'options', WAIT4)],
  waitpid: [arg(2, 'options', WAIT4)],
  waitid: [arg(0, 'idtype', enumCodec(WAITID_TYPES)), arg(3, 'options', flagsCodec(WAITID_OPTIONS))],
  prlimit64: [arg(1, 'resource', RLIMIT)],
  getrlimit: [arg(0, 'resource', RLIMIT)],
  setrlimit: [arg(0, 'resource', RLIMIT)],
  ugetrlimit: [arg(0, 'resource', RLIMIT)],
  getpriority: [arg(0, 'which', enumCodec(PRIO_WHICH))],
  setpriority: [arg(0, 'which', enumCodec(PRIO_WHICH))],
  sched_setscheduler: [arg(1, 'policy', flagsCodec(SCHED_POLICY, 'enum'))],
  membarrier: [arg(0, 'cmd', enumCodec(MEMBARRIER_CMDS))],
  futex: [arg(1, 'op', FUTEX_OP)],
  futex_time64: [arg(1, 'op', FUTEX_OP)],

  // signals
  kill: [arg(1, 'sig', SIGNAL)],
  tkill: [arg(1, 'sig', SIGNAL)],
  tgkill: [arg(2, 'sig', SIGNAL)],
  rt_sigqueueinfo: [arg(1, 'sig', SIGNAL)],
  rt_tgsigqueueinfo: [arg(2, 'sig', SIGNAL)],
  pidfd_send_signal: [arg(1, 'sig', SIGNAL)],
  rt_sigaction: [arg(0, 'signum', SIGNAL)],
  sigaction: [arg(0, 'signum', SIGNAL)],
  signal: [arg(0, 'signum', SIGNAL)],
  rt_sigprocmask: [arg(0, 'how', SIG_HOW)],
  sigprocmask: [arg(0, 'how', SIG_HOW)],

  // memory
  mmap: [arg(2, 'prot', PROT, NOT_OLD_MMAP), arg(3, 'flags', MAP, NOT_OLD_MMAP)],
  mmap2: [arg(2, 'prot', PROT, W64), arg(3, 'flags', MAP, W64)],
  mprotect: [arg(2, 'prot', PROT, W64)],
  pkey_mprotect: [arg(2, 'prot', PROT, W64)],
  mremap: [arg(3, 'flags', flagsCodec(MREMAP_FLAGS), W64)],
  madvise: [arg(2, 'advice', MADV)],
  process_madvise: [arg(3, 'advice', MADV)],
  msync: [arg(2, 'flags', flagsCodec(MSYNC_FLAGS))],
  mlockall: [arg(0, 'flags', flagsCodec(MLOCKALL_FLAGS))],
  mlock2: [arg(2, 'flags', flagsCodec(MLOCK2_FLAGS))],
  pkey_alloc: [arg(0, 'flags', INT), arg(1, 'access_rights', flagsCodec(PKEY_ACCESS))],
  memfd_create: [arg(1, 'flags', flagsCodec(MFD_FLAGS))],
  memfd_secret: [arg(0, 'flags', flagsCodec(CLOEXEC_ONLY))],

  // files: open and fcntl
  open: [arg(0, 'pathname', PATH), arg(1, 'flags', OPEN)],
  openat: [arg(1, 'pathname', PATH), arg(2, 'flags', OPEN)],
  openat2: [arg(1, 'pathname', PATH)], // struct open_how is a pointer: not decoded
  creat: [arg(0, 'pathname', PATH)],
  open_by_handle_at: [arg(2, 'flags', OPEN)],
  name_to_handle_at: [arg(1, 'pathname', PATH), arg(4, 'flags', AT)],
  fcntl: [arg(1, 'cmd', enumCodec(FCNTL_CMDS)), arg(2, 'arg', FCNTL_ARG, { width: 64, contextIndex: 1 })],
  fcntl64: [arg(1, 'cmd', enumCodec(FCNTL_CMDS)), arg(2, 'arg', FCNTL_ARG, { width: 64, contextIndex: 1 })],
  ioctl: [arg(1, 'request', IOCTL_REQUEST)],
  pipe2: [arg(1, 'flags', flagsCodec(PIPE2_FLAGS))],
  dup3: [arg(2, 'flags', flagsCodec(CLOEXEC_ONLY))],
  close_range: [arg(2, 'flags', flagsCodec(CLOSE_RANGE_FLAGS))],
  flock: [arg(1, 'operation', flagsCodec(FLOCK_OPS))],
  lseek: [arg(2, 'whence', enumCodec(SEEK_WHENCE))],
  _llseek: [arg(4, 'whence', enumCodec(SEEK_WHENCE))],
  fallocate: [arg(1, 'mode', flagsCodec(FALLOC_FLAGS))],
  fadvise64: [arg({ default: 3, i386: 4 }, 'advice', FADV)],
  fadvise64_64: [arg(5, 'advice', FADV)],
  sync_file_range: [arg({ default: 3, i386: 5 }, 'flags', flagsCodec(SYNC_FILE_RANGE_FLAGS))],

  // files: paths
  stat: [arg(0, 'pathname', PATH)],
  lstat: [arg(0, 'pathname', PATH)],
  stat64: [arg(0, 'pathname', PATH)],
  lstat64: [arg(0, 'pathname', PATH)],
  oldstat: [arg(0, 'pathname', PATH)],
  oldlstat: [arg(0, 'pathname', PATH)],
  newfstatat: [arg(1, 'pathname', PATH), arg(3, 'flags', AT_STAT)],
  fstatat64: [arg(1, 'pathname', PATH), arg(3, 'flags', AT_STAT)],
  statx: [arg(1, 'pathname', PATH), arg(2, 'flags', AT_STAT)],
  statfs: [arg(0, 'pathname', PATH)],
  statfs64: [arg(0, 'pathname', PATH)],
  access: [arg(0, 'pathname', PATH), arg(1, 'mode', ACCESS)],
  faccessat: [arg(1, 'pathname', PATH), arg(2, 'mode', ACCESS)],
  faccessat2: [arg(1, 'pathname', PATH), arg(2, 'mode', ACCESS), arg(3, 'flags', flagsCodec(AT_ACCESS_FLAGS))],
  readlink: [arg(0, 'pathname', PATH)],
  readlinkat: [arg(1, 'pathname', PATH)],
  unlink: [arg(0, 'pathname', PATH)],
  unlinkat: [arg(1, 'pathname', PATH), arg(2, 'flags', flagsCodec(AT_UNLINK_FLAGS))],
  rmdir: [arg(0, 'pathname', PATH)],
  mkdir: [arg(0, 'pathname', PATH)],
  mkdirat: [arg(1, 'pathname', PATH)],
  rename: [arg(0, 'oldpath', PATH), arg(1, 'newpath', PATH)],
  renameat: [arg(1, 'oldpath', PATH), arg(3, 'newpath', PATH)],
  renameat2: [arg(1, 'oldpath', PATH), arg(3, 'newpath', PATH), arg(4, 'flags', flagsCodec(RENAME_FLAGS))],
  chdir: [arg(0, 'path', PATH)],
  chroot: [arg(0, 'path', PATH)],
  pivot_root: [arg(0, 'new_root', PATH), arg(1, 'put_old', PATH)],
  chmod: [arg(0, 'pathname', PATH)],
  fchmodat: [arg(1, 'pathname', PATH)],
  chown: [arg(0, 'pathname', PATH)],
  lchown: [arg(0, 'pathname', PATH)],
  chown32: [arg(0, 'pathname', PATH)],
  lchown32: [arg(0, 'pathname', PATH)],
  fchownat: [arg(1, 'pathname', PATH), arg(4, 'flags', AT)],
  truncate: [arg(0, 'path', PATH)],
  truncate64: [arg(0, 'path', PATH)],
  mknod: [arg(0, 'pathname', PATH), arg(1, 'mode', MKNOD)],
  mknodat: [arg(1, 'pathname', PATH), arg(2, 'mode', MKNOD)],
  symlink: [arg(0, 'target', PATH), arg(1, 'linkpath', PATH)],
  symlinkat: [arg(0, 'target', PATH), arg(2, 'linkpath', PATH)],
  link: [arg(0, 'oldpath', PATH), arg(1, 'newpath', PATH)],
  linkat: [arg(1, 'oldpath', PATH), arg(3, 'newpath', PATH), arg(4, 'flags', flagsCodec(AT_LINK_FLAGS))],
  utime: [arg(0, 'filename', PATH)],
  utimes: [arg(0, 'filename', PATH)],
  futimesat: [arg(1, 'pathname', PATH)],
  utimensat: [arg(1, 'pathname', PATH), arg(3, 'flags', AT)],
  utimensat_time64: [arg(1, 'pathname', PATH), arg(3, 'flags', AT)],
  getxattr: [arg(0, 'pathname', PATH)],
  lgetxattr: [arg(0, 'pathname', PATH)],
  setxattr: [arg(0, 'pathname', PATH)],
  lsetxattr: [arg(0, 'pathname', PATH)],
  listxattr: [arg(0, 'pathname', PATH)],
  llistxattr: [arg(0, 'pathname', PATH)],
  removexattr: [arg(0, 'pathname', PATH)],
  lremovexattr: [arg(0, 'pathname', PATH)],
  inotify_add_watch: [arg(1, 'pathname', PATH), arg(2, 'mask', flagsCodec(IN_MASK))],
  swapon: [arg(0, 'path', PATH)],
  swapoff: [arg(0, 'path', PATH)],
  acct: [arg(0, 'filename', PATH)],
  uselib: [arg(0, 'library', PATH)],

  // mounts
  mount: [arg(0, 'source', PATH), arg(1, 'target', PATH), arg(2, 'filesystemtype', PATH), arg(3, 'mountflags', flagsCodec(MS_FLAGS), W64)],
  umount: [arg(0, 'target', PATH)],
  umount2: [arg(0, 'target', PATH), arg(1, 'flags', flagsCodec(UMOUNT_FLAGS))],
  open_tree: [arg(1, 'filename', PATH), arg(2, 'flags', flagsCodec(OPEN_TREE_FLAGS))],
  move_mount: [arg(1, 'from_pathname', PATH), arg(3, 'to_pathname', PATH), arg(4, 'flags', flagsCodec(MOVE_MOUNT_FLAGS))],
  fsopen: [arg(0, 'fsname', PATH), arg(1, 'flags', flagsCodec(FSOPEN_FLAGS))],
  fsmount: [arg(1, 'flags', flagsCodec(FSMOUNT_FLAGS)), arg(2, 'attr_flags', flagsCodec(MOUNT_ATTR_FLAGS))],
  mount_setattr: [arg(1, 'pathname', PATH), arg(2, 'flags', AT)],

  // sockets
  socket: [
    arg(0, 'domain', enumCodec(AF_FAMILIES)),
    arg(1, 'type', flagsCodec(SOCK_TYPE_FLAGS)),
    arg(2, 'protocol', PROTOCOL, { contextIndex: 0 }),
  ],
  socketpair: [
    arg(0, 'domain', enumCodec(AF_FAMILIES)),
    arg(1, 'type', flagsCodec(SOCK_TYPE_FLAGS)),
    arg(2, 'protocol', PROTOCOL, { contextIndex: 0 }),
  ],
  connect: [arg(1, 'addr', SOCKADDR, { lengthIndex: 2 })],
  bind: [arg(1, 'addr', SOCKADDR, { lengthIndex: 2 })],
  sendto: [arg(3, 'flags', MSG), arg(4, 'dest_addr', SOCKADDR, { lengthIndex: 5 })],
  recvfrom: [arg(3, 'flags', MSG)],
  sendmsg: [arg(2, 'flags', MSG)],
  recvmsg: [arg(2, 'flags', MSG)],
  sendmmsg: [arg(3, 'flags', MSG)],
  recvmmsg: [arg(3, 'flags', MSG)],
  recvmmsg_time64: [arg(3, 'flags', MSG)],
  accept4: [arg(3, 'flags', flagsCodec(ACCEPT4_FLAGS))],
  shutdown: [arg(1, 'how', enumCodec(SHUT_HOW))],
  setsockopt: [arg(1, 'level', enumCodec(SOL_LEVELS)), arg(2, 'optname', OPTNAME, { contextIndex: 1 })],
  getsockopt: [arg(1, 'level', enumCodec(SOL_LEVELS)), arg(2, 'optname', OPTNAME, { contextIndex: 1 })],
  socketcall: [arg(0, 'call', enumCodec(SOCKETCALL_CALLS))],

  // special file descriptors, clocks
  eventfd2: [arg(1, 'flags', flagsCodec(EFD_FLAGS))],
  epoll_create1: [arg(0, 'flags', flagsCodec(EPOLL_CREATE_FLAGS))],
  epoll_ctl: [arg(1, 'op', enumCodec(EPOLL_CTL_OPS))],
  inotify_init1: [arg(0, 'flags', flagsCodec(IN_INIT_FLAGS))],
  signalfd4: [arg(3, 'flags', flagsCodec(SFD_FLAGS))],
  timerfd_create: [arg(0, 'clockid', CLOCKID), arg(1, 'flags', flagsCodec(TFD_CREATE_FLAGS))],
  timerfd_settime: [arg(1, 'flags', TFD_SET)],
  timerfd_settime64: [arg(1, 'flags', TFD_SET)],
  pidfd_open: [arg(1, 'flags', flagsCodec(PIDFD_OPEN_FLAGS))],
  userfaultfd: [arg(0, 'flags', flagsCodec(UFFD_FLAGS))],
  getrandom: [arg(2, 'flags', flagsCodec(GRND_FLAGS))],
  clock_gettime: [arg(0, 'clockid', CLOCKID)],
  clock_settime: [arg(0, 'clockid', CLOCKID)],
  clock_getres: [arg(0, 'clockid', CLOCKID)],
  clock_adjtime: [arg(0, 'clockid', CLOCKID)],
  clock_gettime64: [arg(0, 'clockid', CLOCKID)],
  clock_settime64: [arg(0, 'clockid', CLOCKID)],
  clock_getres_time64: [arg(0, 'clockid', CLOCKID)],
  clock_adjtime64: [arg(0, 'clockid', CLOCKID)],
  clock_nanosleep: [arg(0, 'clockid', CLOCKID), arg(1, 'flags', TIMER)],
  clock_nanosleep_time64: [arg(0, 'clockid', CLOCKID), arg(1, 'flags', TIMER)],
  timer_create: [arg(0, 'clockid', CLOCKID)],
  timer_settime: [arg(1, 'flags', TIMER)],
  timer_settime64: [arg(1, 'flags', TIMER)],

  // System V IPC
  shmget: [arg(2, 'shmflg', flagsCodec(SHMGET_FLAGS))],
  semget: [arg(2, 'semflg', IPC_GET)],
  msgget: [arg(1, 'msgflg', IPC_GET)],
  shmctl: [arg(1, 'cmd', flagsCodec(SHMCTL_CMDS, 'enum'))],
  semctl: [arg(2, 'cmd', flagsCodec(SEMCTL_CMDS, 'enum'))],
  msgctl: [arg(1, 'cmd', flagsCodec(MSGCTL_CMDS, 'enum'))],
  shmat: [arg(2, 'shmflg', flagsCodec(SHMAT_FLAGS))],
  msgsnd: [arg(3, 'msgflg', MSG_IPC)],
  msgrcv: [arg(4, 'msgflg', MSG_IPC)],
  ipc: [arg(0, 'call', flagsCodec(IPC_CALL, 'enum'))],

  // security, tracing
  seccomp: [arg(0, 'operation', enumCodec(SECCOMP_OPS)), arg(1, 'flags', flagsCodec(SECCOMP_FILTER_FLAGS))],
  bpf: [arg(0, 'cmd', enumCodec(BPF_CMDS))],
  keyctl: [arg(0, 'operation', enumCodec(KEYCTL_OPS))],
  landlock_create_ruleset: [arg(2, 'flags', flagsCodec(LANDLOCK_CREATE_FLAGS))],
  landlock_add_rule: [arg(1, 'rule_type', enumCodec(LANDLOCK_RULE_TYPES))],
  perf_event_open: [arg(4, 'flags', flagsCodec(PERF_FLAGS))], // attr is a pointer: not decoded
};
