/**
 * Ask one question on the terminal. Ink is mounted only while a call waits for its answer, so
 * between questions the program has the terminal (and its stdin) to itself.
 */
import { createElement } from 'react';
import { render } from 'ink';
import type { AskChoice, AskView } from '../../learn/session/ask.js';
import { AskPrompt } from './ask-prompt.js';

export interface AskTerminal {
  readonly stdin: NodeJS.ReadStream;
  /** Where the prompt is drawn: stderr, so the program's stdout stays its own. */
  readonly stdout: NodeJS.WriteStream;
  readonly color: boolean;
}

export async function askOnTerminal(view: AskView, terminal: AskTerminal): Promise<AskChoice> {
  let choice: AskChoice | undefined;
  const app = render(createElement(AskPrompt, { view, color: terminal.color, onChoice: (c: AskChoice) => (choice = c) }), {
    stdin: terminal.stdin,
    stdout: terminal.stdout,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  // The prompt's last frame (one line naming the answer) stays as a record.
  await app.waitUntilExit();
  return choice ?? { kind: 'deny' };
}
