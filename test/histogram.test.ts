import { describe, expect, it } from 'vitest';
import { BoundedHistogram } from '../src/profile/histogram.js';

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

  it('makes room by folding the least frequent kept value into other', () => {
    const h = new BoundedHistogram<string>(2);
    // a a b | c evicts b (1) | d evicts c (1) | d d
    for (const v of ['a', 'a', 'b', 'c', 'd', 'd', 'd']) h.add(v);
    expect(h.entries()).toEqual([
      ['d', 3],
      ['a', 2],
    ]);
    expect(h.other).toBe(2);
  });

  it('lists a value that becomes frequent late, after many one-offs filled the table', () => {
    const h = new BoundedHistogram<string>(4);
    for (let i = 0; i < 100; i++) h.add(`one-off-${i}`);
    for (let i = 0; i < 10; i++) h.add('hot');
    expect(h.entries()[0]).toEqual(['hot', 10]);
    expect(h.entries().reduce((n, [, c]) => n + c, 0) + h.other).toBe(110);
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
