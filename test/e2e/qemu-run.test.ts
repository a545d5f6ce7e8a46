/**
 * End to end on QEMU: learn the sample boot, propose an allowlist, and enforce it with
 * `sbx run`. The boot must succeed under the policy; with one syscall the boot needs taken
 * out, QEMU must die by the policy's action, and `--complain` must name exactly that syscall.
 *
 * Two learned boots are merged so that calls that only some boots make (timing-dependent
 * futex/ppoll paths) are in the policy; a single boot is the lesson QEMU's 2012 allowlist taught.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../src/profile/types.js';
import { BUILD_TIMEOUT_MS, MARKER, RUN_TIMEOUT_MS, bootSh, describeRun, ensureQemuSample, run, sbxBin } from './qemu-sample.js';

/** A syscall every boot makes and QEMU cannot work without: its main loop waits in ppoll. */
const NEEDED = 'ppoll';

describe('QEMU under sbx run (samples/qemu)', () => {
  let problem: string | undefined;
  let tmp = '';
  let policy = '';

  beforeAll(async () => {
    problem = await ensureQemuSample();
    if (problem) return;
    tmp = mkdtempSync(join(tmpdir(), 'sbx-qemu-run-'));
    const profiles: string[] = [];
    for (const i of [1, 2]) {
      const out = join(tmp, `boot${i}.json`);
      const r = await run(sbxBin, ['learn', '-q', '-o', out, '--', bootSh], RUN_TIMEOUT_MS);
      if (r.code !== 0) throw new Error(describeRun('sbx learn', r));
      profiles.push(out);
    }
    policy = join(tmp, 'policy.json');
    const r = await run(sbxBin, ['propose', ...profiles, '-o', policy], RUN_TIMEOUT_MS);
    if (r.code !== 0) throw new Error(describeRun('sbx propose', r));
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it(
    'boots under the learned policy with no violation',
    async ({ skip }) => {
      if (problem) skip(problem);
      const r = await run(sbxBin, ['run', '--policy', policy, '--', bootSh], RUN_TIMEOUT_MS);
      expect(r.code, describeRun('sbx run', r)).toBe(0);
      expect(r.stdout).toContain(MARKER);
      const complain = await run(sbxBin, ['run', '--policy', policy, '--complain', '--', bootSh], RUN_TIMEOUT_MS);
      expect(complain.stderr, describeRun('sbx run --complain', complain)).toContain(`sbx: no call would have been denied by ${policy}`);
    },
    2 * RUN_TIMEOUT_MS,
  );

  it(
    `without ${NEEDED}, QEMU dies by the default action and --complain names exactly ${NEEDED}`,
    async ({ skip }) => {
      if (problem) skip(problem);
      const data = JSON.parse(readFileSync(policy, 'utf8')) as { defaultAction: string; rules: { syscall: string }[] };
      expect(data.defaultAction).toBe('kill-process');
      expect(data.rules.some((r) => r.syscall === NEEDED)).toBe(true);
      data.rules = data.rules.filter((r) => r.syscall !== NEEDED);
      const broken = join(tmp, 'broken.json');
      writeFileSync(broken, JSON.stringify(data));

      const enforced = await run(sbxBin, ['run', '--policy', broken, '--', bootSh], RUN_TIMEOUT_MS);
      expect(enforced.code, describeRun('sbx run (broken policy)', enforced)).toBe(128 + 31); // SIGSYS
      expect(enforced.stdout).not.toContain(MARKER);

      const delta = join(tmp, 'delta.json');
      const complain = await run(sbxBin, ['run', '--policy', broken, '--complain', '-o', delta, '--', bootSh], RUN_TIMEOUT_MS);
      expect(complain.code, describeRun('sbx run --complain', complain)).toBe(0);
      expect(complain.stdout).toContain(MARKER);
      const violations = JSON.parse(readFileSync(delta, 'utf8')) as Profile;
      expect(violations.syscalls.map((s) => s.name)).toEqual([NEEDED]);
      // Every exec'd program is listed (env, bash, qemu); only QEMU made the violating calls.
      const violators = violations.executables.filter((e) => Object.keys(e.syscalls).length > 0);
      expect(violators.map((e) => [e.path, Object.keys(e.syscalls)])).toEqual([
        [expect.stringMatching(/qemu-system-x86_64$/), [`x86_64:${NEEDED}`]],
      ]);
    },
    3 * RUN_TIMEOUT_MS,
  );
});
