/**
 * The `sbx` command line: wiring only; each command's work lives in src/learn and src/ptrace.
 * Actions import their modules lazily, so a command loads only what it uses (start-up matters
 * for `sbx learn` on short programs).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { assertWritable, QuietExit, UserError, writeFileAtomic } from '../io.js';
import { releaseUnusedTracer } from './prestart.js';
import { toolVersion } from '../version.js';
import { DEFAULT_MAX_VALUES } from '../learn/profile.js';
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
  // Usage errors throw instead of exiting at once, so an unused tracer worker is stopped first.
  .exitOverride();

program
  .command('learn')
  .description('run a program (or attach to one) under the tracer and write its syscall profile')
  .argument('[command...]', 'the program and its arguments, after --')
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
  .addOption(new Option('--backend <backend>', 'ptrace: stop the program at each call; ebpf: count in the kernel, in place (root)').choices(['ptrace', 'ebpf']).default('ptrace'))
  .option('--cgroup <path>', 'with --backend ebpf: learn every process in this cgroup v2 directory and below')
  .option('--unit <name>', "with --backend ebpf: learn a systemd unit (its cgroup)")
  .option('--container <id>', "with --backend ebpf: learn a container (runc, podman or docker id; its cgroup)")
  .option('--duration <seconds>', 'with --backend ebpf: stop learning after this long (the program runs on)', positiveInt)
  .option('--snapshot-every <seconds>', 'with --backend ebpf: write the profile so far to -o this often', positiveInt)
  .option('--dump-bpf', 'with --backend ebpf: print the eBPF programs as loaded (alone: load, print, exit)', false)
  .option('--arg-values <n>', 'with --backend ebpf: distinct (syscall, argument, value) entries the kernel keeps', positiveInt, 16384)
  .action(async (command: string[], opts, cmd: Command) => {
    if (opts.backend === 'ebpf') {
      await releaseUnusedTracer();
      for (const [key, flag] of [['mode', '--mode'], ['pin', '--no-pin'], ['scenarios', '--scenarios']] as const)
        if (cmd.getOptionValueSource(key) === 'cli') throw new UserError(`${flag} is not available with --backend ebpf`);
      if (opts.output) assertWritable(opts.output);
      const { profile, exitCode } = await (await import('./learn-ebpf.js')).learnEbpf(command, opts);
      if (profile && !opts.quiet) process.stderr.write((await import('../learn/report.js')).formatReport(profile));
      process.exitCode = exitCode;
      return;
    }
    for (const [key, flag] of [['cgroup', '--cgroup'], ['unit', '--unit'], ['container', '--container'], ['duration', '--duration'], ['snapshotEvery', '--snapshot-every'], ['dumpBpf', '--dump-bpf'], ['argValues', '--arg-values']] as const)
      if (cmd.getOptionValueSource(key) === 'cli') throw new UserError(`${flag} goes with --backend ebpf`);
    if (opts.scenarios !== undefined) {
      if (command.length || opts.pid !== undefined) throw new UserError('--scenarios runs the commands of the scenario file: give no command or --pid');
      return (await import('./scenario-run.js')).learnScenarios(opts);
    }
    if (opts.repeat !== undefined || opts.keepDir !== undefined || opts.crossValidate) throw new UserError('--repeat, --keep-dir and --cross-validate go with --scenarios');
    if (opts.pid !== undefined && command.length) throw new UserError('give either --pid or a command, not both');
    if (opts.pid !== undefined && opts.traceeOutput) throw new UserError('--tracee-output redirects a program sbx starts; with --pid the program already has its output');
    if (opts.output) assertWritable(opts.output);
    const { shellExitCode, traceProgram } = await import('./trace-run.js');
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
    if (!opts.quiet) process.stderr.write((await import('../learn/report.js')).formatReport(profile));
    process.exitCode = shellExitCode(exit);
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
      import('../learn/profile.js'),
      import('../learn/report.js'),
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
    const { mergeProfiles, readProfile } = await import('../learn/profile.js');
    const merged = mergeProfiles(files.map(readProfile), opts.maxValues);
    writeFileAtomic(opts.output, profileJson(merged));
  });

registerPolicyCommands(program);
registerBpfCommand(program);
registerRunCommand(program);
registerReviewCommand(program);
registerValidateCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode;
  else if (err instanceof QuietExit) process.exitCode = err.exitCode;
  else if (err instanceof UserError) {
    process.stderr.write(`sbx: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`sbx: internal error: ${(err as Error).message}\n`);
    if (process.env.SBX_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 70;
  }
} finally {
  await releaseUnusedTracer();
}
