/**
 * What emitters share: the result type, the C vocabulary of libseccomp (actions, arches,
 * comparisons), the OCI seccomp object with the container runtime's needs (oci, spo), the
 * ranked table rows, and lookups into categories and syscall tables. An
 * emitter imports the model (../policy.ts) and this file, nothing else, and never another
 * emitter: a fact about libseccomp or a table column is written here once.
 */
import type { ArchName } from '../../linux/arch.js';
import { UserError } from '../../io.js';
import { syscallTable } from '../../linux/syscalls.js';
import type { SyscallTarget } from '../../linux/target-syscalls.js';
import { SYSTEMD_GROUP_LIST, categoryLabel, type SystemdGroup } from '../categories/index.js';
import {
  ACTION_OPS,
  CMP_OPS,
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
import { withShares } from '../../profile/rank.js';

import { DEFAULT_RUNTIME, type RuntimeChoice } from './runtime-choice.js';
import { withRuntimeNeeds } from './runtime.js';
import { RUNTIME_NEEDS } from './runtime-needs.js';

export { describeTop } from '../../profile/rank.js';

export interface EmitContext {
  /** The policy file, named in headers. */
  readonly source: string;
  /** Where the main output goes, when it goes to a file (second files are put next to it). */
  readonly output?: string | undefined;
  /** oci, spo: whose start-up calls to add (default runc; see ./runtime.ts). */
  readonly runtime?: RuntimeChoice | undefined;
  /** spo: metadata.name (default: the program's name). */
  readonly name?: string | undefined;
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
  /** What the emitter added or decided that the reader should know, one line each (printed on stderr). */
  readonly notes?: readonly string[];
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
export const SCMP_ACT: Readonly<Record<ActionKind, string>> = Object.fromEntries(
  Object.entries(ACTION_OPS).map(([kind, ops]) => [kind, ops.scmp]),
) as Record<ActionKind, string>;

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
export const BAD_ARCH_COMMENT =
  "A call of another arch (or x32's numbers) kills the process, as sbx run does; libseccomp's default kills only the thread.";

/** A comparison as a `struct scmp_arg_cmp` initializer (datum_a is the mask for masked-eq). */
export function cArgCmp(c: ArgCondition): string {
  const [a, b] = c.op === 'masked-eq' ? [c.mask, c.value] : [c.value, 0n];
  return `{ .arg = ${c.index}, .op = ${CMP_OPS[c.op].scmp}, .datum_a = ${hex(a)}ULL, .datum_b = ${hex(b)}ULL }`;
}

/** SCMP_CMP_* name of a comparison. */
export function scmpCmp(c: ArgCondition): string {
  return CMP_OPS[c.op].scmp;
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
    case 'runtime':
      return `container runtime (${p.version})`;
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
  rows.sort(
    (a, b) =>
      b.calls - a.calls || (b.priority ?? -1) - (a.priority ?? -1) || a.syscall.localeCompare(b.syscall) || a.arch.localeCompare(b.arch),
  );
  return withShares(rows, (r) => r.calls).map((r, i) => ({ ...r, rank: i + 1 }));
}

// ---- the OCI seccomp object (oci; spo wraps it in a custom resource) ----

/** A uint64 that must print exactly: kept as a marker string, unquoted by seccompJsonText. */
const U64_MARK = '@sbx-u64@';

function u64(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : `${U64_MARK}${value.toString()}`;
}

/** JSON text of an object holding exact uint64 numbers. */
export function seccompJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(new RegExp(`"${U64_MARK}(\\d+)"`, 'g'), '$1')}\n`;
}

function ociArg(c: ArgCondition): Record<string, unknown> {
  return c.op === 'masked-eq'
    ? { index: c.index, value: u64(c.mask), valueTwo: u64(c.value), op: scmpCmp(c) }
    : { index: c.index, value: u64(c.value), op: scmpCmp(c) };
}

function ociAction(action: Action): { action: string; errnoRet?: number } {
  if (action.kind === 'errno') return { action: SCMP_ACT.errno, errnoRet: action.errno };
  if (action.kind === 'trace') return { action: SCMP_ACT.trace, errnoRet: action.data };
  return { action: SCMP_ACT[action.kind] };
}

export interface SeccompJsonOptions {
  /** The format's name, for messages. */
  readonly format: string;
  /** The largest argument value the format can hold (spo: the CRD's int64). */
  readonly maxArgValue?: bigint;
}

export interface SeccompJson {
  /** defaultAction, defaultErrnoRet, architectures, syscalls: the runtime spec's linux.seccomp. */
  readonly profile: Record<string, unknown>;
  /** The policy with the runtime's needs added (what the profile says). */
  readonly policy: Policy;
  readonly warnings: string[];
  readonly notes: readonly string[];
  /** "Allows the start-up calls of runc version ...", when a runtime's needs were added. */
  readonly runtimeLine?: string;
}

/**
 * The runtime spec's seccomp object for a policy, with the container runtime's start-up
 * calls added (context.runtime). For SCMP_CMP_MASKED_EQ, `value` is the mask and `valueTwo`
 * the value, as runc passes them to libseccomp. One entry per (action, condition set), names
 * in priority order; the runtime's additions form entries of their own, last.
 */
export function seccompJson(original: Policy, context: EmitContext, options: SeccompJsonOptions): SeccompJson {
  const runtime = context.runtime ?? DEFAULT_RUNTIME;
  const { policy, added, warnings: runtimeWarnings } = withRuntimeNeeds(original, runtime);
  const warnings = runtimeWarnings.map((w) => `${options.format}: ${w}`);
  const tooBig = (c: ArgCondition) =>
    options.maxArgValue !== undefined && (c.value > options.maxArgValue || (c.op === 'masked-eq' && c.mask > options.maxArgValue));
  const widened = new Set<string>();
  const entries = new Map<string, { names: string[]; action: Action; args: readonly ArgCondition[] }>();
  for (const d of policyDecisions(policy)) {
    const fromRuntime = d.rules.some((r) => r.rule.provenance.source === 'runtime');
    for (const conditions of d.when.length ? d.when : [[]]) {
      let set = conditions;
      if (set.some(tooBig)) {
        if (!permits(d.action))
          refuse(
            `${options.format}: ${d.name} is denied when ${set.map(describeCondition).join(' && ')}, which compares a value above ${hex(options.maxArgValue!)} the format cannot hold; leaving it out would change what is denied`,
          );
        set = set.filter((c) => !tooBig(c));
        widened.add(d.name);
      }
      const key = `${fromRuntime ? 'runtime ' : ''}${formatAction(d.action)}|${conditionsKey(set)}`;
      const entry = entries.get(key) ?? { names: [], action: d.action, args: set };
      if (!entry.names.includes(d.name)) entry.names.push(d.name);
      entries.set(key, entry);
    }
  }
  if (widened.size)
    warnings.push(
      `${options.format}: conditions comparing values above ${hex(options.maxArgValue!)} are left out, so these are allowed more widely than the policy says: ${[...widened].join(', ')}`,
    );
  const { action: defaultAction, errnoRet: defaultErrnoRet } = ociAction(policy.defaultAction);
  const profile = {
    defaultAction,
    ...(defaultErrnoRet !== undefined && policy.defaultAction.kind === 'errno' ? { defaultErrnoRet } : {}),
    architectures: policy.arches.map((a) => SCMP_ARCH[a]),
    syscalls: [...entries]
      .sort(([a], [b]) => Number(a.startsWith('runtime ')) - Number(b.startsWith('runtime ')))
      .map(([, e]) => ({
        names: e.names,
        ...ociAction(e.action),
        ...(e.args.length ? { args: e.args.map(ociArg) } : {}),
      })),
  };
  if (policy.defaultAction.kind === 'trace')
    warnings.push(`${options.format}: the spec has no defaultErrnoRet for SCMP_ACT_TRACE; the trace value of the default action is lost`);
  const perArch = archSpecificNames(policy);
  if (perArch.length)
    warnings.push(`${options.format}: rules apply to every listed arch; these differ per arch in the policy: ${perArch.join(', ')}`);
  const notes =
    runtime === 'none'
      ? []
      : [
          `${options.format}: allowed for ${runtime}'s own start-up after it loads the filter (--runtime none to leave out): ${added.length ? added.join(', ') : 'nothing more (the policy allows it all)'}`,
        ];
  return {
    profile,
    policy,
    warnings,
    notes,
    ...(runtime === 'none' ? {} : { runtimeLine: `Allows the start-up calls of ${RUNTIME_NEEDS[runtime].version}.` }),
  };
}
