/**
 * Start the tracer worker before the rest of the CLI loads: a worker's boot (isolate, koffi,
 * tracer modules) takes as long as the main thread's imports, so overlapping them halves the
 * fixed start-up of `sbx learn`. The worker waits for its configuration message.
 */
import { Worker } from 'node:worker_threads';

let prestarted: { readonly worker: Worker; readonly ready: Promise<void> } | undefined;

/** Most a booting worker is waited for before sbx exits anyway. */
const BOOT_WAIT_MS = 5000;

/** Begin booting the tracer worker (call first thing, only for commands that trace). */
export function prestartTracer(): void {
  if (prestarted) return;
  const worker = new Worker(new URL('./worker.js', import.meta.url));
  const ready = new Promise<void>((resolve) => {
    worker.once('message', () => resolve());
    worker.once('exit', () => resolve());
  });
  // An unused worker (bad arguments, --help) must not keep sbx alive.
  worker.unref();
  prestarted = { worker, ready };
}

/** The prestarted worker, or a fresh one. */
export function takeTracerWorker(): Worker {
  const worker = prestarted?.worker ?? new Worker(new URL('./worker.js', import.meta.url));
  prestarted = undefined;
  worker.ref();
  return worker;
}

/**
 * Before sbx exits without having traced (bad input, a scenario that cannot start): let the
 * unused worker finish booting, then stop it. A worker torn down while koffi is loading libc
 * aborts the whole process with a native fatal error instead of the one-line message.
 */
export async function releaseUnusedTracer(): Promise<void> {
  if (!prestarted) return;
  const { worker, ready } = prestarted;
  prestarted = undefined;
  worker.ref();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ready, new Promise<void>((resolve) => (timer = setTimeout(resolve, BOOT_WAIT_MS)))]);
  clearTimeout(timer);
  await worker.terminate();
}
