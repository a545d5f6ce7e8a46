/** `sbx report`: strace -c style summaries of a profile, as text, CSV or JSON. */
import { stringify } from 'csv-stringify/sync';
import { namedCallKey, type ArchName } from '../linux/arch.js';
import type { Profile, SyscallEntry } from './types.js';

export interface ReportRow {
  readonly syscall: string;
  readonly arch: ArchName;
  readonly calls: number;
  /** Share of all calls, percent. */
  readonly percent: number;
  /**
   * Calls made in syscall-mode runs, the only ones whose errors and time were measured
   * (a seccomp-mode run sees each call once, before it runs).
   */
  readonly measuredCalls: number;
  /** Failed calls among the measured ones; null when none was measured. */
  readonly errors: number | null;
  readonly deniedByOwnFilter: number;
  /** Only when the profile has times (a syscall-mode run); null for a syscall no such run made. */
  readonly seconds?: number | null;
  /** Time per measured call. */
  readonly usecsPerCall?: number | null;
}

/** Which trace modes a profile's runs used. */
export type ProfileMode = 'seccomp' | 'syscall' | 'mixed';

export function profileMode(profile: Profile): ProfileMode {
  const modes = new Set(profile.runs.map((r) => r.mode));
  return modes.size > 1 ? 'mixed' : profile.runs[0]!.mode;
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
  return profile.runs.some((r) => r.mode === 'syscall');
}

/** One row per syscall, sorted by calls (the profile's order). */
export function reportRows(profile: Profile): ReportRow[] {
  const primary = primaryArch(profile);
  const total = profile.syscalls.reduce((n, s) => n + s.count, 0) || 1;
  const timed = hasTimes(profile);
  const measuredRun = profile.runs.map((r) => r.mode === 'syscall');
  return profile.syscalls.map((s: SyscallEntry) => {
    const measuredCalls = s.perRun.reduce((n, c, i) => n + (measuredRun[i] ? c : 0), 0);
    const measured = measuredCalls > 0;
    return {
      syscall: s.arch === primary ? s.name : namedCallKey(s.arch, s.name),
      arch: s.arch,
      calls: s.count,
      percent: (100 * s.count) / total,
      measuredCalls,
      errors: measured ? sum(s.errors) : null,
      deniedByOwnFilter: sum(s.deniedByOwnFilter),
      ...(timed
        ? {
            seconds: measured ? (s.timeUs ?? 0) / 1e6 : null,
            usecsPerCall: measured ? Math.round((s.timeUs ?? 0) / measuredCalls) : null,
          }
        : {}),
    };
  });
}

const pad = (text: string | number, width: number) => String(text).padStart(width);

/** What the table shows for a value that was not measured. */
const UNMEASURED = '—';

/** The strace -c look: % column, numbers right-aligned, a total line, then the profile's notes. */
export function formatReport(profile: Profile): string {
  const rows = reportRows(profile);
  const timed = hasTimes(profile);
  const denied = rows.some((r) => r.deniedByOwnFilter > 0);
  const totalTime = rows.reduce((n, r) => n + (r.seconds ?? 0), 0) || 1;
  const header = timed ? ['% time', '    seconds', ' usecs/call', '     calls', '    errors'] : ['% calls', '     calls', '    errors'];
  if (denied) header.push('    denied');
  const lines = [[...header, 'syscall'].join(' ')];
  const rule = [...header.map((h) => '-'.repeat(h.length)), '----------------'].join(' ');
  lines.push(rule);
  const line = (r: Omit<ReportRow, 'arch' | 'measuredCalls'>) => {
    const cells = timed
      ? r.seconds === null || r.seconds === undefined
        ? [pad(UNMEASURED, 6), pad(UNMEASURED, 11), pad(UNMEASURED, 11)]
        : [pad(((100 * r.seconds) / totalTime).toFixed(2), 6), pad(r.seconds.toFixed(6), 11), pad(r.usecsPerCall ?? 0, 11)]
      : [pad(r.percent.toFixed(2), 7)];
    cells.push(pad(r.calls, 10), pad(r.errors === null ? UNMEASURED : r.errors || '', 10));
    if (denied) cells.push(pad(r.deniedByOwnFilter || '', 10));
    return [...cells, r.syscall].join(' ');
  };
  for (const r of rows) lines.push(line(r));
  lines.push(rule);
  const totalSeconds = rows.reduce((n, r) => n + (r.seconds ?? 0), 0);
  const totalCalls = rows.reduce((n, r) => n + r.calls, 0);
  const measuredCalls = rows.reduce((n, r) => n + r.measuredCalls, 0);
  lines.push(
    line({
      syscall: 'total',
      calls: totalCalls,
      percent: 100,
      errors: measuredCalls ? rows.reduce((n, r) => n + (r.errors ?? 0), 0) : null,
      deniedByOwnFilter: rows.reduce((n, r) => n + r.deniedByOwnFilter, 0),
      ...(timed ? { seconds: totalSeconds, usecsPerCall: Math.round((totalSeconds * 1e6) / (measuredCalls || 1)) } : {}),
    }),
  );
  const { processes, threads } = profile.totals;
  lines.push('', `${rows.length} distinct syscalls, ${processes} process(es), ${threads} thread(s), ${profile.runs.length} run(s)`);
  const mode = profileMode(profile);
  if (mode !== 'syscall')
    lines.push(
      mode === 'seccomp'
        ? `${UNMEASURED}: not measured: seccomp mode sees each call once, before it runs (--mode syscall adds errors and time)`
        : `mixed modes: errors and time are over the ${measuredCalls} of ${totalCalls} calls made in syscall-mode runs (${UNMEASURED}: none)`,
    );
  for (const note of profile.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

export function reportCsv(profile: Profile): string {
  const rows = reportRows(profile);
  const timed = hasTimes(profile);
  // An unmeasured value is an empty cell.
  const columns = [
    'syscall',
    'arch',
    'calls',
    'percent',
    'measuredCalls',
    'errors',
    'deniedByOwnFilter',
    ...(timed ? ['seconds', 'usecsPerCall'] : []),
  ];
  return stringify(
    rows.map((r) => ({ ...r, percent: r.percent.toFixed(4) })),
    { header: true, columns },
  );
}

export function reportJson(profile: Profile): string {
  return `${JSON.stringify({ mode: profileMode(profile), totals: profile.totals, syscalls: reportRows(profile), notes: profile.notes }, null, 2)}\n`;
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
      .map(
        (h) =>
          `${h.name}=${h.values
            .map((v) => v.label ?? v.value)
            .slice(0, 3)
            .join(',')}${h.values.length > 3 || h.other ? ',…' : ''}`,
      )
      .join(' ');
    const exes = profile.executables.filter((e) => e.syscalls[namedCallKey(s.arch, s.name)]).map((e) => e.path);
    lines.push(
      `  ${String(s.count).padStart(8)}  ${rows[i]!.syscall}${args ? `  ${args}` : ''}${exes.length ? `  [${exes.join(', ')}]` : ''}`,
    );
  });
  return `${lines.join('\n')}\n`;
}
