/**
 * How sbx ends after running a program: with the program's status, as a shell reports it, or
 * by the same signal when a shell would die of it too (SIGINT, SIGQUIT).
 */
import type { ExitStatus } from '../../profile/types.js';
import { shellExitCode, signalToEndBy } from './trace-run.js';

const RLIMIT_CORE = 4;
let endBy: NodeJS.Signals | undefined;

/** Set the exit code for `exit` and remember a signal to die of once sbx is done. */
export function passExit(exit: ExitStatus): void {
  process.exitCode = shellExitCode(exit);
  endBy = signalToEndBy(exit);
}

/**
 * Call last: if the program died of a signal a shell dies of, reset its disposition and raise
 * it (no core file of sbx over the program's, as strace does). If sbx survives that somehow,
 * the exit code set by passExit (128+n) still says what happened.
 */
export async function raisePassedSignal(): Promise<void> {
  if (!endBy) return;
  // koffi loads only here: the main thread of a traced run needs no libc call otherwise.
  const { allocBuffer, setrlimit } = await import('../../linux/libc.js');
  process.removeAllListeners(endBy); // the last listener gone, libuv puts back SIG_DFL
  setrlimit(RLIMIT_CORE, allocBuffer(16).address);
  process.kill(process.pid, endBy);
}
