/**
 * A full-screen painter that writes only what changed. Ink 6.8 builds a cell grid of the whole
 * terminal (width × height objects) and tokenizes every line on each frame, even with
 * incrementalRendering; at 200x60 that was most of a key's cost (bench/review.ts). sbx
 * review's frame is already a list of styled lines, so the terminal gets a diff instead: only
 * the spans of cells (character and style) that changed are rewritten, the cursor skipping
 * what did not, a style sent only when it changes, blank tails erased (EL) rather than padded;
 * a block of lines that moved (the table scrolling) is moved by the terminal (scroll region +
 * SU/SD) rather than redrawn.
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

/** A style's SGR escape for a span ('' for a blank span whose style shows nothing on spaces). */
function spanCode(segment: Segment, color: boolean): string {
  if (!color || (!segment.style?.inverse && !segment.style?.underline && segment.text.trim() === '')) return '';
  return sgr(segment.style);
}

/** A line as the terminal holds it: a character and an SGR escape per column. */
class Painted {
  /** The characters, without the blank tail (erase-to-end-of-line draws that). */
  readonly text: string;
  /** Text and styles together: lines with equal keys look the same. */
  readonly key: string;
  private columns: string[] | undefined;

  constructor(
    private readonly line: Line,
    private readonly color: boolean,
  ) {
    const text = plain(line);
    let end = text.length;
    let at = text.length;
    // the blank tail: trailing spaces whose style shows nothing
    for (let i = line.length - 1; i >= 0 && end === at; i--) {
      const segment = line[i]!;
      at -= segment.text.length;
      if (!(color && (segment.style?.inverse || segment.style?.underline))) end = at + segment.text.trimEnd().length;
    }
    this.text = text.slice(0, end);
    this.key = `${this.text}\0${line.map((segment) => `${segment.text.length}${spanCode(segment, color)}`).join('|')}`;
  }

  /** The SGR escape of each column of `text`: '' for none, and for a space that shows nothing. */
  get codes(): readonly string[] {
    if (!this.columns) {
      const codes: string[] = [];
      for (const segment of this.line) {
        const code = this.color ? sgr(segment.style) : '';
        // a space shows its style only when inverse or underlined
        const space = segment.style?.inverse || segment.style?.underline ? code : '';
        for (let i = 0; i < segment.text.length; i++) codes.push(segment.text[i] === ' ' ? space : code);
      }
      codes.length = this.text.length;
      this.columns = codes;
    }
    return this.columns;
  }
}

const BLANK = new Painted([], false);

/** How far a block may have moved (rows). */
const SHIFTS = [1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8];

const same = (a: Painted | undefined, b: Painted | undefined) => a?.key === b?.key;

/** Begin/end synchronized update: the terminal shows the frame whole (ignored where unknown). */
const BEGIN_SYNC = '\x1b[?2026h';
const END_SYNC = '\x1b[?2026l';
const RESET = '\x1b[0m';
/** Unchanged columns between two changed spans that are rewritten rather than skipped (a skip, `\e[NC`, costs 4+ bytes). */
const REWRITE_GAP = 4;

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
 * Writes escapes with as few bytes as it can: remembers where the cursor is and which SGR is
 * on, so a move to the next span or row and a style that goes on are written only as needed.
 */
class Writer {
  out = '';
  private row = -1;
  private col = -1;
  private code = '';
  /** Whether the current style shows on a space (inverse, underline). */
  private showsOnSpace = false;

  moveTo(row: number, col: number): void {
    if (row === this.row && col === this.col) return;
    if (row === this.row && col > this.col && this.col >= 0) this.out += `\x1b[${col - this.col}C`;
    else if (row === this.row + 1 && col === 0 && this.row >= 0) this.out += '\r\n';
    else this.out += col === 0 ? `\x1b[${row + 1}H` : `\x1b[${row + 1};${col + 1}H`;
    this.row = row;
    this.col = col;
  }

  style(code: string): void {
    if (code === this.code) return;
    this.out += code === '' ? RESET : this.code === '' ? code : `\x1b[0;${code.slice(2)}`;
    this.code = code;
    this.showsOnSpace = /[[;][47][;m]/.test(code);
  }

  /** One column; a blank (code '') keeps a style that shows nothing on it. */
  cell(ch: string, code: string): void {
    if (!(ch === ' ' && code === '' && !this.showsOnSpace)) this.style(code);
    this.out += ch;
    this.col++;
  }

  /** A sequence that fills or moves with the current style: sent with none. `moves`: the cursor's place is unknown after. */
  unstyled(sequence: string, moves: boolean): void {
    this.style('');
    this.out += sequence;
    if (moves) this.row = this.col = -1;
  }
}

/** Rewrites the columns of one row that differ between `old` and `next`. */
function updateRow(w: Writer, row: number, old: Painted, next: Painted): void {
  const differs = (c: number) => next.text[c] !== (old.text[c] ?? ' ') || next.codes[c] !== (old.codes[c] ?? '');
  for (let c = 0; c < next.text.length; c++) {
    if (!differs(c)) continue;
    // a span of changed columns, through short unchanged gaps
    let end = c + 1;
    for (let gap = 0; end + gap < next.text.length && gap <= REWRITE_GAP; ) {
      if (differs(end + gap)) {
        end += gap + 1;
        gap = 0;
      } else gap++;
    }
    w.moveTo(row, c);
    for (let i = c; i < end; i++) w.cell(next.text[i] ?? ' ', next.codes[i] ?? '');
    c = end - 1;
  }
  // what the old line had past the new one's end
  if (old.text.length > next.text.length) {
    let from = next.text.length;
    while (old.text[from] === ' ' && old.codes[from] === '') from++;
    w.moveTo(row, from);
    w.unstyled('\x1b[K', false);
  }
}

/**
 * What to write to turn a screen showing `previous` into `next` (`previous` undefined: the
 * screen is unknown, cleared and drawn whole).
 */
export function frameUpdate(previous: readonly Line[] | undefined, next: readonly Line[], color: boolean): string {
  return update(
    previous?.map((line) => new Painted(line, color)),
    next.map((line) => new Painted(line, color)),
  );
}

function update(previous: readonly Painted[] | undefined, now: readonly Painted[]): string {
  const w = new Writer();
  if (!previous) w.unstyled('\x1b[2J', true);
  let before: (Painted | undefined)[] = previous ? [...previous] : [];
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
    w.unstyled(`\x1b[${top + 1};${bottom + 1}r${by > 0 ? `\x1b[${by}S` : `\x1b[${-by}T`}\x1b[r`, true);
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
    const old = before[row] ?? BLANK;
    if (!same(old, next)) updateRow(w, row, old, next);
  }
  w.style('');
  return w.out && `${BEGIN_SYNC}${w.out}${END_SYNC}`;
}

/** Paints frames on a terminal, remembering the last one. */
export class FramePainter {
  private last: readonly Painted[] | undefined;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly color: boolean,
  ) {}

  paint(lines: readonly Line[]): void {
    const next = lines.map((line) => new Painted(line, this.color));
    const text = update(this.last, next);
    this.last = next;
    if (text) this.out.write(text);
  }

  /** The screen was resized (the terminal may have reflowed it): the next frame is drawn whole. */
  invalidate(): void {
    this.last = undefined;
  }
}
