/**
 * Mount API flags: mount(2) MS_* (linux/mount.h), umount2 (sys/mount.h), and the new mount API
 * (open_tree, move_mount, fsopen, fsmount, mount_setattr).
 */
import type { FlagSpec } from './render.js';

/** mount(2) flags; a legacy MS_MGC_VAL magic in the top 16 bits renders as such. */
export const MS_FLAGS: FlagSpec = {
  bits: [
    ['MS_RDONLY', 1],
    ['MS_NOSUID', 2],
    ['MS_NODEV', 4],
    ['MS_NOEXEC', 8],
    ['MS_SYNCHRONOUS', 16],
    ['MS_REMOUNT', 32],
    ['MS_MANDLOCK', 64],
    ['MS_DIRSYNC', 128],
    ['MS_NOSYMFOLLOW', 256],
    ['MS_NOATIME', 1024],
    ['MS_NODIRATIME', 2048],
    ['MS_BIND', 4096],
    ['MS_MOVE', 8192],
    ['MS_REC', 16384],
    ['MS_SILENT', 32768],
    ['MS_POSIXACL', 1 << 16],
    ['MS_UNBINDABLE', 1 << 17],
    ['MS_PRIVATE', 1 << 18],
    ['MS_SLAVE', 1 << 19],
    ['MS_SHARED', 1 << 20],
    ['MS_RELATIME', 1 << 21],
    ['MS_KERNMOUNT', 1 << 22],
    ['MS_I_VERSION', 1 << 23],
    ['MS_STRICTATIME', 1 << 24],
    ['MS_LAZYTIME', 1 << 25],
    ['MS_SUBMOUNT', 1 << 26],
    ['MS_NOREMOTELOCK', 1 << 27],
    ['MS_NOSEC', 1 << 28],
    ['MS_BORN', 1 << 29],
    ['MS_ACTIVE', 1 << 30],
    ['MS_NOUSER', 2 ** 31],
  ],
  fields: [{ mask: 0xffff0000, names: [['MS_MGC_VAL', 0xc0ed0000]], onlyNamed: true }],
};

/** umount2 flags. */
export const UMOUNT_FLAGS: FlagSpec = {
  bits: [
    ['MNT_FORCE', 1],
    ['MNT_DETACH', 2],
    ['MNT_EXPIRE', 4],
    ['UMOUNT_NOFOLLOW', 8],
  ],
};

/** open_tree flags (plus AT_* path flags). */
export const OPEN_TREE_FLAGS: FlagSpec = {
  bits: [
    ['OPEN_TREE_CLONE', 1],
    ['AT_SYMLINK_NOFOLLOW', 0x100],
    ['AT_NO_AUTOMOUNT', 0x800],
    ['AT_EMPTY_PATH', 0x1000],
    ['AT_RECURSIVE', 0x8000],
    ['OPEN_TREE_CLOEXEC', 0o2000000],
  ],
};

/** move_mount flags. */
export const MOVE_MOUNT_FLAGS: FlagSpec = {
  bits: [
    ['MOVE_MOUNT_F_SYMLINKS', 0x00000001],
    ['MOVE_MOUNT_F_AUTOMOUNTS', 0x00000002],
    ['MOVE_MOUNT_F_EMPTY_PATH', 0x00000004],
    ['MOVE_MOUNT_T_SYMLINKS', 0x00000010],
    ['MOVE_MOUNT_T_AUTOMOUNTS', 0x00000020],
    ['MOVE_MOUNT_T_EMPTY_PATH', 0x00000040],
    ['MOVE_MOUNT_SET_GROUP', 0x00000100],
    ['MOVE_MOUNT_BENEATH', 0x00000200],
  ],
};

/** fsopen flags. */
export const FSOPEN_FLAGS: FlagSpec = { bits: [['FSOPEN_CLOEXEC', 0x00000001]] };

/** fsmount flags. */
export const FSMOUNT_FLAGS: FlagSpec = { bits: [['FSMOUNT_CLOEXEC', 0x00000001]] };

/** fsmount attr_flags (MOUNT_ATTR_*; the atime field's 0 is MOUNT_ATTR_RELATIME). */
export const MOUNT_ATTR_FLAGS: FlagSpec = {
  bits: [
    ['MOUNT_ATTR_RDONLY', 0x00000001],
    ['MOUNT_ATTR_NOSUID', 0x00000002],
    ['MOUNT_ATTR_NODEV', 0x00000004],
    ['MOUNT_ATTR_NOEXEC', 0x00000008],
    ['MOUNT_ATTR_NOATIME', 0x00000010],
    ['MOUNT_ATTR_STRICTATIME', 0x00000020],
    ['MOUNT_ATTR_NODIRATIME', 0x00000080],
    ['MOUNT_ATTR_IDMAP', 0x00100000],
    ['MOUNT_ATTR_NOSYMFOLLOW', 0x00200000],
  ],
};
