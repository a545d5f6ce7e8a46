/**
 * Start `sbx review` on the terminal: build the rows, render the app full-screen (alternate
 * screen, so the shell's scrollback is left as it was), and report what happened.
 */
import { createElement } from 'react';
import { render, type RenderOptions } from 'ink';
import { writeFileAtomic } from '../../io.js';
import { makePolicy, policyText, type Policy } from '../../policy/policy.js';
import type { Profile } from '../../profile/types.js';
import { buildReviewData } from './data.js';
import { ReviewApp } from './review-app.js';
import { changedCount, initialReviewState, isDirty, type ReviewState } from './state.js';

export interface ReviewOptions {
  readonly profile: Profile;
  readonly policy: Policy;
  readonly title: string;
  readonly output: string;
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
  readonly env?: NodeJS.ProcessEnv;
}

/** Colours unless NO_COLOR is set (to anything non-empty, per no-color.org) or TERM is dumb. */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.NO_COLOR && env.TERM !== 'dumb';
}

/** Ink's options for the review screen (the benchmark renders with the same). */
export const REVIEW_RENDER_OPTIONS: RenderOptions = { exitOnCtrlC: false, patchConsole: false, maxFps: 60 };

/** Check, serialize and write the policy; returns the file. */
export function savePolicy(output: string, draft: Parameters<typeof makePolicy>[0]): string {
  writeFileAtomic(output, policyText(makePolicy(draft, output)));
  return output;
}

/** Run the review until the user quits; returns the final state. */
export async function runReview(options: ReviewOptions): Promise<ReviewState> {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  const data = buildReviewData(options.profile, options.policy, options.title);
  let final = initialReviewState(data, { width: stdout.columns || 80, height: stdout.rows || 24 });
  stdout.write('\x1b[?1049h\x1b[H');
  try {
    const app = render(
      createElement(ReviewApp, {
        initial: final,
        color: colorEnabled(options.env),
        save: (draft) => savePolicy(options.output, draft),
        onExit: (state) => {
          final = state;
        },
      }),
      { ...REVIEW_RENDER_OPTIONS, stdout, stdin },
    );
    await app.waitUntilExit();
  } finally {
    stdout.write('\x1b[?1049l');
  }
  return final;
}

/** One line for stderr after the screen closes. */
export function reviewOutcome(state: ReviewState): string {
  if (isDirty(state)) return `sbx: quit without saving (${changedCount(state)} change(s) discarded)\n`;
  if (state.savedTo) return `sbx: saved ${state.savedTo} (${changedCount(state)} change(s) from the proposal)\n`;
  return 'sbx: nothing saved\n';
}
