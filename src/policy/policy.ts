/**
 * Policy model v1: the one description of a seccomp policy that `sbx propose` writes and every
 * emitter (src/policy/emit/) and the BPF compiler read. Documented in docs/policy-format.md;
 * this file is the source of truth.
 *
 * A `Policy` only comes from `checkPolicy` (parsed JSON) or `makePolicy` (a draft built in
 * code, serialized and checked the same way), so every policy an emitter sees has passed the
 * same checks: known arches and syscall names, valid actions, errnos and priorities, argument
 * conditions libseccomp can express, and no two rules that disagree about the same call.
 * Every failure is a FormatError naming the file and the JSON pointer of the bad value.
 */
import { callKey, isArchName, type ArchName, type CallKey, type SyscallNr } from '../linux/arch.js';
import { errnoName, errnoNumber } from '../linux/constants.js';
import { parseSyscallName, syscallTable } from '../linux/syscalls.js';
import type { ActionKind as KernelActionKind } from '../bpf/emulator.js';
import { JsonChecker, readJsonFile, type Json } from '../json-check.js';

export { readJsonFile };

export const POLICY_FORMAT = 'sbx-policy';
export const POLICY_VERSION = 1;

/** A libseccomp priority hint, 0..255: higher is checked earlier (seccomp_syscall_priority). */
export type Priority = number & { readonly __brand: 'Priority' };
/** An errno a filter returns, 0..4095 (the kernel's MAX_ERRNO). */
export type Errno = number & { readonly __brand: 'Errno' };
/** Index of a syscall argument, 0..5. */
export type ArgIndex = 0 | 1 | 2 | 3 | 4 | 5;

export const MAX_PRIORITY = 255;
export const MAX_ERRNO = 4095;

// ---- actions ----

export type ActionKind = 'kill-process' | 'kill-thread' | 'trap' | 'errno' | 'trace' | 'log' | 'allow';

/** What the filter does with a call. JSON spelling: "allow", "errno(EPERM)", "trace(7)", ... */
export type Action =
  | { readonly kind: 'kill-process' }
  | { readonly kind: 'kill-thread' }
  | { readonly kind: 'trap' }
  | { readonly kind: 'errno'; readonly errno: Errno }
  | { readonly kind: 'trace'; readonly data: number }
  | { readonly kind: 'log' }
  | { readonly kind: 'allow' };

interface ActionOps {
  /** Kernel precedence: a lower rank wins when several filters answer (seccomp(2)). */
  readonly rank: number;
  /** The kernel's name for it (SECCOMP_RET_KILL_PROCESS → `kill_process`), as src/bpf spells it. */
  readonly kernel: KernelActionKind;
  /** libseccomp's and the OCI spec's name. */
  readonly scmp: string;
  /** Whether the call goes ahead. */
  readonly permits: boolean;
  readonly describe: string;
}

/** Facts about each action kind; `satisfies` keeps it exhaustive. */
export const ACTION_OPS = {
  'kill-process': {
    rank: 0,
    kernel: 'kill_process',
    scmp: 'SCMP_ACT_KILL_PROCESS',
    permits: false,
    describe: 'kill the whole process (SIGSYS, core)',
  },
  'kill-thread': { rank: 1, kernel: 'kill_thread', scmp: 'SCMP_ACT_KILL_THREAD', permits: false, describe: 'kill the calling thread' },
  trap: { rank: 2, kernel: 'trap', scmp: 'SCMP_ACT_TRAP', permits: false, describe: 'send SIGSYS to the thread' },
  errno: { rank: 3, kernel: 'errno', scmp: 'SCMP_ACT_ERRNO', permits: false, describe: 'fail the call with an errno' },
  trace: { rank: 4, kernel: 'trace', scmp: 'SCMP_ACT_TRACE', permits: false, describe: 'notify a ptrace tracer (ENOSYS without one)' },
  log: { rank: 5, kernel: 'log', scmp: 'SCMP_ACT_LOG', permits: true, describe: 'allow and log' },
  allow: { rank: 6, kernel: 'allow', scmp: 'SCMP_ACT_ALLOW', permits: true, describe: 'allow' },
} as const satisfies Record<ActionKind, ActionOps>;

export const ACTION_KINDS = Object.keys(ACTION_OPS) as ActionKind[];

/** "errno(EPERM)", "trace(0)", "allow" — the JSON and CLI spelling of an action. */
export function formatAction(action: Action): string {
  switch (action.kind) {
    case 'errno':
      return `errno(${errnoLabel(action.errno)})`;
    case 'trace':
      return `trace(${action.data})`;
    default:
      return action.kind;
  }
}

/** The errno's name when the platform has one ("EPERM"), else its number. */
export function errnoLabel(errno: Errno): string {
  const name = errnoName(errno);
  return /^E\d+$/.test(name) ? String(errno) : name;
}

/** Parse an action's text; the error says what is wrong, for the caller to place. */
export function parseAction(text: string): Action | string {
  const errnoMatch = /^errno\(\s*([A-Z0-9]+)\s*\)$/.exec(text);
  if (errnoMatch) {
    const errno = parseErrno(errnoMatch[1]!);
    return typeof errno === 'string' ? errno : { kind: 'errno', errno };
  }
  const traceMatch = /^trace(?:\(\s*(\d+)\s*\))?$/.exec(text);
  if (traceMatch) {
    const data = Number(traceMatch[1] ?? 0);
    return data > 0xffff ? `trace data ${data} is out of range 0..65535` : { kind: 'trace', data };
  }
  if (text === 'errno') return 'errno needs a value: errno(EPERM) or errno(1)';
  if ((ACTION_KINDS as string[]).includes(text)) return { kind: text } as Action;
  return `unknown action ${JSON.stringify(text)} (expected one of ${ACTION_KINDS.filter((k) => k !== 'errno' && k !== 'trace').join(', ')}, errno(E...), trace(N))`;
}

/** An errno name ("EPERM") or number ("1") checked against 0..4095. */
export function parseErrno(text: string): Errno | string {
  const n = errnoNumber(text);
  if (n === undefined) return `unknown errno ${JSON.stringify(text)}`;
  if (n > MAX_ERRNO) return `errno ${n} is out of range 0..${MAX_ERRNO}`;
  return n as Errno;
}

export function sameAction(a: Action, b: Action): boolean {
  return formatAction(a) === formatAction(b);
}

// ---- argument conditions ----

/** libseccomp's comparison set (SCMP_CMP_*); values compare as unsigned 64-bit numbers. */
export type CmpOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked-eq';

/** One comparison of one argument. `masked-eq` means `(arg & mask) == value`. */
export type ArgCondition =
  | { readonly index: ArgIndex; readonly op: Exclude<CmpOp, 'masked-eq'>; readonly value: bigint; readonly label?: string }
  | { readonly index: ArgIndex; readonly op: 'masked-eq'; readonly mask: bigint; readonly value: bigint; readonly label?: string };

interface CmpOps {
  /** The C-like operator, for descriptions. */
  readonly symbol: string;
  /** libseccomp's and the OCI spec's name. */
  readonly scmp: string;
  readonly test: (arg: bigint, c: ArgCondition) => boolean;
  /** Whether the condition holds for every argument value (`>= 0`, a masked-eq with mask 0). */
  readonly alwaysHolds: (c: ArgCondition) => boolean;
  /** Whether it holds for no argument value (`< 0`, a value with bits outside the mask). */
  readonly neverHolds: (c: ArgCondition) => boolean;
  /** Values on both sides of the boundary, for tests and fuzzing. */
  readonly interestingValues: (c: ArgCondition) => bigint[];
}

const U64 = (1n << 64n) - 1n;
const around = (v: bigint) => [v - 1n, v, v + 1n].filter((x) => x >= 0n && x <= U64);
const maskOf = (c: ArgCondition) => (c.op === 'masked-eq' ? c.mask : U64);
const no = () => false;

/** Every comparison's facts in one table (style note §4). */
export const CMP_OPS = {
  eq: {
    symbol: '==',
    scmp: 'SCMP_CMP_EQ',
    test: (a, c) => a === c.value,
    interestingValues: (c) => around(c.value),
    alwaysHolds: no,
    neverHolds: no,
  },
  ne: {
    symbol: '!=',
    scmp: 'SCMP_CMP_NE',
    test: (a, c) => a !== c.value,
    interestingValues: (c) => around(c.value),
    alwaysHolds: no,
    neverHolds: no,
  },
  lt: {
    symbol: '<',
    scmp: 'SCMP_CMP_LT',
    test: (a, c) => a < c.value,
    interestingValues: (c) => around(c.value),
    alwaysHolds: no,
    neverHolds: (c) => c.value === 0n,
  },
  le: {
    symbol: '<=',
    scmp: 'SCMP_CMP_LE',
    test: (a, c) => a <= c.value,
    interestingValues: (c) => around(c.value),
    alwaysHolds: (c) => c.value === U64,
    neverHolds: no,
  },
  gt: {
    symbol: '>',
    scmp: 'SCMP_CMP_GT',
    test: (a, c) => a > c.value,
    interestingValues: (c) => around(c.value),
    alwaysHolds: no,
    neverHolds: (c) => c.value === U64,
  },
  ge: {
    symbol: '>=',
    scmp: 'SCMP_CMP_GE',
    test: (a, c) => a >= c.value,
    interestingValues: (c) => around(c.value),
    alwaysHolds: (c) => c.value === 0n,
    neverHolds: no,
  },
  'masked-eq': {
    symbol: '&==',
    scmp: 'SCMP_CMP_MASKED_EQ',
    test: (a, c) => (a & maskOf(c)) === c.value,
    interestingValues: (c) => [c.value, c.value ^ maskOf(c), maskOf(c), 0n, U64],
    alwaysHolds: (c) => maskOf(c) === 0n && c.value === 0n,
    neverHolds: (c) => (c.value & ~maskOf(c)) !== 0n,
  },
} as const satisfies Record<CmpOp, CmpOps>;

export const CMP_OP_NAMES = Object.keys(CMP_OPS) as CmpOp[];

export function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/** "arg0 & 0x10000000 == 0x0" / "arg1 == 0x2 (AF_INET)". */
export function describeCondition(c: ArgCondition): string {
  const text =
    c.op === 'masked-eq' ? `arg${c.index} & ${hex(c.mask)} == ${hex(c.value)}` : `arg${c.index} ${CMP_OPS[c.op].symbol} ${hex(c.value)}`;
  return c.label ? `${text} (${c.label})` : text;
}

/** Equality key of a condition (labels do not count). */
function conditionKey(c: ArgCondition): string {
  return c.op === 'masked-eq' ? `${c.index}&${hex(c.mask)}=${hex(c.value)}` : `${c.index}${c.op}${hex(c.value)}`;
}

/** Equality key of a rule's condition set: order does not matter. */
export function conditionsKey(conditions: readonly ArgCondition[]): string {
  return conditions.map(conditionKey).sort().join(' && ');
}

export function conditionHolds(c: ArgCondition, args: readonly bigint[]): boolean {
  return CMP_OPS[c.op].test(args[c.index] ?? 0n, c);
}

// ---- rules and the policy ----

/** Why a rule exists. */
export type Provenance =
  | { readonly source: 'observed' }
  | { readonly source: 'family'; readonly family: string; readonly from: readonly string[] }
  | { readonly source: 'category'; readonly category: string }
  | { readonly source: 'hand'; readonly note?: string }
  /** A static-hint candidate allowed with `sbx propose --candidates main|all|N`. */
  | { readonly source: 'hint'; readonly tier: HintTier }
  /**
   * What a container runtime itself calls between loading the filter and exec'ing the command
   * (`sbx emit -f oci|spo --runtime`); `version` is the runtime traced (src/policy/emit/runtime-needs.ts).
   */
  | { readonly source: 'runtime'; readonly runtime: string; readonly version: string };

export type ProvenanceSource = Provenance['source'];

/**
 * How strong the static evidence for an unobserved syscall is: the code of an executable the
 * program ran reaches a function that can make it, directly or through the libraries'
 * functions it calls (`main`), or only some shared library imports one (`library`).
 */
export type HintTier = 'main' | 'library';
export const HINT_TIERS: readonly HintTier[] = ['main', 'library'];

/** What a tier says, in the words every reader of the policy shows. */
export const HINT_TIER_WORDS: Readonly<Record<HintTier, string>> = {
  main: "the executables' code reaches it",
  library: 'only a library imports it',
};

/** A syscall the binaries can reach but no run made (docs/static-hints.md). */
export interface Candidate {
  readonly arch: ArchName;
  readonly syscall: string;
  readonly tier: HintTier;
  /** Distinct (object, function) imports reaching it (after the chain length, the rank: more first). */
  readonly imports: number;
  /**
   * Shortest call chains first ("qemu-system-x86_64: main → qemu_init → os_daemonize →
   * fork@GLIBC_2.2.5"), then library imports ("libudev.so.1 imports waitid@GLIBC_2.2.5").
   */
  readonly evidence: readonly string[];
}

/** What the binaries' imports say beyond the runs. */
export interface StaticHints {
  /** Ranked: tier, then the shortest chain's length, then imports, then name. */
  readonly candidates: readonly Candidate[];
  /** Objects importing syscall() (or the like): from them any syscall is reachable. */
  readonly anySyscall: readonly string[];
  /** Executables whose imports could not be read, with why ("static binary: no imports"). */
  readonly unknown: readonly string[];
}

/** A syscall held-out runs made that the policy's own profiles never showed. */
export interface HeldOutMiss {
  readonly arch: ArchName;
  readonly syscall: string;
  readonly calls: number;
  /** The held-out scenarios (or files) that made it. */
  readonly from: readonly string[];
}

/** Held-out results the policy was checked against (`sbx propose --held-out`). */
export interface HeldOut {
  readonly sources: readonly string[];
  /** Distinct (arch, syscall) pairs the held-out runs made. */
  readonly syscalls: number;
  readonly misses: readonly HeldOutMiss[];
}

/** How often the profiles behind the policy saw the syscall: calls, and the runs (indexes into `runs`). */
export interface Observed {
  readonly calls: number;
  readonly runs: readonly number[];
}

export interface PolicyRule {
  readonly syscall: string;
  /** Arches the rule is for; absent: every arch of the policy that has the syscall. */
  readonly arches?: readonly ArchName[];
  readonly action: Action;
  /** All must hold (AND). Several rules for one syscall are alternatives (OR). */
  readonly args?: readonly ArgCondition[];
  readonly priority?: Priority;
  readonly provenance: Provenance;
  readonly observed?: Observed;
  /** One line a person reads to see why the rule is what it is. */
  readonly reason?: string;
}

/** A run of the profiles the policy came from (for "seen in N of M runs"). */
export interface PolicyRun {
  readonly command: readonly string[];
  readonly calls: number;
}

export type ReviewSeverity = 'info' | 'warning' | 'danger';

/** Something a person should look at before trusting the policy. */
export interface ReviewItem {
  readonly kind: string;
  readonly severity: ReviewSeverity;
  readonly syscall?: string;
  readonly message: string;
}

export interface PolicyDraft {
  readonly arches: readonly ArchName[];
  readonly defaultAction: Action;
  readonly rules: readonly PolicyRule[];
  readonly runs?: readonly PolicyRun[];
  readonly review?: readonly ReviewItem[];
  /** How the policy was made ("sbx propose --strategy allowlist ..."), for the reader. */
  readonly generator?: { readonly strategy: string; readonly options: Readonly<Record<string, unknown>> };
  readonly hints?: StaticHints;
  readonly heldOut?: HeldOut;
}

declare const checked: unique symbol;
/** A draft that passed every check; only checkPolicy and makePolicy return one. */
export type Policy = PolicyDraft & { readonly [checked]: true };

// ---- JSON form ----

/** The JSON text of a number that may exceed 2^53: hex string. */
function argJson(c: ArgCondition): Record<string, Json> {
  return {
    index: c.index,
    op: c.op,
    ...(c.op === 'masked-eq' ? { mask: hex(c.mask) } : {}),
    value: hex(c.value),
    ...(c.label !== undefined ? { label: c.label } : {}),
  };
}

/** The policy as plain JSON data (what `sbx propose` writes). */
export function policyToJson(policy: PolicyDraft): Record<string, Json> {
  return {
    format: POLICY_FORMAT,
    version: POLICY_VERSION,
    arches: policy.arches,
    defaultAction: formatAction(policy.defaultAction),
    ...(policy.generator ? { generator: policy.generator } : {}),
    ...(policy.runs ? { runs: policy.runs } : {}),
    rules: policy.rules.map((r) => ({
      syscall: r.syscall,
      ...(r.arches ? { arches: r.arches } : {}),
      action: formatAction(r.action),
      ...(r.args?.length ? { args: r.args.map(argJson) } : {}),
      ...(r.priority !== undefined ? { priority: r.priority } : {}),
      provenance: r.provenance,
      ...(r.observed ? { observed: r.observed } : {}),
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
    })),
    ...(policy.review ? { review: policy.review } : {}),
    ...(policy.hints ? { hints: policy.hints } : {}),
    ...(policy.heldOut ? { heldOut: policy.heldOut } : {}),
  };
}

export function policyText(policy: PolicyDraft): string {
  return `${JSON.stringify(policyToJson(policy), null, 2)}\n`;
}

/** Structural checks, each throwing a FormatError at its JSON pointer. */
class PolicyReader extends JsonChecker {
  natural(value: Json, at: string, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(at, `expected an integer, got ${JSON.stringify(value)}`);
    if (value < 0 || value > max) this.fail(at, `${value} is out of range 0..${max}`);
    return value;
  }

  /** Only these keys may appear: a typo ("prority") must not be silently ignored. */
  keys(obj: Record<string, Json>, at: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj))
      if (!allowed.includes(key)) this.fail(`${at}/${key}`, `unknown field (expected one of ${allowed.join(', ')})`);
  }

  arch(value: Json, at: string): ArchName {
    if (typeof value !== 'string' || !isArchName(value))
      this.fail(at, `unknown arch ${JSON.stringify(value)} (sbx knows x86_64, x32, i386, aarch64)`);
    return value;
  }

  action(value: Json, at: string): Action {
    const parsed = parseAction(this.string(value, at));
    if (typeof parsed === 'string') this.fail(at, parsed);
    return parsed;
  }

  /** A 64-bit unsigned value: "0x1f", "31", or a JSON integer up to 2^53. */
  u64(value: Json, at: string): bigint {
    let n: bigint | undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
    else if (typeof value === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value)) n = BigInt(value);
    if (n === undefined) this.fail(at, `expected an unsigned number ("0x..." or decimal), got ${JSON.stringify(value)}`);
    if (n > U64) this.fail(at, `${value} does not fit in 64 bits`);
    return n;
  }

  condition(value: Json, at: string): ArgCondition {
    const c = this.object(value, at);
    this.keys(c, at, ['index', 'op', 'mask', 'value', 'label']);
    const index = this.natural(c.index, `${at}/index`, 5) as ArgIndex;
    const op = this.string(c.op, `${at}/op`);
    if (!(CMP_OP_NAMES as string[]).includes(op))
      this.fail(`${at}/op`, `unknown comparison ${JSON.stringify(op)} (expected one of ${CMP_OP_NAMES.join(', ')})`);
    const val = this.u64(c.value, `${at}/value`);
    const label = c.label === undefined ? undefined : this.string(c.label, `${at}/label`);
    const extra = label !== undefined ? { label } : {};
    if (op === 'masked-eq') {
      if (c.mask === undefined) this.fail(at, 'masked-eq needs a mask');
      const mask = this.u64(c.mask, `${at}/mask`);
      if ((val & ~mask) !== 0n)
        this.fail(`${at}/value`, `${hex(val)} has bits outside the mask ${hex(mask)}: the comparison can never hold`);
      return { index, op, mask, value: val, ...extra };
    }
    if (c.mask !== undefined) this.fail(`${at}/mask`, `only masked-eq takes a mask`);
    return { index, op: op as Exclude<CmpOp, 'masked-eq'>, value: val, ...extra };
  }

  provenance(value: Json, at: string): Provenance {
    if (value === undefined) return { source: 'hand' };
    const p = this.object(value, at);
    switch (p.source) {
      case 'observed':
        this.keys(p, at, ['source']);
        return { source: 'observed' };
      case 'family':
        this.keys(p, at, ['source', 'family', 'from']);
        return {
          source: 'family',
          family: this.string(p.family, `${at}/family`),
          from: this.strings(p.from, `${at}/from`),
        };
      case 'category':
        this.keys(p, at, ['source', 'category']);
        return { source: 'category', category: this.string(p.category, `${at}/category`) };
      case 'hand':
        this.keys(p, at, ['source', 'note']);
        return p.note === undefined ? { source: 'hand' } : { source: 'hand', note: this.string(p.note, `${at}/note`) };
      case 'hint':
        this.keys(p, at, ['source', 'tier']);
        return { source: 'hint', tier: this.tier(p.tier, `${at}/tier`) };
      case 'runtime':
        this.keys(p, at, ['source', 'runtime', 'version']);
        return { source: 'runtime', runtime: this.string(p.runtime, `${at}/runtime`), version: this.string(p.version, `${at}/version`) };
      default:
        return this.fail(
          `${at}/source`,
          `unknown provenance ${JSON.stringify(p.source)} (expected observed, family, category, hand, hint or runtime)`,
        );
    }
  }

  tier(value: Json, at: string): HintTier {
    const tier = this.string(value, at);
    if (!(HINT_TIERS as readonly string[]).includes(tier))
      this.fail(at, `unknown tier ${JSON.stringify(tier)} (expected ${HINT_TIERS.join(' or ')})`);
    return tier as HintTier;
  }

  /** An (arch, syscall) pair of the policy's arches that names a real syscall. */
  archSyscall(item: Record<string, Json>, at: string, arches: readonly ArchName[]): { arch: ArchName; syscall: string } {
    const arch = this.arch(item.arch, `${at}/arch`);
    if (!arches.includes(arch)) this.fail(`${at}/arch`, `${arch} is not one of the policy's arches (${arches.join(', ')})`);
    const syscall = this.string(item.syscall, `${at}/syscall`);
    if (parseSyscallName(arch, syscall) === undefined) this.fail(`${at}/syscall`, `${arch} has no syscall ${JSON.stringify(syscall)}`);
    return { arch, syscall };
  }

  hints(value: Json, at: string, arches: readonly ArchName[]): StaticHints {
    const h = this.object(value, at);
    this.keys(h, at, ['candidates', 'anySyscall', 'unknown']);
    return {
      candidates: this.array(h.candidates, `${at}/candidates`).map((v, i): Candidate => {
        const c = this.object(v, `${at}/candidates/${i}`);
        this.keys(c, `${at}/candidates/${i}`, ['arch', 'syscall', 'tier', 'imports', 'evidence']);
        return {
          ...this.archSyscall(c, `${at}/candidates/${i}`, arches),
          tier: this.tier(c.tier, `${at}/candidates/${i}/tier`),
          imports: this.natural(c.imports, `${at}/candidates/${i}/imports`),
          evidence: this.strings(c.evidence, `${at}/candidates/${i}/evidence`),
        };
      }),
      anySyscall: this.strings(h.anySyscall, `${at}/anySyscall`),
      unknown: this.strings(h.unknown, `${at}/unknown`),
    };
  }

  heldOut(value: Json, at: string, arches: readonly ArchName[]): HeldOut {
    const h = this.object(value, at);
    this.keys(h, at, ['sources', 'syscalls', 'misses']);
    return {
      sources: this.strings(h.sources, `${at}/sources`),
      syscalls: this.natural(h.syscalls, `${at}/syscalls`),
      misses: this.array(h.misses, `${at}/misses`).map((v, i): HeldOutMiss => {
        const m = this.object(v, `${at}/misses/${i}`);
        this.keys(m, `${at}/misses/${i}`, ['arch', 'syscall', 'calls', 'from']);
        return {
          ...this.archSyscall(m, `${at}/misses/${i}`, arches),
          calls: this.natural(m.calls, `${at}/misses/${i}/calls`),
          from: this.strings(m.from, `${at}/misses/${i}/from`),
        };
      }),
    };
  }

  rule(value: Json, at: string, runCount: number | undefined): PolicyRule {
    const r = this.object(value, at);
    this.keys(r, at, ['syscall', 'arches', 'action', 'args', 'priority', 'provenance', 'observed', 'reason']);
    const syscall = this.string(r.syscall, `${at}/syscall`);
    const arches =
      r.arches === undefined ? undefined : this.array(r.arches, `${at}/arches`).map((a, i) => this.arch(a, `${at}/arches/${i}`));
    if (arches?.length === 0) this.fail(`${at}/arches`, 'an empty arch list matches nothing (leave the field out for every arch)');
    const args = r.args === undefined ? undefined : this.array(r.args, `${at}/args`).map((c, i) => this.condition(c, `${at}/args/${i}`));
    if (args && args.length > 6) this.fail(`${at}/args`, 'a syscall has at most 6 arguments');
    args?.forEach((c, i) => {
      const first = args.findIndex((d) => d.index === c.index);
      if (first !== i)
        this.fail(
          `${at}/args/${i}/index`,
          `argument ${c.index} is already compared in ${at}/args/${first}; libseccomp compares each argument once per rule (use two rules for an OR)`,
        );
    });
    let observed: Observed | undefined;
    if (r.observed !== undefined) {
      const o = this.object(r.observed, `${at}/observed`);
      this.keys(o, `${at}/observed`, ['calls', 'runs']);
      const runs = this.array(o.runs, `${at}/observed/runs`).map((n, i) =>
        this.natural(n, `${at}/observed/runs/${i}`, runCount === undefined ? undefined : runCount - 1),
      );
      observed = { calls: this.natural(o.calls, `${at}/observed/calls`), runs };
    }
    return {
      syscall,
      ...(arches ? { arches } : {}),
      action: this.action(r.action, `${at}/action`),
      ...(args?.length ? { args } : {}),
      ...(r.priority !== undefined ? { priority: this.natural(r.priority, `${at}/priority`, MAX_PRIORITY) as Priority } : {}),
      provenance: this.provenance(r.provenance, `${at}/provenance`),
      ...(observed ? { observed } : {}),
      ...(r.reason !== undefined ? { reason: this.string(r.reason, `${at}/reason`) } : {}),
    };
  }
}

/** Check parsed JSON against policy v1 (structure, then meaning) and return it typed. */
export function checkPolicy(data: Json, file: string): Policy {
  const c = new PolicyReader(file);
  const root = c.object(data, '');
  if (root.format !== POLICY_FORMAT) {
    const hint = root.format === 'sbx-profile' ? ' (this is a profile: make a policy with sbx propose)' : '';
    c.fail('/format', `not an sbx policy (expected format "${POLICY_FORMAT}", got ${JSON.stringify(root.format)})${hint}`);
  }
  if (root.version !== POLICY_VERSION)
    c.fail('/version', `unsupported policy version ${JSON.stringify(root.version)} (this sbx reads version ${POLICY_VERSION})`);
  c.keys(root, '', ['format', 'version', 'arches', 'defaultAction', 'generator', 'runs', 'rules', 'review', 'hints', 'heldOut']);
  const arches = c.array(root.arches, '/arches').map((a, i) => c.arch(a, `/arches/${i}`));
  if (arches.length === 0) c.fail('/arches', 'a policy needs at least one arch');
  arches.forEach((a, i) => {
    if (arches.indexOf(a) !== i) c.fail(`/arches/${i}`, `${a} is listed twice`);
  });
  const runs =
    root.runs === undefined
      ? undefined
      : c.array(root.runs, '/runs').map((r, i) => {
          const run = c.object(r, `/runs/${i}`);
          c.keys(run, `/runs/${i}`, ['command', 'calls']);
          return {
            command: c.strings(run.command, `/runs/${i}/command`),
            calls: c.natural(run.calls, `/runs/${i}/calls`),
          };
        });
  const review =
    root.review === undefined
      ? undefined
      : c.array(root.review, '/review').map((v, i): ReviewItem => {
          const item = c.object(v, `/review/${i}`);
          c.keys(item, `/review/${i}`, ['kind', 'severity', 'syscall', 'message']);
          const severity = c.string(item.severity, `/review/${i}/severity`);
          if (!['info', 'warning', 'danger'].includes(severity)) c.fail(`/review/${i}/severity`, 'expected info, warning or danger');
          return {
            kind: c.string(item.kind, `/review/${i}/kind`),
            severity: severity as ReviewSeverity,
            ...(item.syscall !== undefined ? { syscall: c.string(item.syscall, `/review/${i}/syscall`) } : {}),
            message: c.string(item.message, `/review/${i}/message`),
          };
        });
  let generator: PolicyDraft['generator'];
  if (root.generator !== undefined) {
    const g = c.object(root.generator, '/generator');
    generator = { strategy: c.string(g.strategy, '/generator/strategy'), options: c.object(g.options ?? {}, '/generator/options') };
  }
  const draft: PolicyDraft = {
    arches,
    defaultAction: c.action(root.defaultAction, '/defaultAction'),
    rules: c.array(root.rules, '/rules').map((r, i) => c.rule(r, `/rules/${i}`, runs?.length)),
    ...(runs ? { runs } : {}),
    ...(review ? { review } : {}),
    ...(generator ? { generator } : {}),
    ...(root.hints !== undefined ? { hints: c.hints(root.hints, '/hints', arches) } : {}),
    ...(root.heldOut !== undefined ? { heldOut: c.heldOut(root.heldOut, '/heldOut', arches) } : {}),
  };
  checkMeaning(draft, c);
  return draft as Policy;
}

/** A rule resolved on one arch. */
export interface RuleOnArch {
  readonly arch: ArchName;
  readonly nr: SyscallNr;
  readonly index: number;
  readonly rule: PolicyRule;
}

/** The arches a rule applies to, with the syscall's number on each (arches without it left out). */
export function ruleArches(policy: PolicyDraft, rule: PolicyRule): { arch: ArchName; nr: SyscallNr }[] {
  const out: { arch: ArchName; nr: SyscallNr }[] = [];
  for (const arch of rule.arches ?? policy.arches) {
    const nr = parseSyscallName(arch, rule.syscall);
    if (nr !== undefined) out.push({ arch, nr });
  }
  return out;
}

/** Edit distance counting a swap of neighbours as one edit ("raed" is one from "read"). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  return d[a.length]![b.length]!;
}

/** The known names nearest to `name` (two edits at most), for "did you mean". */
function nearNames(name: string, arches: readonly ArchName[]): string[] {
  const names = [...new Set(arches.flatMap((a) => syscallTable(a).map((e) => e.name)))];
  const scored = names.map((n) => [n, editDistance(name, n)] as const).filter(([, d]) => d <= 2);
  const best = Math.min(...scored.map(([, d]) => d));
  return scored
    .filter(([, d]) => d === best)
    .map(([n]) => n)
    .sort()
    .slice(0, 3);
}

/** Meaning checks: names resolve, rule arches are the policy's, and no two rules disagree. */
function checkMeaning(policy: PolicyDraft, c: PolicyReader): void {
  const byCall = new Map<CallKey, RuleOnArch[]>();
  policy.rules.forEach((rule, index) => {
    const at = `/rules/${index}`;
    rule.arches?.forEach((a, i) => {
      if (!policy.arches.includes(a)) c.fail(`${at}/arches/${i}`, `${a} is not one of the policy's arches (${policy.arches.join(', ')})`);
    });
    const resolved = ruleArches(policy, rule);
    if (rule.arches) {
      const missing = rule.arches.find((a) => !resolved.some((r) => r.arch === a));
      if (missing) c.fail(`${at}/syscall`, `${missing} has no syscall ${JSON.stringify(rule.syscall)}`);
    } else if (resolved.length === 0) {
      const near = nearNames(rule.syscall, policy.arches);
      c.fail(
        `${at}/syscall`,
        `unknown syscall ${JSON.stringify(rule.syscall)} on ${policy.arches.join(', ')}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`,
      );
    }
    if (sameAction(rule.action, policy.defaultAction))
      c.fail(
        `${at}/action`,
        `${formatAction(rule.action)} is the default action: the rule changes nothing (libseccomp refuses such rules)`,
      );
    for (const { arch, nr } of resolved) {
      const key = callKey(arch, nr);
      const others = byCall.get(key) ?? [];
      for (const other of others) checkPair(other, { arch, nr, index, rule }, c);
      byCall.set(key, [...others, { arch, nr, index, rule }]);
    }
  });
}

/** Two rules for the same call on the same arch must agree (one action and priority per syscall). */
function checkPair(first: RuleOnArch, second: RuleOnArch, c: PolicyReader): void {
  const a = first.rule;
  const b = second.rule;
  const at = `/rules/${second.index}`;
  const other = `/rules/${first.index}`;
  const call = `${b.syscall} on ${second.arch}`;
  const aAll = !a.args?.length;
  const bAll = !b.args?.length;
  if (aAll && bAll) {
    const what = sameAction(a.action, b.action)
      ? `repeats ${other}`
      : `conflicts with ${other} (${formatAction(a.action)} vs ${formatAction(b.action)})`;
    c.fail(at, `${what}: both decide every call to ${call}`);
  }
  if (aAll || bAll)
    c.fail(
      at,
      `conflicts with ${other}: one decides every call to ${call}, the other only some (put the conditions on every rule for ${b.syscall}, or drop them)`,
    );
  if (conditionsKey(a.args!) === conditionsKey(b.args!)) {
    const what = sameAction(a.action, b.action)
      ? `repeats ${other}`
      : `conflicts with ${other} (${formatAction(a.action)} vs ${formatAction(b.action)})`;
    c.fail(at, `${what}: same conditions for ${call}`);
  }
  if (!sameAction(a.action, b.action))
    c.fail(
      `${at}/action`,
      `conflicts with ${other}: rules for ${call} say ${formatAction(a.action)} and ${formatAction(b.action)}; sbx keeps one action per syscall so every backend agrees`,
    );
  if (a.priority !== b.priority)
    c.fail(
      `${at}/priority`,
      `conflicts with ${other}: ${call} has priority ${a.priority ?? 'none'} there and ${b.priority ?? 'none'} here (priority is per syscall)`,
    );
}

/** Read and check a policy file; every failure is a one-line UserError. */
export function readPolicy(file: string): Policy {
  return checkPolicy(readJsonFile(file), file);
}

/**
 * A draft made in code becomes a Policy the same way a file does: serialized, then checked,
 * so a bug in a generator shows up as the same error a hand edit would get.
 */
export function makePolicy(draft: PolicyDraft, label = '<generated policy>'): Policy {
  return checkPolicy(JSON.parse(JSON.stringify(policyToJson(draft))), label);
}

// ---- reading a policy ----

/** Everything the policy says about one syscall on one arch. */
export interface SyscallDecision {
  readonly arch: ArchName;
  readonly nr: SyscallNr;
  readonly name: string;
  readonly action: Action;
  readonly priority?: Priority;
  /** Empty: every call. Otherwise the action applies when any one set holds (each set is an AND). */
  readonly when: readonly (readonly ArgCondition[])[];
  readonly rules: readonly RuleOnArch[];
}

const decisionCache = new WeakMap<Policy, SyscallDecision[]>();

/**
 * The policy per (arch, syscall): one entry per call the rules mention, in a stable order
 * (arch as listed in the policy, then priority high to low, then number). Emitters walk this.
 */
export function policyDecisions(policy: Policy): SyscallDecision[] {
  const cached = decisionCache.get(policy);
  if (cached) return cached;
  const byCall = new Map<CallKey, RuleOnArch[]>();
  policy.rules.forEach((rule, index) => {
    for (const { arch, nr } of ruleArches(policy, rule)) {
      const key = callKey(arch, nr);
      byCall.set(key, [...(byCall.get(key) ?? []), { arch, nr, index, rule }]);
    }
  });
  const out = [...byCall.values()].map((rules): SyscallDecision => {
    const { arch, nr, rule } = rules[0]!;
    return {
      arch,
      nr,
      name: rule.syscall,
      action: rule.action,
      ...(rule.priority !== undefined ? { priority: rule.priority } : {}),
      when: rules.every((r) => r.rule.args?.length) ? rules.map((r) => r.rule.args!) : [],
      rules,
    };
  });
  const archOrder = (a: ArchName) => policy.arches.indexOf(a);
  out.sort((a, b) => archOrder(a.arch) - archOrder(b.arch) || (b.priority ?? -1) - (a.priority ?? -1) || a.nr - b.nr);
  decisionCache.set(policy, out);
  return out;
}

/** Calls the profiles saw for one decision (all its rules together). */
export function decisionCalls(d: SyscallDecision): number {
  return d.rules.reduce((n, r) => n + (r.rule.observed?.calls ?? 0), 0);
}

/**
 * The reference semantics: what the policy does with one call. Arches outside the policy
 * are killed (libseccomp's default for a foreign arch). Backends are tested against this.
 */
export function decide(policy: Policy, arch: ArchName, nr: number, args: readonly bigint[] = []): Action {
  if (!policy.arches.includes(arch)) return { kind: 'kill-process' };
  for (const d of policyDecisions(policy)) {
    if (d.arch !== arch || d.nr !== nr) continue;
    if (d.when.length === 0 || d.when.some((set) => set.every((c) => conditionHolds(c, args)))) return d.action;
  }
  return policy.defaultAction;
}
