/** `sbx propose`: a policy from profiles, every rule explained (docs/propose.md). */
import { type Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { assertWritable, UserError } from '../io.js';
import {
  DEFAULT_DENY,
  DEFAULT_MAX_ARG_VALUES,
  DEFAULT_RARE_CALLS,
  CANDIDATE_TIERS,
  parseCandidateChoice,
} from '../learn/propose/defaults.js';
import { arches, deliver, integer, list } from './arguments.js';

/** Options that only one strategy uses. */
const STRATEGY_OPTIONS = [
  { name: 'complete', flag: '--no-complete', strategy: 'allowlist' },
  { name: 'args', flag: '--args', strategy: 'allowlist' },
  { name: 'candidates', flag: '--candidates', strategy: 'allowlist' },
  { name: 'hints', flag: '--no-hints', strategy: 'allowlist' },
  { name: 'deny', flag: '--deny', strategy: 'denylist' },
] as const;

export function registerProposeCommand(program: Command): void {
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
    .option(
      '--max-arg-values <n>',
      'with --args: most values one argument may list before it is left open',
      integer(1, 256),
      DEFAULT_MAX_ARG_VALUES,
    )
    .option('--default <action>', 'default action (allowlist: kill-process; denylist: allow), e.g. errno(EPERM), trap, log')
    .option(
      '--deny <categories>',
      `denylist: categories to deny even if observed, comma-separated (default when unset: ${DEFAULT_DENY.join(',')}, minus observed ones)`,
      list,
    )
    .addOption(
      new Option('--rank <mode>', 'priorities by calls summed over runs, or by share of each run')
        .choices(['sum', 'per-run'])
        .default('sum'),
    )
    .option('--priority-floor <n>', 'lowest priority handed out (255 is the most frequent syscall)', integer(0, 255), 0)
    .option('--rare <n>', 'flag syscalls seen this many times or fewer', integer(0, Number.MAX_SAFE_INTEGER), DEFAULT_RARE_CALLS)
    .option(
      '--arch <arches>',
      "arches of the policy, comma-separated (default: the profiles'); a profile with calls of another arch is refused",
      arches,
    )
    .addOption(
      new Option(
        '--candidates <which>',
        'static-hint candidates to allow: none (listed for review only), main (reachable from the executables), all (+ imported by a library), or N (the first N in rank order)',
      )
        .argParser((value: string) => {
          const choice = parseCandidateChoice(value);
          if (choice === undefined) throw new InvalidArgumentError(`expected ${CANDIDATE_TIERS.join(', ')} or a number of candidates`);
          return choice;
        })
        .default('none'),
    )
    .option('--no-hints', "allowlist: do not read the executables' imports for candidates (docs/static-hints.md)")
    .option(
      '--held-out <profiles...>',
      'profiles of runs not learned from (e.g. other scenarios): report what they needed that the learning runs never showed, and which tier flags it',
    )
    .option(
      '--allow-empty',
      'propose even from profiles that recorded no syscall (refused by default: the policy would rest on nothing)',
      false,
    )
    .option('-q, --quiet', 'no summary on stderr', false)
    .action(async (files, opts, command) => {
      // An option the run does not use is refused, not ignored: the policy's generator would still record it.
      const given = (name: string) => command.getOptionValueSource(name) === 'cli';
      for (const { name, flag, strategy } of STRATEGY_OPTIONS)
        if (given(name) && opts.strategy !== strategy)
          throw new UserError(`${flag} applies to --strategy ${strategy}, not ${opts.strategy}`);
      if (given('maxArgValues') && !opts.args) throw new UserError('--max-arg-values applies with --args');
      if (opts.output) assertWritable(opts.output, [...files, ...(opts.heldOut ?? [])]);
      if (!opts.hints && opts.candidates !== 'none')
        throw new UserError(`--candidates ${opts.candidates} needs the static hints that --no-hints turns off`);
      const [
        { readProfile, readProfiles },
        { parseAction, policyText },
        { propose },
        { formatProposalSummary },
        { startArch, whyPolicyCannotStart },
      ] = await Promise.all([
        import('../profile/profile.js'),
        import('../policy/policy.js'),
        import('../learn/propose/index.js'),
        import('../learn/propose/summary.js'),
        import('../learn/policy-start.js'),
      ]);
      const defaultAction = opts.default === undefined ? undefined : parseAction(opts.default);
      if (typeof defaultAction === 'string') throw new UserError(`--default ${opts.default}: ${defaultAction}`);
      const learned = readProfiles(files);
      const policy = propose(learned, {
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
        ...(opts.heldOut ? { heldOut: opts.heldOut.map((file) => ({ file, profile: readProfile(file) })) } : {}),
      });
      await deliver(opts.output, policyText(policy));
      if (!opts.quiet) process.stderr.write(formatProposalSummary(policy));
      // Said even with -q: sbx run would kill the program before it starts.
      const arch = startArch(learned.map((l) => l.profile));
      const cannotStart = whyPolicyCannotStart(policy, arch);
      if (cannotStart)
        process.stderr.write(`sbx: warning: this policy cannot start the program it was learned from on ${arch}: ${cannotStart}\n`);
    });
}
