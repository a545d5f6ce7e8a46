/**
 * Worker-thread entry: the whole ptrace loop runs here (ptrace is per thread), so the main
 * thread's event loop stays free for a view, ask mode and signals.
 */
import { parentPort } from 'node:worker_threads';
import { startTraceSession, type TraceInput, type TraceMessage } from './session.js';

function post(message: TraceMessage): void {
  parentPort!.postMessage(message);
}

// The worker boots before its configuration is known (see src/ptrace/prestart.ts). Its tracer
// is not interruptible: one step traces the whole run.
parentPort!.once('message', (input: TraceInput) => startTraceSession(input, post)());
post({ type: 'ready' });
