/**
 * What emitters share: the result type, the C vocabulary of libseccomp (actions, arches,
 * comparisons), the ranked table rows, and lookups into categories and syscall tables. An
 * emitter imports the model (../policy.ts) and this file, nothing else, and never another
 * emitter: a fact about libseccomp or a table column is written here once.
 */
import type { ArchName } from '../../ptrace/arch.js';
import { syscallTable } from '../../ptrace/syscalls.js';
import type { SyscallTarget } from '../../ptrace/target-syscalls.js';
import { SYSTEMD_GROUP_LIST, categoryLabel, type SystemdGroup } from '../categories/index.js';
import {
  ACTION_OPS,
  conditionsKey,
  decisionCalls,
  describeCondition,
  formatAction,
  HINT_TIER_WORDS,
  hex,
  policyDecisions,
  type Action,
  type ActionKind,
  type ArgCondition,
  type Policy,
  type PolicyRule,
  type SyscallDecision,
} from '../policy.js';
import { withShares } from '../rank.js';
import { UserError } from '../../io.js';

export { describeTop } from '../rank.js';

export interface EmitContext {
  /** The policy file, named in headers. */
  readonly source: string;
  /** Where the main output goes, when it goes to a file (second files are put next to it). */
  readonly output?: string | undefined;
  /**
   * The kernel (headers) the output is compiled against: formats whose compiler checks names
   * (minijail) leave out what it lacks and say so. Absent: every name in sbx's tables.
   */
  readonly target?: SyscallTarget | undefined;
}

export interface EmitResult {
  readonly text: string;
  /** Further files: minijail's frequency file. */
  readonly extras?: readonly { readonly path: string; readonly text: string; readonly what: string }[];
  /** What the format could not say exactly, one line each (printed on stderr). */
  readonly warnings: readonly string[];
}

/** What every emitter module exports. */
export interface Emitter {
  readonly emit: (policy: Policy, context: EmitContext) => EmitResult;
}

/** Stop: the format cannot say what the policy means, and widening it would be wrong (one line, exit 2). */
export function refuse(message: string): never {
  throw new UserError(message);
}

/** The file name part of a path, for headers (no directories, so output does not depend on where it ran). */
export function baseName(path: string): string {
  return path.split('/').pop() ?? path;
}

// ---- libseccomp's vocabulary (C, and the OCI spec's strings) ----

/** SCMP_ARCH_* per arch (libseccomp and the OCI runtime spec use the same names). */
export const SCMP_ARCH: Readonly<Record<ArchName, string>> = {
  x86_64: 'SCMP_ARCH_X86_64',
  x32: 'SCMP_ARCH_X32',
  i386: 'SCMP_ARCH_X86',
  aarch64: 'SCMP_ARCH_AARCH64',
};

/** SCMP_ACT_* names; errno and trace take their value in parentheses in C. */
export const SCMP_ACT: Readonly<Record<ActionKind, string>> = {
  'kill-process': 'SCMP_ACT_KILL_PROCESS',
  'kill-thread': 'SCMP_ACT_KILL_THREAD',
  trap: 'SCMP_ACT_TRAP',
  errno: 'SCMP_ACT_ERRNO',
  trace: 'SCMP_ACT_TRACE',
  log: 'SCMP_ACT_LOG',
  allow: 'SCMP_ACT_ALLOW',
};

/** The action as a C expression: SCMP_ACT_ERRNO(1), SCMP_ACT_ALLOW, ... */
export function cAction(action: Action): string {
  switch (action.kind) {
    case 'errno':
      return `SCMP_ACT_ERRNO(${action.errno})`;
    case 'trace':
      return `SCMP_ACT_TRACE(${action.data})`;
    default:
      return SCMP_ACT[action.kind];
  }
}

/**
 * What a filter does with a call of an arch it was not built for (another ABI, or x32 numbers
 * on x86_64): libseccomp's SCMP_FLTATR_ACT_BADARCH, whose default kills only the thread. The
 * policy (decide(), `sbx run`) kills the process.
 */
export const BAD_ARCH_ACTION = 'SCMP_ACT_KILL_PROCESS';
export const BAD_ARCH_COMMENT = "A call of another arch (or x32's numbers) kills the process, as sbx run does; libseccomp's default kills only the thread.";

/** A comparison as a `struct scmp_arg_cmp` initializer (datum_a is the mask for masked-eq). */
export function cArgCmp(c: ArgCondition): string {
  const [a, b] = c.op === 'masked-eq' ? [c.mask, c.value] : [c.value, 0n];
  return `{ .arg = ${c.index}, .op = ${CMP_SCMP[c.op]}, .datum_a = ${hex(a)}ULL, .datum_b = ${hex(b)}ULL }`;
}

const CMP_SCMP: Readonly<Record<ArgCondition['op'], string>> = {
  eq: 'SCMP_CMP_EQ',
  ne: 'SCMP_CMP_NE',
  lt: 'SCMP_CMP_LT',
  le: 'SCMP_CMP_LE',
  gt: 'SCMP_CMP_GT',
  ge: 'SCMP_CMP_GE',
  'masked-eq': 'SCMP_CMP_MASKED_EQ',
};

/** SCMP_CMP_* name of a comparison. */
export function scmpCmp(c: ArgCondition): string {
  return CMP_SCMP[c.op];
}

/** The preprocessor test for "compiled for this arch". */
export const C_ARCH_GUARD: Readonly<Record<ArchName, string>> = {
  x86_64: 'defined(__x86_64__) && !defined(__ILP32__)',
  x32: 'defined(__x86_64__) && defined(__ILP32__)',
  i386: 'defined(__i386__)',
  aarch64: 'defined(__aarch64__)',
};

/** Text safe inside a C block comment. */
export function cComment(text: string): string {
  return text.replace(/\*\//g, '* /');
}

/** A C block comment: the common header lines, then `more` (usage notes). */
export function cHeader(policy: Policy, context: EmitContext, what: string, more: readonly string[]): string[] {
  return ['/*', ...[...headerLines(policy, context, what), ...more].map((l) => (l ? ` * ${cComment(l)}` : ' *')), ' */'];
}

/** The lines every text output starts with (each emitter puts its own comment marker in front). */
export function headerLines(policy: Policy, context: EmitContext, what: string): string[] {
  const runs = policy.runs?.length ?? 0;
  return [
    `${what}, generated by sbx from ${baseName(context.source)}.`,
    `Arches: ${policy.arches.join(', ')}. Default action: ${formatAction(policy.defaultAction)}.`,
    ...(policy.generator ? [`Strategy: ${policy.generator.strategy}${runs ? `, from ${runs} traced run(s)` : ''}.`] : []),
  ];
}

// ---- reading the model the way emitters need it ----

export { decisionCalls, policyDecisions, type SyscallDecision } from '../policy.js';

/** Whether an action lets the call happen. */
export function permits(action: Action): boolean {
  return ACTION_OPS[action.kind].permits;
}

/** Decisions that differ per arch ("only on i386"), for formats that cannot say so. */
export function archSpecificNames(policy: Policy): string[] {
  if (policy.arches.length < 2) return [];
  const byName = new Map<string, Set<string>>();
  for (const d of policyDecisions(policy)) {
    const key = `${formatAction(d.action)} ${d.when.map(conditionsKey).sort().join(' || ')}`;
    byName.set(d.name, (byName.get(d.name) ?? new Set()).add(`${d.arch} ${key}`));
  }
  return [...byName]
    .filter(([name, set]) => {
      const keys = new Set([...set].map((s) => s.slice(s.indexOf(' ') + 1)));
      const arches = policy.arches.filter((a) => syscallTable(a).some((e) => e.name === name));
      return keys.size > 1 || set.size !== arches.length;
    })
    .map(([name]) => name);
}

/** Every syscall name of an arch (for formats that must list what the policy leaves alone). */
export function allSyscallNames(arch: ArchName): string[] {
  return syscallTable(arch).map((e) => e.name);
}

/** What the context's target lacks of `names` on `arch`: "name (why)" each, in order. */
export function lackedNames(context: EmitContext, arch: ArchName, names: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  if (!context.target) return out;
  for (const name of names) {
    const why = context.target.lacks(arch, name);
    if (why !== undefined) out.set(name, why);
  }
  return out;
}

/** Names that exist on at least one of the policy's arches. */
export function policyUniverse(policy: Policy): Set<string> {
  return new Set(policy.arches.flatMap(allSyscallNames));
}

/** systemd's groups, as the systemd emitter may name them (none newer than systemd 252). */
export function systemdGroups(): readonly SystemdGroup[] {
  return SYSTEMD_GROUP_LIST.filter((g) => g.since === undefined);
}

export function systemdGroup(name: string): SystemdGroup | undefined {
  return systemdGroups().find((g) => g.name === name);
}

// ---- the ranked table (csv, markdown) ----

export interface TableRow {
  readonly rank: number;
  readonly syscall: string;
  readonly arch: ArchName;
  readonly action: string;
  readonly priority: number | undefined;
  readonly calls: number;
  /** Percent of all observed calls. */
  readonly share: number;
  readonly cumulative: number;
  /** "2/3": runs that saw it, of all runs. */
  readonly runs: string;
  readonly category: string;
  readonly provenance: string;
  readonly conditions: string;
  readonly reason: string;
}

function provenanceText(rule: PolicyRule): string {
  const p = rule.provenance;
  switch (p.source) {
    case 'observed':
      return 'observed';
    case 'family':
      return `family ${p.family} (from ${p.from.join(', ')})`;
    case 'category':
      return `category ${p.category}`;
    case 'hand':
      return p.note ? `by hand: ${p.note}` : 'by hand';
    case 'hint':
      return `static hint (${HINT_TIER_WORDS[p.tier]})`;
  }
}

/** One row per (arch, syscall) the policy decides, most calls first, then priority. */
export function tableRows(policy: Policy): TableRow[] {
  const totalRuns = policy.runs?.length ?? 0;
  const rows = policyDecisions(policy).map((d: SyscallDecision) => {
    const calls = decisionCalls(d);
    const runs = new Set(d.rules.flatMap((r) => r.rule.observed?.runs ?? []));
    const first = d.rules[0]!.rule;
    return {
      syscall: d.name,
      arch: d.arch,
      action: formatAction(d.action),
      priority: d.priority,
      calls,
      runs: totalRuns ? `${runs.size}/${totalRuns}` : '',
      category: categoryLabel(d.name),
      provenance: provenanceText(first),
      conditions: d.when.map((set) => set.map(describeCondition).join(' && ')).join(' || '),
      reason: first.reason ?? '',
    };
  });
  rows.sort((a, b) => b.calls - a.calls || (b.priority ?? -1) - (a.priority ?? -1) || a.syscall.localeCompare(b.syscall) || a.arch.localeCompare(b.arch));
  return withShares(rows, (r) => r.calls).map((r, i) => ({ ...r, rank: i + 1 }));
}
