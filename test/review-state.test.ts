/** sbx review's state machine, driven by key names on a real sample profile (no rendering). */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProfile } from '../src/learn/profile.js';
import { propose } from '../src/learn/propose/index.js';
import { formatAction, makePolicy, readPolicy } from '../src/learn/policy.js';
import { buildReviewData } from '../src/ui/review/data.js';
import { detailLines, reportLines, screenLines } from '../src/ui/review/format.js';
import { REVIEW_KEYS, helpLines } from '../src/ui/keys.js';
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
    expect(screenLines(s)[0]).toContain('filter all /epoll');
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
    if (expected === 'kill-process') expect(rule).toBeUndefined(); // the default: no rule
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
    expect(saved.rules.find((r) => r.syscall === data.infos[1]!.name)).toMatchObject({ action: { kind: 'errno', errno: 1 }, provenance: { source: 'hand' } });
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
    expect(detailLines(s, 10).join('\n')).toMatch(/reachable \((the executables' code reaches it|only a library imports it)\): \S+(: .*→ | imports )/);
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
    // title, blank line, one line per binding: fits the 23 lines of an 80x24 screen
    expect(2 + helpLines(REVIEW_KEYS).length).toBeLessThanOrEqual(23);
    for (const b of REVIEW_KEYS) expect(helpLines([b])[0]!.length).toBeLessThanOrEqual(80);
  });

  it('q quits at once when nothing is unsaved', () => {
    expect(press(start(), 'q')).toMatchObject({ effect: 'exit', exit: true });
  });

  it('q with unsaved changes asks: n stays, y quits without saving, s saves then quits', () => {
    const dirty = press(start(), 'K', 'q');
    expect(dirty.mode).toBe('confirm-quit');
    expect(screenLines(dirty).at(-1)).toMatch(/1 unsaved change\(s\). s: save and quit · y: quit without saving · n: stay/);
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
  const keys = ['j', 'j', 'K', 'pagedown', 'e', 'enter', 'g', 'l', 'enter', 'j', 't', 'g', 'f', 'f', 'a', 'd', 'u', 'end', 'e', 'E', 'I', 'O', 'enter', 'f', 'f', 'f', 'home'];
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
    expect(s.rules.filter((r) => r.syscall === name)).toEqual([expect.objectContaining({ action: { kind: 'log' }, provenance: expect.objectContaining({ source: 'hand' }) })]);
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
