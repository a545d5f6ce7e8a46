/**
 * Start `sbx review` on the terminal: build the rows, run the app full-screen (alternate
 * screen, so the shell's scrollback is left as it was), and report what happened. Ink runs the
 * app and reads the keys; the screen is drawn by a FramePainter (only the lines that change).
 */
import { EventEmitter } from 'node:events';
import { createElement } from 'react';
import { render, type Instance, type RenderOptions } from 'ink';
import { writeFileAtomic } from '../../io.js';
import { makePolicy, policyText, type Policy, type PolicyDraft } from '../../policy/policy.js';
import type { Profile } from '../../profile/types.js';
import { buildReviewData } from './data.js';
import { FramePainter } from '../painter.js';
import { openReviewScreen } from './full-screen.js';
import { ReviewApp } from './review-app.js';
import { changedCount, initialReviewState, isDirty, unsavedCount, type ReviewState } from './state.js';

export interface ReviewOptions {
  readonly profile: Profile;
  readonly policy: Policy;
  readonly title: string;
  /** The profile files (the report page lists them). */
  readonly sources?: readonly string[];
  readonly output: string;
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
  readonly env?: NodeJS.ProcessEnv;
}

/** Colours unless NO_COLOR is set (to anything non-empty, per no-color.org) or TERM is dumb. */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.NO_COLOR && env.TERM !== 'dumb';
}

/** Ink's options for the review app. */
export const REVIEW_RENDER_OPTIONS: RenderOptions = { exitOnCtrlC: false, patchConsole: false };

/** Ink's output while the painter draws: Ink writes nothing to the terminal. */
class NoOutput extends EventEmitter {
  readonly isTTY = false;
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super();
  }
  write(): boolean {
    return true;
  }
}

/** Inputs of mountReview: the first state, the terminal, how to save. */
export interface MountOptions {
  readonly initial: ReviewState;
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly color: boolean;
  readonly save: (draft: PolicyDraft) => string;
  readonly onExit?: (state: ReviewState) => void;
}

/** Run the review app on a terminal (sbx review and the benchmark). */
export function mountReview(options: MountOptions): Instance {
  const { stdout } = options;
  return render(
    createElement(ReviewApp, {
      initial: options.initial,
      color: options.color,
      save: options.save,
      painter: new FramePainter(stdout, options.color),
      terminal: stdout,
      ...(options.onExit ? { onExit: options.onExit } : {}),
    }),
    {
      ...REVIEW_RENDER_OPTIONS,
      stdout: new NoOutput(stdout.columns || 80, stdout.rows || 24) as unknown as NodeJS.WriteStream,
      stdin: options.stdin,
    },
  );
}

/** Check, serialize and write the policy; returns the file. */
export function savePolicy(output: string, draft: Parameters<typeof makePolicy>[0]): string {
  writeFileAtomic(output, policyText(makePolicy(draft, output)));
  return output;
}

/**
 * Run the review until the user quits; returns the final state. `close` is what
 * openReviewScreen returned when the caller entered the screen early; else it is entered here.
 */
export async function runReview(options: ReviewOptions, close?: () => void): Promise<ReviewState> {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  const leave = close ?? openReviewScreen(stdout, 'the rows');
  try {
    const data = buildReviewData(options.profile, options.policy, options.title, options.sources);
    let final = initialReviewState(data, { width: stdout.columns || 80, height: stdout.rows || 24, output: options.output });
    const app = mountReview({
      initial: final,
      stdin,
      stdout,
      color: colorEnabled(options.env),
      save: (draft) => savePolicy(options.output, draft),
      onExit: (state) => {
        final = state;
      },
    });
    await app.waitUntilExit();
    return final;
  } finally {
    leave();
  }
}

/** One line for stderr after the screen closes. */
export function reviewOutcome(state: ReviewState): string {
  if (isDirty(state)) return `sbx: quit without saving (${unsavedCount(state)} unsaved change(s) discarded)\n`;
  if (state.savedTo) return `sbx: saved ${state.savedTo} (${changedCount(state)} change(s) from the proposal)\n`;
  return 'sbx: nothing saved\n';
}
