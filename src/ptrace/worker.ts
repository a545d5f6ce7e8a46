/**
 * Worker-thread entry: the whole ptrace loop runs here (ptrace is per thread), so the main
 * thread's event loop stays free for progress and signals.
 */
import { parentPort } from 'node:worker_threads';
import { UserError } from '../io.js';
import { hostname, release } from 'node:os';
import { Recorder } from '../profile/recorder.js';
import { RemoteMemory, Tracer, type TraceConfig } from './tracer.js';
import { awaitAnswer, type AskQuestion } from './control.js';
import type { Profile, ExitStatus } from '../profile/types.js';

export interface WorkerInput {
  readonly config: TraceConfig;
  readonly command: readonly string[];
  readonly maxValues: number;
  readonly paths: boolean;
  readonly counts: SharedArrayBuffer;
  readonly live: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly notes: readonly string[];
}

export type WorkerMessage =
  /** Modules loaded, waiting for its input: from now on the worker can be terminated safely. */
  | { readonly type: 'ready' }
  | { readonly type: 'started'; readonly pid: number }
  | { readonly type: 'ask'; readonly question: AskQuestion }
  | { readonly type: 'done'; readonly profile: Profile; readonly exit: ExitStatus }
  | { readonly type: 'launch-failed'; readonly exit: ExitStatus; readonly reason?: string; readonly killedIn?: string }
  /** A user error (exit 125, one line), or an internal one (exit 70, stack for the report). */
  | { readonly type: 'error'; readonly user: boolean; readonly message: string; readonly stack?: string };

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

function run(input: WorkerInput): void {
  const recorder = new Recorder(
    { maxValues: input.maxValues, paths: input.paths, counts: new Float64Array(input.counts), live: new Float64Array(input.live) },
    new RemoteMemory(),
  );
  const start = new Date().toISOString();
  try {
    const control = new Int32Array(input.control);
    const asker = input.config.ask ? (question: AskQuestion) => awaitAnswer(control, () => post({ type: 'ask', question })) : undefined;
    const tracer = new Tracer(input.config, recorder, control, (pid) => post({ type: 'started', pid }), asker);
    const outcome = tracer.run();
    if (outcome.launchFailed)
      return post({
        type: 'launch-failed',
        exit: outcome.exit,
        ...(outcome.launchError ? { reason: outcome.launchError } : {}),
        ...(outcome.launchKilledIn ? { killedIn: outcome.launchKilledIn } : {}),
      });
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
    post({ type: 'done', profile, exit: outcome.exit });
  } catch (err) {
    if (err instanceof UserError) post({ type: 'error', user: true, message: err.message });
    else
      post({
        type: 'error',
        user: false,
        message: String((err as Error).message ?? err),
        ...((err as Error).stack ? { stack: (err as Error).stack } : {}),
      });
  }
}

// The worker boots before its configuration is known (see src/ptrace/prestart.ts).
parentPort!.once('message', (input: WorkerInput) => run(input));
post({ type: 'ready' });
