/** The ask-mode prompt: the call the policy would deny, and the keys to answer it. */
import { Box, Text, useApp, useInput } from 'ink';
import { useEffect, useReducer } from 'react';
import { keyName } from '../keys.js';
import { ASK_KEYS, askReducer, describeChoice, INITIAL_ASK_STATE, type AskChoice } from './state.js';

/** What the prompt shows about the stopped call (plain data: the UI never imports the tracer). */
export interface AskView {
  readonly policyFile: string;
  readonly syscall: string;
  readonly arch: string;
  readonly decoded: string;
  readonly exe: string;
  readonly pid: number;
  readonly asked: number;
  /** The policy's action for this call, as `formatAction` writes it. */
  readonly policyAction: string;
}

export interface AskPromptProps {
  readonly view: AskView;
  readonly color: boolean;
  readonly onChoice: (choice: AskChoice) => void;
}

export function AskPrompt({ view, color, onChoice }: AskPromptProps) {
  const [state, dispatch] = useReducer(askReducer, INITIAL_ASK_STATE);
  const { exit } = useApp();
  useInput((input, key) => dispatch(keyName(input, key)));
  useEffect(() => {
    if (state.choice) {
      onChoice(state.choice);
      exit();
    }
  }, [state.choice, onChoice, exit]);
  if (state.choice)
    return (
      <Text>
        sbx: {view.syscall} → {describeChoice(state.choice, view.policyAction)}
      </Text>
    );
  const hint = ASK_KEYS.map((b) => `${b.keys[0]} ${b.command === 'ask.deny' ? `deny (${view.policyAction})` : b.help}`).join(' · ');
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
          {state.error ? <Text color={color ? 'red' : undefined}>  {state.error}</Text> : null}
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
