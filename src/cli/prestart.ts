/**
 * Start the tracer worker before the rest of the CLI loads: a worker's boot (isolate, koffi,
 * tracer modules) takes as long as the main thread's imports, so overlapping them halves the
 * fixed start-up of `sbx learn`. The worker waits for its configuration message.
 */
import { Worker } from 'node:worker_threads';

let prestarted: Worker | undefined;

/** Begin booting the tracer worker (call first thing, only for commands that trace). */
export function prestartTracer(): void {
  prestarted ??= new Worker(new URL('../ptrace/worker.js', import.meta.url));
  // An unused worker (bad arguments, --help) must not keep sbx alive.
  prestarted.unref();
}

/** The prestarted worker, or a fresh one. */
export function takeTracerWorker(): Worker {
  const worker = prestarted ?? new Worker(new URL('../ptrace/worker.js', import.meta.url));
  prestarted = undefined;
  worker.ref();
  return worker;
}
