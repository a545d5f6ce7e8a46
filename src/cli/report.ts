/** `sbx report`: a profile as an strace -c style table, CSV or JSON. */
import type { Command } from '@commander-js/extra-typings';
import { UserError } from '../io.js';
import { writeStdout } from './arguments.js';

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('print a profile as an strace -c style table')
    .argument('<profile>', 'profile JSON written by sbx learn or sbx merge')
    .option('--csv', 'CSV instead of a table')
    .option('--json', 'JSON rows instead of a table')
    .action(async (file, opts) => {
      if (opts.csv && opts.json) throw new UserError('choose one of --csv and --json');
      const [{ readProfile }, { formatReport, reportCsv, reportJson }] = await Promise.all([
        import('../profile/profile.js'),
        import('../profile/report.js'),
      ]);
      const profile = readProfile(file);
      await writeStdout(opts.csv ? reportCsv(profile) : opts.json ? reportJson(profile) : formatReport(profile));
    });
}
