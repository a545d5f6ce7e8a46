/**
 * The fidelity report: how far a policy reaches beyond the runs it was learned from.
 * Observed, completed from families, static-hint candidates by tier, and, when held-out runs
 * are known (`sbx propose --held-out`, `sbx learn --scenarios --cross-validate`), how many of
 * the syscalls those runs needed but the learning runs never showed each tier would catch.
 * One pure function over the policy, read by `sbx propose`, `sbx review` and cross-validation.
 */
import { namedCallKey, type ArchName, type NamedCallKey } from '../linux/arch.js';
import { syscallNumber } from '../linux/syscalls.js';
import type { ProfileSource } from '../profile/profile.js';
import type { Profile } from '../profile/types.js';
import { decide, ruleArches, type HeldOut, type HeldOutMiss, type Policy } from '../policy/policy.js';

/** The evidence a held-out miss can be caught by, weakest claim first. */
export type CatchTier = 'completion' | 'main' | 'all-libraries';

export interface TierCatch {
  readonly tier: CatchTier;
  /** Held-out misses this tier flags. */
  readonly caught: readonly HeldOutMiss[];
  /** Unobserved syscalls this tier proposes in all (its price). */
  readonly proposing: number;
}

export interface Fidelity {
  readonly observed: number;
  readonly completed: number;
  readonly candidates: { readonly main: number; readonly library: number; readonly allowed: number };
  /** The first candidates in rank order, for the summary. */
  readonly top: readonly string[];
  readonly anySyscall: readonly string[];
  readonly unknown: readonly string[];
  readonly heldOut?: {
    readonly sources: readonly string[];
    readonly syscalls: number;
    readonly misses: readonly HeldOutMiss[];
    readonly tiers: readonly TierCatch[];
    /** Misses no tier flags. */
    readonly unflagged: readonly HeldOutMiss[];
    /** Misses the policy as written allows (completions, allowed candidates, hand rules). */
    readonly allowed: number;
    /** How good the ranking is: of the first `first` candidates (`price` times the misses: 1.5, 2), how many are misses. */
    readonly ranked: readonly { readonly price: number; readonly first: number; readonly caught: number }[];
  };
}

export const TIER_WORDS: Readonly<Record<CatchTier, string>> = {
  completion: 'family completion',
  main: 'static hints, executables',
  'all-libraries': 'static hints, + libraries',
};

/** Prices (unobserved syscalls proposed per miss) at which the ranking is measured: what `--candidates N` would cost. */
const RANK_CUTS = [1.5, 2];

/** Candidates the summary names. */
const TOP_CANDIDATES = 10;

/** What the policy and its hints say, and what held-out runs show about them. */
export function fidelity(policy: Policy): Fidelity {
  const observed = new Set<NamedCallKey>();
  const completed = new Set<NamedCallKey>();
  for (const rule of policy.rules)
    for (const { arch } of ruleArches(policy, rule)) {
      if (rule.provenance.source === 'observed') observed.add(namedCallKey(arch, rule.syscall));
      if (rule.provenance.source === 'family') completed.add(namedCallKey(arch, rule.syscall));
    }
  const candidates = policy.hints?.candidates ?? [];
  const main = new Set(candidates.filter((c) => c.tier === 'main').map((c) => namedCallKey(c.arch, c.syscall)));
  const all = new Set(candidates.map((c) => namedCallKey(c.arch, c.syscall)));
  const allowedCandidates = policy.rules.filter((r) => r.provenance.source === 'hint').length;
  const report: Fidelity = {
    observed: observed.size,
    completed: completed.size,
    candidates: { main: main.size, library: all.size - main.size, allowed: allowedCandidates },
    top: candidates.slice(0, TOP_CANDIDATES).map((c) => c.syscall),
    anySyscall: policy.hints?.anySyscall ?? [],
    unknown: policy.hints?.unknown ?? [],
  };
  if (!policy.heldOut) return report;
  const { misses } = policy.heldOut;
  const tierSets: [CatchTier, ReadonlySet<string>][] = [
    ['completion', completed],
    ['main', main],
    ['all-libraries', all],
  ];
  const tiers = tierSets.map(([tier, set]) => ({
    tier,
    caught: misses.filter((m) => set.has(namedCallKey(m.arch, m.syscall))),
    proposing: set.size,
  }));
  const flagged = (m: HeldOutMiss) => tierSets.some(([, set]) => set.has(namedCallKey(m.arch, m.syscall)));
  const allowed = misses.filter((m) => {
    const nr = syscallNumber(m.arch, m.syscall);
    return nr !== undefined && decide(policy, m.arch, nr).kind === 'allow';
  }).length;
  const missed = new Set(misses.map((m) => namedCallKey(m.arch, m.syscall)));
  const ranked = RANK_CUTS.map((price) => {
    const first = Math.min(Math.floor(price * misses.length), candidates.length);
    return { price, first, caught: candidates.slice(0, first).filter((c) => missed.has(namedCallKey(c.arch, c.syscall))).length };
  });
  return { ...report, heldOut: { ...policy.heldOut, tiers, unflagged: misses.filter((m) => !flagged(m)), allowed, ranked } };
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}

/** The report as lines (no prefix): what `sbx propose` prints and `sbx review` shows. */
export function formatFidelity(f: Fidelity): string[] {
  const lines = [
    `fidelity: ${f.observed} syscalls observed, ${f.completed} completed from families; static-hint candidates: ${f.candidates.main} reachable from the executables, ${f.candidates.library} more only imported by libraries (${f.candidates.allowed ? `${f.candidates.allowed} allowed` : 'none allowed: --candidates main|all|N'})`,
  ];
  if (f.top.length)
    lines.push(
      `  first candidates: ${f.top.join(', ')}${f.candidates.main + f.candidates.library > f.top.length ? ', ...' : ''} (the policy's "hints"; sbx review: filter candidates)`,
    );
  if (f.anySyscall.length)
    lines.push(
      `  ${f.anySyscall.length} import(s) of syscall() can reach any syscall: ${f.anySyscall.slice(0, 3).join('; ')}${f.anySyscall.length > 3 ? '; ...' : ''}`,
    );
  for (const u of f.unknown) lines.push(`  no hints: ${u}`);
  const h = f.heldOut;
  if (!h) return lines;
  if (h.misses.length === 0) {
    lines.push(`held-out (${h.sources.join(', ')}): all ${h.syscalls} syscalls the held-out runs made were observed`);
    return lines;
  }
  lines.push(
    `held-out (${h.sources.join(', ')}): ${h.misses.length} of their ${h.syscalls} syscalls were never observed in the learning runs; flagged by:`,
  );
  for (const t of h.tiers) {
    const ratio = h.misses.length ? (t.proposing / h.misses.length).toFixed(1) : '-';
    lines.push(
      `  ${TIER_WORDS[t.tier].padEnd(26)} ${`${t.caught.length}/${h.misses.length}`.padStart(7)} ${percent(t.caught.length, h.misses.length).padStart(6)}   proposing ${String(t.proposing).padStart(4)} unobserved (${ratio}× the misses)`,
    );
  }
  // With fewer candidates than a cut, the cuts coincide: say it once.
  for (const r of h.ranked.filter((x, i) => x.first > 0 && x.first !== h.ranked[i - 1]?.first))
    lines.push(
      `  ranked: the first ${r.first} candidates (${r.price}× the misses, --candidates ${r.first}) flag ${r.caught}/${h.misses.length} ${percent(r.caught, h.misses.length)}`,
    );
  if (h.unflagged.length) lines.push(`  not flagged by any: ${h.unflagged.map((m) => `${m.syscall} (${m.from.join(', ')})`).join(', ')}`);
  lines.push(`  this policy allows ${h.allowed} of the ${h.misses.length}`);
  return lines;
}

/** One (arch, syscall) pair of held-out profiles, summed over them. */
export interface HeldOutCall {
  readonly arch: ArchName;
  readonly syscall: string;
  readonly nr: number;
  readonly calls: number;
  /** Runs that made it, over all the held-out profiles. */
  readonly runs: number;
  /** The scenarios (or files) of those runs. */
  readonly from: ReadonlySet<string>;
}

type HeldOutProfiles = readonly ProfileSource[];

/** Every pair the held-out profiles list, with its calls and the runs that made it. */
export function heldOutCalls(heldOut: HeldOutProfiles): HeldOutCall[] {
  const made = new Map<NamedCallKey, { arch: ArchName; syscall: string; nr: number; calls: number; runs: number; from: Set<string> }>();
  for (const { file, profile } of heldOut)
    for (const s of profile.syscalls) {
      const key = namedCallKey(s.arch, s.name);
      const entry = made.get(key) ?? { arch: s.arch, syscall: s.name, nr: s.nr, calls: 0, runs: 0, from: new Set<string>() };
      entry.calls += s.count;
      s.perRun.forEach((n, i) => {
        if (n === 0) return;
        entry.runs++;
        entry.from.add(profile.runs[i]?.scenario ?? file);
      });
      made.set(key, entry);
    }
  return [...made.values()];
}

/** Held-out profiles against the learning profiles: the (arch, syscall) pairs only the held-out runs made. */
export function heldOutMisses(learned: Profile, heldOut: HeldOutProfiles): HeldOut {
  const seen = new Set(learned.syscalls.filter((s) => s.count > 0).map((s) => namedCallKey(s.arch, s.name)));
  const made = heldOutCalls(heldOut).filter((m) => m.calls > 0);
  const sources = new Set(heldOut.flatMap(({ file, profile }) => profile.runs.map((r) => r.scenario ?? file)));
  const misses = made
    .filter((m) => !seen.has(namedCallKey(m.arch, m.syscall)))
    .map((m) => ({ arch: m.arch, syscall: m.syscall, calls: m.calls, from: [...m.from].sort() }))
    .sort((a, b) => b.from.length - a.from.length || b.calls - a.calls || a.syscall.localeCompare(b.syscall));
  return { sources: [...sources], syscalls: made.length, misses };
}
