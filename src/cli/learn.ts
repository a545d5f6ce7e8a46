/** `sbx learn`: trace a program (or attach to one, or run a scenario suite) and write its profile. */
import { type Command, Option } from '@commander-js/extra-typings';
import { releaseUnusedTracer } from '../ptrace/prestart.js';
import { assertWritable, UserError, writeFileAtomic } from '../io.js';
import { DEFAULT_MAX_VALUES } from '../profile/types.js';
import { jsonText, positiveInt } from './arguments.js';

export function registerLearnCommand(program: Command): void {
  program
    .command('learn')
    .description('run a program (or attach to one) under the tracer and write its syscall profile')
    .argument('[command...]', 'the program and its arguments (options after its name are its own; -- is allowed)')
    .passThroughOptions()
    .option('-o, --output <file>', 'write the profile here (JSON, profile format v1)')
    .addOption(
      new Option('--mode <mode>', 'seccomp: one stop per syscall; syscall: entry+exit (errors, time)')
        .choices(['seccomp', 'syscall'])
        .default('seccomp'),
    )
    .option('-p, --pid <pid>', 'attach to a running process and all its threads (Ctrl-C detaches)', positiveInt)
    .option('--paths', 'also record pathnames and socket addresses (execve, openat, connect, bind, ...)', false)
    .option(
      '--max-values <n>',
      'distinct values kept per argument histogram (the least frequent make room)',
      positiveInt,
      DEFAULT_MAX_VALUES,
    )
    .option('--no-pin', 'do not pin tracer and tracee to one CPU (pinning makes timings stable on VMs)')
    .option('--no-progress', 'no live progress line on the terminal')
    .option('-q, --quiet', 'do not print the summary table at the end (the live line is --no-progress)', false)
    .option('--tui', 'live view while tracing (top syscalls, rates, new calls); offers sbx review at the end', false)
    .option('--tracee-output <file>', "write the program's stdout and stderr to this file instead of the terminal")
    .option('--scenarios <file>', 'run every scenario of this file (docs/scenarios.md), keep each profile, merge them into -o')
    .option('--repeat <n>', "with --scenarios: runs of each scenario (default: the scenario's repeat, else 1)", positiveInt)
    .option('--keep-dir <dir>', "with --scenarios: where each run's profile is kept as <name>.<i>.profile.json (default: next to -o)")
    .option('--cross-validate', 'with --scenarios: leave one out, print what a policy learned from the others would miss', false)
    .addOption(
      new Option('--backend <backend>', 'ptrace: stop the program at each call; ebpf: count in the kernel, in place (root)')
        .choices(['ptrace', 'ebpf'])
        .default('ptrace'),
    )
    .option('--cgroup <path>', 'with --backend ebpf: learn every process in this cgroup v2 directory and below')
    .option('--unit <name>', 'with --backend ebpf: learn a systemd unit (its cgroup)')
    .option('--container <id>', 'with --backend ebpf: learn a container (runc, podman or docker id; its cgroup)')
    .option('--duration <seconds>', 'with --backend ebpf: stop learning after this long (the program runs on)', positiveInt)
    .option('--snapshot-every <seconds>', 'with --backend ebpf: write the profile so far to -o this often', positiveInt)
    .option('--dump-bpf', 'with --backend ebpf: print the eBPF programs as loaded (alone: load, print, exit)', false)
    .option('--arg-values <n>', 'with --backend ebpf: distinct (syscall, argument, value) entries the kernel keeps', positiveInt, 16384)
    .option(
      '--path-buffer <bytes>',
      'with --backend ebpf --paths: size of the ring buffer paths pass through (a power of two)',
      positiveInt,
      1 << 20,
    )
    .action(async (command, opts, cmd) => {
      if (opts.backend === 'ebpf') {
        await releaseUnusedTracer();
        for (const [key, flag] of [
          ['mode', '--mode'],
          ['pin', '--no-pin'],
          ['scenarios', '--scenarios'],
        ] as const)
          if (cmd.getOptionValueSource(key) === 'cli') throw new UserError(`${flag} is not available with --backend ebpf`);
        if (cmd.getOptionValueSource('pathBuffer') === 'cli' && !opts.paths) throw new UserError('--path-buffer goes with --paths');
        if (opts.output) assertWritable(opts.output);
        const { profile, exitCode } = await (await import('../learn/session/learn-ebpf.js')).learnEbpf(command, opts);
        if (profile && !opts.quiet) process.stderr.write((await import('../profile/report.js')).formatReport(profile));
        process.exitCode = exitCode;
        return;
      }
      const ebpfOnly = [
        ['cgroup', '--cgroup'],
        ['unit', '--unit'],
        ['container', '--container'],
        ['duration', '--duration'],
        ['snapshotEvery', '--snapshot-every'],
        ['dumpBpf', '--dump-bpf'],
        ['argValues', '--arg-values'],
        ['pathBuffer', '--path-buffer'],
      ] as const;
      for (const [key, flag] of ebpfOnly)
        if (cmd.getOptionValueSource(key) === 'cli') throw new UserError(`${flag} goes with --backend ebpf`);
      if (opts.scenarios !== undefined) {
        if (command.length || opts.pid !== undefined)
          throw new UserError('--scenarios runs the commands of the scenario file: give no command or --pid');
        const [{ learnScenarios }, { traceView }] = await Promise.all([
          import('../learn/session/scenario-run.js'),
          import('../ui/trace-view.js'),
        ]);
        return learnScenarios({ ...opts, scenarios: opts.scenarios, view: traceView({ progress: opts.progress }) });
      }
      if (opts.repeat !== undefined || opts.keepDir !== undefined || opts.crossValidate)
        throw new UserError('--repeat, --keep-dir and --cross-validate go with --scenarios');
      if (opts.pid !== undefined && command.length) throw new UserError('give either --pid or a command, not both');
      if (opts.pid !== undefined && opts.traceeOutput)
        throw new UserError('--tracee-output redirects a program sbx starts; with --pid the program already has its output');
      if (opts.output) assertWritable(opts.output);
      const [{ traceProgram }, { passExit }, { traceView }] = await Promise.all([
        import('../learn/session/trace-run.js'),
        import('../learn/session/exit.js'),
        import('../ui/trace-view.js'),
      ]);
      const { profile, exit, review } = await traceProgram({
        mode: opts.mode,
        command,
        pid: opts.pid,
        paths: opts.paths,
        maxValues: opts.maxValues,
        pin: opts.pin,
        view: traceView({ tui: opts.tui, progress: opts.progress }),
        traceeOutput: opts.traceeOutput,
      });
      if (opts.output) writeFileAtomic(opts.output, jsonText(profile));
      if (review) await (await import('../ui/review/after-learn.js')).reviewLearnedProfile(profile, opts.output);
      if (!opts.quiet) process.stderr.write((await import('../profile/report.js')).formatReport(profile));
      passExit(exit);
    });
}
