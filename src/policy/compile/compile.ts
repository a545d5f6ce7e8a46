/**
 * The policy compiler: a checked `Policy` (policy.ts) becomes a `Program` the kernel accepts,
 * deciding every call exactly as `decide()` does.
 *
 * Shape of every filter, whatever the layout:
 *  1. `ld arch`, then one `JEQ` per audit arch of the policy (most called first); any other
 *     arch is KILL_PROCESS. x86_64 and x32 share AUDIT_ARCH_X86_64: their section tells them
 *     apart by the x32 bit of the number, and numbers of an ABI the policy does not list
 *     (x32 numbers in an x86_64-only policy) are KILL_PROCESS too.
 *  2. per arch, `ld nr` and a dispatch on the number alone (compile-plan.ts), by layout;
 *  3. only then, for syscalls with argument rules, a block that loads arguments
 *     (compile-args.ts), shared by all syscalls with the same rules and action;
 *  4. shared RETs, one per distinct return value (builder.ts `returnLabel`);
 *  5. the program passes (passes-bpf.ts), e.g. dropping a reload of the argument word the
 *     previous comparison already loaded.
 * Because no argument is loaded before the dispatch on nr, every syscall the policy allows
 * whatever the arguments stays decidable by the kernel's action cache; `compilePolicy`
 * checks that with the port of the kernel's own test (action-cache.ts) before returning.
 */
import { UserError } from '../../io.js';
import {
  archDef,
  archOfSyscall,
  callKey,
  groupByAuditArch,
  X32_SYSCALL_BIT,
  type ArchName,
  type AuditArch,
  type CallKey,
} from '../../linux/arch.js';
import { syscallTable } from '../../linux/syscalls.js';
import { ACTION_OPS, conditionsKey, formatAction, policyDecisions, type Action, type Policy } from '../policy.js';
import type { Profile } from '../../profile/types.js';
import { isConstAllow } from '../../bpf/action-cache.js';
import { NEXT, ProgramBuilder, type Target } from '../../bpf/builder.js';
import { renderCondition } from './compile-args.js';
import { NR_SPACE, planLinear, planPeelsThenSplits, planTree, segmentsOf, type Dispatch, type Segment } from './compile-plan.js';
import { actionRet } from '../../bpf/emulator.js';
import { optimizeProgram } from '../../bpf/passes.js';
import { simplifyConditionSets, type ConditionSets } from './rule-passes.js';
import {
  BPF_MAXINSNS,
  BpfError,
  DATA_ARCH,
  DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_KILL_PROCESS,
  type Program,
  type SeccompRet,
} from '../../bpf/program.js';
import { callMix, kernelCacheCovers, policyCallMix, type CallMix } from './stats.js';

/**
 * How the dispatch on the syscall number is laid out.
 *
 * - `linear`: one `JEQ` per syscall with a rule, most called first (libseccomp's priority
 *   order), then the default. Wins when a few syscalls are nearly all the calls and the
 *   policy is short; every call to the default pays for the whole chain.
 * - `tree`: a search tree over ranges of numbers (adjacent numbers with one outcome merged)
 *   that minimizes the expected instructions per call under the profile's distribution, hot
 *   calls peeled off by `JEQ` near the root. Wins on kernels without the action cache
 *   (< 5.11), or when most calls need the filter to run anyway.
 * - `cache-aware` (default): the same tree, but costed only on the calls the kernel's action
 *   cache cannot decide: argument rules, errno/trap/trace/log/kill actions, x32. Calls plainly
 *   allowed on the native or compat arch cost nothing once the filter is attached, so they
 *   are laid out last (their frequencies only break ties). Wins on Linux >= 5.11.
 */
export type Layout = 'linear' | 'tree' | 'cache-aware';

/** Every layout, in the order reports list them. */
export const LAYOUTS: readonly Layout[] = ['linear', 'tree', 'cache-aware'];
export const DEFAULT_LAYOUT: Layout = 'cache-aware';

/**
 * How hard the planner searches for the `tree` and `cache-aware` layouts (`linear` has one
 * plan).
 * - `full` (default): `planTree`, the cheapest plan within `TREE_BUDGET` (docs/bpf.md).
 * - `quick`: a `JEQ` chain of at most `QUICK_PEELS` hot numbers, then the optimal split tree
 *   (`planPeelsThenSplits`): 4-8x cheaper to plan in a cold process on the sample policies,
 *   whose filters it makes up to 6% slower per call (none with the action cache under
 *   `cache-aware`). A policy's first `sbx run` starts with it and plans in full while the
 *   program runs (filter-cache.ts).
 */
export type Search = 'full' | 'quick';

/** The longest chain a `quick` plan peels: the hot calls a cache-aware layout weighs are few. */
const QUICK_PEELS = 4;

export interface CompileOptions {
  readonly layout?: Layout;
  /** How often each syscall is called; default: the rules' `observed.calls`. */
  readonly profile?: Profile | CallMix;
  /** Where the policy came from, for error messages (a file name). */
  readonly source?: string;
  readonly search?: Search;
}

/** A policy too large for one filter: says by how much and what would fit. */
export class FilterTooLongError extends UserError {
  constructor(
    readonly layout: Layout,
    /** Instructions the layout needs at least (what was generated, before long-jump trampolines). */
    readonly instructions: number,
    message: string,
  ) {
    super(message);
  }
}

/** The seccomp return value of a policy action. */
export function policyActionRet(action: Action): SeccompRet {
  const kernel = ACTION_OPS[action.kind].kernel;
  if (action.kind === 'errno') return actionRet(kernel, action.errno);
  if (action.kind === 'trace') return actionRet(kernel, action.data);
  return actionRet(kernel);
}

// ---- leaves: what a number leads to ----

/** A return, or a block of argument checks ending in the action or the default. */
type Leaf =
  | { readonly kind: 'ret'; readonly ret: SeccompRet }
  | { readonly kind: 'args'; readonly label: string; readonly action: Action; readonly sets: ConditionSets };

const retLeafId = (ret: number): string => `ret:${(ret >>> 0).toString(16).padStart(8, '0')}`;

/** Everything the emitter needs about one audit arch of the policy. */
interface Section {
  readonly auditArch: AuditArch;
  readonly arches: readonly ArchName[];
  /** Numbers with a rule, and their leaf. */
  readonly rules: ReadonlyMap<number, string>;
  /** The rules' priorities (libseccomp's order hint), where set. */
  readonly priorities: ReadonlyMap<number, number>;
  /** Ranges of numbers of an ABI the policy does not list (KILL_PROCESS). */
  readonly foreign: readonly Segment[];
  /** The leaf of a number: its rule, else its range, else the default. */
  readonly leafAt: (nr: number) => string;
  /** Calls per number (all numbers called, with or without a rule). */
  readonly weights: ReadonlyMap<number, number>;
  /** The ABI a number belongs to in this section. */
  readonly archAt: (nr: number) => ArchName;
}

/** The x32 half of the number space: numbers with X32_SYSCALL_BIT set (archOfSyscall). */
const X32_RANGES: readonly [number, number][] = [
  [X32_SYSCALL_BIT, 2 * X32_SYSCALL_BIT],
  [3 * X32_SYSCALL_BIT, NR_SPACE],
];
const NATIVE_RANGES: readonly [number, number][] = [
  [0, X32_SYSCALL_BIT],
  [2 * X32_SYSCALL_BIT, 3 * X32_SYSCALL_BIT],
];

/** Leaves and per-arch sections of a policy. */
function analyze(policy: Policy, mix: CallMix): { leaves: Map<string, Leaf>; sections: Section[]; defaultLeaf: string } {
  const leaves = new Map<string, Leaf>();
  const retLeaf = (ret: SeccompRet): string => {
    const id = retLeafId(ret);
    if (!leaves.has(id)) leaves.set(id, { kind: 'ret', ret });
    return id;
  };
  const defaultLeaf = retLeaf(policyActionRet(policy.defaultAction));
  const killLeaf = retLeaf(SECCOMP_RET_KILL_PROCESS);
  const ruleLeaf = new Map<CallKey, { arch: ArchName; nr: number; leaf: string; priority?: number }>();
  for (const d of policyDecisions(policy)) {
    let leaf: string;
    if (d.when.length === 0) leaf = retLeaf(policyActionRet(d.action));
    else {
      const sets = simplifyConditionSets(d.when);
      if (sets.length === 0) leaf = defaultLeaf;
      else if (sets.some((s) => s.length === 0)) leaf = retLeaf(policyActionRet(d.action));
      else {
        const id = `args:${formatAction(d.action)}:${sets.map((s) => conditionsKey(s)).join(' || ')}`;
        if (!leaves.has(id)) leaves.set(id, { kind: 'args', label: `args${leaves.size}`, action: d.action, sets });
        leaf = id;
      }
    }
    ruleLeaf.set(callKey(d.arch, d.nr), { arch: d.arch, nr: d.nr, leaf, ...(d.priority !== undefined ? { priority: d.priority } : {}) });
  }

  const sections = [...groupByAuditArch(policy.arches)].map(([audit, arches]): Section => {
    // x86_64 and x32 share AUDIT_ARCH_X86_64; the x32 bit of the number tells them apart.
    const x86 = arches.includes('x86_64') || arches.includes('x32');
    const archAt = (nr: number): ArchName => archOfSyscall(audit, nr)!;
    const foreign: Segment[] = [];
    if (x86 && !arches.includes('x32')) for (const [lo, hi] of X32_RANGES) foreign.push({ lo, hi, leaf: killLeaf, weight: 0 });
    if (x86 && !arches.includes('x86_64')) for (const [lo, hi] of NATIVE_RANGES) foreign.push({ lo, hi, leaf: killLeaf, weight: 0 });
    const rules = new Map<number, string>();
    const priorities = new Map<number, number>();
    for (const r of ruleLeaf.values()) {
      if (!arches.includes(r.arch)) continue;
      rules.set(r.nr, r.leaf);
      if (r.priority !== undefined) priorities.set(r.nr, r.priority);
    }
    const leafAt = (nr: number): string => rules.get(nr) ?? foreign.find((r) => r.lo <= nr && nr < r.hi)?.leaf ?? defaultLeaf;
    // Calls of this audit arch, including those of an ABI the policy kills (x32 in an x86_64 policy).
    const weights = new Map<number, number>();
    for (const c of mix) {
      if (archDef(c.arch).auditArch !== audit) continue;
      const nr = c.nr >>> 0;
      weights.set(nr, (weights.get(nr) ?? 0) + c.count);
    }
    return { auditArch: audit as AuditArch, arches, rules, priorities, foreign, leafAt, weights, archAt };
  });
  return { leaves, sections, defaultLeaf };
}

// ---- planning ----

/** Per-number weights a layout plans with. */
function layoutWeights(section: Section, layout: Layout, leaves: ReadonlyMap<string, Leaf>): Map<number, number> {
  const weights = new Map(section.weights);
  // No frequencies at all: every syscall with a rule weighs the same.
  if ([...weights.values()].every((w) => w === 0)) for (const nr of section.rules.keys()) weights.set(nr, 1);
  if (layout !== 'cache-aware') return weights;
  const allowLeaf = retLeafId(SECCOMP_RET_ALLOW);
  const cached = (nr: number): boolean =>
    leaves.has(allowLeaf) && section.leafAt(nr) === allowLeaf && kernelCacheCovers(section.archAt(nr), nr);
  let cachedTotal = 0;
  let uncachedTotal = 0;
  for (const [nr, w] of weights) {
    if (cached(nr)) cachedTotal += w;
    else uncachedTotal += w;
  }
  if (uncachedTotal === 0) return weights;
  // Lexicographic, in integers: one uncached call weighs more than all cached calls together
  // times the deepest a dispatch can be (one comparison per segment at most), so cached calls
  // only break ties and costs stay exact. Cached counts are scaled down when that would
  // overflow 2^52.
  const maxDepth = 2 * (section.rules.size + weights.size + section.foreign.length) + 1;
  const room = 2 ** 52 / (uncachedTotal * maxDepth * maxDepth);
  const shrink = Math.max(1, Math.ceil(cachedTotal / Math.max(1, Math.floor(room))));
  const scaled = (w: number): number => Math.ceil(w / shrink);
  let cachedScaled = 0;
  for (const [nr, w] of weights) if (cached(nr)) cachedScaled += scaled(w);
  const factor = cachedScaled * maxDepth + 1;
  for (const [nr, w] of weights) weights.set(nr, cached(nr) ? scaled(w) : w * factor);
  return weights;
}

function planSection(section: Section, layout: Layout, search: Search, leaves: ReadonlyMap<string, Leaf>, defaultLeaf: string): Dispatch {
  const weights = layoutWeights(section, layout, leaves);
  if (layout === 'linear') {
    const chain = new Map([...section.rules].map(([nr, leaf]) => [nr, { leaf, weight: weights.get(nr) ?? 0 }]));
    const priority = (nr: number): number => section.priorities.get(nr) ?? -1;
    return planLinear(chain, defaultLeaf, section.foreign, (a, b) => priority(b) - priority(a) || a - b);
  }
  const numbers = new Map<number, { leaf: string; weight: number }>();
  for (const [nr, leaf] of section.rules) numbers.set(nr, { leaf, weight: 0 });
  for (const [nr, w] of weights) numbers.set(nr, { leaf: section.leafAt(nr), weight: w });
  const segments = segmentsOf(numbers, defaultLeaf, section.foreign);
  return search === 'quick' ? planPeelsThenSplits(segments, QUICK_PEELS) : planTree(segments);
}

// ---- emitting ----

/** A builder that counts what it is given, to say how long a refused program was. */
class CountingBuilder extends ProgramBuilder {
  count = 0;
  override stmt(code: number, k = 0): this {
    this.count++;
    return super.stmt(code, k);
  }
  override jump(code: number, k: number, jt: Target, jf: Target): this {
    this.count++;
    return super.jump(code, k, jt, jf);
  }
  override ja(target: string): this {
    this.count++;
    return super.ja(target);
  }
}

interface Emitted {
  readonly builder: CountingBuilder;
  /** Instructions given to the builder for argument blocks. */
  readonly argInstructions: number;
}

/** The dispatch of one audit arch: which arches it serves, the plan, and the calls it sees. */
export interface SectionPlan {
  readonly auditArch: AuditArch;
  readonly arches: readonly ArchName[];
  readonly plan: Dispatch;
  readonly calls: number;
}

/**
 * The dispatch plans `compilePolicy` renders for `layout`, in the order the arch check tests
 * them (most called first). Leaves are ids: `ret:<hex>` for a RET, `args:...` for a block of
 * argument checks.
 */
export function planPolicy(policy: Policy, options: CompileOptions = {}): SectionPlan[] {
  return planSections(policy, options.layout ?? DEFAULT_LAYOUT, options.search ?? 'full', compileMix(policy, options)).plans;
}

function planSections(policy: Policy, layout: Layout, search: Search, mix: CallMix): { plans: SectionPlan[]; leaves: Map<string, Leaf> } {
  const { leaves, sections, defaultLeaf } = analyze(policy, mix);
  const plans = sections
    .map((s, i) => ({
      i,
      auditArch: s.auditArch,
      arches: s.arches,
      plan: planSection(s, layout, search, leaves, defaultLeaf),
      calls: sum(s.weights.values()),
    }))
    .sort((x, y) => y.calls - x.calls || x.i - y.i)
    .map(({ i: _, ...p }) => p);
  return { plans, leaves };
}

/** The calls a compile lays the filter out for: `options.profile`'s, else the rules' observed counts. */
export function compileMix(policy: Policy, options: CompileOptions): CallMix {
  if (options.profile === undefined) return policyCallMix(policy);
  return Array.isArray(options.profile) ? (options.profile as CallMix) : callMix(options.profile as Profile);
}

function emit(policy: Policy, layout: Layout, search: Search, mix: CallMix): Emitted {
  const { plans: order, leaves } = planSections(policy, layout, search, mix);
  const b = new CountingBuilder();
  const defaultRet = policyActionRet(policy.defaultAction);
  const usedBlocks = new Set<string>();
  const target = (leafId: string): Target => {
    const leaf = leaves.get(leafId)!;
    if (leaf.kind === 'ret') return b.returnLabel(leaf.ret);
    usedBlocks.add(leafId);
    return leaf.label;
  };
  let labels = 0;
  const fresh = (): string => `L${labels++}`;

  const renderDispatch = (node: Dispatch): void => {
    switch (node.kind) {
      case 'leaf':
        throw new Error('compile: a leaf is reached by a jump, never rendered');
      case 'eq':
        if (node.else.kind === 'leaf') b.jeq(node.nr, target(node.leaf), target(node.else.leaf));
        else {
          b.jeq(node.nr, target(node.leaf), NEXT);
          renderDispatch(node.else);
        }
        return;
      case 'ge': {
        const { then, else: otherwise } = node;
        const thenLabel = then.kind === 'leaf' ? undefined : fresh();
        b.jge(node.bound, then.kind === 'leaf' ? target(then.leaf) : thenLabel!, otherwise.kind === 'leaf' ? target(otherwise.leaf) : NEXT);
        if (otherwise.kind !== 'leaf') renderDispatch(otherwise);
        if (thenLabel !== undefined) {
          b.label(thenLabel);
          renderDispatch(then);
        }
        return;
      }
      default:
        assertNever(node);
    }
  };

  // 1. arch: most called first.
  b.load(DATA_ARCH);
  order.forEach(({ auditArch, arches, plan }, i) => {
    const onArch = plan.kind === 'leaf' ? target(plan.leaf) : `arch:${arches.join('+')}`;
    b.jeq(auditArch, onArch, i === order.length - 1 ? b.returnLabel(SECCOMP_RET_KILL_PROCESS) : NEXT);
  });
  // 2. dispatch on nr, per arch.
  for (const { arches, plan } of order) {
    if (plan.kind === 'leaf') continue;
    b.label(`arch:${arches.join('+')}`);
    b.load(DATA_NR);
    renderDispatch(plan);
  }
  // 3. argument blocks: each set of conditions ANDs, the sets OR; the last mismatch is the default.
  const before = b.count;
  for (const id of usedBlocks) {
    const leaf = leaves.get(id)!;
    if (leaf.kind !== 'args') continue;
    b.label(leaf.label);
    const onMatch = b.returnLabel(policyActionRet(leaf.action));
    leaf.sets.forEach((set, si) => {
      const last = si === leaf.sets.length - 1;
      const nextSet = last ? b.returnLabel(defaultRet) : `${leaf.label}.${si + 1}`;
      set.forEach((c, ci) => renderCondition(b, c, ci === set.length - 1 ? onMatch : NEXT, nextSet, fresh));
      if (!last) b.label(nextSet);
    });
  }
  return { builder: b, argInstructions: b.count - before };
}

/**
 * Compiles `policy` to a filter that decides every (arch, nr, args) as `decide()` does, laid
 * out by `options.layout` (default `cache-aware`) for the calls of `options.profile`.
 *
 * Throws `FilterTooLongError` (a UserError naming the source and what would fit) when the
 * program is longer than BPF_MAXINSNS, and an Error if the result spoils the action cache for
 * a syscall the policy plainly allows (a compiler bug).
 */
export function compilePolicy(policy: Policy, options: CompileOptions = {}): Program {
  const layout = options.layout ?? DEFAULT_LAYOUT;
  const mix = compileMix(policy, options);
  const search = options.search ?? 'full';
  const emitted = emit(policy, layout, search, mix);
  const built = buildWithin(emitted);
  if (!built) throw tooLong(policy, layout, search, mix, emitted, options.source);
  const program = optimizeProgram(built);
  checkCacheable(policy, program);
  return program;
}

/**
 * The program, or undefined when it is longer than BPF_MAXINSNS. What was emitted is a lower
 * bound (long jumps only add trampolines), so a hopeless program is refused before the
 * builder spends time placing trampolines in it.
 */
function buildWithin(emitted: Emitted): Program | undefined {
  if (emitted.builder.count > BPF_MAXINSNS) return undefined;
  try {
    return emitted.builder.build();
  } catch (err) {
    if (err instanceof BpfError && err.code === 'length') return undefined;
    throw err;
  }
}

function tooLong(
  policy: Policy,
  layout: Layout,
  search: Search,
  mix: CallMix,
  emitted: Emitted,
  source: string | undefined,
): FilterTooLongError {
  const count = emitted.builder.count;
  const fits: string[] = [];
  for (const other of LAYOUTS) {
    if (other === layout) continue;
    const program = buildWithin(emit(policy, other, search, mix));
    if (program) fits.push(`--layout ${other} fits (${program.length} instructions)`);
  }
  const advice = [...fits, `use fewer argument rules (${emitted.argInstructions} instructions check arguments)`].join('; or ');
  const needs = count > BPF_MAXINSNS ? `${count} instructions` : `over ${BPF_MAXINSNS} instructions (${count} and long-jump trampolines)`;
  return new FilterTooLongError(
    layout,
    Math.max(count, BPF_MAXINSNS + 1),
    `${source ?? 'policy'}: the ${layout} filter needs ${needs}, more than the kernel accepts (BPF_MAXINSNS = ${BPF_MAXINSNS}): ${advice}`,
  );
}

/**
 * Every syscall of the policy's arches that the policy allows whatever the arguments must be
 * one the kernel's action cache allows without running the filter (the port of
 * seccomp_is_const_allow says so), or the layout spoiled it.
 */
export function checkCacheable(policy: Policy, program: Program): void {
  const plain = new Map<CallKey, boolean>();
  for (const d of policyDecisions(policy)) plain.set(callKey(d.arch, d.nr), d.action.kind === 'allow' && d.when.length === 0);
  const defaultAllows = policy.defaultAction.kind === 'allow';
  for (const arch of policy.arches) {
    const audit = archDef(arch).auditArch;
    for (const { nr } of syscallTable(arch)) {
      if (!(plain.get(callKey(arch, nr)) ?? defaultAllows)) continue;
      if (!isConstAllow(program, audit, nr))
        throw new Error(`compile: ${arch} syscall ${nr} is allowed by the policy but not cacheable in the filter`);
    }
  }
}

function sum(xs: Iterable<number>): number {
  let n = 0;
  for (const x of xs) n += x;
  return n;
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}
