/**
 * `sbx diff A B`: what changed between two profiles (syscalls added or removed, call counts,
 * argument values added or removed) or two policies (default, arches, and each syscall's
 * decision). `differ` drives the exit code, so CI can catch a program that starts to need a
 * new syscall or a new ioctl.
 */
import { checkProfile, FormatError } from '../profile/profile.js';
import type { ArgHistogram, Profile, SyscallEntry } from '../profile/types.js';
import { checkPolicy, conditionsKey, describeCondition, formatAction, policyDecisions, readJsonFile, type Policy, type SyscallDecision } from '../policy/policy.js';

export interface DiffOptions {
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

export interface DecisionChange {
  readonly arch: string;
  readonly syscall: string;
  readonly before?: string;
  readonly after?: string;
}

export interface PolicyDiff {
  readonly kind: 'policies';
  readonly a: string;
  readonly b: string;
  readonly defaultAction?: { readonly before: string; readonly after: string };
  readonly arches?: { readonly before: readonly string[]; readonly after: readonly string[] };
  readonly added: readonly DecisionChange[];
  readonly removed: readonly DecisionChange[];
  readonly changed: readonly DecisionChange[];
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
export function diffFiles(a: string, b: string, options: DiffOptions = {}): Diff {
  const left = load(a);
  const right = load(b);
  if (left.kind !== right.kind)
    throw new FormatError(b, '/format', `is a ${right.kind} but ${a} is a ${left.kind}: compare two profiles or two policies`);
  if (left.kind === 'profile' && right.kind === 'profile') return diffProfiles(left.profile, right.profile, a, b, options);
  return diffPolicies((left as { policy: Policy }).policy, (right as { policy: Policy }).policy, a, b);
}

const key = (s: { arch: string; name: string }) => `${s.arch}:${s.name}`;

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
      const d = valueDiff(x.args?.find((g) => g.index === h.index), h);
      if (d.added.length || d.removed.length) values.push({ arch: y.arch, syscall: y.name, index: h.index, name: h.name, ...d });
    }
    for (const h of x.args ?? [])
      if (!y.args?.some((g) => g.index === h.index)) values.push({ arch: x.arch, syscall: x.name, index: h.index, name: h.name, added: [], removed: h.values });
  }
  const differ = added.length > 0 || removed.length > 0 || values.length > 0 || (!!options.counts && counts.length > 0);
  return { kind: 'profiles', a: aName, b: bName, added, removed, counts, values, differ };
}

function describeDecision(d: SyscallDecision): string {
  const when = d.when.length ? ` when ${d.when.map((set) => set.map(describeCondition).join(' && ')).join(' || ')}` : '';
  return `${formatAction(d.action)}${when}${d.priority !== undefined ? `, priority ${d.priority}` : ''}`;
}

/** Two decisions are the same when action, conditions (labels aside) and priority agree. */
function decisionKey(d: SyscallDecision): string {
  return `${formatAction(d.action)}|${d.when.map(conditionsKey).sort().join(' || ')}|${d.priority ?? ''}`;
}

export function diffPolicies(a: Policy, b: Policy, aName: string, bName: string): PolicyDiff {
  const before = new Map(policyDecisions(a).map((d) => [key(d), d]));
  const after = new Map(policyDecisions(b).map((d) => [key(d), d]));
  const added = [...after].filter(([k]) => !before.has(k)).map(([, d]) => ({ arch: d.arch, syscall: d.name, after: describeDecision(d) }));
  const removed = [...before].filter(([k]) => !after.has(k)).map(([, d]) => ({ arch: d.arch, syscall: d.name, before: describeDecision(d) }));
  const changed = [...after]
    .filter(([k, d]) => before.has(k) && decisionKey(before.get(k)!) !== decisionKey(d))
    .map(([k, d]) => ({ arch: d.arch, syscall: d.name, before: describeDecision(before.get(k)!), after: describeDecision(d) }));
  const defaults = [formatAction(a.defaultAction), formatAction(b.defaultAction)] as const;
  const archesDiffer = a.arches.join(',') !== b.arches.join(',');
  return {
    kind: 'policies',
    a: aName,
    b: bName,
    ...(defaults[0] !== defaults[1] ? { defaultAction: { before: defaults[0], after: defaults[1] } } : {}),
    ...(archesDiffer ? { arches: { before: a.arches, after: b.arches } } : {}),
    added,
    removed,
    changed,
    differ: added.length > 0 || removed.length > 0 || changed.length > 0 || defaults[0] !== defaults[1] || archesDiffer,
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
    if (diff.arches) lines.push(`~ arches ${diff.arches.before.join(',')} → ${diff.arches.after.join(',')}`);
    if (diff.defaultAction) lines.push(`~ default ${diff.defaultAction.before} → ${diff.defaultAction.after}`);
    for (const c of diff.added) lines.push(`+ ${c.arch} ${c.syscall}: ${c.after}`);
    for (const c of diff.removed) lines.push(`- ${c.arch} ${c.syscall}: ${c.before}`);
    for (const c of diff.changed) lines.push(`~ ${c.arch} ${c.syscall}: ${c.before} → ${c.after}`);
  }
  lines.push(`${diff.kind} ${diff.a} and ${diff.b} ${diff.differ ? 'differ' : 'do not differ'}${diff.kind === 'profiles' && diff.counts.length && !diff.differ ? ' (count changes only; --counts makes them count)' : ''}`);
  return `${lines.join('\n')}\n`;
}
