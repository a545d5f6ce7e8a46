/** `sbx diff`: what changed between two profiles or two policies (exit 0 same, 1 different, 2 bad input). */
import { type Command, CommanderError } from '@commander-js/extra-typings';
import { QuietExit } from '../io.js';
import { integer, writeStdout } from './arguments.js';

export function registerDiffCommand(program: Command): void {
  program
    .command('diff')
    .description(
      'compare two profiles or two policies; exit 0 when the same, 1 when they differ (for CI: catch a program that starts to need new syscalls), 2 on usage or input errors',
    )
    .argument('<a>', 'the old profile or policy')
    .argument('<b>', 'the new one')
    .option('--counts', 'profiles: a change in call counts also counts as a difference', false)
    .option('--threshold <percent>', 'with --counts: ignore count changes smaller than this', integer(0, 1_000_000), 0)
    .option(
      '--rules',
      'policies: also show rule-level changes (what is written; by default only what the filter decides differently)',
      false,
    )
    .option('--priorities', 'policies: also show priority moves (they change speed, not decisions)', false)
    .option('--json', 'print the differences as JSON', false)
    // exit 1 means "they differ": a usage error must not look like that
    .exitOverride((err) => {
      throw err.exitCode === 1 ? new CommanderError(2, err.code, err.message) : err;
    })
    .action(async (a, b, opts) => {
      const { diffFiles, formatDiff } = await import('../learn/diff.js');
      const diff = diffFiles(a, b, { counts: opts.counts, threshold: opts.threshold, rules: opts.rules, priorities: opts.priorities });
      await writeStdout(opts.json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiff(diff));
      if (diff.differ) throw new QuietExit(1);
    });
}
