/**
 * What `sbx review` shows, built once per session from the profiles and the starting policy:
 * one row per syscall the profiles saw (ranked by calls) and one per syscall only the policy
 * mentions (completed families, denied groups, smart refusals). Rules change during the
 * review; these facts do not.
 */
import { namedCallKey, type NamedCallKey } from '../../linux/arch.js';
import type { Profile, SyscallEntry } from '../../profile/types.js';
import type { Action, Candidate, Policy, PolicyDraft, PolicyRule, ReviewItem, HeldOutMiss } from '../../policy/policy.js';
import { fidelity, formatFidelity } from '../../learn/fidelity.js';
import { ruleArches } from '../../policy/policy.js';
import { rankSyscalls } from '../../profile/rank.js';
import { categoryLabel, homeGroupOf } from '../../policy/categories/index.js';
import { DEFAULT_RARE_CALLS } from '../../learn/propose/defaults.js';

type Arch = SyscallEntry['arch'];

/** An executable that made the call. */
export interface CallerInfo {
  readonly path: string;
  readonly calls: number;
  readonly processes: number;
  readonly threads: number;
}

/** The fixed facts of one row. */
export interface SyscallInfo {
  /** "x86_64:read" */
  readonly key: NamedCallKey;
  readonly arch: Arch;
  readonly name: string;
  /** The name in the table: "read", or "i386:read" for an arch other than the policy's first. */
  readonly label: string;
  readonly calls: number;
  /** Percent of all calls, and of this row plus every row above it. */
  readonly share: number;
  readonly cumulative: number;
  /** Rank priority (255 = most called); absent for unobserved rows. */
  readonly priority?: number;
  /** Runs (indexes) in which it was called. */
  readonly runs: readonly number[];
  /** Category tags ("@file-system qemu:spawn"), and the group the group view puts it in. */
  readonly tags: string;
  readonly group: string;
  readonly entry?: SyscallEntry;
  readonly callers: readonly CallerInfo[];
  /** The policy's review items about this syscall. */
  readonly notes: readonly ReviewItem[];
  readonly rare: boolean;
  readonly danger: boolean;
  /** Set when static hints found the syscall reachable but no run made it. */
  readonly candidate?: Candidate;
  /** Held-out runs that made the call and the policy's runs did not (`sbx propose --held-out`). */
  readonly heldOutMisses: readonly HeldOutMiss[];
}

/** Everything fixed for the session. */
export interface ReviewData {
  /** Shown in the title ("dd.profile.json", "3 profiles"). */
  readonly title: string;
  /** The profile files, in the order given. */
  readonly sources: readonly string[];
  readonly policy: Omit<PolicyDraft, 'rules'>;
  readonly defaultAction: Action;
  readonly arches: readonly Arch[];
  readonly infos: readonly SyscallInfo[];
  readonly byKey: ReadonlyMap<string, number>;
  readonly initialRules: readonly PolicyRule[];
  readonly totalCalls: number;
  readonly runCount: number;
  /** The policy's fidelity report as loaded (docs/static-hints.md), one line each. */
  readonly fidelity: readonly string[];
}

/** The title for the profile files: the file, or "3 profiles" (the report page lists them). */
export function sourcesTitle(files: readonly string[]): string {
  return files.length === 1 ? files[0]! : `${files.length} profiles`;
}

/**
 * Build the session's rows from a (merged) profile and the policy to start from. Rows: the
 * observed syscalls by calls, then the ones only the policy names (by name), then the static
 * hints' candidates as the hints rank them (tier, then the imports that reach them).
 */
export function buildReviewData(profile: Profile, policy: Policy, title: string, sources: readonly string[] = [title]): ReviewData {
  const ranked = rankSyscalls(profile);
  const candidates = new Map((policy.hints?.candidates ?? []).map((c) => [namedCallKey(c.arch, c.syscall), c]));
  const entries = new Map(profile.syscalls.map((s) => [namedCallKey(s.arch, s.name), s]));
  const notesFor = (name: string) => (policy.review ?? []).filter((r) => r.syscall === name);
  const info = (arch: Arch, name: string, rest: Partial<SyscallInfo>): SyscallInfo => {
    const key = namedCallKey(arch, name);
    const notes = notesFor(name);
    const calls = rest.calls ?? 0;
    return {
      key,
      arch,
      name,
      label: arch === policy.arches[0] ? name : key,
      calls,
      share: 0,
      cumulative: 0,
      runs: [],
      // a candidate's tier leads its tags, so the table tells main-program reach from library reach
      tags: `${candidates.has(key) ? `candidate:${candidates.get(key)!.tier} ` : ''}${categoryLabel(name)}`,
      group: homeGroupOf(name)?.name ?? 'unclassified',
      callers: profile.executables
        .filter((e) => (e.syscalls[key] ?? 0) > 0)
        .map((e) => ({ path: e.path, calls: e.syscalls[key]!, processes: e.processes, threads: e.threads }))
        .sort((a, b) => b.calls - a.calls),
      notes,
      rare: notes.some((n) => n.kind === 'rare') || (policy.review === undefined && calls > 0 && calls <= DEFAULT_RARE_CALLS),
      danger: notes.some((n) => n.kind === 'danger' || n.severity === 'danger'),
      ...(candidates.has(key) ? { candidate: candidates.get(key)! } : {}),
      heldOutMisses: (policy.heldOut?.misses ?? []).filter((m) => m.arch === arch && m.syscall === name),
      ...rest,
    };
  };
  const infos: SyscallInfo[] = ranked
    .filter((r) => r.calls > 0)
    .map((r) => {
      const entry = entries.get(namedCallKey(r.arch, r.name));
      return info(r.arch, r.name, {
        calls: r.calls,
        share: r.share,
        cumulative: r.cumulative,
        priority: r.priority,
        runs: r.perRun.flatMap((n, i) => (n > 0 ? [i] : [])),
        ...(entry ? { entry } : {}),
      });
    });
  const seen = new Set(infos.map((i) => i.key));
  const unobserved: SyscallInfo[] = [];
  const addUnobserved = (arch: Arch, name: string) => {
    const key = namedCallKey(arch, name);
    if (seen.has(key)) return;
    seen.add(key);
    unobserved.push(info(arch, name, {}));
  };
  for (const rule of policy.rules)
    for (const { arch } of ruleArches(policy, rule))
      if (!candidates.has(namedCallKey(arch, rule.syscall))) addUnobserved(arch, rule.syscall);
  unobserved.sort((a, b) => a.name.localeCompare(b.name) || a.arch.localeCompare(b.arch));
  // A checked policy's candidates are of its arches, ranked by their evidence.
  for (const c of candidates.values()) addUnobserved(c.arch, c.syscall);
  infos.push(...unobserved);
  const { rules, ...rest } = policy;
  return {
    title,
    sources,
    policy: rest,
    defaultAction: policy.defaultAction,
    arches: policy.arches,
    infos,
    byKey: new Map(infos.map((i, n) => [i.key, n])),
    initialRules: rules,
    totalCalls: profile.totals.calls,
    runCount: profile.runs.length,
    fidelity: formatFidelity(fidelity(policy)),
  };
}
