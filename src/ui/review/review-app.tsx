/**
 * The thin skin over the review state machine: turns key presses into `keys` actions, follows
 * the terminal size, carries out the save/exit effects, and draws `screen(state)`: through Ink
 * (tests, ink-testing-library) or, on a real terminal, through a FramePainter that rewrites only
 * the lines that changed (see src/ui/painter.ts for why).
 */
import { useEffect, useLayoutEffect, useReducer, useRef, type Dispatch } from 'react';
import { Box, Text, useApp, useStdout } from 'ink';
import type { PolicyDraft } from '../../policy/policy.js';
import { useKeys } from '../use-keys.js';
import type { Line } from '../painter.js';
import { screen } from './format.js';
import { draftOf, reviewReducer, type ReviewAction, type ReviewState } from './state.js';

/** What every part of the screen draws from. */
export interface ScreenProps {
  readonly state: ReviewState;
  readonly color: boolean;
}

function ScreenLine({ line, color }: { line: Line; color: boolean }) {
  // an empty Text would take no row
  if (!color || line.every((s) => s.text === '')) return <Text wrap="truncate">{line.map((s) => s.text).join('') || ' '}</Text>;
  return (
    <Text wrap="truncate">
      {line.map((s, i) => (
        <Text
          key={i}
          bold={s.style?.bold}
          dimColor={s.style?.dim}
          inverse={s.style?.inverse}
          underline={s.style?.underline}
          color={s.style?.color}
        >
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

/** The whole screen for a state, as Ink elements. */
export function ReviewScreen({ state, color }: ScreenProps) {
  return (
    <Box flexDirection="column" width={state.width}>
      {screen(state).map((line, i) => (
        <ScreenLine key={i} line={line} color={color} />
      ))}
    </Box>
  );
}

/** Draws frames on a real terminal instead of Ink (FramePainter). */
export interface Painter {
  paint(lines: readonly Line[]): void;
  invalidate(): void;
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
  /** Draw with this instead of Ink; `terminal` is then the screen whose size is followed. */
  readonly painter?: Painter;
  readonly terminal?: NodeJS.WriteStream;
}

function useTerminalSize(
  dispatch: Dispatch<ReviewAction>,
  follow: boolean,
  terminal: NodeJS.WriteStream,
  painter: Painter | undefined,
): void {
  useEffect(() => {
    if (!follow) return;
    let size = '';
    const update = () => {
      const [width, height] = [terminal.columns || 80, terminal.rows || 24];
      // only a real change: the terminal may have reflowed what was drawn, so the next frame is
      // drawn whole (invalidating without one would redraw everything at the next key)
      if (`${width}x${height}` === size) return;
      if (size) painter?.invalidate();
      size = `${width}x${height}`;
      dispatch({ type: 'resize', width, height });
    };
    update();
    terminal.on('resize', update);
    return () => {
      terminal.off('resize', update);
    };
  }, [terminal, follow, dispatch, painter]);
}

/** `sbx review`'s app: the reducer, the keys, the effects. */
export function ReviewApp({ initial, save, color, onExit, followTerminal = true, painter, terminal }: ReviewAppProps) {
  const [state, dispatch] = useReducer(reviewReducer, initial);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const handled = useRef<ReviewState | undefined>(undefined);
  useTerminalSize(dispatch, followTerminal, terminal ?? stdout, painter);
  useKeys((keys) => dispatch({ type: 'keys', keys }));
  useLayoutEffect(() => {
    painter?.paint(screen(state));
  }, [painter, state]);
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
  return painter ? null : <ReviewScreen state={state} color={color} />;
}
