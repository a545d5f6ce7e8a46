/**
 * Main-thread side of tracing: resolves the command, starts the tracer (in its worker, or on
 * this thread when nothing else needs it), forwards signals, shows progress through the view
 * the command passes in, and returns the profile with the program's exit status.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { InternalError, QuietExit, UserError } from '../../io.js';
import { CONTROL_FIELDS, CONTROL_STOP, postAnswer, wakeTracer, type AskAnswer, type AskQuestion } from '../../ptrace/control.js';
import type { TraceTarget } from '../../ptrace/tracer.js';
import type { TraceInput, TraceMessage } from '../../ptrace/session.js';
import { LIVE_FIELDS, SLOT_COUNT } from '../../profile/slots.js';
import type { ExitStatus, Profile, TraceMode } from '../../profile/types.js';
import { resolveCommand } from './resolve-command.js';
import { takeTracerWorker } from '../../ptrace/prestart.js';
import { inherited } from '../../linux/inherited.js';

/** The run's shared counters, as a view reads them. */
export interface TraceFeed {
  /** Calls per syscall slot (src/profile/slots.ts). */
  readonly counts: Float64Array;
  /** Processes and threads (LIVE_PROCESSES, LIVE_THREADS). */
  readonly live: Float64Array;
  /** The tracer's control words (the terminal lock and flags of src/screen-share.ts). */
  readonly control: Int32Array;
  /** The command line. */
  readonly title: string;
}

/** What shows a run on sbx's terminal (src/ui/trace-view.ts makes them). */
export interface TraceView {
  /** The program runs. */
  start(): void;
  /** sbx is about to stop (Ctrl-Z): give the terminal back; `resume` on SIGCONT. */
  suspend?(): void;
  resume?(): void;
  /** The program ended (`ended`: "exited 0"): whether the person asked to open review, undefined if not asked. */
  finish?(ended: string): Promise<boolean | undefined>;
  /** Gone, whatever happened; safe to call twice. */
  stop(): void;
}

/** A run's view, chosen before the tracer starts. */
export interface TraceViewPlan {
  /** The tracer watches the program's writes and terminal modes and flags when it takes the terminal over, so the view steps aside. */
  readonly watchTerminal: boolean;
  /** The view over the run's counters; called once the tracer is started, so loading it overlaps the launch. */
  open(feed: TraceFeed): Promise<TraceView>;
  /**
   * The view redraws on a timer and reads no keys while the program runs, so the tracer can
   * keep the main thread (src/ptrace/main-thread.ts) and the view draws between its steps, at
   * least every 100 ms. A view that must answer at once meanwhile needs the tracer on a worker.
   */
  readonly sharesMainThread: boolean;
}

/**
 * Chooses a run's view (undefined: nothing on the terminal), knowing whether the tracer stops
 * at every call (else it cannot see the program take the terminal over) and whether the
 * program's output goes to a file.
 */
export type TraceViewFor = (run: {
  readonly seesEveryCall: boolean;
  readonly outputRedirected: boolean;
}) => Promise<TraceViewPlan | undefined>;

export interface TraceRequest {
  readonly mode: TraceMode;
  readonly command?: readonly string[];
  readonly pid?: number;
  readonly paths: boolean;
  readonly maxValues: number;
  readonly pin: boolean;
  /** What sbx shows while the program runs (the command's --progress, --tui); none: nothing. */
  readonly view?: TraceViewFor;
  /** Filter for the launcher instead of the learning one (sbx run). */
  readonly filter?: Uint8Array;
  /** `filter` is this policy behind trace-filter.ts withCloneCheck (run --complain/--ask). */
  readonly cloneCheckedPolicy?: Uint8Array;
  /** Enforce only: detach once the target runs (sbx run without --complain). */
  readonly enforceOnly?: boolean;
  /** Extra notes for the profile (what the run was). */
  readonly notes?: readonly string[];
  /** Ask mode: called for each call the policy would deny; the program waits for the answer. */
  readonly onAsk?: (question: AskQuestion) => Promise<AskAnswer>;
  /** sbx learn --tracee-output: the program's stdout and stderr go to this file (created or truncated). */
  readonly traceeOutput?: string;
  /** Scenario runs: a file fed to the program as its stdin. */
  readonly stdinFile?: string;
  /** Scenario runs: the program's whole environment instead of sbx's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Scenario runs: called with the program's pid once it runs (timeouts, driver scripts). */
  readonly onStarted?: (pid: number) => void;
  /**
   * sbx run: why the filter killed the launcher in `call` (before the program started), as
   * one line ("the policy kills execve, which starting the program needs"); undefined: no idea.
   */
  readonly explainLaunchKill?: (call: string) => string | undefined;
}

function openTraceeOutput(file: string): number {
  try {
    return openSync(file, 'w');
  } catch (err) {
    throw new UserError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function openStdinFile(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** "exited 0", "killed by SIGKILL", "detached": how the program ended, for the live view. */
export function exitText(exit: ExitStatus): string {
  if (exit.kind === 'exited') return `exited ${exit.code}`;
  if (exit.kind === 'signaled') return `killed by ${exit.signal}`;
  return 'detached';
}

/** Every profile says what no tracer can see. */
export const VDSO_NOTE =
  'clock_gettime, gettimeofday, time and getcpu are normally answered in the vDSO without entering the kernel: they never trap and are not counted';

/** The command line of a running process, from /proc/PID/cmdline (empty for a kernel thread). */
export function attachedCommandLine(pid: number): string[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    throw new UserError(`no process with pid ${pid}`, 125);
  }
  const argv = text.split('\0');
  if (argv.at(-1) === '') argv.pop();
  return argv;
}

/** Exit code a shell would report for this status. */
export function shellExitCode(exit: ExitStatus): number {
  if (exit.kind === 'exited') return exit.code;
  if (exit.kind === 'signaled') return 128 + exit.number;
  return 0;
}

/**
 * Signals that end a calling shell script too when its command dies of them (bash's "wait
 * and cooperative exit"): sbx dies of them itself, so `for ...; do sbx learn ...; done`
 * stops on Ctrl-C as it does with the bare program. Others are passed on as 128+n.
 */
const SHELL_ENDING_SIGNALS = new Set(['SIGINT', 'SIGQUIT']);
/** Signals sent to sbx that it passes on to the program (README "Ctrl-C"). */
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGALRM', 'SIGUSR1', 'SIGUSR2'];

/** The signal sbx should end by after reporting `exit`, if any (see ./exit.ts). */
export function signalToEndBy(exit: ExitStatus): NodeJS.Signals | undefined {
  return exit.kind === 'signaled' && SHELL_ENDING_SIGNALS.has(exit.signal) ? (exit.signal as NodeJS.Signals) : undefined;
}

/**
 * Run a command (or attach to a pid) under the tracer worker; resolves with the profile and
 * how the program ended. Launch failures reject with the program's exit code attached.
 */
export async function traceProgram(request: TraceRequest): Promise<{ profile: Profile; exit: ExitStatus; review?: boolean }> {
  let target: TraceTarget;
  let command: readonly string[];
  if (request.pid !== undefined) {
    target = { pid: request.pid };
    command = attachedCommandLine(request.pid);
  } else {
    command = request.command ?? [];
    if (command.length === 0) throw new UserError('no command given: sbx learn [options] -- <command> [args...]');
    target = { path: resolveCommand(command[0]!), argv: command };
  }
  // Opened here, in the process the worker shares fds with; the launcher dup2s it onto 1 and 2.
  const output = request.traceeOutput !== undefined ? openTraceeOutput(request.traceeOutput) : undefined;
  const stdinFd = request.stdinFile !== undefined ? openStdinFile(request.stdinFile) : undefined;
  // Pinning a process sbx did not start would change its CPU affinity, and pinning the tracer
  // alone does not steady anything: under --pid nothing is pinned.
  const pin = request.pin && request.pid === undefined;
  const kept = inherited();
  const plan = await request.view?.({ seesEveryCall: request.filter === undefined, outputRedirected: output !== undefined });
  const counts = new SharedArrayBuffer(SLOT_COUNT * 8);
  const live = new SharedArrayBuffer(LIVE_FIELDS * 8);
  const control = new SharedArrayBuffer(CONTROL_FIELDS * 4);
  const input: TraceInput = {
    config: {
      mode: request.mode,
      target,
      pin,
      ...(request.filter ? { filter: request.filter } : {}),
      ...(request.cloneCheckedPolicy ? { cloneCheckedPolicy: request.cloneCheckedPolicy } : {}),
      ...(request.enforceOnly ? { enforceOnly: true } : {}),
      ...(output !== undefined ? { output } : {}),
      ...(stdinFd !== undefined ? { input: stdinFd } : {}),
      ...(request.env ? { env: request.env } : {}),
      ...(request.onAsk ? { ask: true } : {}),
      ...(kept ? { inherited: kept } : {}),
      ...(plan?.watchTerminal ? { watchTerminal: true } : {}),
    },
    command,
    maxValues: request.maxValues,
    paths: request.paths,
    counts,
    live,
    control,
    notes: [
      VDSO_NOTE,
      pin
        ? 'tracer and tracee were pinned to one CPU (--no-pin to turn off)'
        : request.pid !== undefined
          ? 'not pinned to a CPU: an attached process keeps its own CPU affinity'
          : 'not pinned to a CPU (--no-pin)',
      ...(request.notes ?? []),
    ],
  };
  // Nothing else needs the main thread at once (no view reading keys, no question to ask, no
  // scenario timers): the tracer runs on it and no worker boots (src/ptrace/main-thread.ts).
  const mainThread =
    (plan === undefined || plan.sharesMainThread) && request.onAsk === undefined && request.onStarted === undefined
      ? await import('../../ptrace/main-thread.js')
      : undefined;
  const worker = mainThread ? undefined : takeTracerWorker();
  worker?.postMessage(input);
  const controlView = new Int32Array(control);
  let tracee = 0;
  const requestDetach = () => {
    if (Atomics.exchange(controlView, CONTROL_STOP, 1) === 0) void wakeTracer();
  };
  // Ctrl-C reaches the traced program straight from the terminal; sbx keeps tracing until it
  // exits. Under --pid, Ctrl-C means "stop tracing": detach and write the profile.
  const onInterrupt = () => (request.pid !== undefined ? requestDetach() : undefined);
  const forward = (signal: NodeJS.Signals) => () => {
    if (request.pid !== undefined) return requestDetach();
    try {
      if (tracee) process.kill(tracee, signal);
    } catch {
      // already gone: its exit is on its way
    }
  };
  const handlers: [NodeJS.Signals, () => void][] = [];
  const listen = (signal: NodeJS.Signals, handler: () => void) => {
    handlers.push([signal, handler]);
    process.on(signal, handler);
    // On the main thread, the tracer's waitpid must give way to the handler.
    mainThread?.interruptWaitOn(signal);
  };
  listen('SIGINT', onInterrupt);
  listen('SIGQUIT', onInterrupt);
  // What a supervisor or a script sends the process it started (stop, reload, time out) goes on
  // to the program, as if it had been started bare; under --pid, it stops tracing.
  for (const signal of FORWARDED_SIGNALS) listen(signal, forward(signal));
  const view = await plan?.open({
    counts: new Float64Array(counts),
    live: new Float64Array(live),
    control: controlView,
    title: command.join(' '),
  });
  if (view?.suspend) {
    // Ctrl-Z stops sbx with the program: the view gives the terminal back to the shell first.
    listen('SIGTSTP', () => {
      view.suspend?.();
      process.kill(process.pid, 'SIGSTOP');
    });
    listen('SIGCONT', () => view.resume?.());
  }
  try {
    const result = await new Promise<{ profile: Profile; exit: ExitStatus }>((resolve, reject) => {
      const onMessage = (message: TraceMessage) => {
        if (message.type === 'ready') return;
        if (message.type === 'ask') {
          request.onAsk!(message.question).then(
            (answer) => postAnswer(controlView, answer),
            (err: unknown) => reject(err),
          );
        } else if (message.type === 'started') {
          tracee = message.pid;
          request.onStarted?.(message.pid);
          view?.start();
        } else if (message.type === 'done') resolve({ profile: message.profile, exit: message.exit });
        else if (message.type === 'launch-failed') {
          const code = shellExitCode(message.exit);
          const reason = (message.killedIn !== undefined ? request.explainLaunchKill?.(message.killedIn) : undefined) ?? message.reason;
          reject(reason ? new UserError(reason, code) : new QuietExit(code));
        } else reject(message.user ? new UserError(message.message, 125) : new InternalError(`tracer: ${message.message}`, message.stack));
      };
      if (!worker) return void mainThread!.traceOnMainThread(input, onMessage);
      worker.on('message', onMessage);
      worker.on('error', (err) => reject(new InternalError(`tracer failed: ${err.message}`, err.stack)));
      worker.on('exit', () => reject(new UserError('tracer stopped without a result', 125)));
    });
    const review = await view?.finish?.(exitText(result.exit));
    return review === undefined ? result : { ...result, review };
  } finally {
    view?.stop();
    for (const [signal, handler] of handlers) process.off(signal, handler);
    await worker?.terminate();
    if (output !== undefined) closeSync(output);
    if (stdinFd !== undefined) closeSync(stdinFd);
  }
}
