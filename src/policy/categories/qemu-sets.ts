/**
 * QEMU's `-sandbox` sets, as data: the `denylist[]` table of qemu/qemu system/qemu-seccomp.c
 * (read at 1527c6b6fa6c), row for row, with the action and argument conditions QEMU gives
 * each row.
 *
 * QEMU's actions, as that file has them:
 *  - SCMP_ACT_TRAP, which `qemu_seccomp_update_action` turns into SCMP_ACT_KILL_PROCESS when
 *    the kernel has it: recorded here as `kill-process`;
 *  - SCMP_ACT_ERRNO(ENOSYS) for clone3, so glibc falls back to clone;
 *  - SCMP_ACT_ERRNO(EPERM) for the resource-control set;
 *  - no action at all for execveat, setns and unshare: the struct's zero value, which is
 *    SCMP_ACT_KILL (kill the thread). Recorded as `kill-thread`, faithfully.
 *
 * The clone rows deny clone only when it would make a process rather than a thread: the
 * thread flags pthread_create always sets must be present, and the process and namespace
 * flags must be absent (`masked-eq` is SCMP_CMP_MASKED_EQ, `(arg & mask) == value`).
 */
import type { Action, ArgCondition, Errno } from '../policy.js';
import { CLONE_FLAGS, CSIGNAL, SCHED_IDLE } from '../../linux/linux-constants.js';

/** The option names of `-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny`. */
export type QemuSetName = 'default' | 'obsolete' | 'elevateprivileges' | 'spawn' | 'resourcecontrol';

export interface QemuSetRow {
  readonly syscall: string;
  readonly set: QemuSetName;
  readonly action: Action;
  /** All must hold for the row to apply (the row's scmp_arg_cmp array). */
  readonly args?: readonly ArgCondition[];
}

/** What each set is for, in QEMU's words where it has some (qemu-options.hx). */
export const QEMU_SETS: Readonly<Record<QemuSetName, { readonly help: string; readonly onByDefault: boolean }>> = {
  default: { help: 'calls no emulator should make (reboot, swap, mount, kexec, ...), always denied', onByDefault: true },
  obsolete: { help: 'obsolete system calls', onByDefault: true },
  elevateprivileges: { help: 'set*uid / set*gid calls that change privileges', onByDefault: false },
  spawn: { help: 'fork and exec of new processes, and namespace changes', onByDefault: false },
  resourcecontrol: { help: 'process affinity and scheduler priority changes', onByDefault: false },
};

const KILL: Action = { kind: 'kill-process' };
const KILL_THREAD: Action = { kind: 'kill-thread' };
const ENOSYS: Action = { kind: 'errno', errno: 38 as Errno };
const EPERM: Action = { kind: 'errno', errno: 1 as Errno };

const rows = (set: QemuSetName, action: Action, names: readonly string[]): QemuSetRow[] =>
  names.map((syscall) => ({ syscall, set, action }));

/** REQUIRE_CLONE_FLAG: deny when the flag is missing. */
const requireFlag = (flag: keyof typeof CLONE_FLAGS): QemuSetRow => ({
  syscall: 'clone',
  set: 'spawn',
  action: KILL,
  args: [{ index: 0, op: 'masked-eq', mask: CLONE_FLAGS[flag], value: 0n, label: `without ${flag}` }],
});

/** FORBID_CLONE_FLAG: deny when the flag is present. */
const forbidFlag = (flag: keyof typeof CLONE_FLAGS): QemuSetRow => ({
  syscall: 'clone',
  set: 'spawn',
  action: KILL,
  args: [{ index: 0, op: 'masked-eq', mask: CLONE_FLAGS[flag], value: CLONE_FLAGS[flag], label: flag }],
});

const U64 = (1n << 64n) - 1n;

export const QEMU_DENYLIST: readonly QemuSetRow[] = [
  ...rows('default', KILL, [
    'reboot',
    'swapon',
    'swapoff',
    'syslog',
    'mount',
    'umount',
    'kexec_load',
    'afs_syscall',
    'break',
    'ftime',
    'getpmsg',
    'gtty',
    'lock',
    'mpx',
    'prof',
    'profil',
    'putpmsg',
    'security',
    'stty',
    'tuxcall',
    'ulimit',
    'vserver',
  ]),
  ...rows('obsolete', KILL, [
    'readdir',
    '_sysctl',
    'bdflush',
    'create_module',
    'get_kernel_syms',
    'query_module',
    'sgetmask',
    'ssetmask',
    'sysfs',
    'uselib',
    'ustat',
  ]),
  ...rows('elevateprivileges', KILL, [
    'setuid',
    'setgid',
    'setpgid',
    'setsid',
    'setreuid',
    'setregid',
    'setresuid',
    'setresgid',
    'setfsuid',
    'setfsgid',
  ]),
  ...rows('spawn', KILL, ['fork', 'vfork', 'execve']),
  {
    syscall: 'clone',
    set: 'spawn',
    action: KILL,
    args: [{ index: 0, op: 'masked-eq', mask: U64 & ~CSIGNAL, value: 0n, label: 'no flags but the exit signal' }],
  },
  ...(
    [
      'CLONE_VM',
      'CLONE_FS',
      'CLONE_FILES',
      'CLONE_SIGHAND',
      'CLONE_THREAD',
      'CLONE_SYSVSEM',
      'CLONE_SETTLS',
      'CLONE_PARENT_SETTID',
      'CLONE_CHILD_CLEARTID',
    ] as const
  ).map(requireFlag),
  ...(
    [
      'CLONE_PIDFD',
      'CLONE_PTRACE',
      'CLONE_VFORK',
      'CLONE_PARENT',
      'CLONE_NEWNS',
      'CLONE_UNTRACED',
      'CLONE_NEWCGROUP',
      'CLONE_NEWUTS',
      'CLONE_NEWIPC',
      'CLONE_NEWUSER',
      'CLONE_NEWPID',
      'CLONE_NEWNET',
      'CLONE_IO',
    ] as const
  ).map(forbidFlag),
  ...rows('spawn', ENOSYS, ['clone3']),
  ...rows('spawn', KILL_THREAD, ['execveat', 'setns', 'unshare']),
  ...rows('resourcecontrol', EPERM, ['setpriority', 'sched_setparam']),
  {
    syscall: 'sched_setscheduler',
    set: 'resourcecontrol',
    action: EPERM,
    args: [{ index: 1, op: 'ne', value: SCHED_IDLE, label: 'policy != SCHED_IDLE' }],
  },
  ...rows('resourcecontrol', EPERM, ['sched_setaffinity']),
];
