/**
 * The dispatch planner against exhaustive search. Costs are Σ weight × comparisons, which the
 * layouts test in test/bpf-compile.test.ts shows is what the emulator counts.
 */
import { describe, expect, it } from 'vitest';
import {
  dispatchCost,
  mergeAdjacentSegments,
  NR_SPACE,
  planLinear,
  planPeelsThenSplits,
  planSplits,
  planTree,
  segmentsOf,
  treePeelLimit,
  walkDispatch,
  type Dispatch,
  type Segment,
} from '../src/policy/compile/compile-plan.js';
import { mulberry32 } from './bpf-live-helpers.js';

/**
 * The optimum over every tree of `JGE` splits at segment bounds and `JEQ` peels of one-number
 * segments, in any order: memoized over (interval, set of peeled segments). Exponential in
 * the peelable segments, so small inputs only.
 */
function exhaustiveOptimum(segs: readonly Segment[], peels = true): number {
  const memo = new Map<string, number>();
  const solve = (i: number, j: number, removed: number): number => {
    const key = `${i},${j},${removed}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let weight = 0;
    const leaves = new Set<string>();
    let last: string | undefined;
    let runs = 0;
    for (let m = i; m <= j; m++) {
      if (removed & (1 << m)) continue;
      weight += segs[m]!.weight;
      leaves.add(segs[m]!.leaf);
      if (segs[m]!.leaf !== last) runs++;
      last = segs[m]!.leaf;
    }
    let best = Infinity;
    if (runs <= 1) best = 0;
    else {
      if (peels) {
        for (let m = i; m <= j; m++) {
          if (!(removed & (1 << m)) && segs[m]!.hi - segs[m]!.lo === 1) best = Math.min(best, weight + solve(i, j, removed | (1 << m)));
        }
      }
      for (let k = i + 1; k <= j; k++) {
        let left = false;
        let right = false;
        for (let m = i; m <= j; m++) if (!(removed & (1 << m))) m < k ? (left = true) : (right = true);
        if (left && right) best = Math.min(best, weight + solve(i, k - 1, removed) + solve(k, j, removed));
      }
    }
    memo.set(key, best);
    return best;
  };
  return solve(0, segs.length - 1, 0);
}

/** Random small segment lists: runs of 1..3 numbers, two to four leaves, some weights 0. */
function randomSegments(rand: () => number, maxSegments: number): Segment[] {
  const n = 2 + Math.floor(rand() * (maxSegments - 1));
  const raw: Segment[] = [];
  let lo = 0;
  for (let i = 0; i < n; i++) {
    const len = rand() < 0.6 ? 1 : 1 + Math.floor(rand() * 3);
    const leaf = 'ABCD'[Math.floor(rand() * (rand() < 0.5 ? 2 : 4))]!;
    raw.push({ lo, hi: lo + len, leaf, weight: rand() < 0.3 ? 0 : Math.floor(rand() * 20) });
    lo += len;
  }
  raw.push({ lo, hi: NR_SPACE, leaf: raw[raw.length - 1]!.leaf === 'A' ? 'B' : 'A', weight: 0 });
  return mergeAdjacentSegments(raw);
}

/** Every number of the segments reaches its own leaf. */
function expectCorrect(plan: Dispatch, segs: readonly Segment[]): void {
  for (const s of segs) for (const nr of [s.lo, s.hi - 1]) expect(walkDispatch(plan, nr).leaf, `nr ${nr}`).toBe(s.leaf);
}

const INPUTS = Array.from({ length: 1500 }, (_, i) => randomSegments(mulberry32(i + 1), 10));

describe('planSplits: Knuth-speedup DP = exhaustive optimum over split-only trees', () => {
  it('on 1500 random inputs', () => {
    for (const segs of INPUTS) {
      const plan = planSplits(segs);
      expectCorrect(plan, segs);
      expect(dispatchCost(plan, segs), JSON.stringify(segs)).toBe(exhaustiveOptimum(segs, false));
    }
  });
});

describe('planTree against the exhaustive optimum over all JEQ/JGE trees', () => {
  it('routes every number to its leaf and is never worse than splits only, peel-then-split, or a linear chain', () => {
    for (const segs of INPUTS) {
      const tree = planTree(segs, Infinity);
      expectCorrect(tree, segs);
      const cost = dispatchCost(tree, segs);
      expect(cost).toBeLessThanOrEqual(dispatchCost(planSplits(segs), segs));
      expect(cost).toBeLessThanOrEqual(dispatchCost(planPeelsThenSplits(segs), segs));
      const numbers = new Map(segs.filter((s) => s.hi - s.lo === 1 && s.leaf !== 'A').map((s) => [s.lo, s]));
      const rest = segs.filter((s) => !numbers.has(s.lo));
      expect(cost).toBeLessThanOrEqual(dispatchCost(planLinear(numbers, 'A', rest), segs));
    }
  });

  it('is optimal on nearly all small inputs and close on the rest (pinned: 1500 seeded inputs)', () => {
    let exact = 0;
    let worst = 1;
    let total = 0;
    let optimum = 0;
    for (const segs of INPUTS) {
      const got = dispatchCost(planTree(segs, Infinity), segs);
      const best = exhaustiveOptimum(segs);
      expect(got).toBeGreaterThanOrEqual(best);
      if (got === best) exact++;
      else worst = Math.max(worst, got / best);
      total += got;
      optimum += best;
    }
    // Measured: 1493 of 1500 exact, worst 1.08x, 0.04% over in total. The misses are inputs
    // where the best order of peels changes between subtrees (see PEEL_ORDERS).
    expect(exact).toBeGreaterThanOrEqual(1490);
    expect(worst).toBeLessThan(1.1);
    expect(total / optimum).toBeLessThan(1.001);
  });

  it('known optima', () => {
    const seg = (lo: number, hi: number, leaf: string, weight: number): Segment => ({ lo, hi, leaf, weight });
    const rows: { name: string; segs: Segment[]; cost: number }[] = [
      // [D][a][D]: one JEQ for every call.
      { name: 'a peel joins its neighbours', segs: [seg(0, 5, 'D', 4), seg(5, 6, 'A', 1), seg(6, NR_SPACE, 'D', 5)], cost: 10 },
      // A hot number in the middle of a range tree is peeled first.
      {
        name: 'hot number peeled at the root',
        segs: [seg(0, 10, 'A', 1), seg(10, 11, 'B', 100), seg(11, 20, 'C', 1), seg(20, NR_SPACE, 'D', 1)],
        cost: 103 + 5, // then [A][C][D]: 3 + 2
      },
      { name: 'one leaf costs nothing', segs: [seg(0, NR_SPACE, 'A', 7)], cost: 0 },
    ];
    for (const { name, segs, cost } of rows) {
      expect(dispatchCost(planTree(segs, Infinity), segs), name).toBe(cost);
      expect(exhaustiveOptimum(segs), name).toBe(cost);
    }
  });
});

describe('budget', () => {
  it('fewer peels per interval as segments grow, none (peel-then-split) for large policies', () => {
    expect(treePeelLimit(10, 5)).toBe(5);
    expect(treePeelLimit(100, 60)).toBeGreaterThanOrEqual(8);
    expect(treePeelLimit(400, 200)).toBe(0);
  });

  it('proposal-shaped inputs at the default budget: never worse than peel-then-split', () => {
    // Shaped like the cache-aware layout of proposals: allowed numbers (weighed as calls the
    // action cache decides: light) and some errno rules (calls that run the filter: heavy)
    // among the default's gaps, call counts skewed, a quarter never called. Rows of 150-250
    // syscalls leave H <= 4 peels per interval: on 4 of these 24 the DP alone was worse, up to
    // 1.16x (before planTree kept the cheaper). Of the rows of 5-75, 10 leave H large enough
    // for the chain, which planTree then does not plan (the DP weighed it), and 14 do not.
    const rand = mulberry32(2026);
    for (let row = 0; row < 48; row++) {
      const large = row < 24;
      const numbers = new Map<number, { leaf: string; weight: number }>();
      const count = large ? 150 + Math.floor(rand() * 100) : 5 + Math.floor(rand() * 70);
      while (numbers.size < count) {
        const errno = rand() < 0.1;
        const calls = rand() < 0.25 ? 0 : Math.floor(rand() ** 3 * 50000);
        numbers.set(Math.floor(rand() * 460), { leaf: errno ? 'E' : 'A', weight: errno ? calls * 1e9 : calls });
      }
      const segs = segmentsOf(numbers, 'K');
      const peelable = segs.filter((s) => s.hi - s.lo === 1).length;
      if (large) expect(treePeelLimit(segs.length, peelable), `row ${row}`).toBeLessThanOrEqual(4);
      const plan = planTree(segs);
      expectCorrect(plan, segs);
      expect(dispatchCost(plan, segs), `row ${row}`).toBeLessThanOrEqual(dispatchCost(planPeelsThenSplits(segs), segs));
    }
  });

  it('a large input plans within the budget and no worse than splits only', () => {
    const rand = mulberry32(99);
    const raw: Segment[] = [];
    let lo = 0;
    for (let i = 0; i < 400; i++) {
      const len = rand() < 0.7 ? 1 : 2;
      raw.push({ lo, hi: lo + len, leaf: i % 2 ? 'D' : `L${i % 5}`, weight: i % 2 ? 0 : Math.floor(10000 * rand() ** 6) });
      lo += len;
    }
    raw.push({ lo, hi: NR_SPACE, leaf: 'K', weight: 0 });
    const segs = mergeAdjacentSegments(raw);
    const start = performance.now();
    const plan = planTree(segs);
    expect(performance.now() - start).toBeLessThan(5000);
    expectCorrect(plan, segs);
    expect(dispatchCost(plan, segs)).toBeLessThanOrEqual(dispatchCost(planSplits(segs), segs));
  });
});

describe('segments', () => {
  it('segmentsOf: numbers over ranges over the fallback, equal neighbours merged, weights summed', () => {
    const numbers = new Map([
      [3, { leaf: 'A', weight: 2 }],
      [4, { leaf: 'A', weight: 5 }],
      [10, { leaf: 'K', weight: 1 }],
    ]);
    const segs = segmentsOf(numbers, 'D', [{ lo: 8, hi: 12, leaf: 'K', weight: 0 }]);
    expect(segs).toEqual([
      { lo: 0, hi: 3, leaf: 'D', weight: 0 },
      { lo: 3, hi: 5, leaf: 'A', weight: 7 },
      { lo: 5, hi: 8, leaf: 'D', weight: 0 },
      { lo: 8, hi: 12, leaf: 'K', weight: 1 },
      { lo: 12, hi: NR_SPACE, leaf: 'D', weight: 0 },
    ]);
  });
});
