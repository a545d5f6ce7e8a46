/**
 * The thin Ink skin over the live view's state machine: a timer turns the tracer's shared
 * counters into `tick` actions (at most 10 a second, so at most 10 redraws), the `finished`
 * prop asks "open sbx review?", and keys answer it. Keys are read only while asking: during
 * tracing the terminal's input belongs to the traced program (and Ctrl-C stays a signal).
 */
import { useEffect, useReducer, useRef } from 'react';
import { Box, Text, useApp, useStdout } from 'ink';
import { useKeys } from '../use-keys.js';
import { columnLine, headerLine, statusLine, topRow, type SlotNamer } from './format.js';
import { liveLayout, liveReducer, type LiveAction, type LiveState } from './state.js';

/** Redraw period: ticks are the only thing that changes the screen while tracing. */
export const TICK_MS = 100;

/** Reads the tracer's shared arrays into a tick (the clock is ms since tracing started). */
export type TickSource = () => Extract<LiveAction, { type: 'tick' }>;

/** The view for a state. */
export function LiveScreen({ state, title, nameOf, color }: { state: LiveState; title: string; nameOf: SlotNamer; color: boolean }) {
  const { topRows } = liveLayout(state.height);
  const max = state.top[0]?.count ?? 0;
  const rows = state.top.slice(state.scroll, state.scroll + topRows).map((entry) => ({ entry, ...topRow(state, entry, nameOf, max) }));
  return (
    <Box flexDirection="column" width={state.width} height={state.height}>
      <Text wrap="truncate" bold={color} inverse={color}>
        {headerLine(state, title)}
      </Text>
      <Text wrap="truncate" underline={color}>
        {columnLine(state.width)}
      </Text>
      <Box flexDirection="column" height={topRows}>
        {rows.map(({ entry, text, fresh }) => (
          <Text key={entry.slot} wrap="truncate" color={color && fresh ? 'green' : undefined} bold={color && fresh}>
            {text}
          </Text>
        ))}
      </Box>
      <Text wrap="truncate" color={color && state.phase === 'asking' ? 'yellow' : undefined} bold={color && state.phase === 'asking'}>
        {statusLine(state)}
      </Text>
    </Box>
  );
}

export interface LiveViewProps {
  readonly initial: LiveState;
  readonly title: string;
  readonly nameOf: SlotNamer;
  readonly color: boolean;
  readonly read: TickSource;
  /** How the program ended; setting it takes a last tick and asks "open sbx review?". */
  readonly finished?: string;
  /** The answer, just before the app exits. */
  readonly onAnswer?: (answer: 'review' | 'skip') => void;
  /** Follow the output's size (off in tests that fix it). */
  readonly followTerminal?: boolean;
  readonly tickMs?: number;
}

/** `sbx learn --tui`'s app: the reducer, the timer, the prompt. */
export function LiveView({
  initial,
  title,
  nameOf,
  color,
  read,
  finished,
  onAnswer,
  followTerminal = true,
  tickMs = TICK_MS,
}: LiveViewProps) {
  const [state, dispatch] = useReducer(liveReducer, initial);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const answered = useRef(false);
  useEffect(() => {
    if (!followTerminal) return;
    const update = () => dispatch({ type: 'resize', width: stdout.columns || 80, height: stdout.rows || 24 });
    update();
    stdout.on('resize', update);
    return () => {
      stdout.off('resize', update);
    };
  }, [stdout, followTerminal]);
  useEffect(() => {
    if (finished !== undefined) return;
    dispatch(read());
    const timer = setInterval(() => dispatch(read()), tickMs);
    return () => clearInterval(timer);
  }, [read, tickMs, finished]);
  useEffect(() => {
    if (finished === undefined) return;
    dispatch(read());
    dispatch({ type: 'finished', exit: finished });
  }, [finished, read]);
  useKeys((keys) => keys.forEach((key) => dispatch({ type: 'key', key })), { isActive: state.phase === 'asking' });
  useEffect(() => {
    if (state.phase !== 'done' || !state.answer || answered.current) return;
    answered.current = true;
    onAnswer?.(state.answer);
    exit();
  }, [state, onAnswer, exit]);
  return <LiveScreen state={state} title={title} nameOf={nameOf} color={color} />;
}
