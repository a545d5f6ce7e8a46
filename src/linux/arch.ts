/**
 * Architectures sbx knows, as data. Every other module names an arch by `ArchName`
 * and asks this module (or the syscall tables) for its facts; nothing switches on raw
 * AUDIT_ARCH numbers elsewhere.
 */

/** A value of `seccomp_data.arch` / `ptrace_syscall_info.arch` (linux/audit.h). */
export type AuditArch = number & { readonly __brand: 'AuditArch' };

/** A syscall number as the kernel sees it for one arch (x32 numbers include the x32 bit). */
export type SyscallNr = number & { readonly __brand: 'SyscallNr' };

export type ArchName = 'x86_64' | 'x32' | 'i386' | 'aarch64';

export interface ArchDef {
  readonly name: ArchName;
  /** What the kernel reports in seccomp_data.arch for this ABI. */
  readonly auditArch: AuditArch;
  /** Width of a syscall argument register, in bits. */
  readonly wordBits: 32 | 64;
  /** x32 shares AUDIT_ARCH_X86_64 and marks its numbers with this bit. */
  readonly nrBit?: number;
}

export const X32_SYSCALL_BIT = 0x40000000;

export const ARCHES: readonly ArchDef[] = [
  { name: 'x86_64', auditArch: 0xc000003e as AuditArch, wordBits: 64 },
  { name: 'x32', auditArch: 0xc000003e as AuditArch, wordBits: 64, nrBit: X32_SYSCALL_BIT },
  { name: 'i386', auditArch: 0x40000003 as AuditArch, wordBits: 32 },
  { name: 'aarch64', auditArch: 0xc00000b7 as AuditArch, wordBits: 64 },
];

const byName = new Map(ARCHES.map((a) => [a.name, a]));

/** The ArchDef for a name; throws on an unknown one (names come from our own formats). */
export function archDef(name: ArchName): ArchDef {
  const def = byName.get(name);
  if (!def) throw new Error(`unknown arch ${name}`);
  return def;
}

export function isArchName(name: string): name is ArchName {
  return byName.has(name as ArchName);
}

/**
 * Which ABI a (seccomp_data.arch, nr) pair belongs to, or undefined for an arch we have no
 * table for. ABIs that share an AUDIT_ARCH (x86_64 and x32) are told apart by `nrBit`.
 */
export function archOfSyscall(auditArch: number, nr: number): ArchName | undefined {
  const abis = byAuditArch.get(auditArch);
  if (!abis) return undefined;
  return abis.marked && (nr & abis.marked.bit) !== 0 ? abis.marked.name : abis.plain;
}

/** Per AUDIT_ARCH: the ABI whose numbers carry no marker bit, and the one that marks them (x32). */
const byAuditArch = new Map<number, { plain?: ArchName; marked?: { readonly bit: number; readonly name: ArchName } }>();
for (const a of ARCHES) {
  const entry = byAuditArch.get(a.auditArch) ?? {};
  if (a.nrBit === undefined) entry.plain = a.name;
  else entry.marked = { bit: a.nrBit, name: a.name };
  byAuditArch.set(a.auditArch, entry);
}

/** `arches` grouped by the AUDIT_ARCH they share, in first-seen order (x32 rides on x86_64's). */
export function groupByAuditArch(arches: readonly ArchName[]): Map<AuditArch, ArchName[]> {
  const groups = new Map<AuditArch, ArchName[]>();
  for (const name of arches) {
    const audit = archDef(name).auditArch;
    groups.set(audit, [...(groups.get(audit) ?? []), name]);
  }
  return groups;
}

/** Every ABI a process on this machine can make syscalls with (x86_64 hosts: x86_64, x32, i386). */
export function hostAbis(): ArchName[] {
  return process.arch === 'x64' ? ['x86_64', 'x32', 'i386'] : [hostArch()];
}

/** The arch this sbx process itself runs as (the tracer only traces on its own machine). */
export function hostArch(): ArchName {
  switch (process.arch) {
    case 'x64':
      return 'x86_64';
    case 'arm64':
      return 'aarch64';
    default:
      throw new Error(`sbx does not support this machine's architecture (${process.arch})`);
  }
}

/**
 * One syscall of one arch by number, `x86_64:0` (x32 numbers with the x32 bit): the call as
 * the kernel and the filter tell calls apart. Keys maps of (arch, number).
 */
export type CallKey = string & { readonly __brand: 'CallKey' };

/**
 * One syscall of one arch by name, `x86_64:read` (`i386:syscall_999` for a number no table
 * names): how profiles and policies spell a call. The profile's per-executable counts are
 * keyed by it, and it is the label of a call of an arch other than the first.
 */
export type NamedCallKey = string & { readonly __brand: 'NamedCallKey' };

/** The key of syscall `nr` (as the kernel sees it) of `arch`. */
export function callKey(arch: ArchName, nr: number): CallKey {
  return `${arch}:${nr}` as CallKey;
}

/** The key of syscall `name` (a table name or `syscall_<nr>`) of `arch`. */
export function namedCallKey(arch: ArchName, name: string): NamedCallKey {
  return `${arch}:${name}` as NamedCallKey;
}

/** The arch and name of a NamedCallKey read from a file (a profile's per-executable counts); undefined when it is not one. */
export function parseNamedCallKey(text: string): { arch: ArchName; name: string } | undefined {
  const m = /^([a-z0-9_]+):([a-z0-9_]+)$/.exec(text);
  return m && isArchName(m[1]!) ? { arch: m[1], name: m[2]! } : undefined;
}
