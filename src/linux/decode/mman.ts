/**
 * Memory-management constants: PROT_*, MAP_* (with the MAP_TYPE and huge-page-size fields),
 * mremap, madvise, msync, mlock/mlockall, pkeys, memfd_create (asm-generic/mman-common.h,
 * asm-generic/mman.h, linux/mman.h, linux/memfd.h; x86 adds MAP_32BIT, arm64 PROT_BTI/PROT_MTE).
 */
import type { Field, FlagSpec } from './render.js';
import type { Pairs, PerArch } from './types.js';

export const PROT_COMMON: Pairs = [
  ['PROT_NONE', 0x0],
  ['PROT_READ', 0x1],
  ['PROT_WRITE', 0x2],
  ['PROT_EXEC', 0x4],
  ['PROT_SEM', 0x8],
  ['PROT_GROWSDOWN', 0x01000000],
  ['PROT_GROWSUP', 0x02000000],
];

/** mmap / mprotect / pkey_mprotect prot. */
export const PROT_FLAGS: PerArch<FlagSpec> = {
  default: { bits: PROT_COMMON },
  aarch64: {
    bits: [...PROT_COMMON, ['PROT_BTI', 0x10], ['PROT_MTE', 0x20]],
  },
};

/**
 * Names of the huge page size encoded as log2(size) << 26 (asm-generic/hugetlb_encode.h),
 * shared by MAP_HUGE_*, MFD_HUGE_* and SHM_HUGE_*.
 */
export function hugeSizes(prefix: string): Pairs {
  const sizes: readonly (readonly [string, number])[] = [
    ['16KB', 14],
    ['64KB', 16],
    ['512KB', 19],
    ['1MB', 20],
    ['2MB', 21],
    ['8MB', 23],
    ['16MB', 24],
    ['32MB', 25],
    ['256MB', 28],
    ['512MB', 29],
    ['1GB', 30],
    ['2GB', 31],
    ['16GB', 34],
  ];
  return sizes.map(([s, log2]) => [`${prefix}${s}`, log2] as const);
}

/** HUGETLB_FLAG_ENCODE_SHIFT: where log2(huge page size) sits in mmap/memfd/shmget flags. */
export const HUGE_SHIFT = 26;
/** HUGETLB_FLAG_ENCODE_MASK, before shifting. */
export const HUGE_MASK = 0x3f;

/** A huge-page-size field that applies only when `hugetlbBit` is set. */
export function hugeField(prefix: string, hugetlbBit: number): Field {
  return {
    mask: BigInt(HUGE_MASK) << BigInt(HUGE_SHIFT),
    shift: HUGE_SHIFT,
    names: hugeSizes(prefix),
    requires: hugetlbBit,
    position: 'last',
    render: (n) => `${n}<<${prefix.replace(/_$/, '')}_SHIFT`,
  };
}

const MAP_HUGETLB = 0x040000;

/** MAP_TYPE (low nibble): how the mapping is shared. */
export const MAP_TYPES: Pairs = [
  ['MAP_SHARED', 0x01],
  ['MAP_PRIVATE', 0x02],
  ['MAP_SHARED_VALIDATE', 0x03],
  ['MAP_DROPPABLE', 0x08],
];

const MAP_COMMON: Pairs = [
  ['MAP_FIXED', 0x10],
  ['MAP_ANONYMOUS', 0x20],
  ['MAP_GROWSDOWN', 0x0100],
  ['MAP_DENYWRITE', 0x0800],
  ['MAP_EXECUTABLE', 0x1000],
  ['MAP_LOCKED', 0x2000],
  ['MAP_NORESERVE', 0x4000],
  ['MAP_POPULATE', 0x008000],
  ['MAP_NONBLOCK', 0x010000],
  ['MAP_STACK', 0x020000],
  ['MAP_HUGETLB', MAP_HUGETLB],
  ['MAP_SYNC', 0x080000],
  ['MAP_FIXED_NOREPLACE', 0x100000],
  ['MAP_UNINITIALIZED', 0x4000000],
];

const MAP_FIELDS: readonly Field[] = [{ mask: 0x0f, names: MAP_TYPES }, hugeField('MAP_HUGE_', MAP_HUGETLB)];

/** mmap / mmap2 flags: MAP_PRIVATE|MAP_ANONYMOUS. */
export const MAP_FLAGS: PerArch<FlagSpec> = {
  default: {
    bits: [...MAP_COMMON, ['MAP_32BIT', 0x40], ['MAP_ABOVE4G', 0x80]],
    fields: MAP_FIELDS,
  },
  aarch64: { bits: MAP_COMMON, fields: MAP_FIELDS },
};

/** mremap flags. */
export const MREMAP_FLAGS: FlagSpec = {
  bits: [
    ['MREMAP_MAYMOVE', 1],
    ['MREMAP_FIXED', 2],
    ['MREMAP_DONTUNMAP', 4],
  ],
};

/** madvise / process_madvise advice. */
export const MADV_ADVICE: Pairs = [
  ['MADV_NORMAL', 0],
  ['MADV_RANDOM', 1],
  ['MADV_SEQUENTIAL', 2],
  ['MADV_WILLNEED', 3],
  ['MADV_DONTNEED', 4],
  ['MADV_FREE', 8],
  ['MADV_REMOVE', 9],
  ['MADV_DONTFORK', 10],
  ['MADV_DOFORK', 11],
  ['MADV_MERGEABLE', 12],
  ['MADV_UNMERGEABLE', 13],
  ['MADV_HUGEPAGE', 14],
  ['MADV_NOHUGEPAGE', 15],
  ['MADV_DONTDUMP', 16],
  ['MADV_DODUMP', 17],
  ['MADV_WIPEONFORK', 18],
  ['MADV_KEEPONFORK', 19],
  ['MADV_COLD', 20],
  ['MADV_PAGEOUT', 21],
  ['MADV_POPULATE_READ', 22],
  ['MADV_POPULATE_WRITE', 23],
  ['MADV_DONTNEED_LOCKED', 24],
  ['MADV_COLLAPSE', 25],
  ['MADV_HWPOISON', 100],
  ['MADV_SOFT_OFFLINE', 101],
  ['MADV_GUARD_INSTALL', 102],
  ['MADV_GUARD_REMOVE', 103],
];

/** msync flags. */
export const MSYNC_FLAGS: FlagSpec = {
  bits: [
    ['MS_ASYNC', 1],
    ['MS_INVALIDATE', 2],
    ['MS_SYNC', 4],
  ],
};

/** mlockall flags. */
export const MLOCKALL_FLAGS: FlagSpec = {
  bits: [
    ['MCL_CURRENT', 1],
    ['MCL_FUTURE', 2],
    ['MCL_ONFAULT', 4],
  ],
};

/** mlock2 flags. */
export const MLOCK2_FLAGS: FlagSpec = { bits: [['MLOCK_ONFAULT', 0x01]] };

/** pkey_alloc access rights. */
export const PKEY_ACCESS: FlagSpec = {
  bits: [
    ['PKEY_DISABLE_ACCESS', 0x1],
    ['PKEY_DISABLE_WRITE', 0x2],
  ],
};

const MFD_HUGETLB = 0x0004;

/** memfd_create flags. */
export const MFD_FLAGS: FlagSpec = {
  bits: [
    ['MFD_CLOEXEC', 0x0001],
    ['MFD_ALLOW_SEALING', 0x0002],
    ['MFD_HUGETLB', MFD_HUGETLB],
    ['MFD_NOEXEC_SEAL', 0x0008],
    ['MFD_EXEC', 0x0010],
  ],
  fields: [hugeField('MFD_HUGE_', MFD_HUGETLB)],
};
