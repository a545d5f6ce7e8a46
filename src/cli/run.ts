/**
 * `sbx run --policy policy.json -- <cmd>`: run a program under a compiled policy.
 *  - default: enforce. The launcher installs the filter and execs; sbx detaches once the
 *    program runs, so it runs exactly as in production, and passes its exit status through.
 *  - --log: denials become SECCOMP_RET_LOG (the kernel logs them, the calls go ahead).
 *  - --complain: denials become SECCOMP_RET_TRACE; sbx's tracer records every would-be
 *    violation (syscall, arguments, executable, count) and lets the program finish. The
 *    delta (-o) is an ordinary profile that `sbx merge` / `sbx propose` accept.
 * Wiring only: compiler, policy transform and tracer are imported when the command runs.
 */
import { isatty } from '../linux/terminal.js';
import { loadTerminalUi } from '../ui/load-ui.js';
import { readFileSync } from 'node:fs';
import { Option, type Command } from '@commander-js/extra-typings';
import { assertWritable, UserError, writeFileAtomic } from '../io.js';
import type { Policy } from '../policy/policy.js';
import { DEFAULT_MAX_VALUES } from '../profile/types.js';

/** Whether this kernel can return SECCOMP_RET_LOG (Linux >= 4.14 lists it as "log"). */
function kernelSupportsLog(): boolean {
  try {
    return readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').split(/\s+/).includes('log');
  } catch {
    return false;
  }
}

/** `--ask`: the ask session, its questions put on sbx's terminal (the prompt reads stdin and draws on stderr). */
async function startAsking(policy: Policy, policyFile: string) {
  const [{ startAskSession }, { askOnTerminal }, { colorEnabled }] = await loadTerminalUi(() =>
    Promise.all([import('../learn/session/ask.js'), import('../ui/ask/run-ask.js'), import('../ui/review/run-review.js')]),
  );
  return startAskSession(policy, policyFile, (view) =>
    askOnTerminal(view, { stdin: process.stdin, stdout: process.stderr, color: colorEnabled() }),
  );
}

/** Registers `sbx run` on `program`. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a program under a policy: enforce it, log denials (--log), or record would-be violations (--complain)')
    .argument('[command...]', 'the program and its arguments (options after its name are its own; -- is allowed)')
    .passThroughOptions()
    .requiredOption('--policy <file>', 'policy JSON (sbx propose)')
    .addOption(
      new Option('--layout <layout>', 'filter layout (see sbx bpf --stats)')
        .choices(['linear', 'tree', 'cache-aware'])
        .default('cache-aware'),
    )
    .option('--profile <file>', "profile whose call counts lay out the filter (default: the rules' observed counts)")
    .option('--complain', 'do not deny: record every call the policy would deny and let the program run', false)
    .option('--log', 'do not deny: the kernel logs each call the policy would deny (SECCOMP_RET_LOG)', false)
    .option('--ask', 'stop at every call the policy would deny and ask on the terminal what to do (saves "allow always" answers)', false)
    .option(
      '-o, --output <file>',
      'with --complain: write the violations as a profile (delta); with --ask: where to save the policy (default: --policy)',
    )
    .option('--paths', 'with --complain: also record pathnames and socket addresses', false)
    .option('--no-pin', 'with --complain: do not pin tracer and tracee to one CPU')
    .option('--no-progress', 'with --complain: no live progress line')
    .option('-q, --quiet', 'with --complain: no summary of violations at the end', false)
    .action(async (command, opts) => {
      if (command.length === 0) throw new UserError('no command given: sbx run --policy policy.json -- <command> [args...]');
      if ([opts.complain, opts.log, opts.ask].filter(Boolean).length > 1) throw new UserError('choose one of --complain, --log and --ask');
      if (opts.output && !opts.complain && !opts.ask) throw new UserError('-o writes the violations of a --complain run; add --complain');
      // isatty(0), not process.stdin: a stdin stream would set O_NONBLOCK on a pipe the program shares.
      if (opts.ask && !(isatty(2) && isatty(0)))
        throw new UserError('--ask needs a terminal (stdin and stderr must be a TTY) to ask on; use --complain to record instead');
      if (opts.log && !kernelSupportsLog())
        throw new UserError('this kernel has no SECCOMP_RET_LOG (/proc/sys/kernel/seccomp/actions_avail lacks "log")');
      // --ask saves the policy it asks about (to -o or in place); --complain writes a profile, never over an input.
      if (opts.output) assertWritable(opts.output, [...(opts.complain ? [opts.policy] : []), ...(opts.profile ? [opts.profile] : [])]);
      const [
        { readPolicy },
        { relaxPolicy },
        { compileCached, compileForLaunch, searchWhileRunning },
        { formatRaw },
        { readProfile },
        { traceProgram },
        { passExit },
        { traceView },
        { whyPolicyCannotStart },
        { hostArch },
      ] = await Promise.all([
        import('../policy/policy.js'),
        import('../policy/relax.js'),
        import('../policy/compile/filter-cache.js'),
        import('../bpf/disasm.js'),
        import('../profile/profile.js'),
        import('../learn/session/trace-run.js'),
        import('../learn/session/exit.js'),
        import('../ui/trace-view.js'),
        import('../learn/policy-start.js'),
        import('../linux/arch.js'),
      ]);
      const policy = readPolicy(opts.policy);
      const watching = opts.complain || opts.ask;
      const effective = watching
        ? relaxPolicy(policy, { kind: 'trace', data: 0 })
        : opts.log
          ? relaxPolicy(policy, { kind: 'log' })
          : policy;
      const session = opts.ask ? await startAsking(policy, opts.policy) : undefined;
      // A launcher runs one policy again and again: its filter comes from a cache (filter-cache.ts).
      // Enforcing, a policy's first run starts with a quick plan and plans in full meanwhile.
      const compileOptions = { layout: opts.layout, source: opts.policy, ...(opts.profile ? { profile: readProfile(opts.profile) } : {}) };
      const { program: compiled, pending } = watching
        ? { program: compileCached(effective, compileOptions) }
        : compileForLaunch(effective, compileOptions);
      // Watching, a CLONE_UNTRACED child must stay traced: its would-be denials would fail with ENOSYS untraced.
      const filter = formatRaw(watching ? (await import('../ptrace/trace-filter.js')).withCloneCheck(compiled) : compiled);
      const search = pending && searchWhileRunning(pending);
      const { profile, exit } = await traceProgram({
        mode: 'seccomp',
        command,
        paths: opts.paths,
        maxValues: DEFAULT_MAX_VALUES,
        pin: watching && opts.pin,
        view: traceView({ progress: opts.complain && opts.progress }),
        filter,
        ...(watching ? { cloneCheckedPolicy: formatRaw(compiled) } : {}),
        enforceOnly: !watching,
        ...(session ? { onAsk: session.onAsk } : {}),
        notes: opts.complain ? [`complain run under ${opts.policy}: counts are the calls that policy would have denied`] : [],
        // Only the filter kills the launcher in a call (execve): say what in the policy does.
        explainLaunchKill: (call) => {
          const why = call === 'execve' ? whyPolicyCannotStart(effective, hostArch()) : undefined;
          return why && `${command[0]} did not start: ${why}`;
        },
      }).finally(() => search?.stop());
      if (session) session.save(opts.output ?? opts.policy);
      if (opts.complain) {
        if (opts.output) writeFileAtomic(opts.output, `${JSON.stringify(profile, null, 2)}\n`);
        if (!opts.quiet) {
          const { formatViolations } = await import('../profile/report.js');
          process.stderr.write(formatViolations(profile, opts.policy));
        }
      }
      if (!watching && exit.kind === 'signaled' && exit.signal === 'SIGSYS')
        process.stderr.write(`sbx: ${command[0]} was killed by SIGSYS: the policy denied a call; \`--complain\` shows which\n`);
      // Ask mode's "deny" under a kill-process default ends the program as enforce mode would (159).
      const denied = session?.deniedExitCode(exit);
      if (denied !== undefined) process.exitCode = denied;
      else passExit(exit);
    });
}
