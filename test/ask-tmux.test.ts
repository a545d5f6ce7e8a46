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
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '20', `${SBX} run --policy ${policy} --ask -o ${saved} -- ${loop} 3; echo sbx-exit=$?; sleep 30`);
    const asking = await waitForScreen(/would deny getppid/);
    expect(asking).toMatch(/\/getppid-loop-\w+ · pid \d+ · asked 0× before/);
    expect(asking).toMatch(/o allow once · a allow always \(adds a rule\) · d deny \(kill-process\)/);
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

  it('answers with an errno, then kills: each answer is carried out', async () => {
    requireTool('tmux');
    const dir = tempDir();
    const policy = await policyMissingGetppid(dir);
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '20', `${SBX} run --policy ${policy} --ask -- ${workload('getppid-loop')} 3; echo sbx-exit=$?; sleep 30`);
    await waitForScreen(/asked 0× before/);
    // One key at a time, as a person types (tmux would otherwise deliver them as one paste):
    // each once the last has changed the screen (the prompt echoes what is typed).
    for (const key of ['e', 'E', 'A', 'C', 'C', 'E', 'S', 'Enter']) {
      const before = screen();
      tmux('send-keys', '-t', session, key);
      await waitFor(`the screen to change after ${key}`, () => screen() !== before, 10_000, 20);
    }
    await waitForScreen(/asked 1× before/);
    expect(screen()).toContain('sbx: getppid → failed with errno 13');
    tmux('send-keys', '-t', session, 'k');
    const done = await waitForScreen(/sbx-exit=\d+/);
    expect(done).toContain('sbx: getppid → process killed');
    expect(done).toContain(`sbx-exit=${128 + 9}`);
  });

  it('without a terminal it says so and runs nothing', async () => {
    const run = await runSbx(['run', '--policy', 'p.json', '--ask', '--', 'true']);
    expect(run.code).toBe(125);
    expect(run.stderr).toBe('sbx: --ask needs a terminal (stdin and stderr must be a TTY) to ask on; use --complain to record instead\n');
  });
});
