/**
 * The live view of `sbx learn --tui` as a pure state machine: a `tick` reads the tracer's
 * shared counters (one slot per (arch, syscall nr)) and derives everything the screen shows;
 * the Ink skin only dispatches ticks on a timer, sizes and keys.
 */
import { LIVE_KEYS, keyMap, type LiveCommand } from '../keys.js';

/** How long a syscall stays marked as new after it first appears. */
export const NEW_FOR_MS = 3000;
/** Syscalls/s is measured over this window. */
export const RATE_WINDOW_MS = 1000;

/** One row of the top list. */
export interface TopEntry {
  readonly slot: number;
  readonly count: number;
}

export type LivePhase = 'tracing' | 'asking' | 'done';

export interface LiveState {
  readonly width: number;
  readonly height: number;
  readonly phase: LivePhase;
  /** ms since tracing started, as of the last tick. */
  readonly now: number;
  readonly total: number;
  readonly distinct: number;
  /** Calls per second over the last RATE_WINDOW_MS. */
  readonly rate: number;
  readonly processes: number;
  readonly threads: number;
  /** Every slot with calls, most calls first (ties: lower slot first). */
  readonly top: readonly TopEntry[];
  /** Slot → ms when it first had calls. */
  readonly firstSeen: ReadonlyMap<number, number>;
  /** (ms, total) samples within the rate window, oldest first. */
  readonly history: readonly (readonly [number, number])[];
  /** How the program ended ("exited 0"), once it has. */
  readonly exit?: string;
  /** First row of the top list shown (j/k scroll it once the program has exited). */
  readonly scroll: number;
  /** The answer to "open sbx review?", once given. */
  readonly answer?: 'review' | 'skip';
}

export type LiveAction =
  | {
      readonly type: 'tick';
      readonly now: number;
      readonly counts: ArrayLike<number>;
      readonly processes: number;
      readonly threads: number;
    }
  | { readonly type: 'resize'; readonly width: number; readonly height: number }
  | { readonly type: 'finished'; readonly exit: string }
  | { readonly type: 'key'; readonly key: string };

/** The state before the first tick. */
export function initialLiveState(size: { width: number; height: number }): LiveState {
  return {
    width: size.width,
    height: size.height,
    phase: 'tracing',
    scroll: 0,
    now: 0,
    total: 0,
    distinct: 0,
    rate: 0,
    processes: 0,
    threads: 0,
    top: [],
    firstSeen: new Map(),
    history: [],
  };
}

/** The smallest terminal the view fits on; below it, learn shows the one-line progress. */
export const MIN_ROWS = 10;

/** Rows the view takes on a terminal `rows` high (the program keeps the rest, at least 4). */
export function regionHeight(rows: number): number {
  return Math.max(4, Math.min(16, Math.floor(rows / 2), rows - 4));
}

/** Rows of the screen: header, column header, the top list, status/prompt. */
export function liveLayout(height: number): { topRows: number } {
  return { topRows: Math.max(1, height - 3) };
}

/** Whether `slot` first appeared less than NEW_FOR_MS before the last tick. */
export function isNew(state: LiveState, slot: number): boolean {
  const seen = state.firstSeen.get(slot);
  return seen !== undefined && state.now - seen < NEW_FOR_MS;
}

function tick(state: LiveState, action: Extract<LiveAction, { type: 'tick' }>): LiveState {
  const top: TopEntry[] = [];
  let total = 0;
  let firstSeen: Map<number, number> | undefined;
  for (let slot = 0; slot < action.counts.length; slot++) {
    const count = action.counts[slot]!;
    if (!count) continue;
    total += count;
    top.push({ slot, count });
    if (!state.firstSeen.has(slot)) (firstSeen ??= new Map(state.firstSeen)).set(slot, action.now);
  }
  top.sort((a, b) => b.count - a.count || a.slot - b.slot);
  const kept = state.history.filter(([t]) => action.now - t <= RATE_WINDOW_MS);
  // the oldest sample inside the window, or the last one before it when the window is empty
  const base = kept[0] ?? state.history[state.history.length - 1];
  const rate = base && action.now > base[0] ? ((total - base[1]) * 1000) / (action.now - base[0]) : 0;
  return {
    ...state,
    now: action.now,
    total,
    distinct: top.length,
    rate,
    processes: action.processes,
    threads: action.threads,
    top,
    firstSeen: firstSeen ?? state.firstSeen,
    history: [...kept, [action.now, total]],
  };
}

const KEYS: ReadonlyMap<string, LiveCommand> = keyMap(LIVE_KEYS);

/** The live view's reducer. */
export function liveReducer(state: LiveState, action: LiveAction): LiveState {
  switch (action.type) {
    case 'tick':
      return state.phase === 'tracing' ? tick(state, action) : state;
    case 'resize':
      return action.width === state.width && action.height === state.height
        ? state
        : { ...state, width: action.width, height: action.height };
    case 'finished':
      return state.phase === 'tracing' ? { ...state, phase: 'asking', exit: action.exit } : state;
    case 'key': {
      if (state.phase !== 'asking') return state;
      const command = KEYS.get(action.key);
      const page = liveLayout(state.height).topRows;
      const scrollTo = (row: number) => ({ ...state, scroll: Math.max(0, Math.min(Math.max(0, state.top.length - page), row)) });
      switch (command) {
        case undefined:
          return state;
        case 'list.down':
          return scrollTo(state.scroll + 1);
        case 'list.up':
          return scrollTo(state.scroll - 1);
        case 'list.pageDown':
          return scrollTo(state.scroll + page);
        case 'list.pageUp':
          return scrollTo(state.scroll - page);
        case 'prompt.review':
        case 'prompt.skip':
          return { ...state, phase: 'done', answer: command === 'prompt.review' ? 'review' : 'skip' };
      }
    }
  }
}
