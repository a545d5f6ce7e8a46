/**
 * Planning the syscall-number dispatch of a compiled filter: which comparisons on
 * `seccomp_data.nr` lead each number to its leaf (a RET or an argument block), in which
 * order. Pure data in, a `Dispatch` tree out; compile.ts renders it. Everything here counts
 * instructions the way the emulator does: one per comparison executed.
 *
 * The numbers one arch section handles are a partition of 0..2^32-1 into `Segment`s, each
 * going to one leaf (adjacent numbers with the same leaf merged into one segment, so the gaps
 * between rules are segments of the default leaf). Two tests exist:
 *  - split: `JGE bound` sends [bound, hi) one way and [lo, bound) the other (1 instruction);
 *  - peel:  `JEQ nr` sends a one-number segment to its leaf, everything else on (1 instruction).
 *    Peeling a number can join its neighbours: [default][read][default] minus read is one
 *    default segment, so a peel both serves a hot call early and shortens what follows.
 */

/** Numbers [lo, hi) that all go to `leaf`; hi is at most 2^32. `weight` is how often they are called. */
export interface Segment {
  readonly lo: number;
  readonly hi: number;
  readonly leaf: string;
  readonly weight: number;
}

/** The number space one arch section dispatches: [0, 2^32). */
export const NR_SPACE = 2 ** 32;

/** A dispatch plan: where each syscall number goes, as a tree of comparisons on nr. */
export type Dispatch =
  | { readonly kind: 'leaf'; readonly leaf: string }
  /** `JEQ nr`: that number goes to `leaf`, every other to `else`. */
  | { readonly kind: 'eq'; readonly nr: number; readonly leaf: string; readonly else: Dispatch }
  /** `JGE bound`: numbers >= bound go to `then`, the others to `else`. */
  | { readonly kind: 'ge'; readonly bound: number; readonly then: Dispatch; readonly else: Dispatch };

/**
 * Merges adjacent segments with the same leaf (weights add) and drops empty ones. Segments
 * must be sorted, contiguous and cover their span.
 */
export function mergeAdjacentSegments(segments: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    if (s.hi <= s.lo) continue;
    const last = out[out.length - 1];
    if (last && last.leaf === s.leaf && last.hi === s.lo) out[out.length - 1] = { ...last, hi: s.hi, weight: last.weight + s.weight };
    else out.push(s);
  }
  return out;
}

/**
 * Segments covering [0, 2^32): each number in `leaves` goes to its leaf, each range in
 * `ranges` (applied first, numbers override) to its leaf, everything else to `fallback`.
 * Adjacent equal leaves are merged.
 */
export function segmentsOf(
  numbers: ReadonlyMap<number, { readonly leaf: string; readonly weight: number }>,
  fallback: string,
  ranges: readonly Segment[] = [],
): Segment[] {
  const points = new Set<number>([0, NR_SPACE]);
  for (const r of ranges) points.add(r.lo).add(r.hi);
  for (const nr of numbers.keys()) points.add(nr).add(nr + 1);
  const cuts = [...points].sort((a, b) => a - b);
  const leafAt = (lo: number): string => numbers.get(lo)?.leaf ?? ranges.find((r) => r.lo <= lo && lo < r.hi)?.leaf ?? fallback;
  const raw: Segment[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const lo = cuts[i]!;
    const hi = cuts[i + 1]!;
    const point = hi - lo === 1 ? numbers.get(lo) : undefined;
    raw.push({ lo, hi, leaf: leafAt(lo), weight: point?.weight ?? 0 });
  }
  return mergeAdjacentSegments(raw);
}

/** Where `nr` goes under `plan`, and how many comparisons it takes to get there. */
export function walkDispatch(plan: Dispatch, nr: number): { leaf: string; comparisons: number } {
  let comparisons = 0;
  let node = plan;
  for (;;) {
    switch (node.kind) {
      case 'leaf':
        return { leaf: node.leaf, comparisons };
      case 'eq':
        comparisons++;
        if (nr === node.nr) return { leaf: node.leaf, comparisons };
        node = node.else;
        break;
      case 'ge':
        comparisons++;
        node = nr >= node.bound ? node.then : node.else;
        break;
      default:
        return assertNever(node);
    }
  }
}

/**
 * Expected comparisons of `plan` over the segments' weights: Σ weight × depth. A segment's
 * numbers all take the same path unless the plan splits inside it; then each piece is walked
 * (only its lowest number is, so plans that split a segment unevenly are costed by that).
 */
export function dispatchCost(plan: Dispatch, segments: readonly Segment[]): number {
  let cost = 0;
  for (const s of segments) if (s.weight) cost += s.weight * walkDispatch(plan, s.lo).comparisons;
  return cost;
}

// ---- linear: a JEQ chain ----

/**
 * libseccomp's priority order: one `JEQ` per listed number, heaviest first (`order` breaks
 * ties), then whatever the chain leaves over (the default, and on x86_64 the x32 numbers) by
 * an optimal split tree. Listed numbers are never merged into ranges, as libseccomp does not.
 */
export function planLinear(
  numbers: ReadonlyMap<number, { readonly leaf: string; readonly weight: number }>,
  fallback: string,
  ranges: readonly Segment[] = [],
  order: (a: number, b: number) => number = (a, b) => a - b,
): Dispatch {
  const rest = segmentsOf(new Map(), fallback, ranges);
  const chain = [...numbers].sort(([a, x], [b, y]) => y.weight - x.weight || order(a, b));
  let plan = planSplits(rest);
  for (let i = chain.length - 1; i >= 0; i--) {
    const [nr, { leaf }] = chain[i]!;
    plan = { kind: 'eq', nr, leaf, else: plan };
  }
  return plan;
}

// ---- tree: optimal splits and peels ----

/**
 * The optimal split-only tree (an optimal alphabetic tree, Knuth's O(n²) interval DP with
 * monotone roots): minimizes Σ weight × depth over trees of `JGE` tests.
 */
export function planSplits(segments: readonly Segment[]): Dispatch {
  return solveSplits(segments).plan();
}

/**
 * `solveSplits`' tables, cost and root of the interval of segments i..j at j(j+1)/2 + i: the
 * index does not depend on n, so one pair serves every call with up to `n` segments.
 */
interface SplitTables {
  readonly cost: Float64Array;
  readonly root: Int32Array;
}

function splitTables(n: number): SplitTables {
  const cells = (n * (n + 1)) / 2;
  return { cost: new Float64Array(cells), root: new Int32Array(cells) };
}

/**
 * `planSplits` with its cost (Σ weight × depth). `plan` reads `tables`: call it before they
 * serve another call.
 */
function solveSplits(segments: readonly Segment[], tables = splitTables(segments.length)): { cost: number; plan: () => Dispatch } {
  const n = segments.length;
  if (n === 0) throw new Error('planSplits: no segments');
  const prefix = new Float64Array(n + 1);
  segments.forEach((s, i) => (prefix[i + 1] = prefix[i]! + s.weight));
  const { cost, root } = tables;
  const cell = (i: number, j: number): number => ((j * (j + 1)) >> 1) + i;
  for (let i = 0; i < n; i++) {
    cost[cell(i, i)] = 0;
    root[cell(i, i)] = i;
  }
  for (let len = 2; len <= n; len++) {
    for (let i = 0; i + len - 1 < n; i++) {
      const j = i + len - 1;
      const from = len === 2 ? i + 1 : Math.max(i + 1, root[cell(i, j - 1)]!);
      const to = len === 2 ? j : Math.min(j, root[cell(i + 1, j)]!);
      let best = Infinity;
      let bestK = from;
      for (let k = from; k <= to; k++) {
        const c = cost[cell(i, k - 1)]! + cost[cell(k, j)]!;
        if (c < best) {
          best = c;
          bestK = k;
        }
      }
      cost[cell(i, j)] = best + prefix[j + 1]! - prefix[i]!;
      root[cell(i, j)] = bestK;
    }
  }
  const build = (i: number, j: number): Dispatch => {
    if (i === j) return { kind: 'leaf', leaf: segments[i]!.leaf };
    const k = root[cell(i, j)]!;
    return { kind: 'ge', bound: segments[k]!.lo, then: build(k, j), else: build(i, k - 1) };
  };
  return { cost: n === 1 ? 0 : cost[cell(0, n - 1)]!, plan: () => build(0, n - 1) };
}

/** The longest chain of peels `planPeelsThenSplits` tries. */
const CHAIN_PEELS = 32;

/** The one-number segments `planPeelsThenSplits` may peel, heaviest first, with their indices. */
function chainPeels(segments: readonly Segment[], maxPeels = CHAIN_PEELS): { s: Segment; i: number }[] {
  return segments
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.hi - s.lo === 1 && s.weight > 0)
    .sort((a, b) => b.s.weight - a.s.weight || a.i - b.i)
    .slice(0, maxPeels);
}

/**
 * For policies too large for `planTree`'s DP: a chain of `JEQ`s for the p heaviest one-number
 * segments, then the optimal split tree (`planSplits`) of what is left, for the best p up to
 * `maxPeels`. O(maxPeels · n²); never worse than `planSplits` (p = 0).
 */
export function planPeelsThenSplits(segments: readonly Segment[], maxPeels = CHAIN_PEELS): Dispatch {
  const hot = chainPeels(segments, maxPeels);
  // Fewer segments remain with each peel: one pair of tables serves every p.
  const tables = splitTables(segments.length);
  const splitsOnly = solveSplits(mergeAdjacentSegments(segments), tables);
  let best = { cost: splitsOnly.cost, peels: 0, rest: splitsOnly.plan() };
  let chainCost = 0;
  let remaining = segments.reduce((n, s) => n + s.weight, 0);
  for (let p = 1; p <= hot.length; p++) {
    chainCost += remaining;
    remaining -= hot[p - 1]!.s.weight;
    const removed = new Set(hot.slice(0, p).map((h) => h.i));
    const rest = solveSplits(mergeAdjacentSegments(segments.filter((_, i) => !removed.has(i))), tables);
    if (chainCost + rest.cost < best.cost) best = { cost: chainCost + rest.cost, peels: p, rest: rest.plan() };
  }
  let plan = best.rest;
  for (let p = best.peels - 1; p >= 0; p--) plan = { kind: 'eq', nr: hot[p]!.s.lo, leaf: hot[p]!.s.leaf, else: plan };
  return plan;
}

/**
 * How much work `planTree` may do: about this many split evaluations (a few nanoseconds
 * each). Within it, every interval may peel up to H numbers; past it H shrinks, down to 0
 * (splits only) for policies with hundreds of segments per arch.
 */
export const TREE_BUDGET = 10_000_000;

/**
 * Orders in which `planTree` may peel one-number segments, as sort keys (higher first). The
 * first is the weight property of optimal two-way comparison trees (Anderson et al. 2002,
 * Chrobak et al. 2015): test the heaviest key first. It does not hold here, because peeling a
 * light number can join its neighbours ([C][a][C] minus a is one segment, which saves a
 * split). So the second counts that gain, the third tries light numbers first (peels that
 * only join neighbours), and the fourth is the linear chain's: every number whose leaf is not
 * the default (the leaf covering most numbers), heaviest first.
 */
const PEEL_ORDERS: readonly ((segments: readonly Segment[], i: number, base: string) => number)[] = [
  (s, i) => s[i]!.weight,
  (s, i) => s[i]!.weight + (s[i - 1] && s[i + 1] && s[i - 1]!.leaf === s[i + 1]!.leaf ? s[i - 1]!.weight + s[i + 1]!.weight : 0),
  (s, i) => -s[i]!.weight,
  (s, i, base) => (s[i]!.leaf === base ? -Infinity : s[i]!.weight),
];

/** The leaf covering most numbers (the default, in a policy): what a linear chain falls through to. */
function baseLeaf(segments: readonly Segment[]): string {
  const span = new Map<string, number>();
  for (const s of segments) span.set(s.leaf, (span.get(s.leaf) ?? 0) + (s.hi - s.lo));
  return [...span].sort((a, b) => b[1] - a[1])[0]![0];
}

/** The most peels per interval `planTree` considers for `n` segments within `budget`. */
export function treePeelLimit(n: number, peelable: number, budget = TREE_BUDGET): number {
  const splitsPerState = (n * n * n) / 6 || 1;
  return Math.max(0, Math.min(peelable, Math.floor((budget / splitsPerState - 1) / PEEL_ORDERS.length)));
}

/**
 * A frequency-weighted search tree over the segments minimizing Σ weight × comparisons, with
 * both tests: `JGE` splits at segment bounds and `JEQ` peels of one-number segments.
 *
 * Interval DP over (first segment i, last segment j, peel order o, h): the state where the
 * first h one-number segments of i..j in order o have been peeled already. Keeping to one
 * order is what keeps the state an interval: the peeled numbers inside a child interval are
 * then the first ones of that child in the same order. An interval with nothing peeled yet
 * may pick any order of `PEEL_ORDERS`. There are O(n² · H · orders) states with O(n) splits
 * each; H (peels per interval) is capped by `treePeelLimit`, and with H = 0 this is
 * `planPeelsThenSplits`.
 *
 * Optimal over that family of trees, and never worse than `planPeelsThenSplits`, whose plan
 * is kept where it is cheaper. Over all trees of JEQ/JGE tests it is not always optimal (the
 * weight property fails when a peel joins neighbours); test/bpf-compile-plan compares it with
 * the exhaustive optimum on small inputs.
 */
export function planTree(segments: readonly Segment[], budget = TREE_BUDGET): Dispatch {
  const n = segments.length;
  if (n === 0) throw new Error('planTree: no segments');
  if (n === 1) return { kind: 'leaf', leaf: segments[0]!.leaf };
  const peelable = segments.map((s) => s.hi - s.lo === 1);
  const peelCount = peelable.filter(Boolean).length;
  const H = treePeelLimit(n, peelCount, budget);
  if (H === 0) return planPeelsThenSplits(segments);
  const O = PEEL_ORDERS.length;
  const base = baseLeaf(segments);
  const ranks = PEEL_ORDERS.map((key) => {
    const order = segments
      .map((_, i) => i)
      .filter((i) => peelable[i])
      .sort((a, b) => key(segments, b, base) - key(segments, a, base) || segments[b]!.weight - segments[a]!.weight || a - b);
    const rank = new Int32Array(n).fill(-1);
    order.forEach((i, r) => (rank[i] = r));
    return rank;
  });
  // Intervals i..j (i <= j) are numbered j(j+1)/2 + i: half the cells of an n × n table, whose
  // untouched pages would still cost a fault each (~10 µs here) when filled.
  const intervals = (n * (n + 1)) / 2;
  const cell = (i: number, j: number): number => ((j * (j + 1)) >> 1) + i;
  // peelAt[(cell(i, j)*O + o)*H + t]: the t-th segment of i..j in order o (or -1).
  const peelAt = new Int32Array(intervals * O * H).fill(-1);
  for (let o = 0; o < O; o++) {
    const rank = ranks[o]!;
    for (let i = 0; i < n; i++) {
      const top: number[] = [];
      for (let j = i; j < n; j++) {
        if (rank[j]! >= 0) {
          let at = top.length;
          while (at > 0 && rank[top[at - 1]!]! > rank[j]!) at--;
          if (at < H) {
            top.splice(at, 0, j);
            if (top.length > H) top.pop();
          }
        }
        const base = (cell(i, j) * O + o) * H;
        for (let t = 0; t < top.length; t++) peelAt[base + t] = top[t]!;
      }
    }
  }
  const prefix = new Float64Array(n + 1);
  segments.forEach((s, i) => (prefix[i + 1] = prefix[i]! + s.weight));
  // An order that ranks every peelable segment as an earlier one does has the same states,
  // so an interval starting its peels never tries it: it could only tie, and ties keep the
  // first. (In an allowlist without one-number gaps the linear chain's is the weight order.)
  const distinct = ranks.map((rank, o) => ranks.slice(0, o).every((other) => other.some((r, i) => r !== rank[i])));

  // States: sub 0 = nothing peeled; o*H + h = first h > 0 of order o peeled.
  const S = 1 + O * H;
  // Costs are never negative: -1 is "not solved yet".
  const cost = new Float64Array(intervals * S).fill(-1);
  /** -1: one leaf; -2 - o: peel the next in order o; k > 0: split before segment k. */
  const choice = new Int32Array(intervals * S);
  const sub = (o: number, h: number): number => (h === 0 ? 0 : o * H + h);
  const peelOf = (i: number, j: number, o: number, t: number): number => peelAt[(cell(i, j) * O + o) * H + t]!;
  const weights = Float64Array.from(segments, (s) => s.weight);

  // The hot loop below runs cold (a compile runs once per process), in V8's interpreter and
  // baseline tiers, where each call costs: cell(), sub() and peelOf() are written out in it.
  const solve = (i: number, j: number, o: number, h: number): number => {
    const ij = ((j * (j + 1)) >> 1) + i;
    const at = ij * S + (h === 0 ? 0 : o * H + h);
    const known = cost[at]!;
    if (known >= 0) return known;
    const rank = ranks[h ? o : 0]!;
    const peels = (ij * O + o) * H;
    const threshold = h ? rank[peelAt[peels + h - 1]!]! : -1;
    let remaining = prefix[j + 1]! - prefix[i]!;
    for (let t = 0; t < h; t++) remaining -= weights[peelAt[peels + t]!]!;
    // One leaf left? Only possible if the removed numbers separate every other pair (len <= 2h + 1).
    if (j - i + 1 <= 2 * h + 1) {
      let leaf: string | undefined;
      let single = true;
      for (let m = i; m <= j && single; m++) {
        const r = rank[m]!;
        if (r >= 0 && r <= threshold) continue;
        if (leaf === undefined) leaf = segments[m]!.leaf;
        else if (segments[m]!.leaf !== leaf) single = false;
      }
      if (single) {
        cost[at] = 0;
        choice[at] = -1;
        return 0;
      }
    }
    let best = Infinity;
    let bestChoice = 0;
    if (h < H) {
      for (let po = h ? o : 0; po < (h ? o + 1 : O); po++) {
        if (peelOf(i, j, po, h) < 0 || !distinct[po]) continue;
        const c = remaining + solve(i, j, po, h + 1);
        if (c < best) {
          best = c;
          bestChoice = -2 - po;
        }
      }
    }
    let removedLeft = 0;
    let leftLive = false;
    const order = o * H;
    const right0 = (j * (j + 1)) >> 1;
    for (let k = i + 1; k <= j; k++) {
      const r = rank[k - 1]!;
      if (r >= 0 && r <= threshold) removedLeft++;
      else leftLive = true;
      if (!leftLive) continue;
      const removedRight = h - removedLeft;
      if (j - k + 1 === removedRight) break; // nothing live on the right
      let left = cost[(((k * (k - 1)) >> 1) + i) * S + (removedLeft === 0 ? 0 : order + removedLeft)]!;
      if (left < 0) left = solve(i, k - 1, o, removedLeft);
      if (remaining + left >= best) continue;
      let right = cost[(right0 + k) * S + (removedRight === 0 ? 0 : order + removedRight)]!;
      if (right < 0) right = solve(k, j, o, removedRight);
      const c = remaining + left + right;
      if (c < best) {
        best = c;
        bestChoice = k;
      }
    }
    cost[at] = best;
    choice[at] = bestChoice;
    return best;
  };

  const build = (i: number, j: number, o: number, h: number): Dispatch => {
    const c = choice[cell(i, j) * S + sub(o, h)]!;
    if (c === -1) {
      for (let m = i; m <= j; m++) {
        const rank = ranks[o]!;
        const removed = h > 0 && rank[m]! >= 0 && rank[m]! <= rank[peelOf(i, j, o, h - 1)]!;
        if (!removed) return { kind: 'leaf', leaf: segments[m]!.leaf };
      }
      throw new Error('planTree: empty interval');
    }
    if (c < -1) {
      const po = -2 - c;
      const seg = segments[peelOf(i, j, po, h)]!;
      return { kind: 'eq', nr: seg.lo, leaf: seg.leaf, else: build(i, j, po, h + 1) };
    }
    let removedLeft = 0;
    if (h) {
      const rank = ranks[o]!;
      const threshold = rank[peelOf(i, j, o, h - 1)]!;
      for (let m = i; m < c; m++) if (rank[m]! >= 0 && rank[m]! <= threshold) removedLeft++;
    }
    return { kind: 'ge', bound: segments[c]!.lo, then: build(c, j, o, h - removedLeft), else: build(i, c - 1, o, removedLeft) };
  };
  const treeCost = solve(0, n - 1, 0, 0);
  const tree = build(0, n - 1, 0, 0);
  // Where H is small (large policies), no interval may peel the long chain of hot numbers
  // `planPeelsThenSplits` puts first, which was up to 1.3x cheaper on cache-aware weights.
  // Where H covers that chain, the DP's order 0 can peel it at the root, so the chain's
  // plan is one the DP weighed (never cheaper on ~870 seeded inputs) and is not planned again.
  if (H >= chainPeels(segments).length) return tree;
  const chain = planPeelsThenSplits(segments);
  return dispatchCost(chain, segments) < treeCost ? chain : tree;
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}
