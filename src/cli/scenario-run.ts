/**
 * Scenario suites (docs/scenarios.md): `sbx learn --scenarios` runs every scenario under the
 * tracer and merges the profiles; `sbx validate` runs them under a policy in complain mode.
 * One scenario run = traceProgram with the scenario's cwd, environment and stdin, a timeout
 * that kills the program and its children, and an optional driver script run alongside.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { assertWritable, QuietExit, UserError, writeFileAtomic } from '../io.js';
import type { ExitStatus, Profile, TraceMode } from '../profile/types.js';
import type { Scenario } from '../learn/scenarios.js';
import { exitText, traceProgram } from './trace-run.js';

export interface ScenarioRunOptions {
  readonly mode: TraceMode;
  readonly paths: boolean;
  readonly maxValues: number;
  readonly pin: boolean;
  readonly progress: boolean;
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

function killTree(pid: number): void {
  for (const p of [pid, ...descendants(pid)]) {
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
 * A driver script, started so that it is not sbx's child: the tracer reaps every child of sbx
 * (waitpid(-1)) and only finishes when sbx has none left, so a child driver would have its exit
 * stolen and keep the tracer waiting. A short-lived `sh` starts it in the background in its own
 * session (detached) and exits; the driver's exit code comes back through a file.
 */
class Driver {
  private readonly statusFile: string;
  private pid = 0;
  private readonly started: Promise<void>;
  private problem: string | undefined;

  constructor(argv: readonly string[], cwd: string, env: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), 'sbx-driver-'));
    this.statusFile = join(dir, 'status');
    const sh = spawn('sh', ['-c', '("$@"; echo $? > "$0.tmp"; mv "$0.tmp" "$0") >&2 </dev/null & echo $!', this.statusFile, ...argv], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    this.started = new Promise((done) => {
      sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
      sh.stdout.on('end', () => {
        this.pid = Number(out.trim()) || 0;
        if (!this.pid) this.problem = 'could not start';
        done();
      });
      sh.on('error', (err: NodeJS.ErrnoException) => {
        this.problem = `cannot start: ${err.code ?? err.message}`;
        done();
      });
    });
    sh.unref();
  }

  private alive(): boolean {
    if (!this.pid) return false;
    try {
      process.kill(this.pid, 0);
      return !existsSync(this.statusFile);
    } catch {
      return false;
    }
  }

  /** Kill the driver and everything it started (its session's process group). */
  kill(): void {
    if (!this.pid) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  /** Wait until the driver has ended (or was killed); what went wrong, if anything. */
  async finish(): Promise<string | undefined> {
    await this.started;
    while (this.alive()) await new Promise((r) => setTimeout(r, 20));
    if (this.problem) return this.problem;
    let code: string;
    try {
      code = readFileSync(this.statusFile, 'utf8').trim();
    } catch {
      return 'killed';
    } finally {
      rmSync(dirname(this.statusFile), { recursive: true, force: true });
    }
    if (code === '127') return 'exited 127 (not found?)';
    return code === '0' ? undefined : `exited ${code}`;
  }
}

/**
 * Run one scenario once. The program starts in the scenario's cwd (sbx's own cwd is restored
 * after). The run is over when the program and the driver have both ended; the timeout kills
 * what is left of both.
 */
export async function runScenario(scenario: Scenario, options: ScenarioRunOptions): Promise<ScenarioOutcome> {
  const env = scenario.env ? { ...sbxEnvironment(), ...scenario.env } : undefined;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let driver: Driver | undefined;
  let programDone = false;
  const home = process.cwd();
  // posix_spawn starts the launcher in the process's cwd; the worker thread shares it.
  process.chdir(scenario.cwd);
  try {
    const { profile, exit } = await traceProgram({
      mode: options.mode,
      command: scenario.command,
      paths: options.paths,
      maxValues: options.maxValues,
      pin: options.pin,
      progress: options.progress,
      ...(options.filter ? { filter: options.filter } : {}),
      ...(env ? { env } : {}),
      ...(scenario.stdin ? { stdinFile: scenario.stdin } : {}),
      notes: options.notes ?? [],
      onStarted: (pid) => {
        if (scenario.timeout !== undefined)
          timer = setTimeout(() => {
            timedOut = true;
            if (!programDone) killTree(pid);
            driver?.kill();
          }, scenario.timeout * 1000);
        if (scenario.driver) driver = new Driver(scenario.driver, scenario.cwd, { ...(env ?? sbxEnvironment()), SBX_SCENARIO_PID: String(pid) });
      },
    });
    programDone = true;
    const driverProblem = await driver?.finish();
    const notes = timedOut ? [`scenario ${scenario.name}: killed after its ${scenario.timeout} s timeout`] : [];
    return {
      profile: { ...profile, runs: profile.runs.map((r) => ({ ...r, scenario: scenario.name })), notes: [...profile.notes, ...notes] },
      exit,
      timedOut,
      ...(driverProblem ? { driverProblem } : {}),
    };
  } finally {
    clearTimeout(timer);
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
  readonly progress: boolean;
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
 * cannot start is reported and the others go on; the exit code is then 1.
 */
export async function learnScenarios(opts: LearnScenariosOptions): Promise<void> {
  if (!opts.output) throw new UserError('--scenarios needs -o <merged profile>');
  const output = resolve(opts.output);
  assertWritable(output);
  const keepDir = resolve(opts.keepDir ?? dirname(output));
  mkdirSync(keepDir, { recursive: true });
  const [{ readScenarios }, { mergeProfiles }] = await Promise.all([import('../learn/scenarios.js'), import('../profile/profile.js')]);
  const suite = readScenarios(opts.scenarios);
  if (opts.crossValidate && suite.scenarios.length < 2) throw new UserError('--cross-validate needs at least 2 scenarios (one is held out, the others learn)');
  const kept: { file: string; profile: Profile; scenario: string }[] = [];
  let failed = 0;
  for (const scenario of suite.scenarios) {
    const n = runsOf(scenario, opts.repeat);
    for (let i = 1; i <= n; i++) {
      const label = `scenario ${scenario.name} run ${i}/${n}`;
      try {
        const outcome = await runScenario(scenario, opts);
        const file = join(keepDir, `${scenario.name}.${i}.profile.json`);
        writeFileAtomic(file, `${JSON.stringify(outcome.profile, null, 2)}\n`);
        kept.push({ file, profile: outcome.profile, scenario: scenario.name });
        process.stderr.write(`sbx: ${label}: ${describeOutcome(outcome, scenario.timeout)} → ${file}\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`sbx: ${label}: not run: ${notRun(err)}\n`);
      }
    }
  }
  if (kept.length === 0) throw new UserError(`no scenario of ${opts.scenarios} could run`);
  const merged = mergeProfiles(
    kept.map((k) => k.profile),
    opts.maxValues,
  );
  writeFileAtomic(output, `${JSON.stringify(merged, null, 2)}\n`);
  const report = await import('../learn/scenario-report.js');
  if (!opts.quiet) process.stderr.write(report.formatCoverage(merged));
  if (opts.crossValidate) {
    const learned = new Set(kept.map((k) => k.scenario));
    if (learned.size < 2) process.stderr.write('sbx: cross-validation skipped: fewer than 2 scenarios ran\n');
    else process.stderr.write(report.formatCrossValidation(report.crossValidate(kept)));
  }
  if (failed) process.exitCode = 1;
}
