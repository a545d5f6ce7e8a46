/**
 * The live view's text as pure functions of the state: a header with the totals, one line per
 * syscall of the top list (bar relative to the busiest), and a status line that turns into the
 * "open sbx review?" prompt when the program has exited. The Ink skin adds only colour.
 */
import { bar, fit, percent } from '../review/format.js';
import { NEW_FOR_MS, isNew, liveLayout, type LiveState, type TopEntry } from './state.js';

/** Names a slot ("read", "i386:read"); the caller passes it in with the syscall tables of src/linux. */
export type SlotNamer = (slot: number) => string;

/** "3.2s", "1m05s". */
export function elapsedText(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

/** The first line: what runs and the running totals. */
export function headerLine(state: LiveState, title: string): string {
  const fields = [
    `sbx learn ${elapsedText(state.now)}`,
    `${Math.round(state.rate)} calls/s`,
    `${state.distinct} syscalls`,
    `${state.total} calls`,
    `${state.processes} proc ${state.threads} thr`,
    title,
  ];
  return fit(fields.join(' │ '), state.width);
}

/** Column widths for the top list. */
export function liveColumns(width: number): { name: number; calls: number; share: number; bar: number; mark: number } {
  const name = width >= 100 ? 22 : 16;
  const calls = 9;
  const share = 6;
  const mark = 4;
  return { name, calls, share, mark, bar: Math.max(4, width - (2 + name + calls + share + mark + 4)) };
}

/** The column header over the top list. */
export function columnLine(width: number): string {
  const c = liveColumns(width);
  return fit(
    `  ${fit('syscall', c.name)} ${fit('calls', c.calls, 'right')} ${fit('share', c.share, 'right')} ${fit('', c.bar)} ${fit('', c.mark)}`,
    width,
  );
}

/** One row of the top list; `fresh` when the syscall appeared in the last NEW_FOR_MS. */
export function topRow(state: LiveState, entry: TopEntry, nameOf: SlotNamer, max: number): { text: string; fresh: boolean } {
  const c = liveColumns(state.width);
  const fresh = isNew(state, entry.slot);
  const share = state.total ? percent((entry.count * 100) / state.total) : '';
  const text = `${fresh ? '+' : ' '} ${fit(nameOf(entry.slot), c.name)} ${fit(String(entry.count), c.calls, 'right')} ${fit(share, c.share, 'right')} ${bar(entry.count, max, c.bar)} ${fit(fresh ? 'new' : '', c.mark)}`;
  return { text: fit(text, state.width), fresh };
}

/** The last line: what is going on, or the prompt once the program has exited. */
export function statusLine(state: LiveState): string {
  const rows = liveLayout(state.height).topRows;
  // while tracing the keyboard is the program's: say how many there are, promise no scrolling
  const shown = state.top.length > rows ? ` · top ${rows} of ${state.top.length}` : '';
  const below = state.top.length - rows - state.scroll;
  const scroll = state.top.length > rows ? ` · j/k scroll${below > 0 ? ` (${below} more below)` : ''}` : '';
  switch (state.phase) {
    case 'tracing':
      return fit(`tracing… + new syscall (${NEW_FOR_MS / 1000} s)${shown} · the program's output scrolls above`, state.width);
    case 'asking': {
      // the question stays whole on a narrow screen: the scroll hint goes first, then it leads
      const question = 'open sbx review? [y/N]';
      const exit = `program ${state.exit ?? 'ended'}`;
      const wordings = [`${exit}${scroll} · ${question}`, `${exit} · ${question}`];
      return fit(wordings.find((w) => w.length <= state.width) ?? `${question} · ${exit}`, state.width);
    }
    case 'done':
      return fit(`program ${state.exit ?? 'ended'} · ${state.answer === 'review' ? 'opening sbx review…' : 'done'}`, state.width);
  }
}

/** Every line of the view, exactly `state.height` of them (the screen as plain text). */
export function liveLines(state: LiveState, title: string, nameOf: SlotNamer): string[] {
  const { topRows } = liveLayout(state.height);
  const max = state.top[0]?.count ?? 0;
  const rows = state.top.slice(state.scroll, state.scroll + topRows).map((e) => topRow(state, e, nameOf, max).text);
  while (rows.length < topRows) rows.push('');
  return [headerLine(state, title), columnLine(state.width), ...rows, statusLine(state)].slice(0, state.height);
}
