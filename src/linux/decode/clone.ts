/**
 * clone / clone3 / unshare / setns flags (linux/sched.h). clone(2) keeps the child's exit signal
 * in the low byte (CSIGNAL), which is why CLONE_NEWTIME (0x80) is only usable with clone3 and
 * unshare; the two flag sets below differ exactly there.
 */
import type { Field, FlagSpec } from './render.js';
import { ALL_SIGNALS } from './signals.js';
import type { Pairs } from './types.js';

/** CLONE_* bits above the exit-signal byte, 64-bit (clone3 takes a u64). */
export const CLONE_BITS: Pairs = [
  ['CLONE_VM', 0x00000100],
  ['CLONE_FS', 0x00000200],
  ['CLONE_FILES', 0x00000400],
  ['CLONE_SIGHAND', 0x00000800],
  ['CLONE_PIDFD', 0x00001000],
  ['CLONE_PTRACE', 0x00002000],
  ['CLONE_VFORK', 0x00004000],
  ['CLONE_PARENT', 0x00008000],
  ['CLONE_THREAD', 0x00010000],
  ['CLONE_NEWNS', 0x00020000],
  ['CLONE_SYSVSEM', 0x00040000],
  ['CLONE_SETTLS', 0x00080000],
  ['CLONE_PARENT_SETTID', 0x00100000],
  ['CLONE_CHILD_CLEARTID', 0x00200000],
  ['CLONE_DETACHED', 0x00400000],
  ['CLONE_UNTRACED', 0x00800000],
  ['CLONE_CHILD_SETTID', 0x01000000],
  ['CLONE_NEWCGROUP', 0x02000000],
  ['CLONE_NEWUTS', 0x04000000],
  ['CLONE_NEWIPC', 0x08000000],
  ['CLONE_NEWUSER', 0x10000000],
  ['CLONE_NEWPID', 0x20000000],
  ['CLONE_NEWNET', 0x40000000],
  ['CLONE_IO', 0x80000000],
  ['CLONE_CLEAR_SIGHAND', 0x100000000],
  ['CLONE_INTO_CGROUP', 0x200000000],
];

/** Shares the exit-signal byte; valid only where there is no exit signal (clone3, unshare, setns). */
export const CLONE_NEWTIME: Pairs = [['CLONE_NEWTIME', 0x00000080]];

/** The exit signal in the low byte of clone(2) flags, rendered last: ...|SIGCHLD. */
export const CSIGNAL_FIELD: Field = { mask: 0xff, names: ALL_SIGNALS, position: 'last' };

/** clone(2) flags: CLONE_* then the exit signal. */
export const CLONE_FLAGS: FlagSpec = { bits: CLONE_BITS, fields: [CSIGNAL_FIELD] };

/** clone3's clone_args.flags, unshare(2) and setns(2) nstype: no exit-signal byte. */
export const CLONE3_FLAGS: FlagSpec = { bits: [...CLONE_NEWTIME, ...CLONE_BITS] };

/** Offset of the u64 `flags` in struct clone_args, for callers that read it from the tracee. */
export const CLONE_ARGS_FLAGS_OFFSET = 0;
/** Size in bytes of clone_args.flags. */
export const CLONE_ARGS_FLAGS_SIZE = 8;
