/**
 * What a scenario suite shows about its own coverage, from profiles whose runs carry the
 * scenario name (RunInfo.scenario): the syscall × scenario coverage table of `sbx learn
 * --scenarios`, and leave-one-out cross-validation (`--cross-validate`).
 */
import { namedCallKey, type ArchName } from '../linux/arch.js';
import { decide, formatAction } from '../policy/policy.js';
import { propose, type ProposeOptions } from './propose/index.js';
import type { ProfileSource } from '../profile/profile.js';
import { DEFAULT_MAX_ARG_VALUES, DEFAULT_RARE_CALLS } from './propose/defaults.js';
import type { Profile } from '../profile/types.js';
import { fidelity, heldOutCalls, TIER_WORDS, type TierCatch } from './fidelity.js';

/** The options `sbx propose` uses when given none (allowlist, family completion, no argument rules). */
export const DEFAULT_PROPOSE_OPTIONS: ProposeOptions = {
  strategy: 'allowlist',
  complete: true,
  args: false,
  maxArgValues: DEFAULT_MAX_ARG_VALUES,
  rank: 'sum',
  priorityFloor: 0,
  rareCalls: DEFAULT_RARE_CALLS,
};

/** Scenario names in the order their first run appears. */
export function scenarioNames(profile: Profile): string[] {
  return [...new Set(profile.runs.map((r) => r.scenario ?? '(none)'))];
}

/**
 * One row per syscall: in how many runs of each scenario it was seen ("2/2", "-" for none),
 * all runs first; sorted by runs seen (fewest last: what only one scenario needs stands out).
 */
export function formatCoverage(profile: Profile): string {
  const names = scenarioNames(profile);
  const runsOf = names.map((n) => profile.runs.flatMap((r, j) => ((r.scenario ?? '(none)') === n ? [j] : [])));
  const rows = profile.syscalls.map((s) => {
    const seen = runsOf.map((runs) => runs.filter((j) => (s.perRun[j] ?? 0) > 0).length);
    const cells = seen.map((k, i) => (k === 0 ? '-' : `${k}/${runsOf[i]!.length}`));
    const total = s.perRun.filter((n) => n > 0).length;
    const scenarios = seen.filter((k) => k > 0).length;
    return { name: s.name, total, scenarios, cells, only: scenarios === 1 ? names[seen.findIndex((k) => k > 0)] : undefined };
  });
  rows.sort((a, b) => b.scenarios - a.scenarios || b.total - a.total || a.name.localeCompare(b.name));
  const header = ['syscall', 'runs', ...names];
  const table = [header, ...rows.map((r) => [r.name, `${r.total}/${profile.runs.length}`, ...r.cells])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  const only = names
    .map((n) => [n, rows.filter((r) => r.only === n).map((r) => r.name)] as const)
    .filter(([, list]) => list.length > 0)
    .map(([n, list]) => `  only ${n}: ${list.join(', ')}`);
  return [
    `coverage: ${profile.syscalls.length} syscalls over ${names.length} scenarios, ${profile.runs.length} runs (runs of each scenario that made the call)`,
    ...lines,
    ...(only.length ? ['syscalls only one scenario needs:', ...only] : []),
    '',
  ].join('\n');
}

/** A syscall the held-out scenario made that the others' policy would not allow. */
export interface HeldOutMiss {
  readonly syscall: string;
  readonly arch: ArchName;
  readonly calls: number;
  /** Runs of the held-out scenario that made it, of how many. */
  readonly runs: number;
  readonly of: number;
  /** The action the policy would have taken ("kill-process"). */
  readonly action: string;
}

export interface HeldOutResult {
  readonly scenario: string;
  readonly syscalls: number;
  readonly misses: readonly HeldOutMiss[];
  /** Syscalls the held-out scenario made that no other scenario showed, and what each tier of hints flags of them. */
  readonly unobserved: number;
  readonly tiers: readonly TierCatch[];
}

/**
 * Leave-one-out: for each scenario, propose a policy from every other scenario's profiles and
 * check the held-out scenario's already-learned profiles against it with decide(). With no
 * argument rules (the default proposal) a policy's answer depends only on (arch, syscall), so
 * this finds exactly the syscalls a complain run of the held-out scenario would report.
 */
export function crossValidate(
  inputs: readonly (ProfileSource & { readonly scenario: string })[],
  options = DEFAULT_PROPOSE_OPTIONS,
): HeldOutResult[] {
  const names = [...new Set(inputs.map((i) => i.scenario))];
  return names.map((name) => {
    const held = inputs.filter((i) => i.scenario === name);
    const policy = propose(
      inputs.filter((i) => i.scenario !== name),
      { ...options, heldOut: held },
    );
    const report = fidelity(policy).heldOut!;
    const made = heldOutCalls(held);
    const of = held.reduce((n, i) => n + i.profile.runs.length, 0);
    const misses: HeldOutMiss[] = [];
    for (const { syscall, arch, nr, calls, runs } of made) {
      const action = decide(policy, arch, nr);
      if (action.kind !== 'allow') misses.push({ syscall, arch, calls, runs, of, action: formatAction(action) });
    }
    misses.sort((a, b) => b.runs - a.runs || b.calls - a.calls || a.syscall.localeCompare(b.syscall));
    return { scenario: name, syscalls: made.length, misses, unobserved: report.misses.length, tiers: report.tiers };
  });
}

/** The cross-validation result as text: per held-out scenario, what the others' policy would miss. */
export function formatCrossValidation(results: readonly HeldOutResult[]): string {
  const width = Math.max(...results.map((r) => r.scenario.length));
  const lines = ['cross-validation (leave one out: a policy proposed from the other scenarios, checked against the held-out one):'];
  for (const r of results) {
    if (r.misses.length === 0) {
      lines.push(`  ${r.scenario.padEnd(width)}  covered: all ${r.syscalls} syscalls allowed`);
      continue;
    }
    const list = r.misses.map((m) => `${m.syscall} (${m.calls} calls, ${m.runs} of ${m.of} runs)`).join(', ');
    lines.push(`  ${r.scenario.padEnd(width)}  misses ${r.misses.length} of ${r.syscalls} syscalls: ${list}`);
  }
  lines.push(...formatTierCatches(results));
  const failing = results.filter((r) => r.misses.length > 0).length;
  const distinct = new Set(results.flatMap((r) => r.misses.map((m) => namedCallKey(m.arch, m.syscall)))).size;
  lines.push(
    failing === 0
      ? 'every scenario is covered by the others: the suite looks redundant for the syscalls it exercises'
      : `${failing} of ${results.length} scenarios need something no other scenario shows (${distinct} distinct syscalls): runs like these are not yet covered twice`,
  );
  return `${lines.join('\n')}\n`;
}

/** Per held-out scenario, and in total: of the syscalls no other scenario showed, how many each tier would have flagged. */
function formatTierCatches(results: readonly HeldOutResult[]): string[] {
  const withMisses = results.filter((r) => r.unobserved > 0);
  if (withMisses.length === 0 || withMisses[0]!.tiers.length === 0) return [];
  const tiers = withMisses[0]!.tiers.map((t) => t.tier);
  const width = Math.max(5, ...withMisses.map((r) => r.scenario.length));
  const cell = (n: number, of: number) => `${n}/${of}`.padStart(7);
  const lines = [
    `flagged before the fact (syscalls the held-out scenario made that no other scenario showed): ${tiers.map((t) => TIER_WORDS[t]).join(' | ')}`,
  ];
  for (const r of withMisses)
    lines.push(`    ${r.scenario.padEnd(width)}  ${r.tiers.map((t) => cell(t.caught.length, r.unobserved)).join('  ')}`);
  const total = withMisses.reduce((n, r) => n + r.unobserved, 0);
  const sums = tiers.map((_, i) => withMisses.reduce((n, r) => n + r.tiers[i]!.caught.length, 0));
  lines.push(
    `    ${'total'.padEnd(width)}  ${sums.map((n) => cell(n, total)).join('  ')}   (${sums.map((n) => `${((100 * n) / total).toFixed(1)}%`).join(' | ')})`,
  );
  return lines;
}
