/**
 * A full-screen painter that writes only what changed. Ink 6.8 builds a cell grid of the whole
 * terminal (width × height objects) and tokenizes every line on each frame, even with
 * incrementalRendering; at 200x60 that was most of a key's cost (bench/review.ts). sbx
 * review's frame is already a list of styled lines, so the terminal gets a diff instead: a
 * line whose styles did not change is rewritten only from its first to its last changed
 * column; a block of lines that moved by one row (the table scrolling) is moved by the
 * terminal (scroll region + SU/SD) rather than redrawn.
 */

/** How a span of a line is drawn (with colour on). */
export interface Style {
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly inverse?: boolean;
  readonly underline?: boolean;
  readonly color?: 'green' | 'cyan' | 'yellow' | 'magenta' | 'red';
}

/** A span of a line and its style. */
export interface Segment {
  readonly text: string;
  readonly style?: Style;
}

/** One line of the screen. */
export type Line = readonly Segment[];

const COLOR_CODES: Readonly<Record<NonNullable<Style['color']>, number>> = { red: 31, green: 32, yellow: 33, magenta: 35, cyan: 36 };

/** SGR escape of a style ('' for none). */
export function sgr(style: Style | undefined): string {
  if (!style) return '';
  const codes = [style.bold && 1, style.dim && 2, style.underline && 4, style.inverse && 7, style.color && COLOR_CODES[style.color]].filter(
    Boolean,
  );
  return codes.length ? `\x1b[${codes.join(';')}m` : '';
}

/** A line's text without styles. */
export function plain(line: Line): string {
  return line.map((s) => s.text).join('');
}

/** Columns [from, to) of a line as terminal text (styles on when `color`). */
function span(line: Line, from: number, to: number, color: boolean): string {
  let out = '';
  let at = 0;
  for (const s of line) {
    const a = Math.max(from, at);
    const b = Math.min(to, at + s.text.length);
    if (a < b) {
      const text = s.text.slice(a - at, b - at);
      const code = color ? sgr(s.style) : '';
      out += code ? `${code}${text}\x1b[0m` : text;
    }
    at += s.text.length;
  }
  return out;
}

/** A line as terminal text. */
export function ansiLine(line: Line, color: boolean): string {
  return span(line, 0, Number.MAX_SAFE_INTEGER, color);
}

/** Where the styles of a line change, and to what: equal shapes can be diffed column by column. */
function shape(line: Line, color: boolean): string {
  return color ? line.map((s) => `${s.text.length}${sgr(s.style)}`).join('|') : '';
}

interface Painted {
  readonly text: string;
  readonly shape: string;
  readonly line: Line;
}

const BLANK: Painted = { text: '', shape: '', line: [] };
/** How far a block may have moved (rows). */
const SHIFTS = [1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8];

const same = (a: Painted | undefined, b: Painted | undefined) => a?.text === b?.text && a?.shape === b?.shape;

/** Begin/end synchronized update: the terminal shows the frame whole (ignored where unknown). */
const BEGIN_SYNC = '\x1b[?2026h';
const END_SYNC = '\x1b[?2026l';

/** The longest block of at least 3 rows where next[i] is previous[i + by]. */
function movedBlock(
  previous: readonly (Painted | undefined)[],
  next: readonly Painted[],
  by: number,
): { first: number; last: number } | undefined {
  let best: { first: number; last: number } | undefined;
  let start = -1;
  for (let i = 0; i <= next.length; i++) {
    const moved = i < next.length && !same(next[i], previous[i]) && same(next[i], previous[i + by]);
    if (moved && start < 0) start = i;
    if (!moved && start >= 0) {
      if (i - start >= 3 && (!best || i - start > best.last - best.first + 1)) best = { first: start, last: i - 1 };
      start = -1;
    }
  }
  return best;
}

/**
 * What to write to turn a screen showing `previous` into `next` (`previous` undefined: the
 * screen is unknown, cleared and drawn whole).
 */
export function frameUpdate(previous: readonly Line[] | undefined, next: readonly Line[], color: boolean): string {
  const now = next.map((line): Painted => ({ text: plain(line), shape: shape(line, color), line }));
  let out = previous ? '' : '\x1b[2J';
  let before: (Painted | undefined)[] = previous ? previous.map((line) => ({ text: plain(line), shape: shape(line, color), line })) : [];
  // blocks that moved (the table scrolling a row, details below a line that now wraps once
  // more): the terminal moves them, longest first
  for (let round = 0; round < 3; round++) {
    let best: { first: number; last: number; by: number } | undefined;
    for (const by of SHIFTS) {
      const block = movedBlock(before, now, by);
      if (block && (!best || block.last - block.first > best.last - best.first)) best = { ...block, by };
    }
    if (!best) break;
    const { first, last, by } = best;
    // scroll the rows the block spans (1-based, inclusive) by `by`; then only the rest differs
    const top = Math.min(first, first + by);
    const bottom = Math.max(last, last + by);
    out += `\x1b[${top + 1};${bottom + 1}r${by > 0 ? `\x1b[${by}S` : `\x1b[${-by}T`}\x1b[r`;
    const moved = [...before];
    for (let i = top; i <= bottom; i++) {
      const from = i + by;
      moved[i] = from >= top && from <= bottom ? before[from] : BLANK;
    }
    before = moved;
  }
  const rows = Math.max(now.length, before.length);
  for (let row = 0; row < rows; row++) {
    const next = now[row] ?? BLANK;
    const old = before[row];
    if (old && same(old, next)) continue;
    let from = 0;
    if (old && old.shape === next.shape) {
      while (from < next.text.length && next.text[from] === old.text[from]) from++;
    }
    let to = next.text.length;
    if (old && old.shape === next.shape && old.text.length === next.text.length) {
      while (to > from && next.text[to - 1] === old.text[to - 1]) to--;
    }
    const clear = !old || to === next.text.length ? '\x1b[K' : '';
    // trailing spaces that show nothing (no inverse or underline) are left to the clear
    const tail = next.line[next.line.length - 1]?.style;
    if (clear && !tail?.inverse && !tail?.underline) to = Math.max(from, next.text.trimEnd().length);
    out += `\x1b[${row + 1};${from + 1}H${span(next.line, from, to, color)}${clear}`;
  }
  return out && `${BEGIN_SYNC}${out}${END_SYNC}`;
}

/** Paints frames on a terminal, remembering the last one. */
export class FramePainter {
  private last: readonly Line[] | undefined;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly color: boolean,
  ) {}

  paint(lines: readonly Line[]): void {
    const update = frameUpdate(this.last, lines, this.color);
    this.last = lines;
    if (update) this.out.write(update);
  }

  /** The screen was resized (the terminal may have reflowed it): the next frame is drawn whole. */
  invalidate(): void {
    this.last = undefined;
  }
}
