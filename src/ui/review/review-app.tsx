/**
 * The thin Ink skin over the review state machine: draws a state, turns key presses into
 * `key` actions, follows the terminal size, and carries out the save/exit effects.
 */
import { useEffect, useReducer, useRef, type Dispatch } from 'react';
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import type { PolicyDraft } from '../../policy/policy.js';
import { REVIEW_KEYS, helpLines, keyName } from '../keys.js';
import { detailLines, headerLine, maxCalls, reportLines, rowText, statusLine, titleLine, fit } from './format.js';
import { draftOf, layout, reviewReducer, type ReviewAction, type ReviewState } from './state.js';

const ACTION_COLORS: Readonly<Record<string, string>> = {
  allow: 'green',
  log: 'cyan',
  errno: 'yellow',
  trace: 'magenta',
  trap: 'red',
  'kill-thread': 'red',
  'kill-process': 'red',
};

function actionColor(text: string): string | undefined {
  const kind = /^[a-z-]+/.exec(text.trim())?.[0] ?? '';
  return ACTION_COLORS[kind];
}

/** What every part of the screen draws from. */
export interface ScreenProps {
  readonly state: ReviewState;
  readonly color: boolean;
}

/** The table: visible rows only, so a 400-row profile draws as fast as a 20-row one. */
export function ReviewTable({ state, color }: ScreenProps) {
  const { table } = layout(state.height);
  const max = maxCalls(state);
  const items = state.view.slice(state.top, state.top + table);
  return (
    <Box flexDirection="column" height={table}>
      {items.map((item, i) => {
        const selected = state.top + i === state.cursor;
        const { text, actionAt, action } = rowText(state, item, selected, max);
        const key = item.kind === 'group' ? `g:${item.name}` : `s:${item.index}`;
        if (!color) return <Text key={key} wrap="truncate">{text}</Text>;
        return (
          <Text key={key} wrap="truncate" inverse={selected} bold={item.kind === 'group'}>
            {text.slice(0, actionAt)}
            <Text color={actionColor(action)}>{action}</Text>
            {text.slice(actionAt + action.length)}
          </Text>
        );
      })}
    </Box>
  );
}

/** The details pane for the selected row. */
export function ReviewDetails({ state, color }: ScreenProps) {
  const { details } = layout(state.height);
  return (
    <Box flexDirection="column" height={details}>
      {detailLines(state, details).map((line, i) => (
        <Text key={i} wrap="truncate" dimColor={color && i > 0 && line.startsWith('  ')}>
          {line}
        </Text>
      ))}
    </Box>
  );
}

/** A full-screen page of text (help, fidelity report) that any key closes. */
function ReviewPage({ state, lines }: { state: ReviewState; lines: readonly string[] }) {
  return (
    <Box flexDirection="column" height={state.height - 1}>
      {lines.slice(0, state.height - 1).map((line, i) => (
        <Text key={i} wrap="truncate">
          {fit(line, state.width)}
        </Text>
      ))}
    </Box>
  );
}

/** The help screen: the key table. */
export function ReviewHelp({ state }: ScreenProps) {
  return <ReviewPage state={state} lines={['sbx review keys (any key closes this help) · row flags: * changed  ! danger  ? rare', '', ...helpLines(REVIEW_KEYS)]} />;
}

/** The whole screen for a state. */
export function ReviewScreen({ state, color }: ScreenProps) {
  if (state.mode === 'help') return <ReviewHelp state={state} color={color} />;
  if (state.mode === 'report') return <ReviewPage state={state} lines={reportLines(state)} />;
  return (
    <Box flexDirection="column" width={state.width}>
      <Text wrap="truncate" bold={color}>
        {titleLine(state)}
      </Text>
      <Text wrap="truncate" underline={color}>
        {headerLine(state.width)}
      </Text>
      <ReviewTable state={state} color={color} />
      <ReviewDetails state={state} color={color} />
      <Text wrap="truncate" color={color && state.mode !== 'table' ? 'yellow' : undefined}>
        {statusLine(state)}
      </Text>
    </Box>
  );
}

/** The app's inputs: the starting state and how to save. */
export interface ReviewAppProps {
  readonly initial: ReviewState;
  /** Check and write the policy; returns where it went, throws a message on failure. */
  readonly save: (draft: PolicyDraft) => string;
  readonly color: boolean;
  /** Called with the final state just before the app exits. */
  readonly onExit?: (state: ReviewState) => void;
  /** Follow the terminal's size (off in tests that fix it). */
  readonly followTerminal?: boolean;
}

function useTerminalSize(dispatch: Dispatch<ReviewAction>, follow: boolean): void {
  const { stdout } = useStdout();
  useEffect(() => {
    if (!follow) return;
    const update = () => dispatch({ type: 'resize', width: stdout.columns || 80, height: stdout.rows || 24 });
    update();
    stdout.on('resize', update);
    return () => {
      stdout.off('resize', update);
    };
  }, [stdout, follow, dispatch]);
}

/** `sbx review`'s app: the reducer, the keys, the effects. */
export function ReviewApp({ initial, save, color, onExit, followTerminal = true }: ReviewAppProps) {
  const [state, dispatch] = useReducer(reviewReducer, initial);
  const { exit } = useApp();
  const handled = useRef<ReviewState | undefined>(undefined);
  useTerminalSize(dispatch, followTerminal);
  useInput((input, key) => {
    const name = keyName(input, key);
    if (name) dispatch({ type: 'key', key: name });
  });
  useEffect(() => {
    if (!state.effect || handled.current === state) return;
    handled.current = state;
    if (state.effect === 'exit') {
      onExit?.(state);
      exit();
      return;
    }
    try {
      dispatch({ type: 'saved', file: save(draftOf(state)) });
    } catch (err) {
      dispatch({ type: 'saveFailed', message: (err as Error).message });
    }
  }, [state, save, exit, onExit]);
  return <ReviewScreen state={state} color={color} />;
}
