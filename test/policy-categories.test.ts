/** Categories as data: every syscall in sbx's tables has a home, and the data matches its sources. */
import { describe, expect, it } from 'vitest';
import { ARCHES } from '../src/linux/arch.js';
import { syscallTable } from '../src/linux/syscalls.js';
import {
  QEMU_DENYLIST,
  SYSTEMD_GROUP_LIST,
  UNCLASSIFIED,
  categoryLabel,
  categorySyscalls,
  homeGroupOf,
  qemuSetsOf,
  systemdGroup,
} from '../src/policy/categories/index.js';
import { SYSTEMD_GROUPS } from '../src/policy/categories/systemd-groups.js';
import { systemdAnalyzeGroups } from './golden/systemd-analyze.js';

const tableNames = new Set(ARCHES.flatMap((a) => syscallTable(a.name).map((e) => e.name)));
const grouped = new Set([...SYSTEMD_GROUP_LIST.flatMap((g) => [...g.syscalls]), ...QEMU_DENYLIST.map((r) => r.syscall)]);

describe('every syscall belongs somewhere', () => {
  it.each(ARCHES.map((a) => a.name))('%s: each table name is in a systemd group, a QEMU set, or UNCLASSIFIED', (arch) => {
    const homeless = syscallTable(arch)
      .map((e) => e.name)
      .filter((n) => !grouped.has(n) && UNCLASSIFIED[n] === undefined);
    expect(homeless).toEqual([]);
  });

  it('UNCLASSIFIED holds only table names that no group has (no stale rows)', () => {
    const stale = Object.keys(UNCLASSIFIED).filter((n) => !tableNames.has(n) || grouped.has(n));
    expect(stale).toEqual([]);
  });

  it('QEMU rows name syscalls some table knows (a typo would never match)', () => {
    const unknown = [...new Set(QEMU_DENYLIST.map((r) => r.syscall))].filter((n) => !tableNames.has(n));
    expect(unknown).toEqual([]);
  });
});

describe('systemd groups', () => {
  it('nested groups expand: @system-service includes @basic-io and @default', () => {
    const service = systemdGroup('@system-service')!;
    expect(service.composite).toBe(true);
    expect(service.syscalls.has('read')).toBe(true);
    expect(service.syscalls.has('exit_group')).toBe(true);
    expect(service.syscalls.has('mount')).toBe(false);
  });

  it('matches `systemd-analyze syscall-filter` group for group (v252 here; @sandbox is v256)', () => {
    const fromTool = systemdAnalyzeGroups();
    fromTool.delete('@known');
    const ours = new Map(SYSTEMD_GROUPS.filter((g) => !g.since).map((g) => [g.name, [...g.members].sort()]));
    expect(new Map([...fromTool].map(([k, v]) => [k, v.sort()]))).toEqual(ours);
  });
});

describe('labels and lookups', () => {
  it.each([
    { syscall: 'read', label: '@basic-io' },
    { syscall: 'execve', label: '@default qemu:spawn' },
    { syscall: 'mount', label: '@mount qemu:default' },
    { syscall: 'setpriority', label: '@resources qemu:resourcecontrol' },
    { syscall: 'clone3', label: '@process qemu:spawn' },
    { syscall: 'mseal', label: 'unclassified' },
    { syscall: 'no_such_call', label: 'unknown' },
  ])('$syscall → $label', ({ syscall, label }) => {
    expect(categoryLabel(syscall)).toBe(label);
  });

  it.each([
    { id: 'qemu:resourcecontrol', has: 'sched_setaffinity' },
    { id: 'systemd:@swap', has: 'swapon' },
    { id: 'systemd:@privileged', has: 'chown' },
  ])('category $id has $has', ({ id, has }) => {
    expect(categorySyscalls(id)?.has(has)).toBe(true);
  });

  it('an unknown category id names nothing', () => {
    expect(categorySyscalls('qemu:nope')).toBeUndefined();
    expect(categorySyscalls('systemd:@nope')).toBeUndefined();
  });

  it('home group prefers a leaf group; QEMU sets come from the rows', () => {
    expect(homeGroupOf('chown')?.name).toBe('@chown');
    expect(qemuSetsOf('clone')).toEqual(['spawn']);
  });
});
