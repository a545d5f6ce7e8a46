/**
 * `sbx review` in a real terminal (tmux): keys move the selection and change an action, `s`
 * saves a policy that validates and has the change, the screen shows the expected rows at
 * 100x30 and after a resize to 80x24, NO_COLOR removes colours, and without a terminal review
 * refuses in one line. Set SBX_REVIEW_CAPTURE=DIR to keep the captured screens (docs/review.md
 * shows them).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { readPolicy } from '../src/policy/policy.js';
import { readProfile } from '../src/profile/profile.js';
import { propose } from '../src/learn/propose/index.js';
import { requireTool, ROOT, runSbx, tempDir } from './helpers.js';

const session = `sbx-review-${process.pid}`;
const PROFILE = join(ROOT, 'samples', 'profiles', 'dd.profile.json');
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const capture = (escapes = false) => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session).replace(/\n+$/, '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until the screen matches, or fail showing what it looked like. */
async function waitFor(test: (screen: string) => boolean, what: string, escapes = false): Promise<string> {
  let screen = '';
  for (let i = 0; i < 100; i++) {
    screen = capture(escapes);
    if (test(screen)) return screen;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; the screen was:\n${screen}`);
}

/** One key at a time, as a person types (sent together, tmux delivers them as one paste): each once the last has changed the screen. */
async function keys(...names: string[]): Promise<void> {
  for (const k of names) {
    const before = capture();
    tmux('send-keys', '-t', session, k);
    await waitFor((s) => s !== before, `the screen to change after ${k}`);
  }
}

function keep(name: string, text: string): void {
  const dir = process.env.SBX_REVIEW_CAPTURE;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), `${text}\n`);
}

/**
 * sbx review on dd's profile, starting from the proposal without static hints: the rows are
 * then the same on every machine (the candidate rows depend on the installed dd; the reducer
 * tests cover them).
 */
function start(env: string, output: string, exitFile: string): void {
  requireTool('tmux');
  const proposal = `${output}.proposal.json`;
  const command = `cd ${ROOT} && bin/sbx propose -q --no-hints samples/profiles/dd.profile.json -o ${proposal} && ${env} bin/sbx review samples/profiles/dd.profile.json --policy ${proposal} -o ${output} 2>${exitFile}.err; echo $? >${exitFile}; exec sleep 600`;
  tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', command);
}

afterEach(() => {
  try {
    tmux('kill-session', '-t', session);
  } catch {
    // already gone
  }
});

/** sbx's stderr, without the cursor-show escape Ink's cursor handling writes there at exit. */
const stderrOf = (exitFile: string) => readFileSync(`${exitFile}.err`, 'utf8').replaceAll('\x1b[?25h', '');

const selected = (screen: string) => screen.split('\n').find((l) => l.startsWith('>')) ?? '';

it('moves, changes an action, saves a valid policy with the change; the screen shows the ranked rows', async () => {
  const dir = tempDir('sbx-review-tmux-');
  const out = join(dir, 'policy.json');
  const exitFile = join(dir, 'exit');
  start('', out, exitFile);
  const first = await waitFor((s) => s.includes('sbx review dd.profile.json'), 'the review screen');
  const lines = first.split('\n');
  expect(lines[0]).toMatch(/^sbx review dd.profile.json │ filter all │ 0 changed │ 23 syscalls, 2168 calls │ default kill-process$/);
  expect(lines[1]).toMatch(/^ +syscall +calls +count +share +cum +prio action +tags$/);
  expect(lines[2]).toMatch(/^> +read +█+ +1027 +47\.4% +47\.4% +255 allow +@basic-io$/);
  expect(lines[3]).toMatch(/^ +write +█+ +1024 +47\.2% +94\.6% +254 allow +@basic-io$/);
  expect(lines[4]).toMatch(/^ +openat +▎ +32 +1\.5% +96\.1% +253 allow +@file-system$/);
  expect(first).toMatch(/── read \(x86_64\) · allow · observed · first seen #8 ─+/);
  keep('review-start.txt', first);

  await keys('Down', 'j');
  expect(selected(await waitFor((s) => /^> +openat /m.test(s), 'openat selected'))).toMatch(/^> +openat /);
  await keys('e');
  await waitFor((s) => s.includes('errno for openat (Enter = EPERM)'), 'the errno prompt');
  await keys('Enter');
  const changed = await waitFor((s) => /^>\* +openat .* errno\(EPERM\) /m.test(s), 'openat set to errno(EPERM)');
  expect(changed).toMatch(/why: set by hand in sbx review to errno\(EPERM\) \(was allow\)/);
  expect(changed).toMatch(/proposed: allow, observed: observed 32 calls, seen in 1 of 1 runs/);
  expect(changed).toMatch(/flags: O_RDONLY\|O_CLOEXEC 90\.6%/);
  expect(changed.split('\n')[0]).toContain('1 changed, unsaved');
  keep('review-changed.txt', changed);

  await keys('s');
  const saved = await waitFor((s) => s.includes(`saved ${out}`), 'the saved message');
  expect(saved.split('\n')[0]).toMatch(/│ 1 changed │/);
  await keys('g');
  // the selection stays on openat's group
  const groups = await waitFor((s) => /^> +▸ @file-system \(3\) .* allow 2, errno\(EPERM\) 1$/m.test(s), 'the group view');
  expect(groups).toMatch(/^ +▸ @basic-io \(6\) +█+▋ +2078 +95\.8% +allow$/m);
  expect(groups).toMatch(/members: openat newfstatat access/);
  keep('review-groups.txt', groups);
  await keys('q');
  await waitFor(() => {
    try {
      return readFileSync(exitFile, 'utf8').trim() !== '';
    } catch {
      return false;
    }
  }, 'sbx to exit');
  expect(readFileSync(exitFile, 'utf8').trim()).toBe('0');
  expect(stderrOf(exitFile)).toBe(`sbx: saved ${out} (1 change(s) from the proposal)\n`);

  const policy = readPolicy(out);
  const openat = policy.rules.filter((r) => r.syscall === 'openat');
  expect(openat).toEqual([
    expect.objectContaining({ action: { kind: 'errno', errno: 1 }, provenance: { source: 'hand', note: 'set in sbx review; was allow' }, observed: { calls: 32, runs: [0] } }),
  ]);
  // everything else is the proposal, unchanged
  const proposal = propose([{ file: PROFILE, profile: readProfile(PROFILE) }], { hints: false });
  const rest = (rules: typeof policy.rules) => JSON.stringify(rules.filter((r) => r.syscall !== 'openat'));
  expect(rest(policy.rules)).toBe(rest(proposal.rules));
});

it('fits 80x24 after a resize, keeps the selection, and quitting with unsaved changes asks', async () => {
  const dir = tempDir('sbx-review-tmux-');
  const exitFile = join(dir, 'exit');
  start('', join(dir, 'policy.json'), exitFile);
  await waitFor((s) => s.includes('sbx review dd.profile.json'), 'the review screen');
  await keys('End', 'K');
  tmux('resize-window', '-t', session, '-x', '80', '-y', '24');
  const settled = (s: string) => {
    const lines = s.split('\n');
    return lines.length <= 24 && lines.every((l) => l.length <= 80) && /^ +syscall +calls/.test(lines[1] ?? '') && /^>\* .* kill-process/m.test(s) && /a allow d default/.test(lines.at(-1) ?? '');
  };
  const small = await waitFor(settled, 'the 80x24 redraw');
  for (const line of small.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  expect(small.split('\n')[1]).toMatch(/^ +syscall +calls +count +share +cum +prio action +tags/);
  expect(selected(small)).toMatch(/^>\* +\w+ .* kill-process/);
  keep('review-80x24.txt', small);
  await keys('q');
  const asking = await waitFor((s) => s.includes('unsaved change(s)'), 'the quit question');
  expect(asking).toMatch(/1 unsaved change\(s\)\. s: save and quit · y: quit without saving · n: stay/);
  await keys('y');
  await waitFor(() => {
    try {
      return readFileSync(exitFile, 'utf8').trim() !== '';
    } catch {
      return false;
    }
  }, 'sbx to exit');
  expect(stderrOf(exitFile)).toBe('sbx: quit without saving (1 change(s) discarded)\n');
});

it('colours on a terminal, none with NO_COLOR', async () => {
  const dir = tempDir('sbx-review-tmux-');
  start('', join(dir, 'a.json'), join(dir, 'a'));
  const colored = await waitFor((s) => s.includes('sbx review'), 'the review screen', true);
  expect(colored).toMatch(/\x1b\[(3\d|9\d)m/);
  tmux('kill-session', '-t', session);
  start('NO_COLOR=1', join(dir, 'b.json'), join(dir, 'b'));
  const plain = await waitFor((s) => s.includes('sbx review'), 'the review screen', true);
  expect(plain).not.toMatch(/\x1b\[(3\d|4\d|9\d|10\d|38;|48;)/);
  expect(plain).not.toMatch(/\x1b\[7m/);
});

it('without a terminal, review exits 2 with one line saying it needs one', async () => {
  const dir = tempDir('sbx-review-tmux-');
  const run = await runSbx(['review', PROFILE, '-o', join(dir, 'p.json')]);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe('sbx: review needs a terminal (stdin and stdout must be a TTY); without one, use sbx propose -o policy.json\n');
});
