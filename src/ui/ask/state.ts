/**
 * Ask mode's prompt as a pure state machine: which answer a key picks, and the errno input.
 * The Ink component only draws this state and feeds it keys.
 */
import type { AskChoice } from '../../learn/session/ask.js';
import { parseErrno } from '../../policy/policy.js';
import type { KeyBinding } from '../keys.js';

export type AskCommand = 'ask.once' | 'ask.always' | 'ask.anyValue' | 'ask.deny' | 'ask.errno' | 'ask.kill' | 'ask.quit';

/**
 * The keys of the prompt; the prompt's hint line is printed from this table. "Allow always"
 * adds exactly the asked case (the call's request, option, family... when the syscall has
 * such an argument); `A` is the separate, wider answer: every value.
 */
export const ASK_KEYS: readonly KeyBinding<AskCommand>[] = [
  { command: 'ask.once', keys: ['o'], help: 'allow once' },
  { command: 'ask.always', keys: ['a'], help: 'allow always (adds a rule)' },
  { command: 'ask.anyValue', keys: ['A'], help: 'allow always, any value' },
  { command: 'ask.deny', keys: ['d'], help: "deny with the policy's action (saved)" },
  { command: 'ask.errno', keys: ['e'], help: 'fail with an errno… (saved)' },
  { command: 'ask.kill', keys: ['k'], help: 'kill the process' },
  { command: 'ask.quit', keys: ['q', 'ctrl+c'], help: 'stop the program (SIGINT)' },
];

export type AskState =
  | { readonly mode: 'choose'; readonly choice?: AskChoice }
  | { readonly mode: 'errno'; readonly text: string; readonly error?: string; readonly choice?: AskChoice };

export const INITIAL_ASK_STATE: AskState = { mode: 'choose' };

const CHOICES: Record<Exclude<AskCommand, 'ask.errno'>, AskChoice> = {
  'ask.once': { kind: 'allow-once' },
  'ask.always': { kind: 'allow-always' },
  'ask.anyValue': { kind: 'allow-any' },
  'ask.deny': { kind: 'deny' },
  'ask.kill': { kind: 'kill' },
  'ask.quit': { kind: 'quit' },
};

/**
 * Apply one key (a name from parseKeys: "a", "enter", "backspace", ...). `exact`: the call has
 * an argument that "allow always" is limited to; without one, `A` is the same as `a`.
 */
export function askReducer(state: AskState, key: string, exact = true): AskState {
  if (state.choice) return state;
  if (state.mode === 'errno') {
    if (key === 'escape') return INITIAL_ASK_STATE;
    if (key === 'ctrl+c') return { mode: 'choose', choice: { kind: 'quit' } };
    if (key === 'backspace') return { mode: 'errno', text: state.text.slice(0, -1) };
    if (key === 'enter') {
      const errno = parseErrno(state.text.trim() || 'EPERM');
      return typeof errno === 'string' ? { ...state, error: errno } : { ...state, choice: { kind: 'errno', errno } };
    }
    return /^[A-Za-z0-9]$/.test(key) ? { mode: 'errno', text: state.text + key.toUpperCase() } : state;
  }
  const command = ASK_KEYS.find((b) => b.keys.includes(key))?.command;
  if (command === 'ask.errno') return { mode: 'errno', text: '' };
  if (command === 'ask.anyValue' && !exact) return { mode: 'choose', choice: CHOICES['ask.always'] };
  return command ? { mode: 'choose', choice: CHOICES[command] } : state;
}

/** The answer as the one line left on the terminal after it ("allowed always: request == FIONREAD", "failed with EACCES"). */
export function describeChoice(
  choice: AskChoice,
  policyAction: string,
  exactCase?: string,
  errnoText: (errno: number) => string = String,
): string {
  switch (choice.kind) {
    case 'allow-once':
      return 'allowed once';
    case 'allow-always':
      return exactCase ? `allowed always when ${exactCase} (rule added)` : 'allowed always (rule added)';
    case 'allow-any':
      return 'allowed always, any value (rule added)';
    case 'deny':
      return `denied: ${policyAction}`;
    case 'errno':
      return `failed with ${errnoText(choice.errno)}`;
    case 'kill':
      return 'process killed';
    case 'quit':
      return 'stopped: SIGINT sent to the program';
  }
}
