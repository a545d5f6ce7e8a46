/**
 * The `sbx` command line: wiring only; each command's work lives in the layers below (src/profile, src/policy, src/ptrace, src/learn, src/ui).
 * Actions import their modules lazily, so a command loads only what it uses (start-up matters
 * for `sbx learn` on short programs).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { assertWritable, QuietExit, UserError, writeFileAtomic } from '../io.js';
import { releaseUnusedTracer } from './prestart.js';
import { toolVersion } from '../version.js';
import { DEFAULT_MAX_VALUES } from '../profile/profile.js';
import { registerBpfCommand } from './bpf-command.js';
import { registerRunCommand } from './run-command.js';
import { registerPolicyCommands } from './policy-commands.js';
import { registerReviewCommand } from './review-command.js';
import { registerValidateCommand } from './validate-command.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function profileJson(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

const program = new Command()
  .name('sbx')
  .description('Watch a program run and learn the seccomp policy it needs')
  .version(toolVersion(), '-V, --version')
  .showHelpAfterError('(run with --help for usage)')
  // Like strace, env and time, a command's options end at the program's name (passThroughOptions).
  .enablePositionalOptions()
  // Usage errors throw instead of exiting at once, so an unused tracer worker is stopped first.
  .exitOverride();

program
  .command('learn')
  .description('run a program (or attach to one) under the tracer and write its syscall profile')
  .argument('[command...]', 'the program and its arguments (options after its name are its own; -- is allowed)')
  .passThroughOptions()
  .option('-o, --output <file>', 'write the profile here (JSON, profile format v1)')
  .addOption(new Option('--mode <mode>', 'seccomp: one stop per syscall; syscall: entry+exit (errors, time)').choices(['seccomp', 'syscall']).default('seccomp'))
  .option('-p, --pid <pid>', 'attach to a running process and all its threads (Ctrl-C detaches)', positiveInt)
  .option('--paths', 'also record pathnames and socket addresses (execve, openat, connect, bind, ...)', false)
  .option('--max-values <n>', 'distinct values kept per argument histogram (the least frequent make room)', positiveInt, DEFAULT_MAX_VALUES)
  .option('--no-pin', 'do not pin tracer and tracee to one CPU (pinning makes timings stable on VMs)')
  .option('--no-progress', 'no live progress line on the terminal')
  .option('-q, --quiet', 'do not print the summary table at the end (the live line is --no-progress)', false)
  .option('--tui', 'live view while tracing (top syscalls, rates, new calls); offers sbx review at the end', false)
  .option('--tracee-output <file>', "write the program's stdout and stderr to this file instead of the terminal")
  .option('--scenarios <file>', 'run every scenario of this file (docs/scenarios.md), keep each profile, merge them into -o')
  .option('--repeat <n>', "with --scenarios: runs of each scenario (default: the scenario's repeat, else 1)", positiveInt)
  .option('--keep-dir <dir>', 'with --scenarios: where each run\'s profile is kept as <name>.<i>.profile.json (default: next to -o)')
  .option('--cross-validate', 'with --scenarios: leave one out, print what a policy learned from the others would miss', false)
  .action(async (command: string[], opts) => {
    if (opts.scenarios !== undefined) {
      if (command.length || opts.pid !== undefined) throw new UserError('--scenarios runs the commands of the scenario file: give no command or --pid');
      return (await import('./scenario-run.js')).learnScenarios(opts);
    }
    if (opts.repeat !== undefined || opts.keepDir !== undefined || opts.crossValidate) throw new UserError('--repeat, --keep-dir and --cross-validate go with --scenarios');
    if (opts.pid !== undefined && command.length) throw new UserError('give either --pid or a command, not both');
    if (opts.pid !== undefined && opts.traceeOutput) throw new UserError('--tracee-output redirects a program sbx starts; with --pid the program already has its output');
    if (opts.output) assertWritable(opts.output);
    const [{ traceProgram }, { passExit }] = await Promise.all([import('./trace-run.js'), import('./exit.js')]);
    const { profile, exit, review } = await traceProgram({
      mode: opts.mode,
      command,
      pid: opts.pid,
      paths: opts.paths,
      maxValues: opts.maxValues,
      pin: opts.pin,
      progress: opts.progress,
      tui: opts.tui,
      traceeOutput: opts.traceeOutput,
    });
    if (opts.output) writeFileAtomic(opts.output, profileJson(profile));
    if (review) await (await import('./learn-review.js')).reviewLearnedProfile(profile, opts.output);
    if (!opts.quiet) process.stderr.write((await import('../profile/report.js')).formatReport(profile));
    passExit(exit);
  });

program
  .command('report')
  .description('print a profile as an strace -c style table')
  .argument('<profile>', 'profile JSON written by sbx learn or sbx merge')
  .option('--csv', 'CSV instead of a table')
  .option('--json', 'JSON rows instead of a table')
  .action(async (file: string, opts) => {
    if (opts.csv && opts.json) throw new UserError('choose one of --csv and --json');
    const [{ readProfile }, { formatReport, reportCsv, reportJson }] = await Promise.all([
      import('../profile/profile.js'),
      import('../profile/report.js'),
    ]);
    const profile = readProfile(file);
    process.stdout.write(opts.csv ? reportCsv(profile) : opts.json ? reportJson(profile) : formatReport(profile));
  });

program
  .command('merge')
  .description('add several profiles together (counts sum, per-run columns are kept)')
  .argument('<profiles...>', 'profiles to merge')
  .requiredOption('-o, --output <file>', 'write the merged profile here')
  .option('--max-values <n>', 'distinct values kept per argument histogram (the least frequent make room)', positiveInt, DEFAULT_MAX_VALUES)
  .action(async (files: string[], opts) => {
    assertWritable(opts.output);
    const { mergeProfiles, readProfile } = await import('../profile/profile.js');
    const merged = mergeProfiles(files.map(readProfile), opts.maxValues);
    writeFileAtomic(opts.output, profileJson(merged));
  });

registerPolicyCommands(program);
registerBpfCommand(program);
registerRunCommand(program);
registerReviewCommand(program);
registerValidateCommand(program);

/** Commands that run a program and pass its exit code on: their own failures exit 125, never a code the program may return. */
const RUNS_A_PROGRAM = new Set(['learn', 'run', 'validate']);
const OWN_FAILURE = 125;
const BAD_INPUT = 2;
/** sbx's own failure as this command reports it (README "Exit codes"): 125 where a program's code is passed on. */
const ownFailure = (code: number): number => (RUNS_A_PROGRAM.has(process.argv[2] ?? '') && [1, 2, 70].includes(code) ? OWN_FAILURE : code);

// sbx's own messages never change the exit code it passes on: a closed or broken stdout or
// stderr (EPIPE) loses them quietly. Creating both streams here, before any program starts, also
// lets libuv set O_NONBLOCK on them now rather than while the program shares them (spawn.ts).
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commander says 1 for a usage error; usage and input errors are 2 for every command (1 is diff's "different").
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : ownFailure(BAD_INPUT);
  else if (err instanceof QuietExit) process.exitCode = err.exitCode;
  else if (err instanceof UserError) {
    process.stderr.write(`sbx: ${err.message}\n`);
    process.exitCode = ownFailure(err.exitCode);
  } else {
    // A bug, not bad input: the stack goes with it so the report can say where.
    process.stderr.write(`sbx: internal error: ${(err as Error).message}\n${(err as Error).stack ?? ''}\nsbx: this is a bug in sbx; please report it with the command line above\n`);
    process.exitCode = 70;
  }
} finally {
  await releaseUnusedTracer();
}
if (RUNS_A_PROGRAM.has(process.argv[2] ?? '')) (await import('./exit.js')).raisePassedSignal();
