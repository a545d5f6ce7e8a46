/**
 * One traced run, wherever its tracer runs: the worker thread (src/ptrace/worker.ts) or, when
 * nothing else needs it, the main thread (src/ptrace/main-thread.ts). Builds the Recorder and
 * the Tracer from the input and reports through `post`, so both drivers read the same messages.
 */
import { hostname, release } from 'node:os';
import { UserError } from '../io.js';
import { Recorder } from '../profile/recorder.js';
import type { ExitStatus, Profile } from '../profile/types.js';
import { awaitAnswer, type AskQuestion } from './control.js';
import { RemoteMemory, type TraceConfig, type TraceOutcome, Tracer } from './tracer.js';

export interface TraceInput {
  readonly config: TraceConfig;
  readonly command: readonly string[];
  readonly maxValues: number;
  readonly paths: boolean;
  readonly counts: SharedArrayBuffer;
  readonly live: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly notes: readonly string[];
}

export type TraceMessage =
  /** Modules loaded, waiting for its input: from now on the worker can be terminated safely. */
  | { readonly type: 'ready' }
  | { readonly type: 'started'; readonly pid: number }
  | { readonly type: 'ask'; readonly question: AskQuestion }
  | { readonly type: 'done'; readonly profile: Profile; readonly exit: ExitStatus }
  | { readonly type: 'launch-failed'; readonly exit: ExitStatus; readonly reason?: string; readonly killedIn?: string }
  /** A user error (exit 125, one line), or an internal one (exit 70, stack for the report). */
  | { readonly type: 'error'; readonly user: boolean; readonly message: string; readonly stack?: string };

/**
 * Start tracing `input` and return the next step: each call traces until the run is over (true:
 * its last message is posted) or, with config.interruptible, until a signal interrupted the
 * tracer (false: call again once the event loop has run).
 */
export function startTraceSession(input: TraceInput, post: (message: TraceMessage) => void): () => boolean {
  const recorder = new Recorder(
    { maxValues: input.maxValues, paths: input.paths, counts: new Float64Array(input.counts), live: new Float64Array(input.live) },
    new RemoteMemory(),
  );
  const start = new Date().toISOString();
  const control = new Int32Array(input.control);
  let tracer: Tracer | undefined;
  return () => {
    try {
      if (!tracer) {
        const asker = input.config.ask ? (question: AskQuestion) => awaitAnswer(control, () => post({ type: 'ask', question })) : undefined;
        tracer = new Tracer(input.config, recorder, control, (pid) => post({ type: 'started', pid }), asker);
        tracer.start();
      }
      const outcome = tracer.trace();
      if (outcome === undefined) return false;
      post(finalMessage(input, recorder, outcome, start));
    } catch (err) {
      post(errorMessage(err));
    }
    return true;
  };
}

function finalMessage(input: TraceInput, recorder: Recorder, outcome: TraceOutcome, start: string): TraceMessage {
  if (outcome.launchFailed)
    return {
      type: 'launch-failed',
      exit: outcome.exit,
      ...(outcome.launchError ? { reason: outcome.launchError } : {}),
      ...(outcome.launchKilledIn ? { killedIn: outcome.launchKilledIn } : {}),
    };
  const target = input.config.target;
  const profile = recorder.toProfile(
    {
      command: input.command,
      ...('pid' in target ? { attachedPid: target.pid } : {}),
      mode: 'pid' in target ? 'syscall' : input.config.mode,
      kernel: release(),
      hostname: hostname(),
      start,
      end: new Date().toISOString(),
      exit: outcome.exit,
    },
    [...input.notes, ...outcome.notes],
  );
  return { type: 'done', profile, exit: outcome.exit };
}

function errorMessage(err: unknown): TraceMessage {
  if (err instanceof UserError) return { type: 'error', user: true, message: err.message };
  return {
    type: 'error',
    user: false,
    message: String((err as Error).message ?? err),
    ...((err as Error).stack ? { stack: (err as Error).stack } : {}),
  };
}
