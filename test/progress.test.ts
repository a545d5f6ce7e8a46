/**
 * The live progress line on a real terminal (tmux): it sits on the bottom row while the
 * program's own output scrolls above it, and it is gone when sbx ends.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { requireTool, ROOT, tempDir, waitFor, workload } from './helpers.js';

/** A pause inside a loop that watches the screen for a while (not a wait for a condition). */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** Poll the pane until `done` holds for a capture; fails with the last capture after `ms`. */
async function waitForPane(done: (rows: string[]) => boolean, what: string, ms = 15_000): Promise<string[]> {
  let rows: string[] = [];
  for (const start = Date.now(); Date.now() - start < ms; await sleep(50)) {
    rows = capture();
    if (done(rows)) return rows;
  }
  throw new Error(`never saw ${what} in the pane:\n${rows.join('\n')}`);
}

const isProgressLine = (row: string) => /^sbx \d+\.\ds /.test(row);

it.each(['alt', 'raw'])('never draws over a program that takes the terminal over (%s), and comes back after', async (mode) => {
  requireTool('tmux');
  const out = join(tempDir(), 'p.json');
  const rows = 12;
  const command = `${join(ROOT, 'bin', 'sbx')} learn -q -o ${out} -- ${workload('fullscreen')} ${mode} 2500; echo sbx-exit=$?; sleep 30`;
  tmux('new-session', '-d', '-s', session, '-x', '80', '-y', String(rows), command);
  const expected = Array.from({ length: rows }, (_, i) => `full-row-${i + 1}`);
  const filled = (pane: string[]) => pane.length === rows && pane[rows - 1]!.startsWith('full-row-');
  await waitForPane((pane) => pane.some((row) => row.startsWith('full-row-')), 'the program fill the screen');
  // While it holds the terminal (2.5 s, the line refreshes every 0.2 s), every row is the program's.
  const samples: string[][] = [];
  const start = Date.now();
  let last = start;
  for (; last - start < 1500; await sleep(100), last = Date.now()) {
    const pane = capture();
    if (pane.some((row) => row.startsWith('after-'))) break;
    samples.push(pane);
  }
  expect(samples.length).toBeGreaterThanOrEqual(3);
  expect(last - start).toBeGreaterThanOrEqual(1000);
  for (const pane of samples.filter((p) => p.some((row) => row.startsWith('full-row-1')))) {
    expect(pane.map((row) => row.trimEnd())).toEqual(expected);
    expect(filled(pane)).toBe(true);
  }
  // Given back, the line returns to the bottom row while the program keeps running.
  await waitForPane((pane) => pane.some((row) => row === `after-${mode}`) && isProgressLine(pane.at(-1)!), 'the line come back');
  await waitForPane((pane) => pane.some((row) => row === 'sbx-exit=0'), 'sbx exit 0');
  expect(capture().some(isProgressLine)).toBe(false);
});

it('Ctrl-Z gives the bottom row back to the shell; fg brings the line back', async () => {
  requireTool('tmux');
  requireTool('bash');
  const out = join(tempDir(), 'p.json');
  tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '12', 'env PS1=prompt$\\  bash --norc --noprofile -i');
  await waitForPane((pane) => pane.some((row) => row.startsWith('prompt$')), 'the prompt');
  const program = 'echo started; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.2; done; echo finished';
  tmux('send-keys', '-t', session, `${join(ROOT, 'bin', 'sbx')} learn -q -o ${out} -- sh -c '${program}'`, 'Enter');
  await waitForPane((pane) => isProgressLine(pane.at(-1)!), 'the progress line');
  tmux('send-keys', '-t', session, 'C-z');
  await waitForPane((pane) => pane.some((row) => /Stopped/.test(row)), 'the job stop');
  // The shell owns the whole screen again: its output scrolls through the bottom row.
  tmux('send-keys', '-t', session, 'seq 1 20', 'Enter');
  const pane = await waitForPane((p) => p.some((row) => row === '20') && p.at(-1)!.startsWith('prompt$'), 'seq end on the bottom row');
  expect(pane.some(isProgressLine)).toBe(false);
  expect(pane.at(-2)).toBe('20');
  tmux('send-keys', '-t', session, 'fg', 'Enter');
  await waitForPane((p) => isProgressLine(p.at(-1)!), 'the line after fg');
  await waitForPane(
    (p) =>
      p.some((row) => row === 'finished') &&
      p
        .filter((row) => row.trim())
        .at(-1)!
        .startsWith('prompt$'),
    'the program finish',
  );
  tmux('send-keys', '-t', session, 'echo sbx-exit=$?', 'Enter');
  await waitForPane((p) => p.some((row) => row === 'sbx-exit=0'), 'sbx exit 0');
  expect(capture().some(isProgressLine)).toBe(false);
  expect(existsSync(out)).toBe(true);
});

it('run --complain, which stops only at denials, leaves the line out when the program has the terminal', async () => {
  requireTool('tmux');
  requireTool('script');
  const { runCommand, runSbx } = await import('./helpers.js');
  const dir = tempDir();
  const [profile, policy] = [join(dir, 'p.json'), join(dir, 'policy.json')];
  // A policy that allows what the program does on a terminal (script gives it one): the complain
  // run then never stops at its writes and ioctls.
  const learn = `${join(ROOT, 'bin', 'sbx')} learn -q --no-progress -o ${profile} -- ${workload('fullscreen')} alt 100`;
  expect((await runCommand('script', ['-qc', learn, '/dev/null'])).code).toBe(0);
  expect((await runSbx(['propose', profile, '-o', policy])).code).toBe(0);
  const rows = 12;
  const command = `${join(ROOT, 'bin', 'sbx')} run --policy ${policy} --complain -q -- ${workload('fullscreen')} alt 1500; echo sbx-exit=$?; sleep 30`;
  tmux('new-session', '-d', '-s', session, '-x', '80', '-y', String(rows), command);
  const expected = Array.from({ length: rows }, (_, i) => `full-row-${i + 1}`);
  await waitForPane((pane) => pane.at(-1)!.startsWith('full-row-'), 'the program fill the screen');
  for (const start = Date.now(); Date.now() - start < 1000; await sleep(100)) {
    const pane = capture();
    if (pane.some((row) => row.startsWith('after-'))) break;
    expect(pane.map((row) => row.trimEnd())).toEqual(expected);
  }
  const after = await waitForPane((pane) => pane.some((row) => row === 'sbx-exit=0'), 'sbx exit 0');
  expect(after.some(isProgressLine)).toBe(false);
});
