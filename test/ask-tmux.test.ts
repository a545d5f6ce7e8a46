/**
 * `sbx run --ask` in a real terminal (tmux): a policy missing one syscall the program needs;
 * the program stops at it, the terminal asks, "allow always" lets it complete, and the saved
 * policy has the syscall (and then runs the program with no question).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool, runSbx, SBX, tempDir, waitFor, workload } from './helpers.js';

const session = `sbx-ask-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const screen = () => tmux('capture-pane', '-p', '-t', session);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForScreen(pattern: RegExp): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = screen();
    if (pattern.test(text)) return text;
    await sleep(100);
  }
  throw new Error(`never saw ${pattern} on the terminal:\n${screen()}`);
}

afterEach(() => {
  try {
    tmux('kill-session', '-t', session);
  } catch {
    // already gone
  }
});

/** A learned policy for `getppid-loop 3` (deterministic: one thread) with getppid taken out. */
async function policyMissingGetppid(dir: string): Promise<string> {
  const profile = join(dir, 'learned.json');
  expect((await runSbx(['learn', '-q', '-o', profile, '--', workload('getppid-loop'), '3'])).code).toBe(0);
  const full = join(dir, 'full.json');
  expect((await runSbx(['propose', '--no-complete', profile, '-o', full])).code).toBe(0);
  const policy = JSON.parse(readFileSync(full, 'utf8')) as { rules: { syscall: string }[] };
  policy.rules = policy.rules.filter((r) => r.syscall !== 'getppid');
  const missing = join(dir, 'missing.json');
  writeFileSync(missing, JSON.stringify(policy));
  return missing;
}

describe('sbx run --ask', () => {
  it('asks at the denied call; "allow always" lets the program finish and is saved', async () => {
    requireTool('tmux');
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const policy = await policyMissingGetppid(dir);
    const saved = join(dir, 'saved.json');
    const loop = workload('getppid-loop');
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '120',
      '-y',
      '20',
      `${SBX} run --policy ${policy} --ask -o ${saved} -- ${loop} 3; echo sbx-exit=$?; sleep 30`,
    );
    const asking = await waitForScreen(/would deny getppid/);
    expect(asking).toMatch(/\/getppid-loop-\w+ · pid \d+ · asked 0× before/);
    // getppid has no argument to limit: "allow always" is the whole syscall, and there is no A
    expect(asking).toMatch(
      /o allow once · a allow always \(adds a rule\) · d deny \(kill-process, saved\) · e fail with an errno… \(saved\)/,
    );
    expect(asking).not.toMatch(/A allow always/);
    expect(existsSync(saved)).toBe(false);
    tmux('send-keys', '-t', session, 'a');
    const done = await waitForScreen(/sbx-exit=\d+/);
    expect(done).toContain('sbx: getppid → allowed always (rule added)');
    expect(done).toContain('sbx-exit=0');
    // Asked once: the other two getppid calls went through without a question.
    expect(done.match(/sbx: getppid → /g)).toHaveLength(1);
    const rules = (JSON.parse(readFileSync(saved, 'utf8')) as { rules: { syscall: string; action: string }[] }).rules;
    expect(rules.find((r) => r.syscall === 'getppid')?.action).toBe('allow');
    // The saved policy now runs the program enforced, with no question.
    expect((await runSbx(['run', '--policy', saved, '--', loop, '3'])).code).toBe(0);
  });

  /** A `propose --args` policy from a run that made ioctl(TCGETS) only: ioctl is allowed for TCGETS alone. */
  async function ioctlPolicy(dir: string): Promise<string> {
    const profile = join(dir, 'learned.json');
    expect((await runSbx(['learn', '-q', '-o', profile, '--', workload('ioctl-requests'), 'T'])).code).toBe(0);
    const policy = join(dir, 'args.json');
    expect((await runSbx(['propose', '--args', '--no-complete', '--no-hints', profile, '-o', policy])).code).toBe(0);
    const ioctl = (JSON.parse(readFileSync(policy, 'utf8')) as { rules: { syscall: string; args?: unknown[] }[] }).rules.filter(
      (r) => r.syscall === 'ioctl',
    );
    expect(ioctl.length).toBeGreaterThan(0);
    expect(ioctl.every((r) => r.args?.length)).toBe(true);
    return policy;
  }

  it('"allow always" adds exactly the asked case (request == FIONREAD); other requests are still asked', async () => {
    requireTool('tmux');
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const policy = await ioctlPolicy(dir);
    const saved = join(dir, 'saved.json');
    const program = workload('ioctl-requests');
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '160',
      '-y',
      '20',
      `${SBX} run --policy ${policy} --ask -o ${saved} -- ${program} TFFW; echo sbx-exit=$?; sleep 30`,
    );
    const asking = await waitForScreen(/would deny ioctl/);
    if (process.env.SBX_ASK_CAPTURE) writeFileSync(join(process.env.SBX_ASK_CAPTURE, 'ask-ioctl.txt'), asking.replace(/\n+$/, '\n'));
    expect(asking).toMatch(/a allow always when request == FIONREAD · A allow always, any ioctl request · d deny \(kill-process, saved\)/);
    tmux('send-keys', '-t', session, 'a');
    // the second FIONREAD is not asked; TIOCGWINSZ is
    const winsize = await waitForScreen(/would deny ioctl.*TIOCGWINSZ/);
    expect(winsize).toContain('sbx: ioctl → allowed always when request == FIONREAD (rule added)');
    // asked twice in all: the answer's record line replaced the first question
    expect(winsize.match(/sbx: ioctl → /g)).toHaveLength(1);
    tmux('send-keys', '-t', session, 'o');
    const done = await waitForScreen(/sbx-exit=\d+/);
    expect(done).toContain('sbx-exit=0');
    const rules = (
      JSON.parse(readFileSync(saved, 'utf8')) as {
        rules: { syscall: string; action: string; args?: { index: number; value: string; label?: string }[] }[];
      }
    ).rules;
    const ioctl = rules.filter((r) => r.syscall === 'ioctl');
    // no rule for every request; one for FIONREAD (0x541b) next to the TCGETS one
    expect(ioctl.every((r) => r.args?.length)).toBe(true);
    expect(ioctl).toContainEqual(
      expect.objectContaining({ action: 'allow', args: [expect.objectContaining({ index: 1, value: '0x541b', label: 'FIONREAD' })] }),
    );
    // enforced: TCGETS and FIONREAD pass, TIOCGWINSZ is killed as the policy says
    expect((await runSbx(['run', '--policy', saved, '--', program, 'TF'])).code).toBe(0);
    expect((await runSbx(['run', '--policy', saved, '--', program, 'W'])).code).toBe(159);
  });

  it('errno answers show names and are saved as rules, and are not asked again', async () => {
    requireTool('tmux');
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const policy = await policyMissingGetppid(dir);
    const saved = join(dir, 'saved.json');
    const loop = workload('getppid-loop');
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '120',
      '-y',
      '20',
      `${SBX} run --policy ${policy} --ask -o ${saved} -- ${loop} 3; echo sbx-exit=$?; sleep 30`,
    );
    await waitForScreen(/asked 0× before/);
    // One key at a time, as a person types (tmux would otherwise deliver them as one paste):
    // each once the last has changed the screen (the prompt echoes what is typed).
    for (const key of ['e', 'E', 'A', 'C', 'C', 'E', 'S', 'Enter']) {
      const before = screen();
      tmux('send-keys', '-t', session, key);
      await waitFor(`the screen to change after ${key}`, () => screen() !== before, 10_000, 20);
    }
    const done = await waitForScreen(/sbx-exit=\d+/);
    expect(done).toContain('sbx: getppid → failed with EACCES');
    expect(done).toContain('sbx: saved as a rule: getppid failed with EACCES');
    // asked once: the other two calls got the same answer
    expect(done.match(/sbx: getppid → /g)).toHaveLength(1);
    expect(done).toContain('sbx-exit=0');
    const rules = (JSON.parse(readFileSync(saved, 'utf8')) as { rules: { syscall: string; action: string }[] }).rules;
    expect(rules).toContainEqual(expect.objectContaining({ syscall: 'getppid', action: 'errno(EACCES)' }));
    // a second run is not asked at all
    tmux('kill-session', '-t', session);
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '120',
      '-y',
      '20',
      `${SBX} run --policy ${saved} --ask -- ${loop} 3; echo sbx-exit=$?; sleep 30`,
    );
    const again = await waitForScreen(/sbx-exit=\d+/);
    expect(again).not.toMatch(/would deny/);
    expect(again).toContain('sbx-exit=0');
  });

  it('d under a kill-process policy ends with 159 like enforcement; an answer the policy cannot hold is kept for the run', async () => {
    requireTool('tmux');
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const policy = await ioctlPolicy(dir);
    const program = workload('ioctl-requests');
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '160',
      '-y',
      '20',
      `${SBX} run --policy ${policy} --ask -- ${program} FFW; echo sbx-exit=$?; sleep 30`,
    );
    await waitForScreen(/would deny ioctl/);
    for (const key of ['e', 'E', 'I', 'O', 'Enter']) {
      tmux('send-keys', '-t', session, key);
      await sleep(80);
    }
    const next = await waitForScreen(/would deny ioctl.*TIOCGWINSZ/);
    expect(next).toContain('sbx: ioctl → failed with EIO');
    expect(next).toMatch(/sbx: kept for this run only, not saved: .*one action per syscall/);
    // the second FIONREAD got the same answer without a question
    expect(next).toMatch(/ioctl F -> -1\n(.*\n)*ioctl F -> -1/);
    tmux('send-keys', '-t', session, 'd');
    const done = await waitForScreen(/sbx-exit=\d+/);
    expect(done).toContain('sbx: ioctl → denied: kill-process');
    expect(done).toContain('sbx-exit=159');
  });

  it.each([['q'], ['C-c']])('%s at a prompt stops the program as Ctrl-C would (SIGINT, exit 130)', async (key) => {
    requireTool('tmux');
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const policy = await ioctlPolicy(dir);
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '160',
      '-y',
      '20',
      `${SBX} run --policy ${policy} --ask -- ${workload('ioctl-requests')} FP; echo sbx-exit=$?; sleep 30`,
    );
    await waitForScreen(/would deny ioctl/);
    tmux('send-keys', '-t', session, key);
    const stopped = await waitForScreen(/sbx-exit=\d+/);
    expect(stopped).toContain('sbx: ioctl → stopped: SIGINT sent to the program');
    expect(stopped).not.toMatch(/TIOCGPGRP/);
    expect(stopped).toContain(`sbx-exit=${128 + 2}`);
  });

  it('without a terminal it says so and runs nothing', async () => {
    const run = await runSbx(['run', '--policy', 'p.json', '--ask', '--', 'true']);
    expect(run.code).toBe(125);
    expect(run.stderr).toBe('sbx: --ask needs a terminal (stdin and stderr must be a TTY) to ask on; use --complain to record instead\n');
  });
});
