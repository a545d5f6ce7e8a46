/** Ranking: sum vs per-run normalization, stable ties, priorities 255 downward, the knee. */
import { describe, expect, it } from 'vitest';
import { describeTop, rankSyscalls, rowsToReach } from '../src/profile/rank.js';
import { syntheticProfile } from './golden/synthetic-profile.js';

// Run 0 is long and mostly reads; run 1 is shorter and mostly writes.
const profile = syntheticProfile([
  { name: 'read', perRun: [10_000, 0] },
  { name: 'write', perRun: [100, 1000] },
  { name: 'close', perRun: [50, 10] },
  { name: 'openat', perRun: [50, 0] },
  { name: 'getpid', perRun: [0, 10] },
]);

describe('rankSyscalls', () => {
  it('sum: calls add up, so the long run decides the order', () => {
    expect(rankSyscalls(profile).map((r) => r.name)).toEqual(['read', 'write', 'close', 'openat', 'getpid']);
  });

  it('per-run: each run weighs the same, so the short run lifts write to the top', () => {
    const rows = rankSyscalls(profile, { mode: 'per-run' });
    expect(rows.map((r) => r.name)).toEqual(['write', 'read', 'close', 'getpid', 'openat']);
    expect(rows.reduce((n, r) => n + r.share, 0)).toBeCloseTo(100);
  });

  it('ties keep a stable order (more calls, then syscall number) and share a priority', () => {
    const tied = rankSyscalls(
      syntheticProfile([
        { name: 'write', perRun: [5] },
        { name: 'read', perRun: [5] },
        { name: 'close', perRun: [1] },
      ]),
    );
    expect(tied.map((r) => [r.name, r.priority])).toEqual([
      ['read', 255],
      ['write', 255],
      ['close', 254],
    ]);
  });

  it('priorities go 255 downward and stop at the floor', () => {
    const rows = rankSyscalls(profile, { floor: 253 });
    expect(rows.map((r) => r.priority)).toEqual([255, 254, 253, 253, 253]);
  });

  it('shares, cumulative shares and runs seen', () => {
    const rows = rankSyscalls(profile);
    const total = 10_000 + 1100 + 60 + 50 + 10;
    expect(rows[0]!.share).toBeCloseTo((100 * 10_000) / total);
    expect(rows.at(-1)!.cumulative).toBeCloseTo(100);
    expect(rows.find((r) => r.name === 'openat')!.runsSeen).toBe(1);
  });
});

describe('the knee', () => {
  it.each([
    { percent: 50, want: 1 },
    { percent: 98, want: 2 },
    { percent: 100, want: 5 },
  ])('$percent% of calls takes $want syscalls', ({ percent, want }) => {
    expect(rowsToReach(rankSyscalls(profile), percent)).toBe(want);
  });

  it('says it in words', () => {
    expect(describeTop(rankSyscalls(profile), 95)).toBe('the top 2 of 5 syscalls are 98.9% of calls');
  });
});
