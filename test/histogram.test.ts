import { describe, expect, it } from 'vitest';
import { BoundedHistogram } from '../src/learn/histogram.js';

describe('BoundedHistogram', () => {
  it('counts exactly, most frequent first, ties in first-seen order', () => {
    const h = new BoundedHistogram<number>(8);
    for (const v of [3, 1, 1, 2, 3, 1, 2, 2, 3, 3, 7]) h.add(v);
    expect(h.entries()).toEqual([
      [3, 4],
      [1, 3],
      [2, 3],
      [7, 1],
    ]);
    expect(h.other).toBe(0);
  });

  it('keeps the first `limit` distinct values and counts later new ones in other', () => {
    const h = new BoundedHistogram<string>(2);
    for (const v of ['a', 'b', 'c', 'a', 'd', 'c', 'b', 'b']) h.add(v);
    expect(h.entries()).toEqual([
      ['b', 3],
      ['a', 2],
    ]);
    expect(h.other).toBe(3);
  });

  it('stays bounded on 10^6 distinct values', () => {
    const h = new BoundedHistogram<number>(64);
    for (let i = 0; i < 1_000_000; i++) h.add(i);
    expect(h.size).toBe(64);
    expect(h.other).toBe(1_000_000 - 64);
  });

  it('adds weights (used when merging)', () => {
    const h = new BoundedHistogram<string>(4);
    h.add('x', 5);
    h.add('x', 2);
    h.add('y');
    expect(h.entries()).toEqual([
      ['x', 7],
      ['y', 1],
    ]);
  });
});
