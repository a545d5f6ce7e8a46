/**
 * `sbx review`: wiring only; the screen lives in src/ui/review. Modules load when the command
 * runs, so other commands never pay for Ink and React.
 */
import { loadTerminalUi } from '../ui/load-ui.js';
import type { Command } from 'commander';
import { basename } from 'node:path';
import { assertWritable, UserError } from '../io.js';

/** Register `sbx review` on the program. */
export function registerReviewCommand(program: Command): void {
  program
    .command('review')
    .description('review a policy interactively: syscalls ranked by calls, why each rule is there, change actions, save (see docs/review.md)')
    .argument('<profiles...>', 'profiles written by sbx learn or sbx merge')
    .option('--policy <file>', "start from this policy (default: sbx propose's allowlist proposal)")
    .option('-o, --output <file>', 'save the policy here (default: the --policy file)')
    .action(async (files: string[], opts: { policy?: string; output?: string }) => {
      if (!process.stdin.isTTY || !process.stdout.isTTY)
        throw new UserError('review needs a terminal (stdin and stdout must be a TTY); without one, use sbx propose -o policy.json', 2);
      const output = opts.output ?? opts.policy;
      if (!output) throw new UserError('give -o FILE: where to save the reviewed policy');
      assertWritable(output);
      // React's production build: the development build adds checks and timing to every redraw
      process.env.NODE_ENV ??= 'production';
      const [{ readProfile, mergeProfiles }, { readPolicy }, { propose }, { runReview, reviewOutcome }] = await Promise.all([
        import('../profile/profile.js'),
        import('../policy/policy.js'),
        import('../learn/propose/index.js'),
        loadTerminalUi(() => import('../ui/review/run-review.js')),
      ]);
      const profiles = files.map((file) => ({ file, profile: readProfile(file) }));
      const policy = opts.policy ? readPolicy(opts.policy) : propose(profiles);
      const profile = profiles.length === 1 ? profiles[0]!.profile : mergeProfiles(profiles.map((p) => p.profile));
      const title = files.map((f) => basename(f)).join(' + ');
      const final = await runReview({ profile, policy, title, output });
      process.stderr.write(reviewOutcome(final));
    });
}
