/**
 * `sbx propose`: from profiles to a policy, explaining every choice.
 *
 * Strategies:
 *  - `allowlist`: allow what was observed (and, unless --no-complete, the rest of each
 *    observed family); everything else gets the default action (kill-process), except where
 *    a smart action says otherwise (clone3 → ENOSYS, resource control → EPERM, and, with a soft
 *    --default, privileged and obsolete calls → kill-process).
 *  - `denylist` (QEMU style): allow by default, deny the dangerous groups that were never
 *    observed; a group that was observed is left alone with a loud warning, or, when named
 *    with --deny, denied anyway with a louder one.
 *
 * Everything a person should review goes into the policy's `review` list: completions, rare
 * paths, companions not seen, danger lint hits, observed groups.
 */
import { callKey, namedCallKey, type ArchName, type NamedCallKey } from '../../linux/arch.js';
import { UserError } from '../../io.js';
import { syscallNumber, syscallTable } from '../../linux/syscalls.js';
import { FormatError, mergeProfiles, type ProfileSource } from '../../profile/profile.js';
import type { ArgHistogram, Profile, SyscallEntry } from '../../profile/types.js';
import {
  ACTION_OPS,
  conditionHolds,
  formatAction,
  hex,
  makePolicy,
  sameAction,
  type Action,
  type ArgCondition,
  type ArgIndex,
  type Observed,
  type Policy,
  type PolicyRule,
  type Priority,
  type ReviewItem,
  type StaticHints,
} from '../../policy/policy.js';
import { rankSyscalls, type RankMode } from '../../profile/rank.js';
import { QEMU_DENYLIST, categorySyscalls } from '../../policy/categories/index.js';
import { COMPANIONS, ONCE_PER_PROCESS } from './companions.js';
import { DANGER_LINTS } from './danger.js';
import { FAMILIES } from './families.js';
import { smartAction } from './actions.js';
import { TIGHTEN } from './tighten.js';
import { DEFAULT_DENY, DEFAULT_MAX_ARG_VALUES, DEFAULT_RARE_CALLS, type CandidateChoice } from './defaults.js';
import { staticHints } from '../hints/index.js';
import { heldOutMisses } from '../fidelity.js';

export type Strategy = 'allowlist' | 'denylist';

export interface ProposeOptions {
  readonly strategy?: Strategy;
  /** Family completion (allowlist). Default on. */
  readonly complete?: boolean;
  /** Tighten arguments from the histograms (allowlist). Default off. */
  readonly args?: boolean;
  /** Most values one tightened argument may list. */
  readonly maxArgValues?: number;
  /** Overrides the strategy's default action. */
  readonly defaultAction?: Action;
  /** Denylist: the categories to deny (ids like "qemu:spawn", "systemd:@mount"). Default: DEFAULT_DENY. */
  readonly deny?: readonly string[];
  readonly rank?: RankMode;
  readonly priorityFloor?: number;
  /** A syscall seen this many times or fewer is a rare path. */
  readonly rareCalls?: number;
  /** Arches of the policy; default: the profiles'. */
  readonly arches?: readonly ArchName[];
  /** Read the executables' imports for static-hint candidates (allowlist). Default on. */
  readonly hints?: boolean;
  /** Which candidates to allow: none (default: listed for review only), main, all, or the first N. */
  readonly candidates?: CandidateChoice;
  /** Profiles of runs held out from learning: the fidelity report says what each tier catches of them. */
  readonly heldOut?: readonly ProfileSource[];
  /** Propose even from profiles that recorded no syscall (normally refused: nothing was learned). */
  readonly allowEmpty?: boolean;
}

/** Calls one (arch, syscall) was seen with, across the merged runs. */
interface Seen {
  readonly entry: SyscallEntry;
  readonly observed: Observed;
  readonly priority: Priority;
  /**
   * Calls that were start-up, not behaviour: the execve by which each launched run became the
   * program (the filter an enforcer loads comes before it, so it is in every profile, old or new).
   */
  readonly startup: number;
}

/** The one exec of each launched run (not of --pid attaches) that starts the program. */
function startupCalls(entry: SyscallEntry, runs: Profile['runs'], primary: ArchName | undefined): number {
  if (entry.name !== 'execve' || entry.arch !== primary) return 0;
  return entry.perRun.filter((n, i) => n > 0 && runs[i]?.attachedPid === undefined).length;
}

/** Calls that show what the program does: all of them less start-up. */
function behaviourCalls(seen: Seen): number {
  return seen.observed.calls - seen.startup;
}

class Proposal {
  readonly rules: PolicyRule[] = [];
  readonly review: ReviewItem[] = [];
  readonly seen = new Map<NamedCallKey, Seen>();
  readonly merged: Profile;
  readonly arches: readonly ArchName[];
  readonly runCount: number;

  constructor(
    inputs: readonly ProfileSource[],
    readonly options: ProposeOptions,
  ) {
    this.arches = targetArches(inputs, options.arches);
    this.merged = mergeProfiles(inputs.map((i) => i.profile));
    this.runCount = this.merged.runs.length;
    const ranked = rankSyscalls(this.merged, { mode: options.rank ?? 'sum', floor: options.priorityFloor ?? 0 });
    const priority = new Map(ranked.map((r) => [callKey(r.arch, r.nr), r.priority as Priority]));
    for (const entry of this.merged.syscalls) {
      if (entry.count === 0) continue;
      const runs = entry.perRun.flatMap((n, i) => (n > 0 ? [i] : []));
      this.seen.set(namedCallKey(entry.arch, entry.name), {
        entry,
        observed: { calls: entry.count, runs },
        priority: priority.get(callKey(entry.arch, entry.nr))!,
        startup: startupCalls(entry, this.merged.runs, this.merged.arches[0]),
      });
    }
  }

  /** The rule's `arches` field: only needed when the policy has several. */
  archField(arch: ArchName): { arches?: readonly ArchName[] } {
    return this.arches.length > 1 ? { arches: [arch] } : {};
  }

  wasSeen(arch: ArchName, name: string): Seen | undefined {
    return this.seen.get(namedCallKey(arch, name));
  }

  seenAnywhere(name: string): Seen[] {
    return this.arches.flatMap((a) => this.wasSeen(a, name) ?? []);
  }

  coverage(observed: Observed): string {
    return `seen in ${observed.runs.length} of ${this.runCount} runs`;
  }

  note(item: ReviewItem): void {
    this.review.push(item);
  }
}

/** The arches the policy is for; a profile whose calls fall outside them is an error at its spot. */
function targetArches(inputs: readonly ProfileSource[], requested: readonly ArchName[] | undefined): ArchName[] {
  if (requested) {
    for (const { file, profile } of inputs) {
      const i = profile.syscalls.findIndex((s) => !requested.includes(s.arch));
      if (i >= 0) {
        const s = profile.syscalls[i]!;
        throw new FormatError(
          file,
          `/syscalls/${i}/arch`,
          `${s.name} was called as ${s.arch}, but the policy is for ${requested.join(', ')} (add --arch ${[...requested, s.arch].join(',')}, or learn on the target machine)`,
        );
      }
    }
    return [...requested];
  }
  const first = inputs[0]!;
  const primary = (p: Profile) => p.arches[0];
  for (const { file, profile } of inputs.slice(1)) {
    if (primary(profile) !== primary(first.profile))
      throw new FormatError(
        file,
        '/arches/0',
        `profile of another arch: ${primary(profile)}, but ${first.file} is ${primary(first.profile)} (a policy is for one machine type; give --arch to combine on purpose)`,
      );
  }
  return [...new Set(inputs.flatMap((i) => i.profile.arches))];
}

/** The histogram of argument `index`, if the profile kept one. */
function histogramOf(entry: SyscallEntry, index: number): ArgHistogram | undefined {
  return entry.args?.find((h) => h.index === index);
}

function histogramValue(text: string): bigint | undefined {
  return /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text) ? BigInt(text) : undefined;
}

// ---- allowlist ----

function allowObserved(p: Proposal): void {
  const sorted = [...p.seen.values()].sort(
    (a, b) => b.priority - a.priority || b.observed.calls - a.observed.calls || a.entry.nr - b.entry.nr,
  );
  for (const { entry, observed, priority } of sorted) {
    if (!p.arches.includes(entry.arch)) continue;
    const base = {
      syscall: entry.name,
      ...p.archField(entry.arch),
      action: { kind: 'allow' } as Action,
      priority,
      provenance: { source: 'observed' } as const,
    };
    const conditions = p.options.args ? tightenedValues(p, entry) : undefined;
    if (conditions) {
      for (const { condition, count } of conditions)
        p.rules.push({
          ...base,
          args: [condition],
          observed: { calls: count, runs: observed.runs },
          reason: `observed ${count} calls with ${condition.label ?? hex(condition.value)}, ${p.coverage(observed)}`,
        });
    } else {
      p.rules.push({ ...base, observed, reason: `observed ${observed.calls} calls, ${p.coverage(observed)}` });
    }
    const denied = Object.entries(entry.deniedByOwnFilter ?? {});
    if (denied.length)
      p.note({
        kind: 'own-filter',
        severity: 'info',
        syscall: entry.name,
        message: `the program's own seccomp filter answered ${denied.map(([r, n]) => `${n}× ${r}`).join(', ')}; allowed here because it was attempted`,
      });
  }
}

/** --args: one condition per observed value of the syscall's tightenable argument, or undefined (with a review note) when it cannot be done safely. */
function tightenedValues(p: Proposal, entry: SyscallEntry): { condition: ArgCondition; count: number }[] | undefined {
  const row = TIGHTEN.find((t) => t.syscall === entry.name);
  if (!row) return undefined;
  const h = histogramOf(entry, row.index);
  const bound = p.options.maxArgValues ?? DEFAULT_MAX_ARG_VALUES;
  const skip = (why: string) => {
    p.note({ kind: 'args', severity: 'info', syscall: entry.name, message: `${row.what} not tightened: ${why}` });
    return undefined;
  };
  if (!h) return skip('the profile has no histogram for this argument (learned before argument decoding, or a pointer)');
  if (h.other > 0) return skip(`${h.other} calls had values the profile did not keep (raise --max-values when learning)`);
  if (h.values.length > bound) return skip(`${h.values.length} distinct values, more than --max-arg-values ${bound}`);
  const out: { condition: ArgCondition; count: number }[] = [];
  for (const v of h.values) {
    const value = histogramValue(v.value);
    if (value === undefined) return skip(`value ${JSON.stringify(v.value)} is not a number`);
    const label = v.label !== undefined ? { label: v.label } : {};
    const condition: ArgCondition =
      row.width === 32
        ? { index: row.index as ArgIndex, op: 'masked-eq', mask: 0xffffffffn, value: value & 0xffffffffn, ...label }
        : { index: row.index as ArgIndex, op: 'eq', value, ...label };
    out.push({ condition, count: v.count });
  }
  p.note({
    kind: 'args',
    severity: 'info',
    syscall: entry.name,
    message: `${row.what} limited to the ${out.length} observed value(s): ${h.values.map((v) => v.label ?? v.value).join(', ')}`,
  });
  return out;
}

function completeFamilies(p: Proposal): void {
  for (const family of FAMILIES) {
    for (const arch of p.arches) {
      const triggers = family.trigger.filter((t) => p.wasSeen(arch, t));
      if (triggers.length === 0) continue;
      for (const member of family.members) {
        if (p.wasSeen(arch, member) || syscallNumber(arch, member) === undefined) continue;
        if (p.rules.some((r) => r.syscall === member && (r.arches ?? p.arches).includes(arch))) continue;
        p.rules.push({
          syscall: member,
          ...p.archField(arch),
          action: { kind: 'allow' },
          provenance: { source: 'family', family: family.name, from: triggers },
          reason: `not observed; completes the ${family.name} family (${triggers.join(', ')} seen): ${family.why}`,
        });
        p.note({
          kind: 'completion',
          severity: 'info',
          syscall: member,
          message: `allowed without being seen: ${triggers.join(', ')} was seen, and ${family.why}`,
        });
      }
    }
  }
}

/** --candidates main|all|N: allow those candidates (N: the first N in rank order), each with its evidence; dangerous ones are flagged. */
function allowCandidates(p: Proposal, hints: StaticHints, choice: CandidateChoice): void {
  if (choice === 'none') return;
  for (const [rank, c] of hints.candidates.entries()) {
    if (typeof choice === 'number' && rank >= choice) break;
    if (choice === 'main' && c.tier !== 'main') continue;
    if (p.rules.some((r) => r.syscall === c.syscall && (r.arches ?? p.arches).includes(c.arch))) continue;
    const more = c.imports > 1 ? ` (and ${c.imports - 1} more import(s))` : '';
    p.rules.push({
      syscall: c.syscall,
      ...p.archField(c.arch),
      action: { kind: 'allow' },
      provenance: { source: 'hint', tier: c.tier },
      reason: `not observed; reachable: ${c.evidence[0]}${more}`,
    });
    const danger = DANGER_LINTS.find((row) => !row.when && row.syscalls.includes(c.syscall));
    p.note(
      danger
        ? {
            kind: 'candidate-danger',
            severity: 'warning',
            syscall: c.syscall,
            message: `${c.syscall} allowed without being seen, only because ${c.evidence[0]}: ${danger.message}`,
          }
        : { kind: 'candidate', severity: 'info', syscall: c.syscall, message: `allowed without being seen: ${c.evidence[0]}${more}` },
    );
  }
}

/** Allowlist: explicit rules for refused syscalls whose smart action differs from the default. */
function smartRefusals(p: Proposal, defaultAction: Action): void {
  for (const arch of p.arches) {
    for (const { name } of syscallTable(arch)) {
      if (p.wasSeen(arch, name) || p.rules.some((r) => r.syscall === name && (r.arches ?? p.arches).includes(arch))) continue;
      const smart = smartAction(name);
      if (!smart || sameAction(smart.action, defaultAction)) continue;
      p.rules.push({
        syscall: name,
        ...p.archField(arch),
        action: smart.action,
        provenance: { source: 'category', category: smart.category },
        reason: `not observed; ${smart.reason}`,
      });
    }
  }
}

// ---- denylist ----

/** The rows a category denies: QEMU's own rows (with their conditions), or a systemd group's names. */
function categoryRows(id: string): { syscall: string; args?: readonly ArgCondition[] }[] {
  if (id.startsWith('qemu:'))
    return QEMU_DENYLIST.filter((r) => `qemu:${r.set}` === id).map((r) => ({ syscall: r.syscall, ...(r.args ? { args: r.args } : {}) }));
  return [...(categorySyscalls(id) ?? [])].map((syscall) => ({ syscall }));
}

/**
 * Which of a category's rows the profiles hit: an unconditional row when the syscall was
 * seen; a conditional row when an observed value satisfies it, or when there is no histogram
 * to tell (then it counts as hit, to be safe).
 */
function observedRows(p: Proposal, id: string): string[] {
  const hits: string[] = [];
  for (const row of categoryRows(id)) {
    for (const seen of p.seenAnywhere(row.syscall)) {
      if (!row.args?.length) {
        const calls = behaviourCalls(seen);
        if (calls > 0)
          hits.push(`${row.syscall} (${calls} calls${seen.startup ? ` besides the start-up exec of ${seen.startup} run(s)` : ''})`);
        continue;
      }
      const index = row.args[0]!.index;
      const h = row.args.every((c) => c.index === index) ? histogramOf(seen.entry, index) : undefined;
      const holds =
        !h || h.other > 0 || h.values.some((v) => row.args!.every((c) => conditionHolds(c, argsWith(index, histogramValue(v.value)))));
      if (holds)
        hits.push(
          `${row.syscall} with ${row.args.map((x) => x.label ?? hex(x.value)).join(', ')}${h ? '' : ' (no histogram to rule it out)'}`,
        );
    }
  }
  return [...new Set(hits)];
}

function argsWith(index: number, value: bigint | undefined): bigint[] {
  const args = [0n, 0n, 0n, 0n, 0n, 0n];
  args[index] = value ?? 0n;
  return args;
}

function denyCategories(p: Proposal, defaultAction: Action): void {
  const requested = p.options.deny;
  const ids = requested ?? DEFAULT_DENY;
  const decided = new Map<string, { category: string; args: (readonly ArgCondition[])[] | 'all' }>();
  for (const id of ids) {
    if (!categorySyscalls(id))
      throw new UserError(`--deny: unknown category ${JSON.stringify(id)} (expected qemu:<set> or systemd:@<group>)`);
    const hits = observedRows(p, id);
    if (hits.length && !requested) {
      p.note({
        kind: 'not-denied',
        severity: 'warning',
        message: `${id} NOT denied: it was observed (${hits.join('; ')}). Deny it anyway with --deny ${id} if those calls are not needed.`,
      });
      continue;
    }
    if (hits.length)
      p.note({
        kind: 'denied-observed',
        severity: 'danger',
        message: `${id} is denied but was OBSERVED (${hits.join('; ')}): the program will fail or be killed on that path`,
      });
    for (const row of categoryRows(id)) {
      const slot = decided.get(row.syscall);
      if (slot?.args === 'all') continue;
      if (!row.args?.length) decided.set(row.syscall, { category: slot?.category ?? id, args: 'all' });
      else if (!slot) decided.set(row.syscall, { category: id, args: [row.args] });
      else if (slot.category === id) slot.args.push(row.args);
    }
  }
  for (const arch of p.arches) {
    for (const [syscall, { category, args }] of decided) {
      if (syscallNumber(arch, syscall) === undefined) continue;
      const smart = smartAction(syscall);
      const action = smart?.action ?? { kind: 'kill-process' };
      if (sameAction(action, defaultAction)) continue;
      const why = smart ? smart.reason : 'kills';
      const seen = p.wasSeen(arch, syscall);
      if (seen && seen.startup > 0 && behaviourCalls(seen) === 0) {
        // The launcher (sbx run, the libseccomp-c wrapper) loads the filter, then execs the program.
        p.note({
          kind: 'startup-exec',
          severity: 'info',
          syscall,
          message: `${syscall} left allowed although ${category} denies it: its only calls were the start-up exec of ${seen.startup} run(s), which passes through a filter loaded before the program starts (one installed inside the program after start-up, as QEMU does, can deny it)`,
        });
        continue;
      }
      const base = {
        syscall,
        ...p.archField(arch),
        action,
        provenance: { source: 'category', category } as const,
        ...(seen ? { observed: seen.observed } : {}),
        reason: `denied with ${category}; ${seen ? `OBSERVED ${seen.observed.calls} calls` : 'not observed'}; ${why}`,
      };
      if (args === 'all') p.rules.push(base);
      else for (const set of args) p.rules.push({ ...base, args: set });
    }
  }
}

// ---- review: danger lint, rare paths, companions ----

function lintDanger(p: Proposal): void {
  for (const row of DANGER_LINTS) {
    for (const name of row.syscalls) {
      for (const seen of p.seenAnywhere(name)) {
        if (!row.when) {
          p.note({
            kind: 'danger',
            severity: row.severity,
            syscall: name,
            message: `${name} observed (${seen.observed.calls} calls): ${row.message}`,
          });
          continue;
        }
        const h = histogramOf(seen.entry, row.when.index);
        const hits = (h?.values ?? []).filter((v) => conditionHolds(row.when!, argsWith(row.when!.index, histogramValue(v.value))));
        if (hits.length) {
          const calls = hits.reduce((n, v) => n + v.count, 0);
          p.note({
            kind: 'danger',
            severity: row.severity,
            syscall: name,
            message: `${name} with ${row.when.label} observed (${calls} calls: ${hits.map((v) => v.label ?? v.value).join(', ')}): ${row.message}`,
          });
        } else if (!h || h.other > 0)
          p.note({
            kind: 'danger-unchecked',
            severity: 'info',
            syscall: name,
            message: `${name} observed, but the profile cannot show whether it used ${row.when.label} (${h ? 'values beyond the histogram' : 'no argument histogram'})`,
          });
      }
    }
  }
}

function reviewRarePaths(p: Proposal): void {
  const rare = p.options.rareCalls ?? DEFAULT_RARE_CALLS;
  for (const { entry, observed } of p.seen.values()) {
    if (observed.calls <= rare && !ONCE_PER_PROCESS.includes(entry.name)) {
      const runs = p.runCount > 1 ? `, ${p.coverage(observed)}` : '';
      p.note({
        kind: 'rare',
        severity: 'warning',
        syscall: entry.name,
        message: `${entry.name} seen only ${observed.calls} time(s)${runs}: a one-off path, or a need the runs barely touched`,
      });
    } else if (p.runCount > 1 && observed.runs.length === 1) {
      const run = p.merged.runs[observed.runs[0]!]!;
      p.note({
        kind: 'one-run',
        severity: 'warning',
        syscall: entry.name,
        message: `${entry.name} seen in only 1 of ${p.runCount} runs (${run.command.join(' ')})`,
      });
    }
  }
}

function reviewCompanions(p: Proposal): void {
  const allowed = (name: string) => p.seenAnywhere(name).length > 0 || p.rules.some((r) => r.syscall === name && r.action.kind === 'allow');
  for (const c of COMPANIONS) {
    const seen = c.seen.filter((s) => p.seenAnywhere(s).length > 0);
    if (seen.length === 0 || c.expect.some(allowed)) continue;
    const existing = c.expect.filter((e) => p.arches.some((a) => syscallNumber(a, e) !== undefined));
    if (existing.length === 0) continue;
    p.note({
      kind: 'companion',
      severity: 'info',
      syscall: existing[0]!,
      message: `${seen.join(', ')} seen but not ${existing.join(' or ')}: ${c.why}`,
    });
  }
}

/** Build the policy. Every rule says why it exists; the review list says what to check. */
export function propose(inputs: readonly ProfileSource[], options: ProposeOptions = {}): Policy {
  if (inputs.length === 0) throw new UserError('give at least one profile');
  const strategy = options.strategy ?? 'allowlist';
  const p = new Proposal(inputs, options);
  const hints = strategy === 'allowlist' && (options.hints ?? true) ? staticHints(p.merged, p.arches) : undefined;
  const defaultAction: Action = options.defaultAction ?? (strategy === 'allowlist' ? { kind: 'kill-process' } : { kind: 'allow' });
  if (p.seen.size === 0 && !options.allowEmpty) {
    const outcome =
      strategy === 'allowlist'
        ? `a policy from ${inputs.length > 1 ? 'them' : 'it'} would ${formatAction(defaultAction)} every call`
        : 'a denylist from it would rest on no evidence';
    throw new UserError(`${inputs.map((i) => i.file).join(', ')}: no syscalls recorded; ${outcome} (learn again, or give --allow-empty)`);
  }
  if (strategy === 'allowlist') {
    if (ACTION_OPS[defaultAction.kind].permits)
      p.note({
        kind: 'default',
        severity: 'danger',
        message: `default action ${formatAction(defaultAction)} lets every unlisted call through: this allowlist restricts nothing`,
      });
    allowObserved(p);
    if (options.complete ?? true) completeFamilies(p);
    if (hints) allowCandidates(p, hints, options.candidates ?? 'none');
    smartRefusals(p, defaultAction);
  } else {
    if (!ACTION_OPS[defaultAction.kind].permits)
      p.note({
        kind: 'default',
        severity: 'warning',
        message: `default action ${formatAction(defaultAction)} refuses unlisted calls: a denylist normally allows them`,
      });
    denyCategories(p, defaultAction);
  }
  lintDanger(p);
  reviewRarePaths(p);
  reviewCompanions(p);
  return makePolicy(
    {
      arches: p.arches,
      defaultAction,
      generator: {
        strategy,
        options: {
          complete: strategy === 'allowlist' ? (options.complete ?? true) : false,
          args: options.args ?? false,
          ...(options.args ? { maxArgValues: options.maxArgValues ?? DEFAULT_MAX_ARG_VALUES } : {}),
          rank: options.rank ?? 'sum',
          ...(strategy === 'denylist' ? { deny: options.deny ?? DEFAULT_DENY } : {}),
          ...(hints ? { candidates: options.candidates ?? 'none' } : {}),
        },
      },
      ...(hints ? { hints } : {}),
      ...(options.heldOut?.length ? { heldOut: heldOutMisses(p.merged, options.heldOut) } : {}),
      runs: p.merged.runs.map((r) => ({ command: r.command, calls: r.calls })),
      rules: p.rules,
      review: p.review,
    },
    '<proposed policy>',
  );
}
