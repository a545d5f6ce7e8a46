/**
 * The live progress line on a real terminal (tmux): it sits on the bottom row while the
 * program's own output scrolls above it, and it is gone when sbx ends.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { requireTool, ROOT, tempDir, waitFor } from './helpers.js';

const session = `sbx-progress-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const capture = () => tmux('capture-pane', '-p', '-t', session).replace(/\n$/, '').split('\n');

afterEach(() => {
  try {
    tmux('kill-session', '-t', session);
  } catch {
    // already gone
  }
});

it('shows progress on the bottom row, program output above it, and clears it at the end', async () => {
  requireTool('tmux');
  const out = join(tempDir(), 'p.json');
  const program = 'for i in 1 2 3 4 5 6; do echo program-line-$i; sleep 0.4; done';
  const command = `${join(ROOT, 'bin', 'sbx')} learn -q -o ${out} -- sh -c '${program}'; echo sbx-exit=$?; sleep 30`;
  tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '12', command);
  const during = await waitFor('program-line-3 on the screen', () => {
    const screen = capture();
    return screen.some((l) => l.includes('program-line-3')) && screen;
  });
  const bottom = during[during.length - 1]!;
  expect(bottom).toMatch(/^sbx \d+\.\ds \d+\/s \d+ calls \d+ syscalls \d+ proc \d+ thr \| /);
  expect(during.slice(0, -1).some((l) => l.includes('program-line-1'))).toBe(true);
  // The program's lines are whole: nothing of the status line leaked into them.
  for (const line of during.filter((l) => l.includes('program-line'))) expect(line.trim()).toMatch(/^program-line-\d$/);
  const after = await waitFor('sbx to exit', () => {
    const screen = capture();
    return screen.some((l) => l.startsWith('sbx-exit=')) && screen;
  });
  expect(after.some((l) => l === 'sbx-exit=0')).toBe(true);
  expect(after.some((l) => l.startsWith('sbx ') && l.includes(' calls '))).toBe(false);
  expect(after.filter((l) => /^program-line-\d$/.test(l))).toHaveLength(6);
  expect(existsSync(out)).toBe(true);
});

it('stays off when stderr is not a terminal', async () => {
  const { runSbx } = await import('./helpers.js');
  const run = await runSbx(['learn', '-q', '--', 'sh', '-c', 'sleep 0.5']);
  expect(run.stderr).toBe('');
});
