/**
 * Ask mode's prompt as a pure state machine: which answer a key picks, and the errno input.
 * The Ink component only draws this state and feeds it keys.
 */
import { parseErrno } from '../../policy/policy.js';
import type { KeyBinding } from '../keys.js';

export type AskCommand = 'ask.once' | 'ask.always' | 'ask.deny' | 'ask.errno' | 'ask.kill';

/** The keys of the prompt; the prompt's hint line is printed from this table. */
export const ASK_KEYS: readonly KeyBinding<AskCommand>[] = [
  { command: 'ask.once', keys: ['o'], help: 'allow once' },
  { command: 'ask.always', keys: ['a'], help: 'allow always (adds a rule)' },
  { command: 'ask.deny', keys: ['d'], help: "deny with the policy's action" },
  { command: 'ask.errno', keys: ['e'], help: 'fail with an errno…' },
  { command: 'ask.kill', keys: ['k'], help: 'kill the process' },
];

/** What the person decided. */
export type AskChoice =
  | { readonly kind: 'allow-once' | 'allow-always' | 'deny' | 'kill' }
  | { readonly kind: 'errno'; readonly errno: number };

export type AskState =
  | { readonly mode: 'choose'; readonly choice?: AskChoice }
  | { readonly mode: 'errno'; readonly text: string; readonly error?: string; readonly choice?: AskChoice };

export const INITIAL_ASK_STATE: AskState = { mode: 'choose' };

const CHOICES: Record<Exclude<AskCommand, 'ask.errno'>, AskChoice> = {
  'ask.once': { kind: 'allow-once' },
  'ask.always': { kind: 'allow-always' },
  'ask.deny': { kind: 'deny' },
  'ask.kill': { kind: 'kill' },
};

/** Apply one key (a name from keyName: "a", "enter", "backspace", ...). */
export function askReducer(state: AskState, key: string): AskState {
  if (state.choice) return state;
  if (state.mode === 'errno') {
    if (key === 'escape') return INITIAL_ASK_STATE;
    if (key === 'backspace') return { mode: 'errno', text: state.text.slice(0, -1) };
    if (key === 'enter') {
      const errno = parseErrno(state.text.trim() || 'EPERM');
      return typeof errno === 'string' ? { ...state, error: errno } : { ...state, choice: { kind: 'errno', errno } };
    }
    return /^[A-Za-z0-9]$/.test(key) ? { mode: 'errno', text: state.text + key.toUpperCase() } : state;
  }
  const command = ASK_KEYS.find((b) => b.keys.includes(key))?.command;
  if (command === 'ask.errno') return { mode: 'errno', text: '' };
  return command ? { mode: 'choose', choice: CHOICES[command] } : state;
}

/** The answer as the one line left on the terminal after it ("allowed always", "errno 13"). */
export function describeChoice(choice: AskChoice, policyAction: string): string {
  switch (choice.kind) {
    case 'allow-once':
      return 'allowed once';
    case 'allow-always':
      return 'allowed always (rule added)';
    case 'deny':
      return `denied: ${policyAction}`;
    case 'errno':
      return `failed with errno ${choice.errno}`;
    case 'kill':
      return 'process killed';
  }
}
