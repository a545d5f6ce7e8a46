/**
 * The few kernel ABI constants the category, lint and tightening tables compare arguments
 * against (include/uapi/linux/sched.h, mman.h, socket.h, personality.h, asm-generic/ioctls.h).
 * Values are the same on every arch sbx has a table for.
 */

/** clone(2) flags (include/uapi/linux/sched.h). */
export const CLONE_FLAGS = {
  CLONE_VM: 0x100n,
  CLONE_FS: 0x200n,
  CLONE_FILES: 0x400n,
  CLONE_SIGHAND: 0x800n,
  CLONE_PIDFD: 0x1000n,
  CLONE_PTRACE: 0x2000n,
  CLONE_VFORK: 0x4000n,
  CLONE_PARENT: 0x8000n,
  CLONE_THREAD: 0x10000n,
  CLONE_NEWNS: 0x20000n,
  CLONE_SYSVSEM: 0x40000n,
  CLONE_SETTLS: 0x80000n,
  CLONE_PARENT_SETTID: 0x100000n,
  CLONE_CHILD_CLEARTID: 0x200000n,
  CLONE_UNTRACED: 0x800000n,
  CLONE_CHILD_SETTID: 0x1000000n,
  CLONE_NEWCGROUP: 0x2000000n,
  CLONE_NEWUTS: 0x4000000n,
  CLONE_NEWIPC: 0x8000000n,
  CLONE_NEWUSER: 0x10000000n,
  CLONE_NEWPID: 0x20000000n,
  CLONE_NEWNET: 0x40000000n,
  CLONE_IO: 0x80000000n,
} as const;

/** The exit-signal byte of clone's flags. */
export const CSIGNAL = 0xffn;
/** sched_setscheduler policy. */
export const SCHED_IDLE = 5n;
/** mmap/mprotect prot bits. */
export const PROT_WRITE = 0x2n;
export const PROT_EXEC = 0x4n;
/** Address families. */
export const AF_NETLINK = 16n;
export const AF_PACKET = 17n;
/** ioctl that pushes a byte into a terminal's input queue. */
export const TIOCSTI = 0x5412n;
/** personality(2) flag that makes every readable mapping executable. */
export const READ_IMPLIES_EXEC = 0x400000n;
