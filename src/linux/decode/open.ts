/**
 * File-related constants: O_* (asm-generic/fcntl.h; arm64 moves four bits), AT_*, fcntl commands
 * and their arguments, flock, access modes, lseek whence, renameat2, fallocate, fadvise, and
 * mknod's file type + permission bits.
 */
import type { ArchName } from '../arch.js';
import type { Field, FlagSpec } from './render.js';
import type { Pairs, PerArch } from './types.js';

const O_COMMON: Pairs = [
  ['O_CREAT', 0o100],
  ['O_EXCL', 0o200],
  ['O_NOCTTY', 0o400],
  ['O_TRUNC', 0o1000],
  ['O_APPEND', 0o2000],
  ['O_NONBLOCK', 0o4000],
  ['O_DSYNC', 0o10000],
  ['O_ASYNC', 0o20000],
  ['O_NOATIME', 0o1000000],
  ['O_CLOEXEC', 0o2000000],
  ['O_SYNC', 0o4010000],
  ['O_PATH', 0o10000000],
];

/** The four O_* bits whose values differ by arch (arm64 overrides asm-generic). */
const O_MOVED: Record<'generic' | 'arm64', { DIRECT: number; LARGEFILE: number; DIRECTORY: number; NOFOLLOW: number }> = {
  generic: { DIRECT: 0o40000, LARGEFILE: 0o100000, DIRECTORY: 0o200000, NOFOLLOW: 0o400000 },
  arm64: { DIRECTORY: 0o40000, NOFOLLOW: 0o100000, DIRECT: 0o200000, LARGEFILE: 0o400000 },
};

const __O_TMPFILE = 0o20000000;

function oBits(which: 'generic' | 'arm64'): Pairs {
  const m = O_MOVED[which];
  return [
    ...O_COMMON,
    ['O_DIRECT', m.DIRECT],
    ['O_LARGEFILE', m.LARGEFILE],
    ['O_DIRECTORY', m.DIRECTORY],
    ['O_NOFOLLOW', m.NOFOLLOW],
    ['O_TMPFILE', __O_TMPFILE | m.DIRECTORY],
  ];
}

const O_BITS_GENERIC = oBits('generic');
const O_BITS_ARM64 = oBits('arm64');

/** The O_ACCMODE field, rendered first: O_RDONLY (0) is always shown. */
export const O_ACCMODE_FIELD: Field = {
  mask: 3,
  names: [
    ['O_RDONLY', 0],
    ['O_WRONLY', 1],
    ['O_RDWR', 2],
  ],
};

/** open/openat/open_by_handle_at flags: O_RDONLY|O_CLOEXEC. */
export const OPEN_FLAGS: PerArch<FlagSpec> = {
  default: { bits: O_BITS_GENERIC, fields: [O_ACCMODE_FIELD] },
  aarch64: { bits: O_BITS_ARM64, fields: [O_ACCMODE_FIELD] },
};

/** O_* without an access mode (pipe2, dup3, fcntl F_SETFL...): 0 renders as "0". */
export const O_STATUS_FLAGS: PerArch<FlagSpec> = {
  default: { bits: O_BITS_GENERIC },
  aarch64: { bits: O_BITS_ARM64 },
};

/** The O_* bits pipe2 accepts (O_NOTIFICATION_PIPE is O_EXCL). */
export function pipe2Bits(arch: ArchName): Pairs {
  const m = arch === 'aarch64' ? O_MOVED.arm64 : O_MOVED.generic;
  return [
    ['O_NOTIFICATION_PIPE', 0o200],
    ['O_NONBLOCK', 0o4000],
    ['O_DIRECT', m.DIRECT],
    ['O_CLOEXEC', 0o2000000],
  ];
}

/** pipe2 flags, per arch (O_DIRECT moves on arm64). */
export const PIPE2_FLAGS: PerArch<FlagSpec> = {
  default: { bits: pipe2Bits('x86_64') },
  aarch64: { bits: pipe2Bits('aarch64') },
};

/** O_CLOEXEC alone (dup3, memfd_secret...). */
export const CLOEXEC_ONLY: FlagSpec = { bits: [['O_CLOEXEC', 0o2000000]] };

// ---- *at() flags -------------------------------------------------------------------------

/** AT_FDCWD, the dirfd meaning "relative to the cwd". */
export const AT_FDCWD = -100;

/** stat-family flags: newfstatat, fstatat64, statx. */
export const AT_STAT_FLAGS: FlagSpec = {
  bits: [
    ['AT_SYMLINK_NOFOLLOW', 0x100],
    ['AT_NO_AUTOMOUNT', 0x800],
    ['AT_EMPTY_PATH', 0x1000],
    ['AT_STATX_FORCE_SYNC', 0x2000],
    ['AT_STATX_DONT_SYNC', 0x4000],
  ],
};

/** fchownat, utimensat, execveat, name_to_handle_at, fchmodat2, open_tree, mount_setattr. */
export const AT_FLAGS: FlagSpec = {
  bits: [
    ['AT_SYMLINK_NOFOLLOW', 0x100],
    ['AT_NO_AUTOMOUNT', 0x800],
    ['AT_EMPTY_PATH', 0x1000],
    ['AT_RECURSIVE', 0x8000],
  ],
};

/** faccessat2: AT_EACCESS shares its value with AT_REMOVEDIR. */
export const AT_ACCESS_FLAGS: FlagSpec = {
  bits: [
    ['AT_SYMLINK_NOFOLLOW', 0x100],
    ['AT_EACCESS', 0x200],
    ['AT_EMPTY_PATH', 0x1000],
  ],
};

/** unlinkat. */
export const AT_UNLINK_FLAGS: FlagSpec = { bits: [['AT_REMOVEDIR', 0x200]] };

/** linkat. */
export const AT_LINK_FLAGS: FlagSpec = {
  bits: [
    ['AT_SYMLINK_FOLLOW', 0x400],
    ['AT_EMPTY_PATH', 0x1000],
  ],
};

/** renameat2. */
export const RENAME_FLAGS: FlagSpec = {
  bits: [
    ['RENAME_NOREPLACE', 1],
    ['RENAME_EXCHANGE', 2],
    ['RENAME_WHITEOUT', 4],
  ],
};

/** access / faccessat / faccessat2 mode. */
export const ACCESS_MODE: FlagSpec = {
  bits: [
    ['F_OK', 0],
    ['X_OK', 1],
    ['W_OK', 2],
    ['R_OK', 4],
  ],
};

// ---- fcntl -------------------------------------------------------------------------------

const F_CMDS: Pairs = [
  ['F_DUPFD', 0],
  ['F_GETFD', 1],
  ['F_SETFD', 2],
  ['F_GETFL', 3],
  ['F_SETFL', 4],
  ['F_GETLK', 5],
  ['F_SETLK', 6],
  ['F_SETLKW', 7],
  ['F_SETOWN', 8],
  ['F_GETOWN', 9],
  ['F_SETSIG', 10],
  ['F_GETSIG', 11],
  ['F_SETOWN_EX', 15],
  ['F_GETOWN_EX', 16],
  ['F_GETOWNER_UIDS', 17],
  ['F_OFD_GETLK', 36],
  ['F_OFD_SETLK', 37],
  ['F_OFD_SETLKW', 38],
  ['F_SETLEASE', 1024],
  ['F_GETLEASE', 1025],
  ['F_NOTIFY', 1026],
  ['F_DUPFD_QUERY', 1027],
  ['F_CREATED_QUERY', 1028],
  ['F_CANCELLK', 1029],
  ['F_DUPFD_CLOEXEC', 1030],
  ['F_SETPIPE_SZ', 1031],
  ['F_GETPIPE_SZ', 1032],
  ['F_ADD_SEALS', 1033],
  ['F_GET_SEALS', 1034],
  ['F_GET_RW_HINT', 1035],
  ['F_SET_RW_HINT', 1036],
  ['F_GET_FILE_RW_HINT', 1037],
  ['F_SET_FILE_RW_HINT', 1038],
];

/** fcntl / fcntl64 commands; the 64-bit lock commands exist only for i386's fcntl64. */
export const FCNTL_CMDS: PerArch<Pairs> = {
  default: F_CMDS,
  i386: [...F_CMDS, ['F_GETLK64', 12], ['F_SETLK64', 13], ['F_SETLKW64', 14]],
};

/** fcntl F_SETFD argument. */
export const FD_FLAGS: FlagSpec = { bits: [['FD_CLOEXEC', 1]] };

/** fcntl F_ADD_SEALS argument (memfd seals). */
export const F_SEALS: FlagSpec = {
  bits: [
    ['F_SEAL_SEAL', 0x1],
    ['F_SEAL_SHRINK', 0x2],
    ['F_SEAL_GROW', 0x4],
    ['F_SEAL_WRITE', 0x8],
    ['F_SEAL_FUTURE_WRITE', 0x10],
    ['F_SEAL_EXEC', 0x20],
  ],
};

/** F_NOTIFY argument. */
export const DN_FLAGS: FlagSpec = {
  bits: [
    ['DN_ACCESS', 0x1],
    ['DN_MODIFY', 0x2],
    ['DN_CREATE', 0x4],
    ['DN_DELETE', 0x8],
    ['DN_RENAME', 0x10],
    ['DN_ATTRIB', 0x20],
    ['DN_MULTISHOT', 0x80000000],
  ],
};

/** F_SETLEASE / F_GETLEASE argument, and struct flock's l_type. */
export const F_LOCK_TYPES: Pairs = [
  ['F_RDLCK', 0],
  ['F_WRLCK', 1],
  ['F_UNLCK', 2],
];

/** How fcntl's third argument renders for a command: a flag set, or one of the named shapes. */
export type FcntlArgKind = FlagSpec | PerArch<FlagSpec> | 'int' | 'pointer' | 'signal' | 'lease';

/** fcntl cmd → what its third argument is. Commands not listed ignore the argument. */
export const FCNTL_ARG_KINDS: ReadonlyMap<number, FcntlArgKind> = new Map<number, FcntlArgKind>([
  [0, 'int'], // F_DUPFD
  [2, FD_FLAGS], // F_SETFD
  [4, O_STATUS_FLAGS], // F_SETFL
  [5, 'pointer'], // F_GETLK
  [6, 'pointer'], // F_SETLK
  [7, 'pointer'], // F_SETLKW
  [8, 'int'], // F_SETOWN
  [10, 'signal'], // F_SETSIG
  [12, 'pointer'], // F_GETLK64
  [13, 'pointer'], // F_SETLK64
  [14, 'pointer'], // F_SETLKW64
  [15, 'pointer'], // F_SETOWN_EX
  [16, 'pointer'], // F_GETOWN_EX
  [36, 'pointer'], // F_OFD_GETLK
  [37, 'pointer'], // F_OFD_SETLK
  [38, 'pointer'], // F_OFD_SETLKW
  [1024, 'lease'], // F_SETLEASE
  [1026, DN_FLAGS], // F_NOTIFY
  [1030, 'int'], // F_DUPFD_CLOEXEC
  [1031, 'int'], // F_SETPIPE_SZ
  [1033, F_SEALS], // F_ADD_SEALS
  [1035, 'pointer'], // F_GET_RW_HINT
  [1036, 'pointer'], // F_SET_RW_HINT
  [1037, 'pointer'], // F_GET_FILE_RW_HINT
  [1038, 'pointer'], // F_SET_FILE_RW_HINT
]);

/** flock(2) operation. */
export const FLOCK_OPS: FlagSpec = {
  bits: [
    ['LOCK_SH', 1],
    ['LOCK_EX', 2],
    ['LOCK_NB', 4],
    ['LOCK_UN', 8],
    ['LOCK_MAND', 32],
    ['LOCK_READ', 64],
    ['LOCK_WRITE', 128],
  ],
};

/** lseek / _llseek whence. */
export const SEEK_WHENCE: Pairs = [
  ['SEEK_SET', 0],
  ['SEEK_CUR', 1],
  ['SEEK_END', 2],
  ['SEEK_DATA', 3],
  ['SEEK_HOLE', 4],
];

/** fallocate mode (0 allocates). */
export const FALLOC_FLAGS: FlagSpec = {
  bits: [
    ['FALLOC_FL_KEEP_SIZE', 0x01],
    ['FALLOC_FL_PUNCH_HOLE', 0x02],
    ['FALLOC_FL_NO_HIDE_STALE', 0x04],
    ['FALLOC_FL_COLLAPSE_RANGE', 0x08],
    ['FALLOC_FL_ZERO_RANGE', 0x10],
    ['FALLOC_FL_INSERT_RANGE', 0x20],
    ['FALLOC_FL_UNSHARE_RANGE', 0x40],
  ],
};

/** fadvise64 / fadvise64_64 advice (x86 and arm64 values; s390 differs). */
export const FADVISE_ADVICE: Pairs = [
  ['POSIX_FADV_NORMAL', 0],
  ['POSIX_FADV_RANDOM', 1],
  ['POSIX_FADV_SEQUENTIAL', 2],
  ['POSIX_FADV_WILLNEED', 3],
  ['POSIX_FADV_DONTNEED', 4],
  ['POSIX_FADV_NOREUSE', 5],
];

/** sync_file_range flags. */
export const SYNC_FILE_RANGE_FLAGS: FlagSpec = {
  bits: [
    ['SYNC_FILE_RANGE_WAIT_BEFORE', 1],
    ['SYNC_FILE_RANGE_WRITE', 2],
    ['SYNC_FILE_RANGE_WAIT_AFTER', 4],
  ],
};

/** close_range flags. */
export const CLOSE_RANGE_FLAGS: FlagSpec = {
  bits: [
    ['CLOSE_RANGE_UNSHARE', 1 << 1],
    ['CLOSE_RANGE_CLOEXEC', 1 << 2],
  ],
};

// ---- mode_t ------------------------------------------------------------------------------

/** File types in the S_IFMT field of a mode. */
export const S_IFMT_TYPES: Pairs = [
  ['S_IFIFO', 0o10000],
  ['S_IFCHR', 0o20000],
  ['S_IFDIR', 0o40000],
  ['S_IFBLK', 0o60000],
  ['S_IFREG', 0o100000],
  ['S_IFLNK', 0o120000],
  ['S_IFSOCK', 0o140000],
];

/** Permission bits as octal, rendered last: S_IFCHR|0600. */
export const PERMISSION_FIELD: Field = {
  mask: 0o777,
  position: 'last',
  render: (n) => `0${n.toString(8).padStart(3, '0')}`,
};

/** mknod / mknodat mode: file type, set-id bits, permissions (device nodes matter for a policy). */
export const MKNOD_MODE: FlagSpec = {
  bits: [
    ['S_ISVTX', 0o1000],
    ['S_ISGID', 0o2000],
    ['S_ISUID', 0o4000],
  ],
  fields: [{ mask: 0o170000, names: S_IFMT_TYPES }, PERMISSION_FIELD],
};
