/**
 * Flags of the calls that create special file descriptors (eventfd, epoll, inotify, timerfd,
 * signalfd, pidfd, userfaultfd), getrandom, and clock ids (linux/time.h). Their *_CLOEXEC and
 * *_NONBLOCK flags are O_CLOEXEC / O_NONBLOCK, which are the same on every arch sbx supports.
 */
import type { FlagSpec } from './render.js';
import type { Pairs } from './types.js';

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

/** eventfd2 flags. */
export const EFD_FLAGS: FlagSpec = {
  bits: [
    ['EFD_SEMAPHORE', 1],
    ['EFD_NONBLOCK', O_NONBLOCK],
    ['EFD_CLOEXEC', O_CLOEXEC],
  ],
};

/** epoll_create1 flags. */
export const EPOLL_CREATE_FLAGS: FlagSpec = { bits: [['EPOLL_CLOEXEC', O_CLOEXEC]] };

/** epoll_ctl op. */
export const EPOLL_CTL_OPS: Pairs = [
  ['EPOLL_CTL_ADD', 1],
  ['EPOLL_CTL_DEL', 2],
  ['EPOLL_CTL_MOD', 3],
];

/** inotify_init1 flags. */
export const IN_INIT_FLAGS: FlagSpec = {
  bits: [
    ['IN_NONBLOCK', O_NONBLOCK],
    ['IN_CLOEXEC', O_CLOEXEC],
  ],
};

/** inotify_add_watch mask. */
export const IN_MASK: FlagSpec = {
  bits: [
    ['IN_ACCESS', 0x00000001],
    ['IN_MODIFY', 0x00000002],
    ['IN_ATTRIB', 0x00000004],
    ['IN_CLOSE_WRITE', 0x00000008],
    ['IN_CLOSE_NOWRITE', 0x00000010],
    ['IN_OPEN', 0x00000020],
    ['IN_MOVED_FROM', 0x00000040],
    ['IN_MOVED_TO', 0x00000080],
    ['IN_CREATE', 0x00000100],
    ['IN_DELETE', 0x00000200],
    ['IN_DELETE_SELF', 0x00000400],
    ['IN_MOVE_SELF', 0x00000800],
    ['IN_UNMOUNT', 0x00002000],
    ['IN_Q_OVERFLOW', 0x00004000],
    ['IN_IGNORED', 0x00008000],
    ['IN_ONLYDIR', 0x01000000],
    ['IN_DONT_FOLLOW', 0x02000000],
    ['IN_EXCL_UNLINK', 0x04000000],
    ['IN_MASK_CREATE', 0x10000000],
    ['IN_MASK_ADD', 0x20000000],
    ['IN_ISDIR', 0x40000000],
    ['IN_ONESHOT', 0x80000000],
  ],
};

/** timerfd_create flags. */
export const TFD_CREATE_FLAGS: FlagSpec = {
  bits: [
    ['TFD_NONBLOCK', O_NONBLOCK],
    ['TFD_CLOEXEC', O_CLOEXEC],
  ],
};

/** timerfd_settime flags. */
export const TFD_SETTIME_FLAGS: FlagSpec = {
  bits: [
    ['TFD_TIMER_ABSTIME', 1 << 0],
    ['TFD_TIMER_CANCEL_ON_SET', 1 << 1],
  ],
};

/** signalfd4 flags. */
export const SFD_FLAGS: FlagSpec = {
  bits: [
    ['SFD_NONBLOCK', O_NONBLOCK],
    ['SFD_CLOEXEC', O_CLOEXEC],
  ],
};

/** pidfd_open flags (PIDFD_THREAD is O_EXCL). */
export const PIDFD_OPEN_FLAGS: FlagSpec = {
  bits: [
    ['PIDFD_THREAD', 0o200],
    ['PIDFD_NONBLOCK', O_NONBLOCK],
  ],
};

/** userfaultfd flags. */
export const UFFD_FLAGS: FlagSpec = {
  bits: [
    ['UFFD_USER_MODE_ONLY', 1],
    ['O_NONBLOCK', O_NONBLOCK],
    ['O_CLOEXEC', O_CLOEXEC],
  ],
};

/** getrandom flags. */
export const GRND_FLAGS: FlagSpec = {
  bits: [
    ['GRND_NONBLOCK', 0x0001],
    ['GRND_RANDOM', 0x0002],
    ['GRND_INSECURE', 0x0004],
  ],
};

/** clockid_t; negative ids (per-process CPU clocks, dynamic clocks) render as signed numbers. */
export const CLOCK_IDS: Pairs = [
  ['CLOCK_REALTIME', 0],
  ['CLOCK_MONOTONIC', 1],
  ['CLOCK_PROCESS_CPUTIME_ID', 2],
  ['CLOCK_THREAD_CPUTIME_ID', 3],
  ['CLOCK_MONOTONIC_RAW', 4],
  ['CLOCK_REALTIME_COARSE', 5],
  ['CLOCK_MONOTONIC_COARSE', 6],
  ['CLOCK_BOOTTIME', 7],
  ['CLOCK_REALTIME_ALARM', 8],
  ['CLOCK_BOOTTIME_ALARM', 9],
  ['CLOCK_SGI_CYCLE', 10],
  ['CLOCK_TAI', 11],
];

/** clock_nanosleep / timer_settime flags. */
export const TIMER_FLAGS: FlagSpec = { bits: [['TIMER_ABSTIME', 0x01]] };
