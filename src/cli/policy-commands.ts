/**
 * `sbx propose`, `sbx emit`, `sbx diff`: wiring only; the work lives in src/learn. Each action
 * loads its modules when it runs, so `sbx learn` does not pay for them at start-up.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { isArchName, type ArchName } from '../ptrace/arch.js';
import { assertWritable, QuietExit, UserError, writeFileAtomic } from '../io.js';
import { CANDIDATE_TIERS, DEFAULT_DENY, parseCandidateChoice, DEFAULT_MAX_ARG_VALUES, DEFAULT_RARE_CALLS } from '../learn/propose/defaults.js';
import { EMITTERS, emitterNames, type EmitterName } from '../learn/emit/index.js';

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in ${min}..${max}`);
    return n;
  };
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
    .option('-q, --quiet', 'no summary on stderr', false)
    .action(async (files: string[], opts) => {
      if (opts.output) assertWritable(opts.output);
      if (!opts.hints && opts.candidates !== 'none') throw new UserError(`--candidates ${opts.candidates} needs the static hints that --no-hints turns off`);
      const [{ readProfile }, { parseAction, policyText }, { propose }, { formatProposalSummary }] = await Promise.all([
        import('../learn/profile.js'),
        import('../learn/policy.js'),
        import('../learn/propose/index.js'),
        import('../learn/propose/summary.js'),
      ]);
      const defaultAction = opts.default === undefined ? undefined : parseAction(opts.default);
      if (typeof defaultAction === 'string') throw new UserError(`--default ${opts.default}: ${defaultAction}`);
      const policy = propose(
        files.map((file) => ({ file, profile: readProfile(file) })),
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
          ...(opts.heldOut ? { heldOut: (opts.heldOut as string[]).map((file) => ({ file, profile: readProfile(file) })) } : {}),
        },
      );
      deliver(opts.output, policyText(policy));
      if (!opts.quiet) process.stderr.write(formatProposalSummary(policy));
    });

  program
    .command('emit')
    .description('write a policy in another format: one model, every backend')
    .argument('<policy>', 'policy JSON written by sbx propose (or by hand, see docs/policy-format.md)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(emitterNames()).makeOptionMandatory())
    .option('-o, --output <file>', 'write here (formats with a second file put it next to this one); default: stdout')
    .addHelpText(
      'after',
      `\nFormats:\n${emitterNames()
        .map((n: EmitterName) => `  ${n.padEnd(13)} ${EMITTERS[n].describe}`)
        .join('\n')}\n`,
    )
    .action(async (file: string, opts: { format: EmitterName; output?: string }) => {
      if (opts.output) assertWritable(opts.output);
      const [{ readPolicy }, emitter] = await Promise.all([import('../learn/policy.js'), EMITTERS[opts.format].load()]);
      const result = emitter.emit(readPolicy(file), { source: file, output: opts.output });
      deliver(opts.output, result.text);
      for (const extra of result.extras ?? []) {
        if (opts.output) writeFileAtomic(extra.path, extra.text);
        else process.stderr.write(`sbx: ${extra.what} not written (give -o to write ${extra.path})\n`);
      }
      for (const warning of result.warnings) process.stderr.write(`sbx: warning: ${warning}\n`);
    });

  program
    .command('diff')
    .description('compare two profiles or two policies; exit 1 when they differ (for CI: catch a program that starts to need new syscalls)')
    .argument('<a>', 'the old profile or policy')
    .argument('<b>', 'the new one')
    .option('--counts', 'profiles: a change in call counts also counts as a difference', false)
    .option('--threshold <percent>', 'with --counts: ignore count changes smaller than this', integer(0, 1_000_000), 0)
    .option('--json', 'print the differences as JSON', false)
    .action(async (a: string, b: string, opts) => {
      const { diffFiles, formatDiff } = await import('../learn/diff.js');
      const diff = diffFiles(a, b, { counts: opts.counts, threshold: opts.threshold });
      process.stdout.write(opts.json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiff(diff));
      if (diff.differ) throw new QuietExit(1);
    });
}
