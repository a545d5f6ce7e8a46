/**
 * What runs first when sbx starts (the bundle's entry; bin/sbx starts it). It puts back the
 * variables bin/sbx kept from Node (src/linux/inherited.ts). Commands that run a
 * program first begin booting the tracer worker where one is needed, then keep what sbx was
 * given (fds 0-2, signals: src/linux/inherited.ts) before anything creates a stdio stream
 * (the worker does not), then the command line runs.
 */
import { captureInherited, restoreSetAside } from '../linux/inherited.js';
import { prestartTracer, releaseUnusedTracer } from '../ptrace/prestart.js';
import { needsTracerWorker } from './arguments.js';
import { RUNS_A_PROGRAM, runCli } from './main.js';

async function start(): Promise<void> {
  restoreSetAside();
  const command = process.argv[2] ?? '';
  if (RUNS_A_PROGRAM.has(command)) {
    if (needsTracerWorker(command, process.argv.slice(3))) prestartTracer();
    try {
      await captureInherited();
    } catch (err) {
      // sbx's own failure where a program's exit code is passed on: one line, 125.
      process.stderr.write(`sbx: cannot start: ${(err as Error).message}\n`);
      process.exitCode = 125;
      await releaseUnusedTracer();
      return;
    }
  }
  await runCli();
}

void start();
