/**
 * `sbx validate policy.json --scenarios held-out.json [-o report.json]`: run every scenario
 * under the policy in complain mode (what `sbx run --complain` does: denials become TRACE, the
 * tracer records them and the program goes on) and report, per scenario, each syscall the
 * policy would have denied with its decoded arguments and executables. Exit 1 when any.
 * Wiring only: compiler, tracer and scenario runner load when the command runs.
 */
import { Option, type Command } from '@commander-js/extra-typings';
import { assertWritable, UserError, writeFileAtomic } from '../io.js';
import { namedCallKey } from '../linux/arch.js';
import { DEFAULT_MAX_VALUES, type Profile } from '../profile/types.js';
import { positiveInt } from './arguments.js';

/** One would-be denial in the JSON report. */
export interface ValidateDenial {
  readonly arch: string;
  readonly syscall: string;
  readonly nr: number;
  readonly calls: number;
  /** Runs of the scenario that made it. */
  readonly runs: number;
  readonly args: readonly { readonly name: string; readonly values: readonly string[]; readonly more: boolean }[];
  readonly executables: readonly string[];
}

export interface ValidateScenarioResult {
  readonly name: string;
  readonly runs: readonly {
    readonly exit: string;
    readonly timedOut: boolean;
    readonly driverProblem?: string;
    readonly notRun?: string;
  }[];
  readonly denied: readonly ValidateDenial[];
}

function denials(profile: Profile): ValidateDenial[] {
  return profile.syscalls.map((s) => ({
    arch: s.arch,
    syscall: s.name,
    nr: s.nr,
    calls: s.count,
    runs: s.perRun.filter((n) => n > 0).length,
    args: (s.args ?? []).map((h) => ({ name: h.name, values: h.values.map((v) => v.label ?? v.value), more: h.other > 0 })),
    executables: profile.executables.filter((e) => e.syscalls[namedCallKey(s.arch, s.name)]).map((e) => e.path),
  }));
}

/** Registers `sbx validate` on `program`. */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('run held-out scenarios under a policy in complain mode; report every call it would deny (exit 1 when any)')
    .argument('<policy>', 'policy JSON (sbx propose)')
    .requiredOption('--scenarios <file>', 'scenario file (docs/scenarios.md)')
    .option('-o, --output <file>', 'write the per-scenario denials as JSON')
    .option('--repeat <n>', "runs of each scenario (default: the scenario's repeat, else 1)", positiveInt)
    .addOption(
      new Option('--layout <layout>', 'filter layout (see sbx bpf --stats)')
        .choices(['linear', 'tree', 'cache-aware'])
        .default('cache-aware'),
    )
    .option('--paths', 'also record pathnames and socket addresses of denied calls', false)
    .option('--no-pin', 'do not pin tracer and tracee to one CPU')
    .option('--no-progress', 'no live progress line')
    .option('-q, --quiet', 'no per-scenario report on stderr (the exit code still says)', false)
    .action(async (policyFile, opts) => {
      if (opts.output) assertWritable(opts.output, [policyFile, opts.scenarios]);
      const [
        { readPolicy },
        { relaxPolicy },
        { compilePolicy },
        { formatRaw },
        { mergeProfiles },
        { formatViolations },
        { readScenarios },
        run,
        { traceView },
      ] = await Promise.all([
        import('../policy/policy.js'),
        import('../policy/relax.js'),
        import('../policy/compile/compile.js'),
        import('../bpf/disasm.js'),
        import('../profile/profile.js'),
        import('../profile/report.js'),
        import('../learn/scenarios.js'),
        import('../learn/session/scenario-run.js'),
        import('../ui/trace-view.js'),
      ]);
      const policy = readPolicy(policyFile);
      const suite = readScenarios(opts.scenarios);
      const filter = formatRaw(compilePolicy(relaxPolicy(policy, { kind: 'trace', data: 0 }), { layout: opts.layout, source: policyFile }));
      const results: ValidateScenarioResult[] = [];
      let notRunCount = 0;
      let current = '';
      const interrupted = (signal: string) =>
        `interrupted by ${signal} during ${current} (its program and driver were killed); ${results.length} of ${suite.scenarios.length} scenarios validated${opts.output ? `; ${opts.output} was not written` : ''}`;
      const done = await run.runSuite(async (signals) => {
        for (const scenario of suite.scenarios) {
          const n = opts.repeat ?? scenario.repeat ?? 1;
          const runs: ValidateScenarioResult['runs'][number][] = [];
          const profiles: Profile[] = [];
          for (let i = 1; i <= n; i++) {
            current = `scenario ${scenario.name} run ${i}/${n}`;
            try {
              const outcome = await run.runScenario(
                scenario,
                {
                  mode: 'seccomp',
                  paths: opts.paths,
                  maxValues: DEFAULT_MAX_VALUES,
                  pin: opts.pin,
                  view: traceView({ progress: opts.progress }),
                  filter,
                  notes: [`complain run under ${policyFile}: counts are the calls that policy would have denied`],
                },
                signals,
              );
              profiles.push(outcome.profile);
              runs.push({
                exit: run.describeOutcome(outcome, scenario.timeout).split(', ')[0]!,
                timedOut: outcome.timedOut,
                ...(outcome.driverProblem ? { driverProblem: outcome.driverProblem } : {}),
              });
            } catch (err) {
              if (err instanceof run.SuiteInterrupted) throw err;
              notRunCount++;
              runs.push({ exit: 'not run', timedOut: false, notRun: run.notRun(err) });
            }
          }
          const merged = profiles.length ? mergeProfiles(profiles) : undefined;
          results.push({ name: scenario.name, runs, denied: merged ? denials(merged) : [] });
          if (!opts.quiet) {
            const header = `sbx: scenario ${scenario.name} (${runs.map((r) => r.notRun ?? r.exit).join('; ')}):`;
            process.stderr.write(`${header}\n${merged ? formatViolations(merged, policyFile).replace(/^sbx: /, '  ') : ''}`);
          }
        }
        return true;
      }, interrupted);
      if (!done) return;
      const failing = results.filter((r) => r.denied.length > 0);
      if (opts.output)
        writeFileAtomic(
          opts.output,
          `${JSON.stringify({ format: 'sbx-validate', version: 1, policy: policyFile, scenarios: results }, null, 2)}\n`,
        );
      if (!opts.quiet)
        process.stderr.write(
          failing.length
            ? `sbx: ${failing.length} of ${results.length} scenarios would hit a denial: ${failing.map((r) => `${r.name} (${r.denied.map((d) => d.syscall).join(', ')})`).join('; ')}\n`
            : `sbx: all ${results.length} scenarios ran without a call ${policyFile} would deny\n`,
        );
      if (notRunCount && !failing.length)
        throw new UserError(`${notRunCount} scenario run(s) could not start: nothing is known about them`, 125);
      process.exitCode = failing.length ? 1 : 0;
    });
}
