/**
 * `sbx review`: wiring only; the screen lives in src/ui/review. Modules load when the command
 * runs, so other commands never pay for Ink and React.
 */
import { loadTerminalUi } from '../ui/load-ui.js';
import type { Command } from '@commander-js/extra-typings';
import { basename } from 'node:path';
import { assertWritable, UserError } from '../io.js';

/** Register `sbx review` on the program. */
export function registerReviewCommand(program: Command): void {
  program
    .command('review')
    .description(
      'review a policy interactively: syscalls ranked by calls, why each rule is there, change actions, save (see docs/review.md)',
    )
    .argument('<profiles...>', 'profiles written by sbx learn or sbx merge')
    .option('--policy <file>', "start from this policy (default: sbx propose's allowlist proposal)")
    .option('-o, --output <file>', 'save the policy here (default: the --policy file)')
    .action(async (files, opts) => {
      const output = opts.output ?? opts.policy;
      if (!output) throw new UserError('give -o FILE: where to save the reviewed policy');
      assertWritable(output, files); // the --policy file may be the output: review saves it in place on purpose
      if (!process.stdin.isTTY || !process.stdout.isTTY)
        throw new UserError('review needs a terminal (stdin and stdout must be a TTY); without one, use sbx propose -o policy.json', 2);
      if (process.env.TERM === 'dumb')
        throw new UserError(
          'review needs a terminal that can move the cursor (TERM is dumb); without one, use sbx propose -o policy.json',
          2,
        );
      // React's production build: the development build adds checks and timing to every redraw
      process.env.NODE_ENV ??= 'production';
      // the screen says "loading" at once: loading the UI, reading big profiles and proposing take seconds
      const { openReviewScreen } = await import('../ui/review/full-screen.js');
      const close = openReviewScreen(process.stdout, files.length === 1 ? basename(files[0]!) : `${files.length} profiles`);
      let outcome = '';
      try {
        const { runReview, reviewOutcome } = await loadTerminalUi(() => import('../ui/review/run-review.js'));
        const [{ readProfiles, mergeProfiles }, { readPolicy }, { propose }, { sourcesTitle }] = await Promise.all([
          import('../profile/profile.js'),
          import('../policy/policy.js'),
          import('../learn/propose/index.js'),
          import('../ui/review/data.js'),
        ]);
        const profiles = readProfiles(files);
        const policy = opts.policy ? readPolicy(opts.policy) : propose(profiles);
        const profile = profiles.length === 1 ? profiles[0]!.profile : mergeProfiles(profiles.map((p) => p.profile));
        const sources = files.map((f) => basename(f));
        outcome = reviewOutcome(await runReview({ profile, policy, title: sourcesTitle(sources), sources, output }, close));
      } finally {
        close();
      }
      process.stderr.write(outcome);
    });
}
