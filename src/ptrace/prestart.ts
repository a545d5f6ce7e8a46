/**
 * Start the tracer worker before the rest of the CLI loads: a worker's boot (isolate, koffi,
 * tracer modules) takes as long as the main thread's imports, so overlapping them halves the
 * fixed start-up of `sbx learn`. The worker waits for its configuration message.
 */
import type { Worker } from 'node:worker_threads';

let prestarted: { readonly worker: Worker; readonly ready: Promise<void> } | undefined;

/** Most a booting worker is waited for before sbx exits anyway. */
const BOOT_WAIT_MS = 5000;

/**
 * The tracer worker's file. The esbuild bundle (scripts/bundle.mjs) makes it one CommonJS
 * file, so the worker boots without an ES module loader; tsc's build (tests) has worker.js.
 */
declare const SBX_TRACER_WORKER: string | undefined;
const WORKER_FILE = typeof SBX_TRACER_WORKER === 'string' ? SBX_TRACER_WORKER : './worker.js';

/**
 * A new tracer worker. Its stdout and stderr are not piped to sbx's yet, because piping them
 * would create sbx's stdio streams, and the worker starts before captureInherited() has kept
 * fds 0-2 as sbx was given them (src/linux/inherited.ts); takeTracerWorker() pipes them. The
 * environment is sbx's own (SHARE_ENV): captureInherited() removes SBX_INHERITED from it later.
 */
function startWorker(): Worker {
  // Required here: loading worker_threads costs a run that needs no worker (sbx learn -q) ~5 ms.
  const threads = process.getBuiltinModule('node:worker_threads');
  return new threads.Worker(new URL(WORKER_FILE, import.meta.url), { stdout: true, stderr: true, env: threads.SHARE_ENV });
}

/** Begin booting the tracer worker (call first thing, only for commands that trace). */
export function prestartTracer(): void {
  if (prestarted) return;
  const worker = startWorker();
  const ready = new Promise<void>((resolve) => {
    worker.once('message', () => resolve());
    worker.once('exit', () => resolve());
  });
  // An unused worker (bad arguments, --help) must not keep sbx alive.
  worker.unref();
  prestarted = { worker, ready };
}

/** The prestarted worker, or a fresh one, its output going to sbx's. */
export function takeTracerWorker(): Worker {
  const worker = prestarted?.worker ?? startWorker();
  prestarted = undefined;
  worker.ref();
  worker.stdout.pipe(process.stdout);
  worker.stderr.pipe(process.stderr);
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
