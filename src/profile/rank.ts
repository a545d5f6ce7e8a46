/**
 * Ranking syscalls by how often they are called, for priorities and tables.
 *
 * QEMU's first seccomp filter (2012) listed its syscalls with priorities 255 down to 241,
 * most frequent first, from `strace -c` counts: libseccomp checks higher priorities earlier,
 * so the hot calls pay for the fewest comparisons. sbx does the same from profiles, over
 * several runs at once.
 */
import type { ArchName } from '../linux/arch.js';
import type { Profile } from './types.js';

/**
 * How runs are combined:
 *  - `sum`: calls add up across runs; a long run counts for more.
 *  - `per-run`: each run's counts become shares of that run's calls, then average, so one
 *    long run does not drown the others (a 10-second smoke test and a 10-minute soak test
 *    weigh the same).
 */
export type RankMode = 'sum' | 'per-run';

export interface RankOptions {
  readonly mode?: RankMode;
  /** Lowest priority handed out; rank beyond it all share it. Default 0. */
  readonly floor?: number;
}

export interface RankedSyscall {
  readonly arch: ArchName;
  readonly nr: number;
  readonly name: string;
  readonly calls: number;
  readonly perRun: readonly number[];
  /** Runs in which it was called at least once. */
  readonly runsSeen: number;
  /** What the ranking sorts by: calls (sum) or mean share of a run's calls (per-run). */
  readonly score: number;
  /** Share of all scores, percent. */
  readonly share: number;
  /** Share of this row and every row above it, percent. */
  readonly cumulative: number;
  /** 1-based position. */
  readonly rank: number;
  /** 255 for the top score, one less for each lower distinct score, never below the floor. */
  readonly priority: number;
}

/** Sort, then give each row its share and running total (percent of the sum of `score`). */
export function withShares<T>(rows: readonly T[], score: (row: T) => number): (T & { share: number; cumulative: number })[] {
  const total = rows.reduce((n, r) => n + score(r), 0) || 1;
  let running = 0;
  return rows.map((row) => {
    running += score(row);
    return { ...row, share: (100 * score(row)) / total, cumulative: (100 * running) / total };
  });
}

/** Rank a (merged) profile's syscalls; ties keep a stable order (calls, then arch, then number). */
export function rankSyscalls(profile: Profile, options: RankOptions = {}): RankedSyscall[] {
  const mode = options.mode ?? 'sum';
  const floor = Math.max(0, Math.min(255, options.floor ?? 0));
  const runTotals = profile.runs.map((_, i) => profile.syscalls.reduce((n, s) => n + (s.perRun[i] ?? 0), 0));
  const scored = profile.syscalls.map((s) => ({
    arch: s.arch,
    nr: s.nr,
    name: s.name,
    calls: s.count,
    perRun: s.perRun,
    runsSeen: s.perRun.filter((n) => n > 0).length,
    score:
      mode === 'sum'
        ? s.count
        : s.perRun.reduce((sum, n, i) => sum + (runTotals[i] ? n / runTotals[i]! : 0), 0) / (profile.runs.length || 1),
  }));
  scored.sort((a, b) => b.score - a.score || b.calls - a.calls || a.arch.localeCompare(b.arch) || a.nr - b.nr);
  let level = 255;
  let previous: number | undefined;
  return withShares(scored, (r) => r.score).map((row, i) => {
    if (previous !== undefined && row.score !== previous) level = Math.max(floor, level - 1);
    previous = row.score;
    return { ...row, rank: i + 1, priority: level };
  });
}

/** How many rows from the top reach `percent` of the total (the "knee"). */
export function rowsToReach(rows: readonly { cumulative: number }[], percent: number): number {
  const i = rows.findIndex((r) => r.cumulative >= percent - 1e-9);
  return i < 0 ? rows.length : i + 1;
}

/** "the top 12 of 40 syscalls are 95.3% of calls" */
export function describeTop(rows: readonly { cumulative: number }[], percent = 95, what = 'calls'): string {
  if (rows.length === 0) return `no ${what}`;
  const n = rowsToReach(rows, percent);
  return `the top ${n} of ${rows.length} syscalls are ${rows[n - 1]!.cumulative.toFixed(1)}% of ${what}`;
}
