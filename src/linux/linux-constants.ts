/**
 * The kernel ABI constants that the category, lint and tightening tables compare arguments
 * against, by name. The values come from the decoder tables (src/linux/decode/), which
 * test/decode.test.ts checks against the C headers with gcc, so each number is written once
 * and checked once. Values are the same on every arch sbx has a table for.
 */
import { CLONE_BITS } from './decode/clone.js';
import { IOCTL_TTY } from './decode/ioctl.js';
import { PROT_COMMON } from './decode/mman.js';
import { PER_FLAG_BITS, SCHED_POLICIES } from './decode/process.js';
import { AF_FAMILIES } from './decode/socket.js';

/** The values of `names` in a decoder table; a name the table lacks is a bug caught at load. */
function valuesOf<const N extends string>(
  table: readonly (readonly [string, number | bigint, ...unknown[]])[],
  names: readonly N[],
): Readonly<Record<N, bigint>> {
  const found = new Map(table.map(([name, value]) => [name, BigInt(value)]));
  return Object.fromEntries(
    names.map((name) => {
      const value = found.get(name);
      if (value === undefined) throw new Error(`linux-constants: ${name} is not in its decoder table`);
      return [name, value];
    }),
  ) as Record<N, bigint>;
}

/** clone(2) flags (include/uapi/linux/sched.h). */
export const CLONE_FLAGS = valuesOf(CLONE_BITS, [
  'CLONE_VM',
  'CLONE_FS',
  'CLONE_FILES',
  'CLONE_SIGHAND',
  'CLONE_PIDFD',
  'CLONE_PTRACE',
  'CLONE_VFORK',
  'CLONE_PARENT',
  'CLONE_THREAD',
  'CLONE_NEWNS',
  'CLONE_SYSVSEM',
  'CLONE_SETTLS',
  'CLONE_PARENT_SETTID',
  'CLONE_CHILD_CLEARTID',
  'CLONE_UNTRACED',
  'CLONE_CHILD_SETTID',
  'CLONE_NEWCGROUP',
  'CLONE_NEWUTS',
  'CLONE_NEWIPC',
  'CLONE_NEWUSER',
  'CLONE_NEWPID',
  'CLONE_NEWNET',
  'CLONE_IO',
]);

/** The exit-signal byte of clone's flags (the CSIGNAL mask of linux/sched.h). */
export const CSIGNAL = 0xffn;
/** sched_setscheduler policy. */
export const { SCHED_IDLE } = valuesOf(SCHED_POLICIES, ['SCHED_IDLE']);
/** mmap/mprotect prot bits. */
export const { PROT_WRITE, PROT_EXEC } = valuesOf(PROT_COMMON, ['PROT_WRITE', 'PROT_EXEC']);
/** Address families. */
export const { AF_NETLINK, AF_PACKET } = valuesOf(AF_FAMILIES, ['AF_NETLINK', 'AF_PACKET']);
/** ioctl that pushes a byte into a terminal's input queue. */
export const { TIOCSTI } = valuesOf(IOCTL_TTY, ['TIOCSTI']);
/** personality(2) flag that makes every readable mapping executable. */
export const { READ_IMPLIES_EXEC } = valuesOf(PER_FLAG_BITS, ['READ_IMPLIES_EXEC']);
