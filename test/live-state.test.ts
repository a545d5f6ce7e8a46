/**
 * The live view of `sbx learn --tui` as pure functions: ticks read synthetic counter arrays
 * (the layout the tracer writes), the top list is ranked, new syscalls are marked for
 * NEW_FOR_MS after they first appear, calls/s is taken over the last second, the prompt
 * appears only after the program exited and takes y/N from the key table, and every screen
 * is exactly as wide and high as its region, down to 80x24.
 */
import { describe, expect, it } from 'vitest';
import { LIVE_KEYS } from '../src/ui/keys.js';
import { liveLines } from '../src/ui/live/format.js';
import { staleViewTop } from '../src/ui/live/run-live.js';
import {
  MIN_ROWS,
  NEW_FOR_MS,
  initialLiveState,
  isNew,
  liveReducer,
  regionHeight,
  type LiveAction,
  type LiveState,
} from '../src/ui/live/state.js';

const NAMES = ['read', 'write', 'openat', 'mmap', 'close', 'futex'];
const nameOf = (slot: number) => NAMES[slot] ?? `nr${slot}`;

function tickAt(now: number, counts: Record<number, number>, processes = 1, threads = 1): LiveAction {
  const array = new Float64Array(64);
  for (const [slot, n] of Object.entries(counts)) array[Number(slot)] = n;
  return { type: 'tick', now, counts: array, processes, threads };
}

const run = (state: LiveState, ...actions: LiveAction[]) => actions.reduce(liveReducer, state);
const start = (width = 100, height = 15) => initialLiveState({ width, height });

describe('live view state', () => {
  it('ranks syscalls by calls and counts the totals', () => {
    const s = run(start(), tickAt(100, { 0: 5, 1: 50, 2: 20 }, 2, 3));
    expect(s.top.map((e) => nameOf(e.slot))).toEqual(['write', 'openat', 'read']);
    expect(s.total).toBe(75);
    expect(s.distinct).toBe(3);
    expect([s.processes, s.threads]).toEqual([2, 3]);
  });

  it('marks a syscall new from the tick it first appears until NEW_FOR_MS later', () => {
    let s = run(start(), tickAt(0, { 0: 1 }), tickAt(1000, { 0: 2, 3: 1 }));
    expect(isNew(s, 3)).toBe(true);
    expect(s.firstSeen.get(3)).toBe(1000);
    s = run(s, tickAt(1000 + NEW_FOR_MS - 1, { 0: 3, 3: 1 }));
    expect(isNew(s, 3)).toBe(true);
    expect(isNew(s, 0)).toBe(false);
    s = run(s, tickAt(1000 + NEW_FOR_MS, { 0: 3, 3: 1 }));
    expect(isNew(s, 3)).toBe(false);
  });

  it('measures calls/s over the last second', () => {
    let s = run(start(), tickAt(0, {}), tickAt(500, { 0: 50 }));
    expect(s.rate).toBe(100);
    s = run(s, tickAt(1000, { 0: 100 }), tickAt(1500, { 0: 400 }));
    // samples inside the window: 500 (50 calls) .. 1500 (400 calls)
    expect(s.rate).toBe(350);
    expect(s.history.every(([t]) => 1500 - t <= 1000)).toBe(true);
  });

  it('asks only after the program exited; y opens review, n/Enter/Esc/q skip, other keys do nothing', () => {
    const tracing = run(start(), tickAt(100, { 0: 1 }));
    expect(liveReducer(tracing, { type: 'key', key: 'y' })).toBe(tracing);
    const asking = run(tracing, { type: 'finished', exit: 'exited 0' });
    expect(asking.phase).toBe('asking');
    expect(liveReducer(asking, { type: 'key', key: 'x' })).toBe(asking);
    expect(run(asking, { type: 'key', key: 'y' })).toMatchObject({ phase: 'done', answer: 'review' });
    for (const key of LIVE_KEYS.find((b) => b.command === 'prompt.skip')!.keys)
      expect(run(asking, { type: 'key', key })).toMatchObject({ phase: 'done', answer: 'skip' });
    // ticks after the end change nothing (the last counts stay on screen)
    expect(liveReducer(asking, tickAt(200, { 0: 9 }))).toBe(asking);
  });

  it('draws header, column line, as many top rows as fit, and the status line; the prompt at the end', () => {
    let s = run(start(100, 8), tickAt(2500, { 0: 10, 1: 40, 2: 20, 3: 5, 4: 2, 5: 1 }, 2, 3));
    let lines = liveLines(s, 'sh -c x', nameOf);
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(/^sbx learn 2\.5s │ 0 calls\/s │ 6 syscalls │ 78 calls │ 2 proc 3 thr │ sh -c x/);
    expect(lines[1]).toMatch(/^ +syscall +calls +share/);
    expect(lines[2]).toMatch(/^\+ write +40 +51\.3% █+ +new *$/);
    expect(lines[5]).toMatch(/^\+ mmap +5 +6\.4% /);
    expect(lines[6]).toMatch(/^\+ close +2 +2\.6% /);
    // while tracing the keyboard is the program's: the count, no promise of scrolling
    expect(lines[7]).toMatch(/^tracing… \+ new syscall \(3 s\) · top 5 of 6 · /);
    s = run(s, tickAt(2500 + NEW_FOR_MS, { 0: 10, 1: 40, 2: 20, 3: 5, 4: 2, 5: 1 }), { type: 'finished', exit: 'exited 3' });
    lines = liveLines(s, 'sh -c x', nameOf);
    expect(lines[2]).toMatch(/^ {2}write +40 +51\.3% █+ *$/);
    expect(lines[7]).toBe('program exited 3 · j/k scroll (1 more below) · open sbx review? [y/N]'.padEnd(100));
    // once the program has exited, j/k scroll the list (and stop at its end)
    const down = run(s, { type: 'key', key: 'j' }, { type: 'key', key: 'j' });
    expect(down.scroll).toBe(1);
    expect(liveLines(down, 'sh -c x', nameOf)[2]).toMatch(/^ {2}sched_yield|^ {2}\S/);
    expect(liveLines(down, 'sh -c x', nameOf)[7]).toMatch(/^program exited 3 · j\/k scroll · open sbx review/);
    expect(run(down, { type: 'key', key: 'k' }).scroll).toBe(0);
    expect(down.phase).toBe('asking');
    // narrow: the question stays whole (the scroll hint goes first, then the question leads)
    expect(liveLines(run(s, { type: 'resize', width: 45, height: 8 }), 'sh -c x', nameOf)[7]).toBe(
      'program exited 3 · open sbx review? [y/N]'.padEnd(45),
    );
    expect(liveLines(run(s, { type: 'resize', width: 30, height: 8 }), 'sh -c x', nameOf)[7]).toBe('open sbx review? [y/N] · prog…');
  });

  it('fits 80x24 and follows a resize; the region leaves the program at least 4 rows', () => {
    const counts: Record<number, number> = {};
    for (let i = 0; i < 60; i++) counts[i] = 1000 - i;
    for (const [w, rows] of [
      [80, 24],
      [100, 30],
      [200, 60],
      [80, MIN_ROWS],
    ] as const) {
      const height = regionHeight(rows);
      expect(rows - height).toBeGreaterThanOrEqual(4);
      const s = run(start(), tickAt(100, counts), { type: 'resize', width: w, height });
      const lines = liveLines(s, 'a very long command line '.repeat(10), nameOf);
      expect(lines).toHaveLength(height);
      for (const line of lines) expect(line.length).toBe(w);
    }
    expect(regionHeight(24)).toBe(12);
  });
});

describe('where the old view is after a resize (staleViewTop)', () => {
  const view = (widths: number[]) => ({ oldRows: widths.length, painted: widths });
  // rows: [old screen, new screen, expected first row of the old view]
  it.each([
    [
      'same width, shorter: the rows below the cursor go first, the first rows of the view stay',
      24,
      80,
      22,
      80,
      view([80, 40, 40, 40]),
      21,
    ],
    ['narrower: each line rewrapped, the view ends at the bottom', 24, 80, 24, 40, view([80, 40, 41, 0]), 24 - (2 + 1 + 2 + 1) + 1],
    [
      'narrower and shorter: what is left of the view, rewrapped',
      35,
      120,
      24,
      80,
      view([120, 40, 100, ...Array<number>(11).fill(100)]),
      24 - (2 + 1 + 2) + 1,
    ],
    ['taller: from where the view was (the terminal may have moved it down)', 24, 80, 60, 200, view([80, 40, 40, 40]), 21],
    ['shorter by more than the view: nothing left of it, nothing to erase', 24, 80, 10, 40, view([80, 40, 40, 40]), 11],
  ])('%s', (_, oldTermRows, oldColumns, termRows, columns, v, top) => {
    expect(staleViewTop({ oldTermRows, oldColumns, termRows, columns, ...v })).toBe(top);
  });
});
