/** The ask-mode prompt: the call the policy would deny, and the keys to answer it. */
import { Box, Text, useApp } from 'ink';
import { useEffect, useReducer } from 'react';
import { errnoLabel, type Errno } from '../../policy/policy.js';
import { useKeys } from '../use-keys.js';
import type { AskChoice, AskView } from '../../learn/session/ask.js';
import { ASK_KEYS, askReducer, describeChoice, INITIAL_ASK_STATE, type AskState } from './state.js';

export interface AskPromptProps {
  readonly view: AskView;
  readonly color: boolean;
  readonly onChoice: (choice: AskChoice) => void;
}

export function AskPrompt({ view, color, onChoice }: AskPromptProps) {
  const exact = view.exactCase !== undefined;
  const [state, dispatch] = useReducer(
    (s: AskState, keys: readonly string[]) => keys.reduce((t, k) => askReducer(t, k, exact), s),
    INITIAL_ASK_STATE,
  );
  const { exit } = useApp();
  useKeys(dispatch);
  useEffect(() => {
    if (state.choice) {
      onChoice(state.choice);
      exit();
    }
  }, [state.choice, onChoice, exit]);
  if (state.choice)
    return (
      <Text>
        sbx: {view.syscall} → {describeChoice(state.choice, view.policyAction, view.exactCase, (n) => errnoLabel(n as Errno))}
      </Text>
    );
  const hint = ASK_KEYS.filter((b) => b.command !== 'ask.anyValue' || exact)
    .map((b) => {
      if (b.command === 'ask.deny') return `d deny (${view.policyAction}, saved)`;
      if (b.command === 'ask.always' && exact) return `a allow always when ${view.exactCase}`;
      if (b.command === 'ask.anyValue') return `A allow always, ${view.anyValue ?? 'any value'}`;
      if (b.command === 'ask.quit') return `q/Ctrl+C ${b.help}`;
      return `${b.keys[0]} ${b.help}`;
    })
    .join(' · ');
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold color={color ? 'yellow' : undefined}>
          sbx: {view.policyFile} would deny {view.syscall}
        </Text>
        {view.arch === 'x86_64' ? '' : ` (${view.arch})`}
        {view.decoded ? `  ${view.decoded}` : ''}
      </Text>
      <Text dimColor={color}>
        {'  '}
        {view.exe} · pid {view.pid} · asked {view.asked}× before
      </Text>
      {state.mode === 'errno' ? (
        <Text>
          {'  '}errno (name or number, Enter = EPERM, Esc = back): {state.text}
          {state.error ? <Text color={color ? 'red' : undefined}> {state.error}</Text> : null}
        </Text>
      ) : (
        <Text>
          {'  '}
          {hint}
        </Text>
      )}
    </Box>
  );
}
