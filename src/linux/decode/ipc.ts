/**
 * System V IPC (linux/ipc.h, linux/shm.h, linux/sem.h, linux/msg.h): get flags with permission
 * bits, ctl commands (with the IPC_64 version flag i386 and the ipc(2) multiplexer pass), attach
 * and message flags, and i386's ipc(2) call numbers.
 */
import { hugeField } from './mman.js';
import { PERMISSION_FIELD } from './open.js';
import type { Field, FlagSpec } from './render.js';
import type { Pairs } from './types.js';

const IPC_CREAT_EXCL: Pairs = [
  ['IPC_CREAT', 0o1000],
  ['IPC_EXCL', 0o2000],
];

/** semget / msgget flags: IPC_CREAT|0600. */
export const IPC_GET_FLAGS: FlagSpec = { bits: IPC_CREAT_EXCL, fields: [PERMISSION_FIELD] };

const SHM_HUGETLB = 0o4000;

/** shmget flags: IPC_CREAT|SHM_HUGETLB|0600, with the huge page size. */
export const SHMGET_FLAGS: FlagSpec = {
  bits: [...IPC_CREAT_EXCL, ['SHM_HUGETLB', SHM_HUGETLB], ['SHM_NORESERVE', 0o10000]],
  fields: [PERMISSION_FIELD, hugeField('SHM_HUGE_', SHM_HUGETLB)],
};

const IPC_CTL_COMMON: Pairs = [
  ['IPC_RMID', 0],
  ['IPC_SET', 1],
  ['IPC_STAT', 2],
  ['IPC_INFO', 3],
];

/** IPC_64: the "new" struct layout flag, ORed into ctl commands by 32-bit callers. */
const IPC_64: Pairs = [['IPC_64', 0x0100]];

function ctl(cmds: Pairs): FlagSpec {
  const field: Field = { mask: 0xff, names: [...IPC_CTL_COMMON, ...cmds] };
  return { bits: IPC_64, fields: [field] };
}

/** shmctl cmd: IPC_STAT, SHM_LOCK... (|IPC_64). */
export const SHMCTL_CMDS: FlagSpec = ctl([
  ['SHM_LOCK', 11],
  ['SHM_UNLOCK', 12],
  ['SHM_STAT', 13],
  ['SHM_INFO', 14],
  ['SHM_STAT_ANY', 15],
]);

/** semctl cmd: IPC_RMID, GETVAL, SETALL... (|IPC_64). */
export const SEMCTL_CMDS: FlagSpec = ctl([
  ['GETPID', 11],
  ['GETVAL', 12],
  ['GETALL', 13],
  ['GETNCNT', 14],
  ['GETZCNT', 15],
  ['SETVAL', 16],
  ['SETALL', 17],
  ['SEM_STAT', 18],
  ['SEM_INFO', 19],
  ['SEM_STAT_ANY', 20],
]);

/** msgctl cmd: IPC_STAT, MSG_INFO... (|IPC_64). */
export const MSGCTL_CMDS: FlagSpec = ctl([
  ['MSG_STAT', 11],
  ['MSG_INFO', 12],
  ['MSG_STAT_ANY', 13],
]);

/** shmat flags. */
export const SHMAT_FLAGS: FlagSpec = {
  bits: [
    ['SHM_RDONLY', 0o10000],
    ['SHM_RND', 0o20000],
    ['SHM_REMAP', 0o40000],
    ['SHM_EXEC', 0o100000],
  ],
};

/** msgsnd / msgrcv flags. */
export const MSG_IPC_FLAGS: FlagSpec = {
  bits: [
    ['IPC_NOWAIT', 0o4000],
    ['MSG_NOERROR', 0o10000],
    ['MSG_EXCEPT', 0o20000],
    ['MSG_COPY', 0o40000],
  ],
};

/** i386 ipc(2) call in the low 16 bits; the high 16 are an ABI version. */
export const IPC_CALLS: Pairs = [
  ['SEMOP', 1],
  ['SEMGET', 2],
  ['SEMCTL', 3],
  ['SEMTIMEDOP', 4],
  ['MSGSND', 11],
  ['MSGRCV', 12],
  ['MSGGET', 13],
  ['MSGCTL', 14],
  ['SHMAT', 21],
  ['SHMDT', 22],
  ['SHMGET', 23],
  ['SHMCTL', 24],
];

/** ipc(2) call: SHMAT, or SHMAT|0x10000 for a versioned call. */
export const IPC_CALL: FlagSpec = { bits: [], fields: [{ mask: 0xffff, names: IPC_CALLS }] };
