/**
 * Scenario suites (docs/scenarios.md): `sbx learn --scenarios` runs every scenario under the
 * tracer and merges the profiles; `sbx validate` runs them under a policy in complain mode.
 * One scenario run = traceProgram with the scenario's cwd, environment and stdin, a timeout
 * that kills the program and its children, and an optional driver script run alongside.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { allocBuffer, close, waitpid } from '../../linux/libc.js';
import { cloexecPipe, spawnInNewSession } from '../../linux/spawn.js';
import { assertWritable, QuietExit, UserError, writeFileAtomic } from '../../io.js';
import type { ExitStatus, Profile, TraceMode } from '../../profile/types.js';
import type { Scenario } from '../scenarios.js';
import { exitText, traceProgram, type TraceViewFor } from './trace-run.js';

export interface ScenarioRunOptions {
  readonly mode: TraceMode;
  readonly paths: boolean;
  readonly maxValues: number;
  readonly pin: boolean;
  /** What sbx shows while each program runs (see TraceRequest). */
  readonly view?: TraceViewFor;
  /** Complain mode: the relaxed policy's filter. */
  readonly filter?: Uint8Array;
  readonly notes?: readonly string[];
}

export interface ScenarioOutcome {
  readonly profile: Profile;
  readonly exit: ExitStatus;
  readonly timedOut: boolean;
  /** What went wrong with the driver script, if anything ("exited 3", "cannot start: ENOENT"). */
  readonly driverProblem?: string;
}

/** Every process below `pid` (from /proc/PID/task/TID/children), deepest last. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(/\s+/).filter(Boolean).map(Number)) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

/**
 * Every process a thread of this sbx traces (TracerPid in /proc/PID/status names the tracing
 * thread): the program and all it started, those that left its process tree included, and a
 * launcher seized before the program's pid was known.
 */
function tracedProcesses(): number[] {
  const tracers = new Set(readdirSync('/proc/self/task'));
  const traced: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${entry}/status`, 'utf8');
    } catch {
      continue;
    }
    const tracer = /^TracerPid:\s*(\d+)$/m.exec(status)?.[1];
    if (tracer !== undefined && tracers.has(tracer)) traced.push(Number(entry));
  }
  return traced;
}

/**
 * SIGKILL the program of the current run: every process sbx traces, and what the program
 * started untraced below it. A pid that sbx no longer traces is left alone (it may be reused).
 */
function killProgram(pid: number | undefined): void {
  const traced = tracedProcesses();
  const below = pid !== undefined && traced.includes(pid) ? descendants(pid) : [];
  for (const p of new Set([...traced, ...below])) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function sbxEnvironment(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * What a driver runs under: `sh` in a session of its own, forked away by `setsid -f` so that it
 * is not sbx's child (the tracer reaps every child of sbx with waitpid(-1) and only finishes
 * when none is left). fd 3 is sbx's lifeline: a background reader gets EOF on it when sbx
 * closes it (the run is over) or dies in any way, SIGKILL included, and then kills the whole
 * process group: the driver and everything it started. fd 4 tells sbx the group (the sh's
 * pid) and, once the driver has ended, its exit status. The driver runs in the foreground (a
 * background job of a non-interactive sh would ignore SIGINT and SIGQUIT) without fds 3 and 4,
 * stdin from /dev/null and stdout to sbx's stderr.
 */
const DRIVER_HELPER = [
  '{ read -r _ <&3; kill -KILL 0; } </dev/null 4>&- &',
  'echo $$ >&4',
  '"$@" </dev/null >&2 3<&- 4>&-',
  'echo $? >&4',
].join('\n');

/** A driver script with its process group, started by DRIVER_HELPER through posix_spawn (never child_process). */
class Driver {
  private lifeline: number | undefined;
  private group = 0;
  private readonly helper: number | undefined;
  private readonly ended: Promise<string | undefined>;

  constructor(argv: readonly string[], cwd: string, env: Record<string, string>) {
    const [lifeRead, lifeWrite] = cloexecPipe();
    const [statusRead, statusWrite] = cloexecPipe();
    try {
      this.helper = spawnInNewSession(['setsid', '-f', 'sh', '-c', DRIVER_HELPER, 'sbx-driver', ...argv], {
        cwd,
        env,
        fds: [
          [lifeRead, 3],
          [statusWrite, 4],
        ],
      });
      this.lifeline = lifeWrite;
    } catch (err) {
      close(lifeWrite);
      close(statusRead);
      this.ended = Promise.resolve(`cannot start: setsid: ${(err as Error).message}`);
      return;
    } finally {
      close(lifeRead);
      close(statusWrite);
    }
    const status = new Socket({ fd: statusRead, readable: true, writable: false });
    let text = '';
    this.ended = new Promise((done) => {
      status.on('data', (d: Buffer) => {
        text += d.toString();
        this.group ||= Number(/^(\d+)\n/.exec(text)?.[1] ?? 0);
      });
      status.on('error', () => undefined);
      status.on('close', () => {
        const [group, code] = text.split('\n');
        if (!group) done('could not start');
        else if (code === undefined || code === '') done('killed');
        else if (code === '127') done('exited 127 (not found?)');
        else done(code === '0' ? undefined : `exited ${code}`);
      });
    });
  }

  /** Closing it makes the lifeline reader kill the group: after that, the group id may be reused. */
  private closeLifeline(): void {
    if (this.lifeline === undefined) return;
    close(this.lifeline);
    this.lifeline = undefined;
    this.group = 0;
  }

  /** Kill the driver and everything in its process group. */
  kill(): void {
    // The group lives as long as the lifeline is open (its reader is in it).
    if (this.group && this.lifeline !== undefined) {
      try {
        process.kill(-this.group, 'SIGKILL');
      } catch {
        // gone
      }
    }
    // When the helper has not said its group yet, the lifeline reader kills it.
    this.closeLifeline();
  }

  private finished: Promise<string | undefined> | undefined;

  /**
   * Wait until the driver has ended (or was killed), then kill what it left running in its
   * process group; what went wrong, if anything.
   */
  finish(): Promise<string | undefined> {
    this.finished ??= this.ended.then((problem) => {
      this.closeLifeline();
      // `setsid -f` exits at once; reap it unless the tracer's waitpid(-1) already has.
      if (this.helper !== undefined) waitpid(this.helper, REAP_STATUS.address, WNOHANG);
      return problem;
    });
    return this.finished;
  }
}

const WNOHANG = 1;
const REAP_STATUS = allocBuffer(8);

/** The signals that stop a scenario suite. */
const SUITE_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type SuiteSignal = (typeof SUITE_SIGNALS)[number];

/** Thrown out of a scenario run (and the suite) once SIGINT, SIGTERM or SIGHUP has arrived. */
export class SuiteInterrupted extends Error {
  constructor(readonly signal: SuiteSignal) {
    super(`interrupted by ${signal}`);
  }
}

/**
 * SIGINT, SIGTERM and SIGHUP while a scenario suite runs: the current run's program and driver
 * are killed, the run throws SuiteInterrupted instead of returning a profile, and no later run
 * starts. Without these handlers, SIGTERM or SIGHUP would kill sbx and leave the program
 * (detached) and its driver running; with only the tracer's, the next scenario would start.
 */
export class SuiteSignals {
  received: SuiteSignal | undefined;
  private stopRun: (() => void) | undefined;
  private readonly handlers = SUITE_SIGNALS.map((signal) => [signal, () => this.receive(signal)] as const);

  constructor() {
    for (const [signal, handler] of this.handlers) process.on(signal, handler);
  }

  private receive(signal: SuiteSignal): void {
    this.received ??= signal;
    // After the tracer's own handlers for this signal (they forward it to the program).
    setImmediate(() => this.stopRun?.());
  }

  /** Throws SuiteInterrupted once a signal has arrived. */
  check(): void {
    if (this.received) throw new SuiteInterrupted(this.received);
  }

  /** While `run` runs, a signal calls `stop`; throws SuiteInterrupted after it if one came. */
  async during<T>(stop: () => void, run: () => Promise<T>): Promise<T> {
    this.check();
    this.stopRun = stop;
    try {
      return await run();
    } catch (err) {
      this.check();
      throw err;
    } finally {
      this.stopRun = undefined;
      this.check();
    }
  }

  /** Put the default handling back. */
  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
  }

  /**
   * End sbx by the signal that stopped the suite, as a shell expects from a program that did
   * not finish (it reports 128+n, and a loop running sbx stops on Ctrl-C).
   */
  endBySignal(signal: SuiteSignal): void {
    this.dispose();
    process.exitCode = 128 + osConstants.signals[signal];
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
}

/**
 * Run a scenario suite's `body` under SuiteSignals. When it is interrupted, `report(signal)`
 * says on stderr what was stopped and what was (not) written, and sbx ends by that signal.
 */
export async function runSuite<T>(
  body: (signals: SuiteSignals) => Promise<T>,
  report: (signal: SuiteSignal) => string,
): Promise<T | undefined> {
  const signals = new SuiteSignals();
  try {
    const result = await body(signals);
    signals.check();
    return result;
  } catch (err) {
    if (!(err instanceof SuiteInterrupted)) throw err;
    process.stderr.write(`sbx: ${report(err.signal)}\n`);
    signals.endBySignal(err.signal);
    return undefined;
  } finally {
    signals.dispose();
  }
}

/** How often the kill of an interrupted or timed-out run is repeated until the run is over. */
const KILL_AGAIN_MS = 100;

/**
 * Run one scenario once. The program starts in the scenario's cwd (sbx's own cwd is restored
 * after). The run is over when the program and the driver have both ended; the timeout kills
 * what is left of both, and so does a signal in `signals` (the run then throws SuiteInterrupted).
 */
export async function runScenario(scenario: Scenario, options: ScenarioRunOptions, signals?: SuiteSignals): Promise<ScenarioOutcome> {
  const env = scenario.env ? { ...sbxEnvironment(), ...scenario.env } : undefined;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let killing: NodeJS.Timeout | undefined;
  let driver: Driver | undefined;
  let programPid: number | undefined;
  // Kill again until the run is over: a child forked meanwhile, a launcher not yet seized.
  const stop = () => {
    const killAll = () => {
      killProgram(programPid);
      driver?.kill();
    };
    killAll();
    killing ??= setInterval(killAll, KILL_AGAIN_MS);
  };
  const home = process.cwd();
  // posix_spawn starts the launcher in the process's cwd; the worker thread shares it.
  process.chdir(scenario.cwd);
  try {
    const run = async () => {
      const { profile, exit } = await traceProgram({
        mode: options.mode,
        command: scenario.command,
        paths: options.paths,
        maxValues: options.maxValues,
        pin: options.pin,
        ...(options.view ? { view: options.view } : {}),
        ...(options.filter ? { filter: options.filter } : {}),
        ...(env ? { env } : {}),
        ...(scenario.stdin ? { stdinFile: scenario.stdin } : {}),
        notes: options.notes ?? [],
        onStarted: (pid) => {
          programPid = pid;
          if (scenario.timeout !== undefined)
            timer = setTimeout(() => {
              timedOut = true;
              stop();
            }, scenario.timeout * 1000);
          if (scenario.driver)
            driver = new Driver(scenario.driver, scenario.cwd, { ...(env ?? sbxEnvironment()), SBX_SCENARIO_PID: String(pid) });
        },
      });
      return { profile, exit, driverProblem: await driver?.finish() };
    };
    const { profile, exit, driverProblem } = signals ? await signals.during(stop, run) : await run();
    const notes = timedOut ? [`scenario ${scenario.name}: killed after its ${scenario.timeout} s timeout`] : [];
    return {
      profile: { ...profile, runs: profile.runs.map((r) => ({ ...r, scenario: scenario.name })), notes: [...profile.notes, ...notes] },
      exit,
      timedOut,
      ...(driverProblem ? { driverProblem } : {}),
    };
  } finally {
    clearTimeout(timer);
    clearInterval(killing);
    // A run that threw (its launch failed, sbx was interrupted) still leaves no driver behind.
    driver?.kill();
    await driver?.finish();
    process.chdir(home);
  }
}

/** "exited 0, 1234 calls of 25 syscalls" plus timeout and driver trouble. */
export function describeOutcome(outcome: ScenarioOutcome, timeout: number | undefined): string {
  const { profile } = outcome;
  const parts = [
    outcome.timedOut ? `killed after its ${timeout} s timeout (${exitText(outcome.exit)})` : exitText(outcome.exit),
    `${profile.totals.calls} calls of ${profile.syscalls.length} syscalls`,
  ];
  if (outcome.driverProblem) parts.push(`driver ${outcome.driverProblem}`);
  return parts.join(', ');
}

export interface LearnScenariosOptions {
  readonly scenarios: string;
  readonly output?: string;
  readonly repeat?: number;
  readonly keepDir?: string;
  readonly crossValidate: boolean;
  readonly mode: TraceMode;
  readonly paths: boolean;
  readonly maxValues: number;
  readonly pin: boolean;
  readonly view?: TraceViewFor;
  readonly quiet: boolean;
}

/** Why a scenario run produced no profile (launch failures are reported, the suite goes on). */
export function notRun(err: unknown): string {
  if (err instanceof UserError) return err.message;
  if (err instanceof QuietExit) return `the program could not start (exit ${err.exitCode})`;
  throw err;
}

/** How many times to run a scenario. */
function runsOf(scenario: Scenario, repeat: number | undefined): number {
  return repeat ?? scenario.repeat ?? 1;
}

/**
 * `sbx learn --scenarios S.json -o merged.json`: each scenario `repeat` times, each profile kept
 * as <keep-dir>/<name>.<i>.profile.json, merged into -o; coverage table on stderr. A scenario that
 * cannot start is reported and the others go on; the exit code is then 1. SIGINT, SIGTERM or
 * SIGHUP stop the suite: the interrupted run is not kept, -o is not written, sbx ends by the signal.
 */
export async function learnScenarios(opts: LearnScenariosOptions): Promise<void> {
  if (!opts.output) throw new UserError('--scenarios needs -o <merged profile>');
  const output = resolve(opts.output);
  assertWritable(output);
  const keepDir = resolve(opts.keepDir ?? dirname(output));
  mkdirSync(keepDir, { recursive: true });
  const [{ readScenarios }, { mergeProfiles }] = await Promise.all([import('../scenarios.js'), import('../../profile/profile.js')]);
  const suite = readScenarios(opts.scenarios);
  if (opts.crossValidate && suite.scenarios.length < 2)
    throw new UserError('--cross-validate needs at least 2 scenarios (one is held out, the others learn)');
  const kept: { file: string; profile: Profile; scenario: string }[] = [];
  const total = suite.scenarios.reduce((n, s) => n + runsOf(s, opts.repeat), 0);
  let current: string | undefined;
  let written = false;
  let failed = 0;
  const interrupted = (signal: string) =>
    [
      `interrupted by ${signal} ${current ? `during ${current} (its program and driver were killed, its profile not kept)` : 'after the last run'}`,
      `${kept.length} of ${total} runs finished${kept.length ? ` (kept: ${kept.map((k) => k.file).join(', ')})` : ''}`,
      written ? `${output} was written before it` : `${output} was not written`,
    ].join('; ');
  await runSuite(async (signals) => {
    for (const scenario of suite.scenarios) {
      const n = runsOf(scenario, opts.repeat);
      for (let i = 1; i <= n; i++) {
        const label = `scenario ${scenario.name} run ${i}/${n}`;
        current = label;
        try {
          const outcome = await runScenario(scenario, opts, signals);
          const file = join(keepDir, `${scenario.name}.${i}.profile.json`);
          writeFileAtomic(file, `${JSON.stringify(outcome.profile, null, 2)}\n`);
          kept.push({ file, profile: outcome.profile, scenario: scenario.name });
          process.stderr.write(`sbx: ${label}: ${describeOutcome(outcome, scenario.timeout)} → ${file}\n`);
        } catch (err) {
          if (err instanceof SuiteInterrupted) throw err;
          failed++;
          process.stderr.write(`sbx: ${label}: not run: ${notRun(err)}\n`);
        }
      }
    }
    current = undefined;
    signals.check();
    if (kept.length === 0) throw new UserError(`no scenario of ${opts.scenarios} could run`);
    const merged = mergeProfiles(
      kept.map((k) => k.profile),
      opts.maxValues,
    );
    writeFileAtomic(output, `${JSON.stringify(merged, null, 2)}\n`);
    written = true;
    const report = await import('../scenario-report.js');
    if (!opts.quiet) process.stderr.write(report.formatCoverage(merged));
    if (opts.crossValidate) {
      const learned = new Set(kept.map((k) => k.scenario));
      if (learned.size < 2) process.stderr.write('sbx: cross-validation skipped: fewer than 2 scenarios ran\n');
      else process.stderr.write(report.formatCrossValidation(report.crossValidate(kept)));
    }
    if (failed) process.exitCode = 1;
  }, interrupted);
}
