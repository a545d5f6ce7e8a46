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
const capture = (escapes = false, target = session) =>
  tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', target).replace(/\n+$/, '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until the screen matches, or fail showing what it looked like. */
async function waitFor(test: (screen: string) => boolean, what: string, escapes = false, target = session): Promise<string> {
  let screen = '';
  for (let i = 0; i < 100; i++) {
    screen = capture(escapes, target);
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
function start(
  env: string,
  output: string,
  exitFile: string,
  size: [number, number] = [100, 30],
  profiles = 'samples/profiles/dd.profile.json',
): void {
  requireTool('tmux');
  const proposal = `${output}.proposal.json`;
  const command = `cd ${ROOT} && bin/sbx propose -q --no-hints ${profiles} -o ${proposal} && ${env} bin/sbx review ${profiles} --policy ${proposal} -o ${output} 2>${exitFile}.err; echo $? >${exitFile}; exec sleep 600`;
  tmux('new-session', '-d', '-s', session, '-x', String(size[0]), '-y', String(size[1]), command);
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
  // where s saves is on screen before s
  expect(lines.at(-1)).toMatch(new RegExp(`^press \\? for help · s save → ${out} · a allow`));
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
  expect(changed.split('\n')[0]).toContain('1 changed, 1 unsaved');
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
    expect.objectContaining({
      action: { kind: 'errno', errno: 1 },
      provenance: { source: 'hand', note: 'set in sbx review; was allow' },
      observed: { calls: 32, runs: [0] },
    }),
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
    return (
      lines.length <= 24 &&
      lines.every((l) => l.length <= 80) &&
      /^ +syscall +calls/.test(lines[1] ?? '') &&
      /^>\* .* kill-process/m.test(s) &&
      /s save → /.test(lines.at(-1) ?? '')
    );
  };
  const small = await waitFor(settled, 'the 80x24 redraw');
  for (const line of small.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  expect(small.split('\n')[1]).toMatch(/^ +syscall +calls +count +share +cum +prio action +tags/);
  expect(selected(small)).toMatch(/^>\* +\w+ .* kill-process/);
  keep('review-80x24.txt', small);
  for (const [width, height] of [
    [200, 60],
    [40, 10],
    [80, 24],
  ] as const) {
    tmux('resize-window', '-t', session, '-x', String(width), '-y', String(height));
    // every line cut to the width, none wrapped by the terminal: the table rows are whole rows
    // (waited for: right after the resize tmux shows the old frame, cut by itself)
    const whole = (s: string) => {
      const lines = s.split('\n');
      const table = lines.slice(
        2,
        lines.findIndex((l) => l.startsWith('──')),
      );
      return (
        lines.length <= height &&
        lines.every((l) => l.length <= width) &&
        /^ +syscall +calls/.test(lines[1] ?? '') &&
        table.length > 0 &&
        table.every((row) => row === '' || /^[> ][* ][!? ] *\w/.test(row)) &&
        /^>\* /m.test(s)
      );
    };
    await sleep(300);
    await waitFor(whole, `the ${width}x${height} redraw`);
  }
  await keys('q');
  const asking = await waitFor((s) => s.includes('unsaved change(s)'), 'the quit question');
  expect(asking).toMatch(/^1 unsaved change\(s\)\. s: save to \//m);
  await keys('y');
  await waitFor(() => {
    try {
      return readFileSync(exitFile, 'utf8').trim() !== '';
    } catch {
      return false;
    }
  }, 'sbx to exit');
  expect(stderrOf(exitFile)).toBe('sbx: quit without saving (1 unsaved change(s) discarded)\n');
  // more sizes, then back on the shell's screen: no frame of the review in the scrollback
  // (the review draws on the alternate screen, which has none)
  expect(tmux('capture-pane', '-p', '-S', '-', '-t', session)).not.toMatch(/syscall +calls|sbx review|dd\.profile\.json/);
});

it('colours on a terminal, none with NO_COLOR', async () => {
  const dir = tempDir('sbx-review-tmux-');
  start('', join(dir, 'a.json'), join(dir, 'a'));
  const colored = await waitFor((s) => s.includes('default kill-process'), 'the review screen', true);
  expect(colored).toMatch(/\x1b\[(3\d|9\d)m/);
  tmux('kill-session', '-t', session);
  start('NO_COLOR=1', join(dir, 'b.json'), join(dir, 'b'));
  const plain = await waitFor((s) => s.includes('default kill-process'), 'the review screen', true);
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

it('-o naming the profile it reviews is refused before anything runs (it would replace the profile)', async () => {
  const dir = tempDir('sbx-review-tmux-');
  const copy = join(dir, 'p.json');
  writeFileSync(copy, readFileSync(PROFILE));
  const run = await runSbx(['review', copy, '-o', copy]);
  expect(run.code).toBe(2);
  expect(run.stderr).toBe(`sbx: cannot write ${copy}: it is the input ${copy} (give another -o)\n`);
  expect(readFileSync(copy, 'utf8')).toBe(readFileSync(PROFILE, 'utf8'));
});

it('keys typed in one write are all handled: 5 j move 5 rows, then 5 k move back', async () => {
  const dir = tempDir('sbx-review-tmux-');
  start('', join(dir, 'policy.json'), join(dir, 'exit'));
  await waitFor((s) => /^> +read /m.test(s), 'the review screen');
  const rows = (await waitFor((s) => s.includes('default kill-process'), 'the table'))
    .split('\n')
    .slice(2, 9)
    .map((l) => /^. +(\w+)/.exec(l)![1]);
  // one send-keys call is one write to the terminal: the keys arrive as one chunk
  tmux('send-keys', '-t', session, 'jjjjj');
  expect(selected(await waitFor((s) => new RegExp(`^> +${rows[5]} `, 'm').test(s), `${rows[5]} selected`))).toMatch(
    new RegExp(`^> +${rows[5]} `),
  );
  tmux('send-keys', '-t', session, 'kkkkk');
  await waitFor((s) => /^> +read /m.test(s), 'read selected again');
  // an arrow, text and an arrow in one write
  tmux('send-keys', '-t', session, 'Down', 'j', 'Down');
  await waitFor((s) => new RegExp(`^> +${rows[3]} `, 'm').test(s), `${rows[3]} selected`);
});

it('the details pane wraps at 200x60 and 80x24; Enter shows every detail full screen', async () => {
  const dir = tempDir('sbx-review-tmux-');
  start('', join(dir, 'policy.json'), join(dir, 'exit'), [200, 60], 'samples/profiles/http-server.profile.json');
  await waitFor((s) => /^> +newfstatat /m.test(s), 'the review screen');
  await keys('j', 'j', 'j', 'j', 'j');
  const pane = (screen: string) => {
    const lines = screen.split('\n');
    return lines.slice(
      lines.findIndex((l) => l.startsWith('── mmap')),
      -1,
    );
  };
  // mmap's flags histogram is longer than 200 columns: it goes on over indented lines
  const wide = await waitFor((s) => /^> +mmap /m.test(s) && /^ {2}flags: /m.test(s), 'mmap details at 200x60');
  expect(pane(wide).join('\n')).toMatch(/^ {2}flags: .*\n {4}MAP_/m);
  for (const line of pane(wide)) expect(line).not.toMatch(/…$/);
  keep('review-200x60.txt', wide);
  tmux('resize-window', '-t', session, '-x', '80', '-y', '24');
  const narrow = await waitFor(
    (s) => s.split('\n').every((l) => l.length <= 80) && /^── mmap .*─$/m.test(s) && /s save → /.test(s.split('\n').at(-1) ?? ''),
    'the 80x24 redraw',
  );
  // the executables go on over an indented line instead of being cut
  expect(pane(narrow).join('\n')).toMatch(/^used by: .*\n {2}\S/m);
  for (const line of pane(narrow).slice(0, -1)) expect(line).not.toMatch(/…$/);
  expect(pane(narrow).at(-1)).toMatch(/^… \d+ more line\(s\): Enter shows every detail/);
  keep('review-wrapped-80x24.txt', narrow);
  await keys('Enter');
  const details = await waitFor((s) => /executables \(\d+\):/.test(s), 'the details page');
  expect(details).toMatch(/^ {2}\/\S+python3 · 123 calls · 1 process\(es\) · 1\n {4}thread\(s\)$/m);
  expect(details).toMatch(/lines 1–21 of \d+ · j\/k PgUp\/PgDn Home\/End scroll · Esc back/);
  keep('review-details.txt', details);
  await keys('End');
  await waitFor((s) => /lines (\d+)–(\d+) of \2 /.test(s) && !/lines 1–/.test(s), 'the details page scrolled to its end');
  await keys('Escape');
  await waitFor((s) => /^> +mmap /m.test(s), 'the table again');
});

it('several profiles: the title says "3 profiles" and keeps filter, changes, counts and default action', async () => {
  const dir = tempDir('sbx-review-tmux-');
  const copies = ['a', 'b', 'c'].map((n) => join(dir, `${n}.profile.json`));
  // Three runs of the same program: the copies' runs get their own start times (one run given
  // twice is refused).
  const profile = readProfile(PROFILE);
  copies.forEach((c, i) => {
    const runs = profile.runs.map((run) => ({ ...run, start: new Date(Date.parse(run.start) + (i + 1) * 60_000).toISOString() }));
    writeFileSync(c, JSON.stringify({ ...profile, runs }));
  });
  start('', join(dir, 'policy.json'), join(dir, 'exit'), [80, 24], copies.join(' '));
  const first = await waitFor((s) => s.includes('3 profiles │'), 'the review screen');
  expect(first.split('\n')[0]).toMatch(/^3 profiles │ all │ 0 chg │ 23 sc, 6504 calls │ dflt kill-process$/);
  await keys('K', 'f');
  const title = (await waitFor((s) => /│ observed │ 1 chg 1 unsaved │/.test(s), 'the title after a change')).split('\n')[0]!;
  expect(title).toMatch(/^3 profiles │ observed │ 1 chg 1 unsaved │ 23\/\d+ rows │ dflt kill-process$/);
  keep('review-3-profiles.txt', title);
});

it('the painter draws in a real terminal what a full redraw draws: frame by frame diffs of a review session', async () => {
  requireTool('tmux');
  const { frameUpdate } = await import('../src/ui/painter.js');
  const { buildReviewData } = await import('../src/ui/review/data.js');
  const { initialReviewState, reviewReducer } = await import('../src/ui/review/state.js');
  const { screen } = await import('../src/ui/review/format.js');
  const file = join(ROOT, 'samples', 'profiles', 'http-server.profile.json');
  const profile = readProfile(file);
  const data = buildReviewData(profile, propose([{ file, profile }]), 'http-server.profile.json');
  let state = initialReviewState(data, { width: 100, height: 30 });
  // moves over rows whose details differ, a page, an action, the group view, the details page
  const pressed = [
    'j',
    'j',
    'j',
    'j',
    'j',
    'pagedown',
    'k',
    'k',
    'K',
    'j',
    'a',
    'g',
    'j',
    'enter',
    'j',
    'g',
    'enter',
    'j',
    'escape',
    'end',
    'k',
  ];
  let previous = screen(state);
  let diffs = frameUpdate(undefined, previous, true);
  for (const key of pressed) {
    state = reviewReducer(state, { type: 'key', key });
    const next = screen(state);
    diffs += frameUpdate(previous, next, true);
    previous = next;
  }
  const dir = tempDir('sbx-painter-tmux-');
  writeFileSync(join(dir, 'diffs'), diffs);
  writeFileSync(join(dir, 'whole'), frameUpdate(undefined, previous, true));
  const panes = { diffs: `${session}-diffs`, whole: `${session}-whole` };
  try {
    for (const [name, pane] of Object.entries(panes))
      tmux('new-session', '-d', '-s', pane, '-x', '100', '-y', '30', `cat ${join(dir, name)}; exec sleep 600`);
    const last = previous.map((line) =>
      line
        .map((s) => s.text)
        .join('')
        .trimEnd(),
    );
    for (const pane of Object.values(panes)) await waitFor((s) => s.includes(last.at(-1)!.slice(0, 20)), 'the last frame', false, pane);
    expect(
      capture(false, panes.diffs)
        .split('\n')
        .map((l) => l.trimEnd()),
    ).toEqual(last);
    // styles too: tmux writes the cells it holds with their SGR
    const cells = (pane: string) => styledCells(tmux('capture-pane', '-p', '-e', '-N', '-t', pane));
    expect(cells(panes.diffs)).toEqual(cells(panes.whole));
  } finally {
    for (const pane of Object.values(panes)) tmux('kill-session', '-t', pane);
  }
});

/**
 * A `capture-pane -e -N` screen as rows of "style|character" cells, without the blank tail: tmux
 * writes SGR only where it changes (across lines too) and tells apart cells that look the same
 * (erased or never written; a space dim or plain).
 */
function styledCells(captured: string): string[][] {
  let style = new Map<string, string>();
  return captured.split('\n').map((line) => {
    const row: string[] = [];
    for (const [, params, ch] of line.matchAll(/\x1b\[([\d;]*)m|([^\x1b])/gu) as Iterable<string[]>) {
      // a space shows only inverse and underline
      if (ch === ' ' && !style.has('7') && !style.has('4')) row.push('| ');
      else if (ch !== undefined) row.push(`${[...style.values()].sort().join(';')}|${ch}`);
      else
        for (const p of (params || '0').split(';')) {
          const n = Number(p);
          if (n === 0) style = new Map();
          else if (n === 22) for (const off of ['bold', 'dim']) style.delete(off);
          else if (n >= 23 && n <= 29) style.delete(String(n - 20));
          else if (n === 39 || n === 49) style.delete(n === 39 ? 'fg' : 'bg');
          else if ((n >= 30 && n <= 37) || (n >= 40 && n <= 47)) style.set(n < 40 ? 'fg' : 'bg', p);
          else style.set(n === 1 ? 'bold' : n === 2 ? 'dim' : String(n), p);
        }
    }
    while (row.at(-1) === '| ') row.pop();
    return row;
  });
}
