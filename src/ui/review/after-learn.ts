/**
 * `sbx learn --tui`, after the program exited and the user answered "y" to "open sbx review?":
 * review the profile just learned in-process, starting from sbx propose's allowlist proposal.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Profile } from '../../profile/types.js';
import { loadTerminalUi } from '../load-ui.js';

/** Where the reviewed policy is saved: next to the profile ("ls.profile.json" → "ls.policy.json"). */
export function policyFileFor(profileFile: string): string {
  const name = basename(profileFile).replace(/(\.profile)?\.json$/, '');
  return join(dirname(profileFile), `${name}.policy.json`);
}

/**
 * Open sbx review on `profile`. Without -o, the profile is first written to a temporary
 * directory (review and a later sbx propose need a file); the policy is saved next to it.
 */
export async function reviewLearnedProfile(profile: Profile, profileFile: string | undefined): Promise<void> {
  let file = profileFile;
  if (!file) {
    file = join(mkdtempSync(join(tmpdir(), 'sbx-learn-')), 'profile.json');
    writeFileSync(file, `${JSON.stringify(profile, null, 2)}\n`);
    process.stderr.write(`sbx: profile written to ${file} for review\n`);
  }
  process.env.NODE_ENV ??= 'production';
  const [{ propose }, { runReview, reviewOutcome }] = await Promise.all([
    import('../../learn/propose/index.js'),
    loadTerminalUi(() => import('./run-review.js')),
  ]);
  const final = await runReview({ profile, policy: propose([{ file, profile }]), title: basename(file), output: policyFileFor(file) });
  process.stderr.write(reviewOutcome(final));
}
