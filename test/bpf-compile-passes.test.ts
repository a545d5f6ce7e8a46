/** Rule passes, one row per rewrite: {name, passes?, input, want}; no `passes` means all of them. */
import { describe, expect, it } from 'vitest';
import type { ArgCondition, ArgIndex } from '../src/learn/policy.js';
import {
  CONDITION_PASSES,
  dropConditionsThatAlwaysHold,
  dropSetsThatNeverHold,
  dropSubsumedSets,
  runPasses,
  type ConditionSets,
  type Pass,
} from '../src/learn/bpf/passes.js';

const U64 = (1n << 64n) - 1n;
type Op = Exclude<ArgCondition['op'], 'masked-eq'>;
const c = (index: ArgIndex, op: Op, value: bigint): ArgCondition => ({ index, op, value });
const masked = (index: ArgIndex, mask: bigint, value: bigint): ArgCondition => ({ index, op: 'masked-eq', mask, value });

interface Row {
  readonly name: string;
  readonly passes?: readonly Pass<ConditionSets>[];
  readonly input: ConditionSets;
  readonly want: ConditionSets;
}

const rows: Row[] = [
  { name: 'ge 0 always holds', passes: [dropConditionsThatAlwaysHold], input: [[c(0, 'ge', 0n), c(1, 'eq', 1n)]], want: [[c(1, 'eq', 1n)]] },
  { name: 'le 2^64-1 always holds', passes: [dropConditionsThatAlwaysHold], input: [[c(0, 'le', U64)]], want: [[]] },
  { name: 'masked-eq with mask 0 always holds', passes: [dropConditionsThatAlwaysHold], input: [[masked(2, 0n, 0n)]], want: [[]] },
  { name: 'ge 1 is kept', passes: [dropConditionsThatAlwaysHold], input: [[c(0, 'ge', 1n)]], want: [[c(0, 'ge', 1n)]] },
  { name: 'lt 0 never holds', passes: [dropSetsThatNeverHold], input: [[c(0, 'lt', 0n)], [c(1, 'eq', 1n)]], want: [[c(1, 'eq', 1n)]] },
  { name: 'gt 2^64-1 never holds', passes: [dropSetsThatNeverHold], input: [[c(0, 'eq', 3n), c(1, 'gt', U64)]], want: [] },
  { name: 'a set inside another makes it redundant', passes: [dropSubsumedSets], input: [[c(0, 'eq', 1n), c(1, 'eq', 2n)], [c(0, 'eq', 1n)]], want: [[c(0, 'eq', 1n)]] },
  { name: 'labels do not count', passes: [dropSubsumedSets], input: [[c(0, 'eq', 1n)], [{ ...c(0, 'eq', 1n), label: 'x' }]], want: [[c(0, 'eq', 1n)]] },
  { name: 'different sets are kept', passes: [dropSubsumedSets], input: [[c(0, 'eq', 1n)], [c(0, 'eq', 2n)]], want: [[c(0, 'eq', 1n)], [c(0, 'eq', 2n)]] },
  { name: 'all: an always-true set makes the rule unconditional', input: [[c(0, 'ge', 0n)], [c(1, 'eq', 1n)]], want: [[]] },
  { name: 'all: only never-true sets leave nothing', input: [[c(0, 'lt', 0n)], [c(3, 'gt', U64)]], want: [] },
  {
    name: 'restart: a later pass enables an earlier one',
    passes: [dropSubsumedSets, dropConditionsThatAlwaysHold],
    input: [[c(0, 'ge', 0n), c(1, 'eq', 1n)], [c(1, 'eq', 1n), c(2, 'eq', 2n)]],
    want: [[c(1, 'eq', 1n)]],
  },
];

describe('condition passes', () => {
  it.each(rows)('$name', ({ passes, input, want }) => {
    expect(runPasses(passes ?? CONDITION_PASSES, input)).toEqual(want);
  });

  it('each pass says whether it changed anything', () => {
    for (const pass of CONDITION_PASSES) {
      const [out, changed] = pass([[c(0, 'eq', 1n)]]);
      expect(changed).toBe(false);
      expect(out).toEqual([[c(0, 'eq', 1n)]]);
    }
  });

  it('a pass that never settles is an error, not a hang', () => {
    const flip: Pass<number> = (n) => [n + 1, true];
    expect(() => runPasses([flip], 0, 50)).toThrow('runPasses: no fixpoint');
  });
});
