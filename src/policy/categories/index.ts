/**
 * Syscall categories: systemd's groups and QEMU's -sandbox sets (both data, in this folder),
 * and the explicit "unclassified" rest. Everything that asks "which group is this call in" or
 * "what is in @mount" asks here.
 */
import { QEMU_DENYLIST, QEMU_SETS, type QemuSetName, type QemuSetRow } from './qemu-sets.js';
import { SYSTEMD_GROUPS } from './systemd-groups.js';
import { UNCLASSIFIED } from './unclassified.js';

export { QEMU_DENYLIST, QEMU_SETS, type QemuSetName, type QemuSetRow } from './qemu-sets.js';
export { UNCLASSIFIED } from './unclassified.js';

/** A category as provenance names it: "qemu:spawn", "systemd:@mount". */
export type CategoryId = `qemu:${QemuSetName}` | `systemd:@${string}`;

export interface SystemdGroup {
  readonly name: string;
  readonly help: string;
  /** Members as systemd lists them, nested "@groups" included. */
  readonly members: readonly string[];
  /** Every syscall name in the group, nested groups expanded. */
  readonly syscalls: ReadonlySet<string>;
  /** Whether the group includes other groups (@system-service, @privileged). */
  readonly composite: boolean;
  readonly since?: number;
}

function expand(name: string, seen: Set<string> = new Set()): Set<string> {
  const row = SYSTEMD_GROUPS.find((g) => g.name === name);
  if (!row) throw new Error(`unknown systemd group ${name}`);
  if (seen.has(name)) throw new Error(`systemd group ${name} includes itself`);
  seen.add(name);
  const out = new Set<string>();
  for (const m of row.members) for (const s of m.startsWith('@') ? expand(m, seen) : [m]) out.add(s);
  seen.delete(name);
  return out;
}

/** Every systemd group, nested members expanded, in systemd's order. */
export const SYSTEMD_GROUP_LIST: readonly SystemdGroup[] = SYSTEMD_GROUPS.map((row) => ({
  ...row,
  syscalls: expand(row.name),
  composite: row.members.some((m) => m.startsWith('@')),
}));

const groupByName = new Map(SYSTEMD_GROUP_LIST.map((g) => [g.name, g]));

export function systemdGroup(name: string): SystemdGroup | undefined {
  return groupByName.get(name);
}

/** The one group that names `syscall` directly and nests no other group: the call's home. */
export function homeGroupOf(syscall: string): SystemdGroup | undefined {
  return (
    SYSTEMD_GROUP_LIST.find((g) => !g.composite && g.members.includes(syscall)) ??
    SYSTEMD_GROUP_LIST.find((g) => g.members.includes(syscall))
  );
}

/** QEMU's rows for one set. */
export function qemuSetRows(set: QemuSetName): QemuSetRow[] {
  return QEMU_DENYLIST.filter((r) => r.set === set);
}

/** The QEMU sets a syscall is denied in. */
export function qemuSetsOf(syscall: string): QemuSetName[] {
  return [...new Set(QEMU_DENYLIST.filter((r) => r.syscall === syscall).map((r) => r.set))];
}

/** The syscalls of a category id, or undefined for an id that names nothing. */
export function categorySyscalls(id: string): ReadonlySet<string> | undefined {
  if (id.startsWith('qemu:')) {
    const set = id.slice(5) as QemuSetName;
    return set in QEMU_SETS ? new Set(qemuSetRows(set).map((r) => r.syscall)) : undefined;
  }
  if (id.startsWith('systemd:')) return systemdGroup(id.slice(8))?.syscalls;
  return undefined;
}

/**
 * A short label for tables: the home systemd group and any QEMU set ("@process qemu:spawn"),
 * or "unclassified".
 */
export function categoryLabel(syscall: string): string {
  const parts = [homeGroupOf(syscall)?.name, ...qemuSetsOf(syscall).map((s) => `qemu:${s}`)].filter((x): x is string => !!x);
  return parts.length ? parts.join(' ') : UNCLASSIFIED[syscall] !== undefined ? 'unclassified' : 'unknown';
}
