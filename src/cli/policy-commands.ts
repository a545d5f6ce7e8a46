/**
 * `sbx propose`, `sbx emit`, `sbx diff`: wiring only; the work lives in src/learn and src/policy. Each action
 * loads its modules when it runs, so `sbx learn` does not pay for them at start-up.
 */
import { Command, InvalidArgumentError, Option, CommanderError } from 'commander';
import { isArchName, type ArchName } from '../linux/arch.js';
import { assertWritable, QuietExit, UserError, writeFileAtomic } from '../io.js';
import { DEFAULT_DENY, DEFAULT_MAX_ARG_VALUES, DEFAULT_RARE_CALLS, CANDIDATE_TIERS, parseCandidateChoice } from '../learn/propose/defaults.js';
import { CONTAINER_FORMATS, EMITTERS, emitterNames, type EmitterName } from '../policy/emit/index.js';
import { DEFAULT_RUNTIME, RUNTIME_CHOICES, type RuntimeChoice } from '../policy/emit/runtime-choice.js';

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in ${min}..${max}`);
    return n;
  };
}

function kernelVersion(value: string): string {
  if (!/^\d+\.\d+$/.test(value)) throw new InvalidArgumentError('expected a kernel release as X.Y, e.g. 6.1');
  return value;
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function arches(value: string): ArchName[] {
  const names = list(value);
  const bad = names.find((n) => !isArchName(n));
  if (bad !== undefined) throw new InvalidArgumentError(`unknown arch ${JSON.stringify(bad)} (sbx knows x86_64, x32, i386, aarch64)`);
  return names as ArchName[];
}

/** Write to `output`, or to stdout when there is none. */
function deliver(output: string | undefined, text: string): void {
  if (output) writeFileAtomic(output, text);
  else process.stdout.write(text);
}

export function registerPolicyCommands(program: Command): void {
  program
    .command('propose')
    .description('propose a seccomp policy from one or more profiles, explaining every rule (see docs/propose.md)')
    .argument('<profiles...>', 'profiles written by sbx learn or sbx merge (several: runs are combined)')
    .option('-o, --output <file>', 'write the policy here (JSON, policy format v1); default: stdout')
    .addOption(
      new Option('--strategy <strategy>', 'allowlist: allow what was seen; denylist: deny dangerous groups never seen (QEMU style)')
        .choices(['allowlist', 'denylist'])
        .default('allowlist'),
    )
    .option('--no-complete', 'allowlist: do not complete families (io_setup seen → io_submit, io_cancel, ... allowed)')
    .option('--args', 'allowlist: limit clone flags, socket families, ioctl requests, prctl options, ... to the observed values', false)
    .option('--max-arg-values <n>', 'with --args: most values one argument may list before it is left open', integer(1, 256), DEFAULT_MAX_ARG_VALUES)
    .option('--default <action>', 'default action (allowlist: kill-process; denylist: allow), e.g. errno(EPERM), trap, log')
    .option('--deny <categories>', `denylist: categories to deny even if observed, comma-separated (default when unset: ${DEFAULT_DENY.join(',')}, minus observed ones)`, list)
    .addOption(new Option('--rank <mode>', 'priorities by calls summed over runs, or by share of each run').choices(['sum', 'per-run']).default('sum'))
    .option('--priority-floor <n>', 'lowest priority handed out (255 is the most frequent syscall)', integer(0, 255), 0)
    .option('--rare <n>', 'flag syscalls seen this many times or fewer', integer(0, Number.MAX_SAFE_INTEGER), DEFAULT_RARE_CALLS)
    .option('--arch <arches>', "arches of the policy, comma-separated (default: the profiles'); a profile with calls of another arch is refused", arches)
    .addOption(
      new Option('--candidates <which>', 'static-hint candidates to allow: none (listed for review only), main (reachable from the executables), all (+ imported by a library), or N (the first N in rank order)')
        .argParser((value: string) => {
          const choice = parseCandidateChoice(value);
          if (choice === undefined) throw new InvalidArgumentError(`expected ${CANDIDATE_TIERS.join(', ')} or a number of candidates`);
          return choice;
        })
        .default('none'),
    )
    .option('--no-hints', "allowlist: do not read the executables' imports for candidates (docs/static-hints.md)")
    .option('--held-out <profiles...>', 'profiles of runs not learned from (e.g. other scenarios): report what they needed that the learning runs never showed, and which tier flags it')
    .option('--allow-empty', 'propose even from profiles that recorded no syscall (refused by default: the policy would rest on nothing)', false)
    .option('-q, --quiet', 'no summary on stderr', false)
    .action(async (files: string[], opts) => {
      if (opts.output) assertWritable(opts.output);
      if (!opts.hints && opts.candidates !== 'none') throw new UserError(`--candidates ${opts.candidates} needs the static hints that --no-hints turns off`);
      const [{ readProfile }, { parseAction, policyText }, { propose }, { formatProposalSummary }, { startArch, whyPolicyCannotStart }] = await Promise.all([
        import('../profile/profile.js'),
        import('../policy/policy.js'),
        import('../learn/propose/index.js'),
        import('../learn/propose/summary.js'),
        import('../learn/policy-start.js'),
      ]);
      const defaultAction = opts.default === undefined ? undefined : parseAction(opts.default);
      if (typeof defaultAction === 'string') throw new UserError(`--default ${opts.default}: ${defaultAction}`);
      const learned = files.map((file) => ({ file, profile: readProfile(file) }));
      const policy = propose(
        learned,
        {
          strategy: opts.strategy,
          complete: opts.complete,
          args: opts.args,
          maxArgValues: opts.maxArgValues,
          ...(defaultAction ? { defaultAction } : {}),
          ...(opts.deny ? { deny: opts.deny } : {}),
          rank: opts.rank,
          priorityFloor: opts.priorityFloor,
          rareCalls: opts.rare,
          ...(opts.arch ? { arches: opts.arch } : {}),
          hints: opts.hints,
          candidates: opts.candidates,
          allowEmpty: opts.allowEmpty,
          ...(opts.heldOut ? { heldOut: (opts.heldOut as string[]).map((file) => ({ file, profile: readProfile(file) })) } : {}),
        },
      );
      deliver(opts.output, policyText(policy));
      if (!opts.quiet) process.stderr.write(formatProposalSummary(policy));
      // Said even with -q: sbx run would kill the program before it starts.
      const arch = startArch(learned.map((l) => l.profile));
      const cannotStart = whyPolicyCannotStart(policy, arch);
      if (cannotStart) process.stderr.write(`sbx: warning: this policy cannot start the program it was learned from on ${arch}: ${cannotStart}\n`);
    });

  program
    .command('emit')
    .description('write a policy in another format: one model, every backend')
    .argument('<policy>', 'policy JSON written by sbx propose (or by hand, see docs/policy-format.md)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(emitterNames()).makeOptionMandatory())
    .option('-o, --output <file>', 'write here (formats with a second file put it next to this one); default: stdout')
    .addOption(
      new Option('--runtime <runtime>', `oci, spo: also allow what this container runtime calls after loading the filter (default: ${DEFAULT_RUNTIME}; none: the policy alone)`).choices(
        RUNTIME_CHOICES,
      ),
    )
    .option('--name <name>', "spo: the SeccompProfile's metadata.name (default: the program's name)")
    .option(
      '--target-kernel <X.Y>',
      "names the output may use: those Linux X.Y has (sbx's table of releases); default: the uapi headers installed here (/usr/include/asm*/unistd*.h)",
      kernelVersion,
    )
    .addHelpText(
      'after',
      `\nFormats:\n${emitterNames()
        .map((n: EmitterName) => `  ${n.padEnd(13)} ${EMITTERS[n].describe}`)
        .join('\n')}\n`,
    )
    .action(async (file: string, opts: { format: EmitterName; output?: string; runtime?: RuntimeChoice; name?: string; targetKernel?: string }) => {
      if (opts.runtime !== undefined && !CONTAINER_FORMATS.includes(opts.format))
        throw new UserError(`--runtime applies to ${CONTAINER_FORMATS.map((f) => `-f ${f}`).join(' and ')}, not -f ${opts.format}`);
      if (opts.name !== undefined && opts.format !== 'spo') throw new UserError(`--name applies to -f spo, not -f ${opts.format}`);
      if (opts.output) assertWritable(opts.output);
      const [{ readPolicy }, emitter, { headersTarget, kernelTarget }] = await Promise.all([
        import('../policy/policy.js'),
        EMITTERS[opts.format].load(),
        import('../linux/target-syscalls.js'),
      ]);
      const policy = readPolicy(file);
      const target = opts.targetKernel === undefined ? headersTarget(policy.arches) : kernelTarget(opts.targetKernel);
      const result = emitter.emit(policy, { source: file, output: opts.output, runtime: opts.runtime, name: opts.name, target });
      deliver(opts.output, result.text);
      for (const note of result.notes ?? []) process.stderr.write(`sbx: ${note}\n`);
      for (const extra of result.extras ?? []) {
        if (opts.output) writeFileAtomic(extra.path, extra.text);
        else process.stderr.write(`sbx: ${extra.what} not written (give -o to write ${extra.path})\n`);
      }
      for (const warning of result.warnings) process.stderr.write(`sbx: warning: ${warning}\n`);
    });

  program
    .command('diff')
    .description(
      'compare two profiles or two policies; exit 0 when the same, 1 when they differ (for CI: catch a program that starts to need new syscalls), 2 on usage or input errors',
    )
    .argument('<a>', 'the old profile or policy')
    .argument('<b>', 'the new one')
    .option('--counts', 'profiles: a change in call counts also counts as a difference', false)
    .option('--threshold <percent>', 'with --counts: ignore count changes smaller than this', integer(0, 1_000_000), 0)
    .option('--rules', 'policies: also show rule-level changes (what is written; by default only what the filter decides differently)', false)
    .option('--priorities', 'policies: also show priority moves (they change speed, not decisions)', false)
    .option('--json', 'print the differences as JSON', false)
    // exit 1 means "they differ": a usage error must not look like that
    .exitOverride((err) => {
      throw err.exitCode === 1 ? new CommanderError(2, err.code, err.message) : err;
    })
    .action(async (a: string, b: string, opts) => {
      const { diffFiles, formatDiff } = await import('../learn/diff.js');
      const diff = diffFiles(a, b, { counts: opts.counts, threshold: opts.threshold, rules: opts.rules, priorities: opts.priorities });
      process.stdout.write(opts.json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiff(diff));
      if (diff.differ) throw new QuietExit(1);
    });
}
