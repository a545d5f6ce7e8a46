/**
 * Start `sbx learn --tui`'s live view on a terminal. The view owns a fixed region at the bottom
 * of the screen; the rows above are a scroll region where the traced program's own output
 * scrolls as usual (the trick src/ui/progress.ts uses for its one line). Ink renders each
 * frame whole (its debug mode) into a BottomRegion, which paints it into the region with the
 * cursor saved and restored, so the program's cursor and text are never touched.
 */
import { EventEmitter } from 'node:events';
import type { WriteStream } from 'node:tty';
import { createElement } from 'react';
import { render } from 'ink';
import { colorEnabled } from '../review/run-review.js';
import type { SlotNamer } from './format.js';
import { LiveView, type TickSource } from './live-view.js';
import { initialLiveState, regionHeight } from './state.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * An output stream for Ink that is really the bottom `rows` rows of the terminal: each write
 * is a whole frame, painted row by row between save-cursor and restore-cursor.
 */
export class BottomRegion extends EventEmitter {
  /** Not a TTY as far as Ink is concerned: no cursor hiding, no erasing, just frames. */
  readonly isTTY = false;
  columns: number;
  rows: number;
  private termRows: number;
  private lastFrame = '';
  private open = false;

  constructor(private readonly term: WriteStream) {
    super();
    this.termRows = term.rows;
    this.columns = term.columns;
    this.rows = regionHeight(term.rows);
  }

  /** First row of the view (1-based). */
  get top(): number {
    return this.termRows - this.rows + 1;
  }

  /** Make room at the bottom (scrolling what is on screen up) and confine scrolling above it. */
  start(): void {
    this.open = true;
    this.term.write(`${'\n'.repeat(this.rows)}\x1b[${this.rows}A\x1b7\x1b[1;${this.top - 1}r\x1b8`);
    this.term.on('resize', this.resized);
  }

  /** Ink's output: one whole frame per call. */
  write(frame: string): boolean {
    if (!this.open || !frame.replace(ANSI, '').trim()) return true;
    this.lastFrame = frame;
    this.paint();
    return true;
  }

  /** Give the whole screen back; the last frame stays, the cursor goes below it. */
  stop(): void {
    if (!this.open) return;
    this.open = false;
    this.term.off('resize', this.resized);
    this.term.write(`\x1b[r\x1b[${this.termRows};1H\n`);
  }

  private paint(): void {
    const lines = this.lastFrame.split('\n').slice(0, this.rows);
    // auto-wrap off while painting: a line wider than the terminal (a frame drawn for the size
    // before a resize) is clipped instead of spilling into the next row
    let out = '\x1b7\x1b[?7l';
    for (let i = 0; i < this.rows; i++) out += `\x1b[${this.top + i};1H\x1b[2K${lines[i] ?? ''}\x1b[0m`;
    this.term.write(`${out}\x1b[?7h\x1b8`);
  }

  private readonly resized = (): void => {
    const [oldRows, oldColumns, oldTermRows] = [this.rows, this.columns, this.termRows];
    this.termRows = this.term.rows;
    this.columns = this.term.columns;
    this.rows = regionHeight(this.term.rows);
    const lines = this.lastFrame.split('\n');
    const painted = Array.from({ length: oldRows }, (_, i) => Math.min(oldColumns, (lines[i] ?? '').replace(ANSI, '').length));
    const from = staleViewTop({ oldTermRows, oldRows, oldColumns, termRows: this.termRows, columns: this.columns, painted });
    // The program's cursor is where the terminal moved it with the program's text: kept (DECSC).
    // Erase the old view row by row (EL): terminals such as tmux push a screen erased whole
    // (ED 2, or ED 0 from the top left corner) into the scrollback, stale frame included.
    let out = '\x1b7\x1b[r';
    for (let row = from; row <= this.termRows; row++) out += `\x1b[${row};1H\x1b[2K`;
    // The program's rows that the new view would cover scroll up (into the scrollback, as
    // its own output does), and its cursor with them.
    const scroll = Math.max(0, from - this.top);
    if (scroll > 0) out += `\x1b[1;${from - 1}r\x1b[${from - 1};1H${'\n'.repeat(scroll)}`;
    this.term.write(`${out}\x1b[1;${this.top - 1}r\x1b8${scroll > 0 ? `\x1b[${scroll}A` : ''}`);
    this.emit('resize');
  };
}

/** A terminal's size change, and the old view's painted line widths (columns used, top first). */
export interface ViewResize {
  readonly oldTermRows: number;
  readonly oldRows: number;
  readonly oldColumns: number;
  readonly termRows: number;
  readonly columns: number;
  readonly painted: readonly number[];
}

/**
 * The first row (1-based) of what is left of the old view after the terminal resized, as
 * terminals that reflow (tmux, VTE) leave it. A taller screen adds rows at the bottom, or
 * brings lines back from the scrollback at the top, moving the view down: erasing from where
 * it was covers it. A shorter one first takes rows away at the bottom, below the program's
 * cursor, which is always above the view, so the view's last rows go first; a new width then
 * rewraps every line and keeps the last line on the last row: what is left of the view ends
 * at the bottom, each of its lines on as many rows as its width needs there.
 */
export function staleViewTop(r: ViewResize): number {
  const oldTop = r.oldTermRows - r.oldRows + 1;
  if (r.termRows > r.oldTermRows) return oldTop;
  const kept = r.painted.slice(0, Math.max(0, r.oldRows - (r.oldTermRows - r.termRows)));
  const height =
    r.columns === r.oldColumns
      ? kept.length
      : kept.reduce((rows, width) => rows + Math.max(1, Math.ceil(width / Math.max(1, r.columns))), 0);
  return Math.max(1, r.termRows - height + 1);
}

export interface LiveViewOptions {
  readonly term: WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly counts: Float64Array;
  readonly live: Float64Array;
  readonly processesAt: number;
  readonly threadsAt: number;
  readonly nameOf: SlotNamer;
  readonly title: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** The running view: `finish` asks "open sbx review?" and resolves with the answer. */
export interface LiveViewHandle {
  finish(exit: string): Promise<'review' | 'skip'>;
  /** Close without asking (errors); safe to call twice. */
  stop(): void;
}

/** Show the live view until `finish` or `stop`. */
export function startLiveView(options: LiveViewOptions): LiveViewHandle {
  const region = new BottomRegion(options.term);
  const started = performance.now();
  const read: TickSource = () => ({
    type: 'tick',
    now: performance.now() - started,
    counts: options.counts,
    processes: options.live[options.processesAt] ?? 0,
    threads: options.live[options.threadsAt] ?? 0,
  });
  let answer: 'review' | 'skip' = 'skip';
  const props = {
    initial: initialLiveState({ width: region.columns, height: region.rows }),
    title: options.title,
    nameOf: options.nameOf,
    color: colorEnabled(options.env),
    read,
    onAnswer: (a: 'review' | 'skip') => {
      answer = a;
    },
  };
  region.start();
  const app = render(createElement(LiveView, props), {
    stdout: region as unknown as NodeJS.WriteStream,
    stdin: options.stdin,
    stderr: options.term,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    app.unmount();
    region.stop();
  };
  return {
    async finish(exit: string) {
      app.rerender(createElement(LiveView, { ...props, finished: exit }));
      await app.waitUntilExit();
      stop();
      return answer;
    },
    stop,
  };
}
