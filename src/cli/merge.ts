/** `sbx merge`: add profiles together. */
import type { Command } from '@commander-js/extra-typings';
import { assertWritable, writeFileAtomic } from '../io.js';
import { DEFAULT_MAX_VALUES } from '../profile/types.js';
import { jsonText, positiveInt } from './arguments.js';

export function registerMergeCommand(program: Command): void {
  program
    .command('merge')
    .description('add several profiles together (counts sum, per-run columns are kept)')
    .argument('<profiles...>', 'profiles to merge')
    .requiredOption('-o, --output <file>', 'write the merged profile here')
    .option(
      '--max-values <n>',
      'distinct values kept per argument histogram (the least frequent make room)',
      positiveInt,
      DEFAULT_MAX_VALUES,
    )
    .action(async (files, opts) => {
      assertWritable(opts.output);
      const { mergeProfiles, readProfiles } = await import('../profile/profile.js');
      const merged = mergeProfiles(
        readProfiles(files).map((s) => s.profile),
        opts.maxValues,
      );
      writeFileAtomic(opts.output, jsonText(merged));
    });
}
