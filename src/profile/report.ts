/** `sbx report`: strace -c style summaries of a profile, as text, CSV or JSON. */
import { stringify } from 'csv-stringify/sync';
import type { ArchName } from '../linux/arch.js';
import type { Profile, SyscallEntry } from './types.js';

export interface ReportRow {
  readonly syscall: string;
  readonly arch: ArchName;
  readonly calls: number;
  /** Share of all calls, percent. */
  readonly percent: number;
  readonly errors: number;
  readonly deniedByOwnFilter: number;
  /** Only when the profile has times (syscall mode). */
  readonly seconds?: number;
  readonly usecsPerCall?: number;
}

function sum(record: Readonly<Record<string, number>> | undefined): number {
  return record ? Object.values(record).reduce((a, b) => a + b, 0) : 0;
}

/** The arch most calls came from: its syscalls are shown unprefixed, others as "arch:name". */
function primaryArch(profile: Profile): ArchName | undefined {
  const byArch = new Map<ArchName, number>();
  for (const s of profile.syscalls) byArch.set(s.arch, (byArch.get(s.arch) ?? 0) + s.count);
  return [...byArch].sort((a, b) => b[1] - a[1])[0]?.[0];
}

export function hasTimes(profile: Profile): boolean {
  return profile.syscalls.some((s) => s.timeUs !== undefined);
}

/** One row per syscall, sorted by calls (the profile's order). */
export function reportRows(profile: Profile): ReportRow[] {
  const primary = primaryArch(profile);
  const total = profile.syscalls.reduce((n, s) => n + s.count, 0) || 1;
  const timed = hasTimes(profile);
  return profile.syscalls.map((s: SyscallEntry) => ({
    syscall: s.arch === primary ? s.name : `${s.arch}:${s.name}`,
    arch: s.arch,
    calls: s.count,
    percent: (100 * s.count) / total,
    errors: sum(s.errors),
    deniedByOwnFilter: sum(s.deniedByOwnFilter),
    ...(timed ? { seconds: (s.timeUs ?? 0) / 1e6, usecsPerCall: Math.round((s.timeUs ?? 0) / s.count) } : {}),
  }));
}

const pad = (text: string | number, width: number) => String(text).padStart(width);

/** The strace -c look: % column, numbers right-aligned, a total line, then the profile's notes. */
export function formatReport(profile: Profile): string {
  const rows = reportRows(profile);
  const timed = hasTimes(profile);
  const denied = rows.some((r) => r.deniedByOwnFilter > 0);
  const totalTime = rows.reduce((n, r) => n + (r.seconds ?? 0), 0) || 1;
  const header = timed
    ? ['% time', '    seconds', ' usecs/call', '     calls', '    errors']
    : ['% calls', '     calls', '    errors'];
  if (denied) header.push('    denied');
  const lines = [[...header, 'syscall'].join(' ')];
  const rule = [...header.map((h) => '-'.repeat(h.length)), '----------------'].join(' ');
  lines.push(rule);
  const line = (r: Omit<ReportRow, 'arch'>) => {
    const cells = timed
      ? [pad(((100 * (r.seconds ?? 0)) / totalTime).toFixed(2), 6), pad((r.seconds ?? 0).toFixed(6), 11), pad(r.usecsPerCall ?? 0, 11)]
      : [pad(r.percent.toFixed(2), 7)];
    cells.push(pad(r.calls, 10), pad(r.errors || '', 10));
    if (denied) cells.push(pad(r.deniedByOwnFilter || '', 10));
    return [...cells, r.syscall].join(' ');
  };
  for (const r of rows) lines.push(line(r));
  lines.push(rule);
  const totalSeconds = rows.reduce((n, r) => n + (r.seconds ?? 0), 0);
  const totalCalls = rows.reduce((n, r) => n + r.calls, 0);
  lines.push(
    line({
      syscall: 'total',
      calls: totalCalls,
      percent: 100,
      errors: rows.reduce((n, r) => n + r.errors, 0),
      deniedByOwnFilter: rows.reduce((n, r) => n + r.deniedByOwnFilter, 0),
      ...(timed ? { seconds: totalSeconds, usecsPerCall: Math.round((totalSeconds * 1e6) / (totalCalls || 1)) } : {}),
    }),
  );
  const { processes, threads } = profile.totals;
  lines.push('', `${rows.length} distinct syscalls, ${processes} process(es), ${threads} thread(s), ${profile.runs.length} run(s)`);
  for (const note of profile.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

export function reportCsv(profile: Profile): string {
  const rows = reportRows(profile);
  const timed = hasTimes(profile);
  const columns = ['syscall', 'arch', 'calls', 'percent', 'errors', 'deniedByOwnFilter', ...(timed ? ['seconds', 'usecsPerCall'] : [])];
  return stringify(
    rows.map((r) => ({ ...r, percent: r.percent.toFixed(4) })),
    { header: true, columns },
  );
}

export function reportJson(profile: Profile): string {
  return `${JSON.stringify({ totals: profile.totals, syscalls: reportRows(profile), notes: profile.notes }, null, 2)}\n`;
}

/**
 * What a complain run found: each syscall the policy would have denied, how often, with its
 * most common argument values and the programs that made it.
 */
export function formatViolations(profile: Profile, policyFile: string): string {
  const rows = reportRows(profile);
  if (rows.length === 0) return `sbx: no call would have been denied by ${policyFile}\n`;
  const calls = rows.reduce((n, r) => n + r.calls, 0);
  const lines = [`sbx: ${calls} call(s) of ${rows.length} syscall(s) would have been denied by ${policyFile}:`];
  profile.syscalls.forEach((s, i) => {
    const args = (s.args ?? [])
      .map((h) => `${h.name}=${h.values.map((v) => v.label ?? v.value).slice(0, 3).join(',')}${h.values.length > 3 || h.other ? ',…' : ''}`)
      .join(' ');
    const exes = profile.executables.filter((e) => e.syscalls[`${s.arch}:${s.name}`]).map((e) => e.path);
    lines.push(`  ${String(s.count).padStart(8)}  ${rows[i]!.syscall}${args ? `  ${args}` : ''}${exes.length ? `  [${exes.join(', ')}]` : ''}`);
  });
  return `${lines.join('\n')}\n`;
}
