/** sbx review's state machine, driven by key names on a real sample profile (no rendering). */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProfile } from '../src/profile/profile.js';
import { propose } from '../src/learn/propose/index.js';
import { formatAction, makePolicy, readPolicy } from '../src/policy/policy.js';
import { buildReviewData } from '../src/ui/review/data.js';
import { detailLines, pageLines, reportLines, screenLines, titleLine, wrap } from '../src/ui/review/format.js';
import { REVIEW_KEYS, helpLines, parseKeys } from '../src/ui/keys.js';
import {
  FILTERS,
  draftOf,
  initialReviewState,
  isChanged,
  isDirty,
  layout,
  reviewReducer,
  type ReviewState,
} from '../src/ui/review/state.js';
import { ROOT } from './helpers.js';
import { largeProfile } from '../bench/review.js';

const FILE = join(ROOT, 'samples', 'profiles', 'http-server.profile.json');
const profile = readProfile(FILE);
const proposal = propose([{ file: FILE, profile }]);
const data = buildReviewData(profile, proposal, 'http-server.profile.json');

function start(options: { width?: number; height?: number } = {}): ReviewState {
  return initialReviewState(data, options);
}

/** Press keys in order ("j", "enter", ...). */
function press(state: ReviewState, ...keys: string[]): ReviewState {
  return keys.reduce((s, key) => reviewReducer(s, { type: 'key', key }), state);
}

function selected(state: ReviewState): string {
  const item = state.view[state.cursor]!;
  return item.kind === 'group' ? `group:${item.name}` : data.infos[item.index]!.name;
}

function actionOf(state: ReviewState, name: string): string {
  const i = data.infos.findIndex((x) => x.name === name);
  return formatAction(state.decisions[i]!.action);
}

describe('rows', () => {
  it('ranks observed syscalls by calls with share and cumulative share, unobserved policy rows after them', () => {
    const observed = data.infos.filter((i) => i.calls > 0);
    expect(observed.length).toBe(profile.syscalls.filter((s) => s.count > 0).length);
    for (let i = 1; i < observed.length; i++) expect(observed[i - 1]!.calls).toBeGreaterThanOrEqual(observed[i]!.calls);
    expect(observed[observed.length - 1]!.cumulative).toBeCloseTo(100, 5);
    expect(observed[0]!.priority).toBe(255);
    const unobserved = data.infos.slice(observed.length);
    expect(unobserved.every((i) => i.calls === 0)).toBe(true);
    // accept/epoll_* complete families; sched_* are smart refusals (errno) in a group
    expect(unobserved.map((i) => i.name)).toEqual(expect.arrayContaining(['accept', 'epoll_wait', 'setpriority']));
  });

  it('starts from the proposal: observed → allow, family completions, smart refusals, reasons kept', () => {
    const s = start();
    expect(actionOf(s, observedTop())).toBe('allow');
    const accept = data.infos.findIndex((i) => i.name === 'accept');
    expect(s.decisions[accept]).toMatchObject({ source: 'family', action: { kind: 'allow' } });
    expect(s.decisions[accept]!.reason).toMatch(/completes the .* family/);
    const setpriority = data.infos.findIndex((i) => i.name === 'setpriority');
    expect(s.decisions[setpriority]!.source).toBe('category');
    expect(data.infos.find((i) => i.name === 'bind')).toMatchObject({ rare: true });
  });

  it('draws 80x24 in 23 lines no wider than 80, the selected row marked with ">"', () => {
    const lines = screenLines(start());
    expect(lines).toHaveLength(23);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[2]).toMatch(new RegExp(`^> +${observedTop()} `));
    expect(lines[1]).toMatch(/syscall +calls +count +share +cum +prio action +tags/);
  });
});

function observedTop(): string {
  return data.infos[0]!.name;
}

describe('navigation', () => {
  it('moves with j/k/arrows, pages, Home/End, clamps at the ends and scrolls to keep the cursor visible', () => {
    let s = start();
    s = press(s, 'j', 'down');
    expect(s.cursor).toBe(2);
    s = press(s, 'k');
    expect(s.cursor).toBe(1);
    s = press(s, 'up', 'up', 'up');
    expect(s.cursor).toBe(0);
    const page = layout(24).table;
    s = press(s, 'pagedown');
    expect(s.cursor).toBe(page);
    expect(s.top).toBe(1);
    s = press(s, 'pageup');
    expect(s.cursor).toBe(0);
    s = press(s, 'end');
    expect(s.cursor).toBe(data.infos.length - 1);
    expect(s.top).toBe(data.infos.length - page);
    s = press(s, 'down');
    expect(s.cursor).toBe(data.infos.length - 1);
    s = press(s, 'home');
    expect([s.cursor, s.top]).toEqual([0, 0]);
  });

  it('searches names with / (typing narrows, Enter keeps, Esc clears)', () => {
    let s = press(start(), '/', 'e', 'p', 'o', 'l', 'l');
    expect(s.mode).toBe('search');
    expect(s.view.map((v) => (v.kind === 'syscall' ? data.infos[v.index]!.name : '')).every((n) => n.includes('epoll'))).toBe(true);
    s = press(s, 'backspace', 'l', 'enter');
    expect([s.mode, s.search]).toEqual(['table', 'epoll']);
    expect(screenLines(s)[0]).toContain('all /epoll');
    expect(screenLines(start({ width: 200 }))[0]).toContain('filter all');
    s = press(s, '/', 'escape');
    expect(s.search).toBe('');
    expect(s.view).toHaveLength(data.infos.length);
  });

  it('resizing keeps the cursor on screen', () => {
    let s = press(start({ width: 120, height: 40 }), 'end');
    s = reviewReducer(s, { type: 'resize', width: 80, height: 24 });
    expect(s.cursor).toBeGreaterThanOrEqual(s.top);
    expect(s.cursor).toBeLessThan(s.top + layout(24).table);
    expect(screenLines(s).every((l) => l.length <= 80)).toBe(true);
  });
});

describe('actions', () => {
  const keys: [string, string][] = [
    ['a', 'allow'],
    ['K', 'kill-process'],
    ['t', 'trace(0)'],
    ['l', 'log'],
  ];
  it.each(keys)('%s sets %s on the unobserved row, by hand', (key, expected) => {
    let s = press(start(), '/', 's', 'e', 't', 'p', 'r', 'i', 'o', 'enter');
    expect(selected(s)).toBe('setpriority');
    s = press(s, key);
    expect(actionOf(s, 'setpriority')).toBe(expected === 'kill-process' ? 'kill-process' : expected);
    const rule = s.rules.find((r) => r.syscall === 'setpriority');
    if (expected === 'kill-process')
      expect(rule).toBeUndefined(); // the default: no rule
    else expect(rule).toMatchObject({ provenance: { source: 'hand' }, reason: expect.stringMatching(/set by hand/) });
    expect(isDirty(s)).toBe(true);
    makePolicy(draftOf(s));
  });

  it('d removes the rule (the default action decides), e asks for an errno (Enter = EPERM, names and numbers accepted)', () => {
    let s = press(start(), 'd');
    expect(actionOf(s, observedTop())).toBe('kill-process');
    expect(s.rules.some((r) => r.syscall === observedTop())).toBe(false);
    expect(isChanged(s, 0)).toBe(true);
    s = press(s, 'j', 'e');
    expect(s.mode).toBe('errno');
    s = press(s, 'enter');
    expect(actionOf(s, data.infos[1]!.name)).toBe('errno(EPERM)');
    s = press(s, 'j', 'e', 'e', 'n', 'o', 'e', 'n', 't', 'enter');
    expect(actionOf(s, data.infos[2]!.name)).toBe('errno(ENOENT)');
    s = press(s, 'j', 'e', '1', '3', 'enter');
    expect(actionOf(s, data.infos[3]!.name)).toBe('errno(EACCES)');
    s = press(s, 'j', 'e', 'x', 'y', 'z', 'enter');
    expect(s.mode).toBe('errno');
    expect(s.message).toMatch(/unknown errno/);
    s = press(s, 'escape');
    expect(s.mode).toBe('table');
    expect(actionOf(s, data.infos[4]!.name)).toBe('allow');
    const saved = makePolicy(draftOf(s));
    expect(saved.rules.find((r) => r.syscall === data.infos[1]!.name)).toMatchObject({
      action: { kind: 'errno', errno: 1 },
      provenance: { source: 'hand' },
    });
  });

  it('pressing the action a row already has changes nothing and keeps no undo step', () => {
    const s = press(start(), 'a');
    expect(s.undo).toHaveLength(0);
    expect(isDirty(s)).toBe(false);
    expect(s.message).toMatch(/already allow/);
  });

  it('u undoes changes one at a time, back to clean', () => {
    let s = press(start(), 'K', 'j', 'l', 'j', 'e', 'enter');
    expect(s.undo).toHaveLength(3);
    s = press(s, 'u');
    expect(actionOf(s, data.infos[2]!.name)).toBe('allow');
    expect(actionOf(s, data.infos[1]!.name)).toBe('log');
    s = press(s, 'u', 'u');
    expect(actionOf(s, observedTop())).toBe('allow');
    expect(isDirty(s)).toBe(false);
    expect(press(s, 'u').message).toBe('nothing to undo');
  });
});

describe('filters and groups', () => {
  it('f cycles all → observed → completed → candidates → unobserved → rare → changed', () => {
    let s = press(start(), 'K');
    const names = (st: ReviewState) => st.view.map((v) => (v.kind === 'syscall' ? data.infos[v.index]!.name : ''));
    const seen: Record<string, string[]> = {};
    for (const f of FILTERS.slice(1)) {
      s = press(s, 'f');
      expect(s.filter).toBe(f);
      seen[f] = names(s);
    }
    expect(seen.observed).toHaveLength(data.infos.filter((i) => i.calls > 0).length);
    expect(seen.completed).toEqual(expect.arrayContaining(['accept', 'epoll_wait']));
    expect(seen.completed).not.toContain('setpriority');
    // Static hints: what python's executable and libraries import but the run never made.
    const candidates = proposal.hints!.candidates.map((c) => c.syscall);
    expect(candidates.length).toBeGreaterThan(0);
    expect([...seen.candidates!].sort()).toEqual([...candidates].sort());
    expect(seen.candidates!.every((name) => data.infos.find((i) => i.name === name)!.calls === 0)).toBe(true);
    expect(seen.unobserved).toContain('setpriority');
    expect(seen.rare).toEqual(expect.arrayContaining(['bind', 'listen']));
    expect(seen.changed).toEqual([observedTop()]);
    expect(press(s, 'f').filter).toBe('all');
  });

  it('i shows the fidelity report, counting candidates allowed now; any key closes it', () => {
    let s = press(start({ height: 40 }), 'f', 'f', 'f');
    expect(s.filter).toBe('candidates');
    s = press(s, 'a', 'i');
    expect(s.mode).toBe('report');
    const text = reportLines(s).join('\n');
    expect(text).toContain(`fidelity: ${proposal.rules.filter((r) => r.provenance.source === 'observed').length} syscalls observed`);
    expect(text).toContain(`now: 1 of ${proposal.hints!.candidates.length} candidates allowed`);
    expect(press(s, 'x').mode).toBe('table');
    const row = s.view[s.cursor]!;
    if (row.kind !== 'syscall') throw new Error('syscall row expected');
    // The details name the call chain (executables' tier) or the import (library tier).
    expect(detailLines(s, 40).join('\n')).toMatch(
      /reachable \((the executables' code reaches it|only a library imports it)\): \S+(: [^\n]*→| imports )/,
    );
  });

  it('g groups by category; an action on a group sets every member; Enter opens the group', () => {
    let s = press(start(), 'g');
    expect(s.view.every((v) => v.kind === 'group')).toBe(true);
    const g = s.view[0]!;
    if (g.kind !== 'group') throw new Error('group expected');
    expect(g.calls).toBe(g.members.reduce((n, i) => n + data.infos[i]!.calls, 0));
    s = press(s, 'l');
    for (const i of g.members) expect(formatAction(s.decisions[i]!.action)).toBe('log');
    expect(s.undo).toHaveLength(1);
    s = press(s, 'enter');
    expect(s.view[1]).toMatchObject({ kind: 'syscall', index: g.members[0], indent: true });
    s = press(s, 'j', 'a');
    expect(formatAction(s.decisions[g.members[0]!]!.action)).toBe('allow');
    expect(detailLines(s, 3)[0]).toContain(data.infos[g.members[0]!]!.name);
    s = press(s, 'g');
    expect(selected(s)).toBe(data.infos[g.members[0]!]!.name);
    makePolicy(draftOf(s));
  });
});

describe('help, save and quit', () => {
  it('? shows the key table; any key closes it', () => {
    let s = press(start(), '?');
    expect(s.mode).toBe('help');
    s = press(s, 'x');
    expect(s.mode).toBe('table');
    expect(helpLines(REVIEW_KEYS).join('\n')).toMatch(/↑ k +previous row/);
    // the help page wraps to the width and scrolls when it is longer than the screen
    const help = press(start(), '?');
    expect(screenLines(help).every((l) => l.length <= 80)).toBe(true);
    expect(pageLines(help).join('\n')).toMatch(/End G +last row \(g is the group view, not the top\)/);
    const flat = pageLines(help).join(' ').replace(/\s+/g, ' ');
    expect(flat).toMatch(/prio = the rank priority sbx propose gives a rule \(255 = most called/);
    expect(flat).toMatch(/"first seen #8" = the 8th call of the run was its first/);
    const scrolled = press(help, 'j');
    expect(scrolled.pageTop).toBe(1);
    expect(press(scrolled, 'escape').mode).toBe('table');
  });

  it('q quits at once when nothing is unsaved', () => {
    expect(press(start(), 'q')).toMatchObject({ effect: 'exit', exit: true });
  });

  it('q with unsaved changes asks: n stays, y quits without saving, s saves then quits', () => {
    const dirty = press(start(), 'K', 'q');
    expect(dirty.mode).toBe('confirm-quit');
    expect(screenLines({ ...dirty, width: 120 }).at(-1)).toMatch(
      /1 unsaved change\(s\). s: save to policy.json and quit · y: quit without saving · n: stay/,
    );
    const stay = press(dirty, 'n');
    expect([stay.mode, stay.effect]).toEqual(['table', undefined]);
    expect(press(dirty, 'y')).toMatchObject({ effect: 'exit', exit: true });
    const saving = press(dirty, 's');
    expect(saving.effect).toBe('save-and-exit');
    const saved = reviewReducer(saving, { type: 'saved', file: 'out.json' });
    expect(saved).toMatchObject({ effect: 'exit', exit: true, savedTo: 'out.json' });
    expect(isDirty(saved)).toBe(false);
  });

  it('s asks the skin to save; saved marks clean, a failure says why and stays dirty', () => {
    const s = press(start(), 'K', 's');
    expect(s.effect).toBe('save');
    const ok = reviewReducer(s, { type: 'saved', file: 'p.json' });
    expect([isDirty(ok), ok.effect, ok.message]).toEqual([false, undefined, 'saved p.json']);
    const bad = reviewReducer(s, { type: 'saveFailed', message: 'cannot write p.json: EACCES' });
    expect([isDirty(bad), bad.message]).toEqual([true, 'not saved: cannot write p.json: EACCES']);
  });

  it('starts from a given policy file too', () => {
    const policy = readPolicy(join(ROOT, 'samples', 'policies', 'http-server.allowlist.json'));
    const s = initialReviewState(buildReviewData(profile, policy, 'x'));
    expect(s.decisions.filter((d) => d.source === 'observed').length).toBeGreaterThan(10);
  });
});

describe('every sample profile', () => {
  const samples = [
    ...['dd', 'http-server', 'ls', 'sh-loop', 'threads'].map((n) => join(ROOT, 'samples', 'profiles', `${n}.profile.json`)),
    join(ROOT, 'samples', 'qemu', 'qemu.profile.json'),
  ];
  const keys = [
    'j',
    'j',
    'K',
    'pagedown',
    'e',
    'enter',
    'g',
    'l',
    'enter',
    'j',
    't',
    'g',
    'f',
    'f',
    'a',
    'd',
    'u',
    'end',
    'e',
    'E',
    'I',
    'O',
    'enter',
    'f',
    'f',
    'f',
    'home',
  ];
  it.each(samples)('%s: a walk through the keys keeps the policy valid and the screen within 80x24', (file) => {
    const p = readProfile(file);
    const d = buildReviewData(p, propose([{ file, profile: p }]), 'x');
    let s = initialReviewState(d);
    for (const key of keys) {
      s = reviewReducer(s, { type: 'key', key });
      const lines = screenLines(s);
      expect(lines).toHaveLength(23);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
      makePolicy(draftOf(s), `${file} after ${key}`);
    }
  });

  it('the denylist proposal (category rules with argument conditions) reviews too', () => {
    const file = join(ROOT, 'samples', 'profiles', 'sh-loop.profile.json');
    const policy = readPolicy(join(ROOT, 'samples', 'policies', 'sh-loop.denylist.json'));
    const p = readProfile(file);
    let s = initialReviewState(buildReviewData(p, policy, 'x'));
    s = press(s, 'f', 'f', 'f', 'f');
    expect(s.filter).toBe('unobserved');
    const conditional = s.view.findIndex((v) => v.kind === 'syscall' && s.decisions[v.index]!.conditional);
    expect(conditional).toBeGreaterThanOrEqual(0);
    const item = s.view[conditional]!;
    if (item.kind !== 'syscall') throw new Error('syscall row expected');
    const name = s.data.infos[item.index]!.name;
    expect(screenLines({ ...s, cursor: conditional, top: 0 }).join('\n')).toMatch(/kill-process\+args|errno\(\w+\)\+args/);
    s = press({ ...s, cursor: conditional, top: 0 }, 'l');
    // a hand-set action replaces the conditional rules with one rule for every call
    expect(s.rules.filter((r) => r.syscall === name)).toEqual([
      expect.objectContaining({ action: { kind: 'log' }, provenance: expect.objectContaining({ source: 'hand' }) }),
    ]);
    expect(s.rules.find((r) => r.syscall === name)!.args).toBeUndefined();
    s = press(s, 'a');
    makePolicy(draftOf(s));
  });
});

describe('undo and Ctrl+C', () => {
  it('undo restores the rules but keeps the filter; the cursor goes to the undone row', () => {
    let s = press(start(), 'j', 'K', 'f');
    expect(s.filter).toBe('observed');
    s = press(s, 'u');
    expect(s.filter).toBe('observed');
    expect(selected(s)).toBe(data.infos[1]!.name);
    expect(isDirty(s)).toBe(false);
  });

  it('Ctrl+C quits when clean, asks when dirty, and a second Ctrl+C quits without saving; in a prompt it cancels', () => {
    expect(press(start(), 'ctrl+c').effect).toBe('exit');
    const asking = press(start(), 'K', 'ctrl+c');
    expect(asking.mode).toBe('confirm-quit');
    expect(press(asking, 'ctrl+c')).toMatchObject({ effect: 'exit', exit: true });
    expect(press(start(), 'e', 'ctrl+c').mode).toBe('table');
    expect(press(start(), '/', 'x', 'ctrl+c')).toMatchObject({ mode: 'table', search: '' });
  });
});

describe('layering', () => {
  it('src/ui imports src/learn, never src/ptrace', () => {
    const files = readdirSync(join(ROOT, 'src', 'ui'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) expect(readFileSync(join(ROOT, 'src', 'ui', f), 'utf8'), f).not.toMatch(/from '(\.\.\/)+ptrace\//);
  });
});

describe('issue 15: daily use', () => {
  it('a chunk of keys is handled key by key, in order (5 j in one write move 5 rows)', () => {
    const s = reviewReducer(start(), { type: 'keys', keys: parseKeys('jjjjj') });
    expect(s.cursor).toBe(5);
    // arrows, text and Enter mixed in one chunk
    expect(parseKeys('j\x1b[Bk\x1b[A\x1b[6~\x1b[H\x1b[F\x1bOA/ab\r\x7f\x04\x15\x1b')).toEqual([
      'j',
      'down',
      'k',
      'up',
      'pagedown',
      'home',
      'end',
      'up',
      '/',
      'a',
      'b',
      'enter',
      'backspace',
      'ctrl+d',
      'ctrl+u',
      'escape',
    ]);
    expect(parseKeys('\x1b[5~\x1b[1~\x1b[4~\x1b[3~\x1b[1;5A\x1bx')).toEqual(['pageup', 'home', 'end', 'delete', 'up', 'meta+x']);
    const searched = reviewReducer(start(), { type: 'keys', keys: parseKeys('/epoll\r') });
    expect([searched.mode, searched.search]).toEqual(['table', 'epoll']);
  });

  it('keys after a save in the same chunk are handled once the save is done', () => {
    const s = reviewReducer(start(), { type: 'keys', keys: parseKeys('Ksjj') });
    expect(s.effect).toBe('save');
    expect(s.queued).toEqual(['j', 'j']);
    const after = reviewReducer(s, { type: 'saved', file: 'out.json' });
    expect(after.cursor).toBe(2);
    expect(after.queued).toBeUndefined();
  });

  it('G/End go to the bottom, Home to the top, Ctrl-D/Ctrl-U move half a page; g stays the group view', () => {
    const s = start();
    const half = Math.floor(layout(24).table / 2);
    expect(press(s, 'G').cursor).toBe(s.view.length - 1);
    expect(press(s, 'G', 'home').cursor).toBe(0);
    expect(press(s, 'ctrl+d').cursor).toBe(half);
    expect(press(s, 'ctrl+d', 'ctrl+d', 'ctrl+u').cursor).toBe(half);
    expect(press(s, 'g').grouped).toBe(true);
  });

  it('a key that changes nothing says so', () => {
    expect(press(start(), 'k').message).toBe('already at the first row');
    expect(press(start(), 'G', 'j').message).toBe('already at the last row');
    expect(press(start(), 'x').message).toBe('x: not a key here (? lists the keys)');
  });

  it('Backspace on an empty search leaves search mode', () => {
    const s = press(start(), '/', 'r', 'backspace');
    expect(s.mode).toBe('search');
    const left = press(s, 'backspace');
    expect([left.mode, left.search]).toEqual(['table', '']);
    expect(left.view).toHaveLength(data.infos.length);
  });

  it('the title counts what the filter shows; the save path is shown before s', () => {
    const all = start({ width: 200 });
    expect(titleLine(all)).toMatch(/│ \d+ syscalls, \d+ calls │/);
    const observed = press(all, 'f');
    const shown = observed.view.length;
    expect(titleLine(observed)).toContain(`│ ${shown} of ${data.infos.length} rows, ${profile.totals.calls} calls │`);
    expect(titleLine(press(all, 'f', 'f', 'f'))).toContain(
      `│ ${proposal.hints!.candidates.length} of ${data.infos.length} rows, 0 calls │`,
    );
    const out = initialReviewState(data, { width: 200, output: 'out/reviewed.json' });
    expect(screenLines(out).at(-1)).toContain('s save → out/reviewed.json');
    // at 80 columns too, before any key
    expect(screenLines(initialReviewState(data, { width: 80, height: 24, output: 'out/reviewed.json' })).at(-1)).toMatch(
      /^press \? for help · s save → out\/reviewed\.json · a allow/,
    );
    expect(pageLines(press(out, '?'))[0]).toContain('s saves to out/reviewed.json');
  });

  it('several profiles: the title says "N profiles" and keeps the state visible at 80 columns', () => {
    const merged = buildReviewData(profile, proposal, '3 profiles', ['a.profile.json', 'b.profile.json', 'c.profile.json']);
    const s = initialReviewState(merged, { width: 80, height: 24 });
    const title = titleLine(press(s, 'K'));
    expect(title).toMatch(/^3 profiles │ all │ 1 chg 1 unsaved │ \d+ sc, \d+ calls │ dflt kill-process/);
    expect(title.length).toBeLessThanOrEqual(80);
    // a long name gives way to the state
    const long = initialReviewState(buildReviewData(profile, proposal, 'a-very-long-profile-name-from-a-build-system.profile.json'), {
      width: 80,
    });
    expect(titleLine(long)).toMatch(/│ all │ 0 chg │ \d+ sc, \d+ calls │ dflt kill-process$/);
    expect(reportLines(s)[1]).toBe('profiles: a.profile.json, b.profile.json, c.profile.json');
  });

  it('narrower than 80 columns every line is cut to the width, so the terminal never wraps one', () => {
    for (const keys of [[], ['enter'], ['?'], ['i'], ['g'], ['/', 'r']]) {
      const lines = screenLines(press(start({ width: 40, height: 10 }), ...keys));
      expect(lines).toHaveLength(9);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(40);
    }
    expect(screenLines(start({ width: 40, height: 10 }))[2]).toMatch(/^> +newfstatat +█+ +739 +…$/);
  });

  it('at 80x24 the header shows every column docs/review.md lists', () => {
    const header = screenLines(start())[1]!;
    for (const column of ['syscall', 'calls', 'count', 'share', 'cum', 'prio', 'action', 'tags']) expect(header).toContain(column);
  });

  it('the details pane wraps instead of cutting, and grows with the screen', () => {
    const big = start({ width: 80, height: 24 });
    const lines = detailLines(big, layout(24).details);
    expect(lines.every((l) => l.length <= 80 && !l.endsWith('…'))).toBe(true);
    expect(lines.join('\n')).toMatch(/used by: .*\n/);
    expect(layout(60).details).toBeGreaterThan(layout(24).details + 10);
    expect(wrap('aaa bbb ccc ddd', 8)).toEqual(['aaa bbb', '  ccc', '  ddd']);
    expect(wrap('x'.repeat(12), 5)).toEqual(['xxxxx', '  xxx', '  xxx', '  x']);
  });

  it('Enter shows every detail full screen: executables, every histogram value, rules, notes; it scrolls', () => {
    const ioctl = data.infos.findIndex((i) => i.name === 'ioctl' || (i.entry?.args?.length ?? 0) > 0);
    let s = start({ width: 80, height: 24 });
    while (s.view[s.cursor]!.kind === 'syscall' && (s.view[s.cursor] as { index: number }).index !== ioctl) s = press(s, 'j');
    s = press(s, 'enter');
    expect(s.mode).toBe('details');
    const info = data.infos[ioctl]!;
    const text = pageLines(s).join('\n');
    for (const c of info.callers) expect(text).toContain(`${c.path} · ${c.calls} calls`);
    for (const h of info.entry!.args!) for (const v of h.values) expect(text).toContain(v.label ?? v.value);
    expect(text).toMatch(/rules \(1\):\n {2}allow · provenance: observed/);
    expect(screenLines(s).every((l) => l.length <= 80)).toBe(true);
    if (pageLines(s).length > 21) expect(press(s, 'G').pageTop).toBe(pageLines(s).length - 21);
    expect(press(s, 'escape').mode).toBe('table');
  });

  it('the fidelity report scrolls, and its f really goes to the candidates filter', () => {
    const s = press(start({ height: 10 }), 'i');
    expect(pageLines(s)[0]).toContain('f shows the "candidates" rows');
    if (pageLines(s).length > 7) expect(press(s, 'j').pageTop).toBe(1);
    const f = press(s, 'f');
    expect([f.mode, f.filter]).toEqual(['table', 'candidates']);
  });

  it('unsaved changes are counted from the last save: 3 saved and 1 more is 1 unsaved', () => {
    let s = press(start(), 'K', 'j', 'K', 'j', 'K');
    s = reviewReducer(press(s, 's'), { type: 'saved', file: 'out.json' });
    s = press(s, 'j', 'K', 'q');
    expect(s.mode).toBe('confirm-quit');
    expect(screenLines({ ...s, width: 120 }).at(-1)).toMatch(/^1 unsaved change\(s\)/);
    expect(titleLine({ ...s, width: 200 })).toContain('4 changed, 1 unsaved');
  });

  it('d then a on an observed syscall restores its observed rule, not a rule "set by hand"', () => {
    const s = press(start(), 'd', 'a');
    const name = data.infos[0]!.name;
    expect(s.decisions[0]!.source).toBe('observed');
    expect(isChanged(s, 0)).toBe(false);
    expect(isDirty(s)).toBe(false);
    expect(s.rules.filter((r) => r.syscall === name)).toEqual(proposal.rules.filter((r) => r.syscall === name));
  });

  it('candidate rows follow the hints ranking (tier, then imports) and show their tier', () => {
    const candidates = data.infos.filter((i) => i.candidate);
    expect(candidates.map((i) => i.candidate)).toEqual(proposal.hints!.candidates.filter((c) => candidates.some((i) => i.candidate === c)));
    expect(candidates.every((i) => i.tags.startsWith(`candidate:${i.candidate!.tier}`))).toBe(true);
  });

  it('rows of the same syscall on two arches are told apart', () => {
    // the benchmark's profile: x86_64 and i386 rows, many with the same names
    const two = largeProfile();
    const policy = propose([{ file: 'q', profile: two }]);
    const d = buildReviewData(two, policy, 'q');
    expect(policy.arches).toEqual(['x86_64', 'i386']);
    const labels = d.infos.map((i) => i.label);
    expect(new Set(labels).size).toBe(labels.length);
    expect(d.infos.filter((i) => i.arch !== policy.arches[0]).every((i) => i.label === `${i.arch}:${i.name}`)).toBe(true);
  });
});

describe('the full screen', () => {
  it('says "loading…" at once, before the profiles are read, and is left exactly once', async () => {
    const { openReviewScreen } = await import('../src/ui/review/full-screen.js');
    let written = '';
    const out = { write: (t: string) => (written += t) } as unknown as NodeJS.WriteStream;
    const close = openReviewScreen(out, '3 profiles');
    expect(written).toBe('\x1b[?1049h\x1b[?25l\x1b[H\x1b[2Jsbx review: loading 3 profiles…');
    written = '';
    close();
    close();
    expect(written).toBe('\x1b[?25h\x1b[?1049l');
  });
});

describe('the frame painter', () => {
  it('writes only what changed: spans of a line, a block that moved by a row, nothing when equal', async () => {
    const { frameUpdate } = await import('../src/ui/painter.js');
    const line = (text: string) => [{ text }];
    const a = ['title', 'row 1', 'row 2', 'row 3', 'row 4', 'status 10'].map(line);
    expect(frameUpdate(a, a, true)).toBe('');
    // one digit changed: only it is written
    expect(frameUpdate(a, [...a.slice(0, 5), line('status 11')], true)).toBe('\x1b[?2026h\x1b[6;9H1\x1b[?2026l');
    // two changes far apart on one line: two spans, the cursor skips the columns between
    expect(frameUpdate([line('a 1 bbbbbbbb 2')], [line('a 3 bbbbbbbb 4')], true)).toBe('\x1b[?2026h\x1b[1;3H3\x1b[10C4\x1b[?2026l');
    // a shorter line: erase to the end of the line instead of spaces
    expect(frameUpdate([line('status 10 and more')], [line('status 10   ')], true)).toBe('\x1b[?2026h\x1b[1;11H\x1b[K\x1b[?2026l');
    // rows 2-5 scrolled up by one: the terminal moves them, only the new last row is drawn
    const scrolled = ['title', 'row 2', 'row 3', 'row 4', 'row 5', 'status 10'].map(line);
    expect(frameUpdate(a, scrolled, true)).toBe('\x1b[?2026h\x1b[2;5r\x1b[1S\x1b[r\x1b[5Hrow 5\x1b[?2026l');
    // nothing known: cleared and drawn whole, the next row with CR LF
    expect(frameUpdate(undefined, [line('x'), line('y')], true)).toBe('\x1b[?2026h\x1b[2J\x1b[1Hx\r\ny\x1b[?2026l');
  });

  it('sends a style only when it changes; spaces between dim words stay dim, the reset comes once at the end', async () => {
    const { frameUpdate } = await import('../src/ui/painter.js');
    const dim = { dim: true } as const;
    const next = [
      [{ text: 'a b', style: dim }, { text: ' ' }, { text: 'c', style: dim }, { text: 'ok', style: { color: 'green' as const } }],
    ];
    expect(frameUpdate([[{ text: '' }]], next, true)).toBe('\x1b[?2026h\x1b[1H\x1b[2ma b c\x1b[0;32mok\x1b[0m\x1b[?2026l');
    // an inverse row keeps its trailing spaces (they show); without colour nothing is styled
    const selectedRow = [[{ text: 'x  ', style: { inverse: true } }]];
    expect(frameUpdate([[{ text: '' }]], selectedRow, true)).toBe('\x1b[?2026h\x1b[1H\x1b[7mx  \x1b[0m\x1b[?2026l');
    expect(frameUpdate([[{ text: '' }]], selectedRow, false)).toBe('\x1b[?2026h\x1b[1Hx\x1b[?2026l');
  });
});
