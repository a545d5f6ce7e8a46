/**
 * The live view's Ink skin with synthetic counter arrays (the layout the tracer writes into
 * its SharedArrayBuffers) and a clock the test sets: it draws what the arrays hold on mount,
 * draws the last counts and the prompt when `finished` is set, ignores keys while tracing (the
 * terminal's input belongs to the program), answers y / n, and colours only without NO_COLOR.
 * The timer is set far beyond the test so nothing depends on timing.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Ink draws only the final frame when it loads with CI set; sbx's terminal UIs hide CI while
// Ink loads (src/ui/load-ui.ts), and so does this test, which reads intermediate frames.
vi.hoisted(() => {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
});
import { cleanup, render } from 'ink-testing-library';
import { waitFor } from './helpers.js';
import chalk from 'chalk';
import { LiveView, TICK_MS, type TickSource } from '../src/ui/live/live-view.js';
import { BottomRegion } from '../src/ui/live/run-live.js';
import { initialLiveState, regionHeight } from '../src/ui/live/state.js';
import { SLOT_COUNT, LIVE_FIELDS, LIVE_PROCESSES, LIVE_THREADS } from '../src/profile/slots.js';

const NAMES: Record<number, string> = { 0: 'read', 1: 'write', 9: 'mmap', 257: 'openat', 1024: 'i386:read' };
const nameOf = (slot: number) => NAMES[slot] ?? `nr${slot}`;

type App = ReturnType<typeof render>;

/** Ink draws asynchronously: wait for the frame that shows `pattern`; its lines. */
const frameShowing = (app: App, pattern: RegExp) =>
  waitFor(`a frame showing ${pattern}`, () => pattern.test(app.lastFrame() ?? '') && (app.lastFrame() ?? '').split('\n'), 10_000, 5);

/** Ink starts reading keys in an effect after the prompt is drawn: wait until it listens. */
const readingKeys = (app: App) => waitFor('the prompt to read keys', () => app.stdin.listenerCount('readable') > 0, 10_000, 5);

/** Wait for the answer the app reports. */
const answered = (answers: string[]) => waitFor('an answer', () => answers.length > 0 && answers, 10_000, 5);

function setup(color = false) {
  const counts = new Float64Array(SLOT_COUNT);
  const live = new Float64Array(LIVE_FIELDS);
  let now = 0;
  const clock = { set: (ms: number) => (now = ms) };
  const read: TickSource = () => ({ type: 'tick', now, counts, processes: live[LIVE_PROCESSES]!, threads: live[LIVE_THREADS]! });
  const answers: string[] = [];
  const props = {
    initial: initialLiveState({ width: 80, height: 12 }),
    title: 'make -j4',
    nameOf,
    color,
    read,
    followTerminal: false,
    tickMs: 1e9,
    onAnswer: (a: string) => answers.push(a),
  };
  return { counts, live, clock, props, answers };
}

afterEach(() => cleanup());

describe('sbx learn --tui live view (ink-testing-library)', () => {
  it('draws the counters the tracer wrote, the prompt after exit, and y answers review', async () => {
    const t = setup();
    t.counts[1] = 300;
    t.counts[0] = 100;
    t.counts[1024] = 7;
    t.live[LIVE_PROCESSES] = 2;
    t.live[LIVE_THREADS] = 5;
    t.clock.set(1200);
    const app = render(<LiveView {...t.props} />);
    let lines = await frameShowing(app, /407 calls/);
    expect(lines).toHaveLength(12);
    expect(lines[0]).toMatch(/^sbx learn 1\.2s │ 0 calls\/s │ 3 syscalls │ 407 calls │ 2 proc 5 thr │ make -j4/);
    expect(lines[2]).toMatch(/^\+ write +300 +73\.7% █+ +new/);
    expect(lines[3]).toMatch(/^\+ read +100 +24\.6% █+ +new/);
    expect(lines[4]).toMatch(/^\+ i386:read +7 +1\.7% /);
    expect(lines[11]).toMatch(/^tracing… /);
    // keys while tracing belong to the program: the view does not even read them
    const frames = app.frames.length;
    expect(app.stdin.listenerCount('readable')).toBe(0);
    app.stdin.write('y');
    expect(t.answers).toEqual([]);
    // only ticks redraw (every TICK_MS = 100 ms at most while tracing): none comes (tickMs is huge)
    t.counts[9] = 1;
    expect(TICK_MS).toBeGreaterThanOrEqual(100);

    // the program makes a new call and exits: the last counts are read, the prompt appears
    t.counts[257] = 40;
    t.counts[1] = 310;
    t.clock.set(5000);
    app.rerender(<LiveView {...t.props} finished="exited 0" />);
    lines = await frameShowing(app, /open sbx review/);
    // nothing drew the new mmap count before the end (no tick), and the 'y' typed while tracing was not taken
    expect(app.frames.slice(frames).filter((f) => /mmap/.test(f) && !/open sbx review/.test(f))).toEqual([]);
    expect(t.answers).toEqual([]);
    expect(lines[0]).toMatch(/^sbx learn 5\.0s │ .* │ 5 syscalls │ 458 calls │/);
    expect(lines[2]).toMatch(/^ {2}write +310 /);
    expect(lines[4]).toMatch(/^\+ openat +40 .* new/);
    expect(lines[11]).toMatch(/^program exited 0 · open sbx review\? \[y\/N\]/);
    await readingKeys(app);
    // 'x' answers nothing: the 'y' after it is the answer
    app.stdin.write('x');
    app.stdin.write('y');
    expect(await answered(t.answers)).toEqual(['review']);
    await frameShowing(app, /opening sbx review…/);
  });

  it('n answers skip', async () => {
    const t = setup();
    t.counts[0] = 1;
    const app = render(<LiveView {...t.props} finished="killed by SIGKILL" />);
    await frameShowing(app, /program killed by SIGKILL · open sbx review\? \[y\/N\]/);
    await readingKeys(app);
    app.stdin.write('n');
    expect(await answered(t.answers)).toEqual(['skip']);
  });

  it('colours new syscalls and the prompt only without NO_COLOR; the text is the same', async () => {
    const level = chalk.level;
    chalk.level = 1;
    try {
      const frames = [true, false].map((color) => {
        const t = setup(color);
        t.counts[0] = 5;
        const app = render(<LiveView {...t.props} finished="exited 0" />);
        return app;
      });
      const [colored, plain] = await Promise.all(frames.map(async (a) => (await frameShowing(a, /open sbx review/)).join('\n')));
      expect(colored).toMatch(/\x1b\[32m/);
      expect(plain).not.toMatch(/\x1b\[/);
      const text = (frame = '') =>
        frame
          .replace(/\x1b\[[0-9;]*m/g, '')
          .split('\n')
          .map((l) => l.trimEnd());
      expect(text(colored)).toEqual(text(plain));
    } finally {
      chalk.level = level;
    }
  });
});

/** A terminal stand-in: records what the region writes. */
class FakeTerminal extends EventEmitter {
  written = '';
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write(s: string): boolean {
    this.written += s;
    return true;
  }
}

describe('BottomRegion (where the view paints)', () => {
  it('reserves the bottom rows with a scroll region above, paints frames there (cursor saved, no auto-wrap), on a resize erases the old view where the terminal left it and sets the new region, gives the screen back', () => {
    const term = new FakeTerminal(100, 30);
    const region = new BottomRegion(term as unknown as import('node:tty').WriteStream);
    expect([region.columns, region.rows, region.top]).toEqual([100, regionHeight(30), 30 - regionHeight(30) + 1]);
    region.start();
    expect(term.written).toBe(`${'\n'.repeat(15)}\x1b[15A\x1b7\x1b[1;15r\x1b8`);
    term.written = '';
    region.write('first\nsecond');
    expect(term.written.startsWith('\x1b7\x1b[?7l\x1b[16;1H\x1b[2Kfirst\x1b[0m\x1b[17;1H\x1b[2Ksecond')).toBe(true);
    expect(term.written.endsWith('\x1b[30;1H\x1b[2K\x1b[0m\x1b[?7h\x1b8')).toBe(true);
    term.written = '';
    region.write('\x1b[?25h');
    expect(term.written).toBe('');
    let resized = 0;
    region.on('resize', () => resized++);
    term.rows = 24;
    term.columns = 80;
    term.emit('resize');
    expect([region.columns, region.rows, region.top, resized]).toEqual([80, 12, 13, 1]);
    // the terminal took the view's last 6 rows away, rewrapped the 9 left at 80 columns (one
    // row each here) and kept them at the bottom: rows 16-24 are erased row by row (ED would
    // push the stale frame into tmux's scrollback); the program's rows 13-15 that the new view
    // covers scroll up, and its cursor (kept) with them
    const erase = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `\x1b[${from + i};1H\x1b[2K`).join('');
    expect(term.written).toBe(`\x1b7\x1b[r${erase(16, 24)}\x1b[1;15r\x1b[15;1H\n\n\n\x1b[1;12r\x1b8\x1b[3A`);
    expect(term.written).not.toMatch(/\x1b\[[02]?J/);
    // a taller terminal of the same width: erased from where the old view was
    term.written = '';
    term.rows = 40;
    term.emit('resize');
    expect(term.written).toBe(`\x1b7\x1b[r${erase(13, 40)}\x1b[1;24r\x1b8`);
    term.written = '';
    region.stop();
    expect(term.written).toBe('\x1b[r\x1b[40;1H\n');
    term.written = '';
    region.write('late');
    expect(term.written).toBe('');
  });
});
