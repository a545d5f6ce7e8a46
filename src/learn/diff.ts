/**
 * `sbx diff A B`: what changed between two profiles (syscalls added or removed, call counts,
 * argument values added or removed) or two policies (what the filter decides per arch,
 * syscall and argument case; with --rules the written rules, with --priorities their order). `differ` drives the exit code, so CI can catch a program that starts to need a
 * new syscall or a new ioctl.
 */
import { checkProfile, FormatError } from '../profile/profile.js';
import type { ArgHistogram, Profile, SyscallEntry } from '../profile/types.js';
import {
  checkPolicy,
  conditionsKey,
  describeCondition,
  formatAction,
  policyDecisions,
  readJsonFile,
  type Policy,
  type SyscallDecision,
  CMP_OPS,
  conditionHolds,
  decide,
  sameAction,
  type ArgCondition,
} from '../policy/policy.js';
import { UserError } from '../io.js';
import { namedCallKey, type ArchName } from '../linux/arch.js';
import { syscallTable } from '../linux/syscalls.js';

export interface DiffOptions extends PolicyDiffOptions {
  /** Profiles: count changes are differences too. */
  readonly counts?: boolean;
  /** With `counts`: ignore changes smaller than this many percent. */
  readonly threshold?: number;
}

export interface CallChange {
  readonly arch: string;
  readonly syscall: string;
  readonly before: number;
  readonly after: number;
}

export interface ValueChange {
  readonly arch: string;
  readonly syscall: string;
  readonly index: number;
  readonly name: string;
  readonly added: readonly { value: string; label?: string; count: number }[];
  readonly removed: readonly { value: string; label?: string; count: number }[];
}

export interface ProfileDiff {
  readonly kind: 'profiles';
  readonly a: string;
  readonly b: string;
  readonly added: readonly CallChange[];
  readonly removed: readonly CallChange[];
  readonly counts: readonly CallChange[];
  readonly values: readonly ValueChange[];
  readonly differ: boolean;
}

/** What the filter does differently for one (arch, syscall, argument case). */
export interface DecisionChange {
  readonly arch: string;
  readonly syscall: string;
  /** The argument case, as the conditions of either policy that hold and do not hold there; absent: every call. */
  readonly when?: string;
  readonly before: string;
  readonly after: string;
}

/** A rule-level change (`--rules`): the rules of one (arch, syscall) as written, priority aside. */
export interface RuleChange {
  readonly arch: string;
  readonly syscall: string;
  readonly before?: string;
  readonly after?: string;
}

export interface PriorityChange {
  readonly arch: string;
  readonly syscall: string;
  readonly before?: number;
  readonly after?: number;
}

export interface PolicyDiff {
  readonly kind: 'policies';
  readonly a: string;
  readonly b: string;
  readonly arches?: { readonly before: readonly string[]; readonly after: readonly string[] };
  /** The default changed; `syscalls` counts the (arch, syscall) pairs neither policy names, which all follow it. */
  readonly defaultAction?: { readonly before: string; readonly after: string; readonly syscalls: number };
  /** What the filter decides differently, for the syscalls either policy names. */
  readonly decisions: readonly DecisionChange[];
  /** With --rules. */
  readonly rules?: {
    readonly added: readonly RuleChange[];
    readonly removed: readonly RuleChange[];
    readonly changed: readonly RuleChange[];
  };
  /** With --priorities. */
  readonly priorities?: readonly PriorityChange[];
  readonly differ: boolean;
}

export type Diff = ProfileDiff | PolicyDiff;

type Loaded = { kind: 'profile'; profile: Profile } | { kind: 'policy'; policy: Policy };

function load(file: string): Loaded {
  const data = readJsonFile(file);
  const format = typeof data === 'object' && data !== null ? (data as { format?: unknown }).format : undefined;
  if (format === 'sbx-profile') return { kind: 'profile', profile: checkProfile(data, file) };
  if (format === 'sbx-policy') return { kind: 'policy', policy: checkPolicy(data, file) };
  throw new FormatError(file, '/format', `neither an sbx profile nor an sbx policy (format ${JSON.stringify(format)})`);
}

/** Diff two files of the same kind; mixing a profile and a policy is an error at B's /format. */
/** The options that only one kind of input takes, listed under the kind that does not. */
const OPTIONS_OF_THE_OTHER_KIND = {
  profile: ['rules', 'priorities'],
  policy: ['counts', 'threshold'],
} as const satisfies Record<'profile' | 'policy', readonly (keyof DiffOptions)[]>;

export function diffFiles(a: string, b: string, options: DiffOptions = {}): Diff {
  const left = load(a);
  const right = load(b);
  if (left.kind !== right.kind)
    throw new FormatError(b, '/format', `is a ${right.kind} but ${a} is a ${left.kind}: compare two profiles or two policies`);
  // An option for the other kind would be ignored, and the user would trust a comparison that was not made.
  const given = OPTIONS_OF_THE_OTHER_KIND[left.kind].find((name) => !!options[name]);
  const plural = { profile: 'profiles', policy: 'policies' } as const;
  if (given !== undefined)
    throw new UserError(
      `--${given} compares ${plural[left.kind === 'profile' ? 'policy' : 'profile']}; ${a} and ${b} are ${plural[left.kind]}`,
    );
  if (left.kind === 'profile' && right.kind === 'profile') return diffProfiles(left.profile, right.profile, a, b, options);
  return diffPolicies((left as { policy: Policy }).policy, (right as { policy: Policy }).policy, a, b, options);
}

const key = (s: { arch: ArchName; name: string }) => namedCallKey(s.arch, s.name);

function valueDiff(before: ArgHistogram | undefined, after: ArgHistogram): Pick<ValueChange, 'added' | 'removed'> {
  const old = new Set(before?.values.map((v) => v.value));
  const now = new Set(after.values.map((v) => v.value));
  return {
    added: after.values.filter((v) => !old.has(v.value)),
    removed: (before?.values ?? []).filter((v) => !now.has(v.value)),
  };
}

export function diffProfiles(a: Profile, b: Profile, aName: string, bName: string, options: DiffOptions = {}): ProfileDiff {
  const before = new Map(a.syscalls.filter((s) => s.count > 0).map((s) => [key(s), s]));
  const after = new Map(b.syscalls.filter((s) => s.count > 0).map((s) => [key(s), s]));
  const change = (x: SyscallEntry | undefined, y: SyscallEntry | undefined): CallChange => {
    const s = (y ?? x)!;
    return { arch: s.arch, syscall: s.name, before: x?.count ?? 0, after: y?.count ?? 0 };
  };
  const added = [...after].filter(([k]) => !before.has(k)).map(([, s]) => change(undefined, s));
  const removed = [...before].filter(([k]) => !after.has(k)).map(([, s]) => change(s, undefined));
  const threshold = options.threshold ?? 0;
  const counts: CallChange[] = [];
  const values: ValueChange[] = [];
  for (const [k, y] of after) {
    const x = before.get(k);
    if (!x) continue;
    if (x.count !== y.count && (100 * Math.abs(y.count - x.count)) / x.count >= threshold) counts.push(change(x, y));
    for (const h of y.args ?? []) {
      const d = valueDiff(
        x.args?.find((g) => g.index === h.index),
        h,
      );
      if (d.added.length || d.removed.length) values.push({ arch: y.arch, syscall: y.name, index: h.index, name: h.name, ...d });
    }
    for (const h of x.args ?? [])
      if (!y.args?.some((g) => g.index === h.index))
        values.push({ arch: x.arch, syscall: x.name, index: h.index, name: h.name, added: [], removed: h.values });
  }
  const differ = added.length > 0 || removed.length > 0 || values.length > 0 || (!!options.counts && counts.length > 0);
  return { kind: 'profiles', a: aName, b: bName, added, removed, counts, values, differ };
}

function describeRules(d: SyscallDecision): string {
  const when = d.when.length ? ` when ${d.when.map((set) => set.map(describeCondition).join(' && ')).join(' || ')}` : '';
  return `${formatAction(d.action)}${when}`;
}

/** Rules the same when action and conditions (labels aside) agree; priority is not a rule change. */
function rulesKey(d: SyscallDecision): string {
  return `${formatAction(d.action)}|${d.when.map(conditionsKey).sort().join(' || ')}`;
}

/** Most argument combinations tried for one syscall (the product of each argument's values). */
const MAX_CASES = 1 << 16;

/**
 * Argument vectors that reach every case the conditions of both policies tell apart: for each
 * compared argument, the values on both sides of each boundary (CMP_OPS interestingValues) and 0.
 */
function argumentCases(conditions: readonly ArgCondition[]): bigint[][] {
  const perIndex = new Map<number, Set<bigint>>();
  for (const c of conditions) {
    const set = perIndex.get(c.index) ?? new Set<bigint>([0n]);
    for (const v of CMP_OPS[c.op].interestingValues(c)) set.add(v);
    perIndex.set(c.index, set);
  }
  let cases: bigint[][] = [[0n, 0n, 0n, 0n, 0n, 0n]];
  for (const [index, values] of perIndex) {
    cases = cases.flatMap((args) => [...values].map((v) => args.map((a, i) => (i === index ? v : a))));
    if (cases.length > MAX_CASES) throw new UserError(`diff: too many argument cases to compare (over ${MAX_CASES}); use --rules`);
  }
  return cases;
}

/** "arg1 != 0x5, not arg1 == 0x7": which conditions hold for these arguments. */
function caseLabel(conditions: readonly ArgCondition[], args: readonly bigint[]): string {
  const holds = conditions.filter((c) => conditionHolds(c, args)).map(describeCondition);
  const not = conditions.filter((c) => !conditionHolds(c, args)).map((c) => `not ${describeCondition(c)}`);
  return [...holds, ...not].join(', ');
}

function uniqueConditions(ds: readonly (SyscallDecision | undefined)[]): ArgCondition[] {
  const byKey = new Map<string, ArgCondition>();
  for (const d of ds)
    for (const set of d?.when ?? []) for (const c of set) byKey.set(conditionsKey([c]), byKey.get(conditionsKey([c])) ?? c);
  return [...byKey.values()];
}

/** What each filter does per (arch, syscall, argument case); only changes are kept. */
function decisionChanges(a: Policy, b: Policy): { changes: DecisionChange[]; followDefault: number } {
  const changes: DecisionChange[] = [];
  let followDefault = 0;
  const named = (p: Policy) => new Map(policyDecisions(p).map((d) => [key(d), d]));
  const before = named(a);
  const after = named(b);
  for (const arch of [...new Set([...a.arches, ...b.arches])]) {
    // an arch only one policy has: summarised by the arches line
    if (!a.arches.includes(arch) || !b.arches.includes(arch)) continue;
    for (const { nr, name } of syscallTable(arch)) {
      const x = before.get(namedCallKey(arch, name));
      const y = after.get(namedCallKey(arch, name));
      if (!x && !y) {
        if (!sameAction(a.defaultAction, b.defaultAction)) followDefault++;
        continue;
      }
      const conditions = uniqueConditions([x, y]);
      const seen = new Map<string, DecisionChange>();
      for (const args of argumentCases(conditions)) {
        const was = formatAction(decide(a, arch, nr, args));
        const now = formatAction(decide(b, arch, nr, args));
        if (was === now) continue;
        const when = conditions.length ? caseLabel(conditions, args) : undefined;
        const k = `${when}|${was}|${now}`;
        if (!seen.has(k)) seen.set(k, { arch, syscall: name, ...(when !== undefined ? { when } : {}), before: was, after: now });
      }
      changes.push(...seen.values());
    }
  }
  return { changes, followDefault };
}

function ruleChanges(a: Policy, b: Policy): NonNullable<PolicyDiff['rules']> {
  const before = new Map(policyDecisions(a).map((d) => [key(d), d]));
  const after = new Map(policyDecisions(b).map((d) => [key(d), d]));
  return {
    added: [...after].filter(([k]) => !before.has(k)).map(([, d]) => ({ arch: d.arch, syscall: d.name, after: describeRules(d) })),
    removed: [...before].filter(([k]) => !after.has(k)).map(([, d]) => ({ arch: d.arch, syscall: d.name, before: describeRules(d) })),
    changed: [...after]
      .filter(([k, d]) => before.has(k) && rulesKey(before.get(k)!) !== rulesKey(d))
      .map(([k, d]) => ({ arch: d.arch, syscall: d.name, before: describeRules(before.get(k)!), after: describeRules(d) })),
  };
}

function priorityChanges(a: Policy, b: Policy): PriorityChange[] {
  const before = new Map(policyDecisions(a).map((d) => [key(d), d]));
  const after = new Map(policyDecisions(b).map((d) => [key(d), d]));
  const out: PriorityChange[] = [];
  for (const k of new Set([...before.keys(), ...after.keys()])) {
    const x = before.get(k);
    const y = after.get(k);
    if (x?.priority === y?.priority) continue;
    const d = (y ?? x)!;
    out.push({
      arch: d.arch,
      syscall: d.name,
      ...(x?.priority !== undefined ? { before: x.priority } : {}),
      ...(y?.priority !== undefined ? { after: y.priority } : {}),
    });
  }
  return out;
}

export interface PolicyDiffOptions {
  /** Also list rule-level changes (what is written, not what it does). */
  readonly rules?: boolean;
  /** Also list priority moves. */
  readonly priorities?: boolean;
}

/**
 * By default, what the two filters decide differently: per (arch, syscall, argument case), via
 * decide(), so priority moves, reordered rules and rules the default already implied are not
 * differences. --rules and --priorities add the written changes.
 */
export function diffPolicies(a: Policy, b: Policy, aName: string, bName: string, options: PolicyDiffOptions = {}): PolicyDiff {
  const { changes, followDefault } = decisionChanges(a, b);
  const defaults = [formatAction(a.defaultAction), formatAction(b.defaultAction)] as const;
  const archesDiffer = a.arches.join(',') !== b.arches.join(',');
  const rules = options.rules ? ruleChanges(a, b) : undefined;
  const priorities = options.priorities ? priorityChanges(a, b) : undefined;
  const defaultMatters = defaults[0] !== defaults[1] && followDefault > 0;
  return {
    kind: 'policies',
    a: aName,
    b: bName,
    ...(archesDiffer ? { arches: { before: a.arches, after: b.arches } } : {}),
    ...(defaultMatters ? { defaultAction: { before: defaults[0], after: defaults[1], syscalls: followDefault } } : {}),
    decisions: changes,
    ...(rules ? { rules } : {}),
    ...(priorities ? { priorities } : {}),
    differ:
      changes.length > 0 ||
      defaultMatters ||
      archesDiffer ||
      (!!rules && rules.added.length + rules.removed.length + rules.changed.length > 0) ||
      (!!priorities && priorities.length > 0),
  };
}

const values = (vs: ValueChange['added']) => vs.map((v) => `${v.value}${v.label ? ` ${v.label}` : ''} (${v.count})`).join(', ');

/** The diff as lines: + added, - removed, ~ changed; a last line says whether they differ. */
export function formatDiff(diff: Diff): string {
  const lines: string[] = [];
  if (diff.kind === 'profiles') {
    for (const c of diff.added) lines.push(`+ ${c.arch} ${c.syscall} (${c.after} calls)`);
    for (const c of diff.removed) lines.push(`- ${c.arch} ${c.syscall} (${c.before} calls)`);
    for (const v of diff.values) {
      if (v.added.length) lines.push(`+ ${v.arch} ${v.syscall} arg${v.index} (${v.name}): ${values(v.added)}`);
      if (v.removed.length) lines.push(`- ${v.arch} ${v.syscall} arg${v.index} (${v.name}): ${values(v.removed)}`);
    }
    for (const c of diff.counts) {
      const pct = (100 * (c.after - c.before)) / c.before;
      lines.push(`~ ${c.arch} ${c.syscall} ${c.before} → ${c.after} calls (${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%)`);
    }
  } else {
    if (diff.arches)
      lines.push(`~ arches ${diff.arches.before.join(',')} → ${diff.arches.after.join(',')} (calls of an arch a policy lacks are killed)`);
    if (diff.defaultAction)
      lines.push(
        `~ default ${diff.defaultAction.before} → ${diff.defaultAction.after} (${diff.defaultAction.syscalls} syscalls neither policy names)`,
      );
    for (const c of diff.decisions) lines.push(`~ ${c.arch} ${c.syscall}${c.when ? ` [${c.when}]` : ''}: ${c.before} → ${c.after}`);
    if (diff.rules) {
      for (const c of diff.rules.added) lines.push(`rules + ${c.arch} ${c.syscall}: ${c.after}`);
      for (const c of diff.rules.removed) lines.push(`rules - ${c.arch} ${c.syscall}: ${c.before}`);
      for (const c of diff.rules.changed) lines.push(`rules ~ ${c.arch} ${c.syscall}: ${c.before} → ${c.after}`);
    }
    for (const c of diff.priorities ?? []) lines.push(`priority ~ ${c.arch} ${c.syscall}: ${c.before ?? 'none'} → ${c.after ?? 'none'}`);
  }
  lines.push(
    `${diff.kind} ${diff.a} and ${diff.b} ${diff.differ ? 'differ' : 'do not differ'}${diff.kind === 'profiles' && diff.counts.length && !diff.differ ? ' (count changes only; --counts makes them count)' : ''}`,
  );
  return `${lines.join('\n')}\n`;
}
