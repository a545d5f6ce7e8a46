/**
 * `sbx review` as a pure state machine: `reviewReducer(state, action)` returns the next state;
 * the Ink components only draw a state and dispatch actions. Undo is a stack of prior states.
 * Saving and quitting are requested through `effect`, which the skin carries out and answers
 * with `saved` / `saveFailed`.
 */
import {
  HINT_TIER_WORDS,
  formatAction,
  parseErrno,
  sameAction,
  type Action,
  type PolicyDraft,
  type PolicyRule,
} from '../../policy/policy.js';
import { REVIEW_KEYS, keyMap, type ReviewCommand } from '../keys.js';
import type { ReviewData, SyscallInfo } from './data.js';
// format.ts draws states and the reducer scrolls its pages; both only call each other's functions
import { pageLines } from './format.js';

/** The row filters `f` cycles through, in order. */
export type FilterName = 'all' | 'observed' | 'completed' | 'candidates' | 'unobserved' | 'rare' | 'changed';
export const FILTERS: readonly FilterName[] = ['all', 'observed', 'completed', 'candidates', 'unobserved', 'rare', 'changed'];

/** Where a row's current action comes from. */
export type DecisionSource = 'observed' | 'family' | 'category' | 'hand' | 'hint' | 'runtime' | 'default';

/** What the current rules say about one row. */
export interface RowDecision {
  readonly action: Action;
  readonly source: DecisionSource;
  /** The rule's reason, or why there is none. */
  readonly reason: string;
  /** Rules with argument conditions: the action holds only for some calls. */
  readonly conditional: boolean;
  readonly detail?: string;
}

/** A line of the table: a syscall, or (group view) a category. */
export type ViewItem =
  | { readonly kind: 'syscall'; readonly index: number; readonly indent: boolean }
  | { readonly kind: 'group'; readonly name: string; readonly members: readonly number[]; readonly calls: number; readonly share: number };

/** Full-screen pages that scroll: the key help, the fidelity report, one syscall's details. */
export type PageMode = 'help' | 'report' | 'details';
export const PAGE_MODES: readonly PageMode[] = ['help', 'report', 'details'];

/** What keys do: move and act (table), type a search or an errno, read a page, answer the quit question. */
export type Mode = 'table' | 'search' | 'errno' | PageMode | 'confirm-quit';

/** Side effects the skin carries out for the reducer. */
export type Effect = 'save' | 'save-and-exit' | 'exit';

/** Everything the screen shows; replaced, never mutated. */
export interface ReviewState {
  readonly data: ReviewData;
  readonly rules: readonly PolicyRule[];
  readonly decisions: readonly RowDecision[];
  readonly initial: readonly RowDecision[];
  readonly view: readonly ViewItem[];
  readonly cursor: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  readonly filter: FilterName;
  readonly search: string;
  readonly grouped: boolean;
  readonly expanded: readonly string[];
  readonly mode: Mode;
  /** First line shown of the open page (help, report, details). */
  readonly pageTop: number;
  /** Text typed at the search or errno prompt. */
  readonly input: string;
  readonly message: string;
  /** Rules as last saved (or loaded): unsaved when `rules` differs; their decisions, to count unsaved changes. */
  readonly savedRules: readonly PolicyRule[];
  readonly savedDecisions: readonly RowDecision[];
  /** Where `s` saves. */
  readonly output: string;
  readonly undo: readonly ReviewState[];
  readonly effect?: Effect;
  /** Keys that came in the same chunk after one asking for a save: handled once it is done. */
  readonly queued?: readonly string[];
  /** Where the last save went. */
  readonly savedTo?: string;
  readonly exit?: boolean;
}

/** Input to the reducer: a key press, a command or action set directly, or a result from the skin. */
export type ReviewAction =
  | { readonly type: 'key'; readonly key: string }
  | { readonly type: 'keys'; readonly keys: readonly string[] }
  | { readonly type: 'command'; readonly command: ReviewCommand }
  | { readonly type: 'set'; readonly action: Action | 'default' }
  | { readonly type: 'resize'; readonly width: number; readonly height: number }
  | { readonly type: 'saved'; readonly file: string }
  | { readonly type: 'saveFailed'; readonly message: string };

// ---- layout ----

/** Rows of each part of the screen for a terminal of `height` lines. */
export function layout(height: number): { table: number; details: number } {
  // title + column header + status line, and one spare line so Ink never scrolls the terminal
  const fixed = 4;
  // the details pane grows with the screen (2 of 5 lines), the table keeps the rest
  const details = height >= 22 ? Math.floor(((height - fixed) * 2) / 5) : Math.max(3, Math.floor((height - fixed) / 3));
  return { table: Math.max(1, height - fixed - details), details };
}

/** Lines a full-screen page shows at once (all but the title and status lines, and the spare one). */
export function pageHeight(state: Pick<ReviewState, 'height'>): number {
  return Math.max(1, state.height - 3);
}

/** Table rows on screen (what PgUp/PgDn move by). */
export function pageSize(state: Pick<ReviewState, 'height'>): number {
  return layout(state.height).table;
}

// ---- decisions ----

function appliesTo(rule: PolicyRule, info: SyscallInfo, data: ReviewData): boolean {
  return rule.syscall === info.name && (rule.arches ?? data.arches).includes(info.arch);
}

/** What the rules decide for every row. */
export function computeDecisions(data: ReviewData, rules: readonly PolicyRule[]): RowDecision[] {
  const byName = new Map<string, PolicyRule[]>();
  for (const r of rules) byName.set(r.syscall, [...(byName.get(r.syscall) ?? []), r]);
  return data.infos.map((info): RowDecision => {
    const mine = (byName.get(info.name) ?? []).filter((r) => appliesTo(r, info, data));
    if (mine.length === 0)
      return {
        action: data.defaultAction,
        source: 'default',
        reason: `no rule: the default action (${formatAction(data.defaultAction)})`,
        conditional: false,
      };
    const first = mine[0]!;
    const conditional = mine.every((r) => (r.args?.length ?? 0) > 0);
    const p = first.provenance;
    return {
      action: first.action,
      source: p.source,
      reason: first.reason ?? (p.source === 'hand' ? 'set by hand' : p.source),
      conditional,
      ...(p.source === 'family'
        ? { detail: `${p.family} family, from ${p.from.join(', ')}` }
        : p.source === 'category'
          ? { detail: p.category }
          : p.source === 'hand' && p.note
            ? { detail: p.note }
            : p.source === 'hint'
              ? { detail: HINT_TIER_WORDS[p.tier] }
              : p.source === 'runtime'
                ? { detail: p.version }
                : {}),
    };
  });
}

/** "observed", "completed (aio)", "category qemu:spawn", "by hand", "default". */
export function sourceLabel(d: RowDecision): string {
  switch (d.source) {
    case 'observed':
      return 'observed';
    case 'family':
      return `completed from a family (${d.detail ?? ''})`;
    case 'category':
      return `in a group (${d.detail ?? ''})`;
    case 'hand':
      return 'set by hand';
    case 'hint':
      return `allowed by a static hint (${d.detail ?? ''})`;
    case 'runtime':
      return `needed by the container runtime (${d.detail ?? ''})`;
    case 'default':
      return 'default action';
  }
}

/** Whether a row's action differs from where the review started. */
export function isChanged(state: ReviewState, index: number): boolean {
  return differs(state.decisions[index]!, state.initial[index]!);
}

function differs(a: RowDecision, b: RowDecision): boolean {
  return formatAction(a.action) !== formatAction(b.action) || a.conditional !== b.conditional;
}

/** Rows whose action differs from where the review started. */
export function changedCount(state: ReviewState): number {
  let n = 0;
  for (let i = 0; i < state.decisions.length; i++) if (isChanged(state, i)) n++;
  return n;
}

/** Rows whose action differs from the last save (what quitting now would discard). */
export function unsavedCount(state: ReviewState): number {
  let n = 0;
  for (let i = 0; i < state.decisions.length; i++) if (differs(state.decisions[i]!, state.savedDecisions[i]!)) n++;
  return n;
}

/** Whether some row's action differs from the last saved (or loaded) rules. */
export function isDirty(state: ReviewState): boolean {
  return state.rules !== state.savedRules && unsavedCount(state) > 0;
}

// ---- editing rules ----

/**
 * The rules with one row's rules replaced by a hand-set action (none when it is the default).
 * Setting a row back to what the starting policy said restores that policy's own rules for it,
 * with their provenance ("observed", a family...), rather than a rule "set by hand".
 */
export function setRowAction(data: ReviewData, rules: readonly PolicyRule[], info: SyscallInfo, action: Action): PolicyRule[] {
  const out: PolicyRule[] = [];
  const old: PolicyRule[] = [];
  let at = -1;
  for (const r of rules) {
    if (!appliesTo(r, info, data)) {
      out.push(r);
      continue;
    }
    if (at < 0) at = out.length;
    old.push(r);
    const rest = (r.arches ?? data.arches).filter((a) => a !== info.arch);
    if (rest.length) out.push({ ...r, arches: rest });
  }
  if (sameAction(action, data.defaultAction)) return out;
  const original = data.initialRules.filter((r) => appliesTo(r, info, data));
  if (original.length && original.every((r) => !r.args?.length && sameAction(r.action, action))) {
    const own = original.map((r) => (data.arches.length > 1 ? { ...r, arches: [info.arch] } : r));
    out.splice(at < 0 ? out.length : at, 0, ...own);
    return out;
  }
  const was = old.length
    ? `${formatAction(old[0]!.action)}${old.some((r) => r.args?.length) ? ' with argument conditions' : ''}`
    : `the default ${formatAction(data.defaultAction)}`;
  const calls = info.calls || old.reduce((n, r) => n + (r.observed?.calls ?? 0), 0);
  const runs = info.runs.length ? info.runs : (old[0]?.observed?.runs ?? []);
  const priority = old[0]?.priority ?? (info.priority as PolicyRule['priority']);
  const rule: PolicyRule = {
    syscall: info.name,
    ...(data.arches.length > 1 ? { arches: [info.arch] } : {}),
    action,
    ...(priority !== undefined ? { priority } : {}),
    provenance: { source: 'hand', note: `set in sbx review; was ${was}` },
    ...(calls > 0 ? { observed: { calls, runs } } : {}),
    reason: `set by hand in sbx review to ${formatAction(action)} (was ${was})`,
  };
  out.splice(at < 0 ? out.length : at, 0, rule);
  return out;
}

/** The policy the current rules make (check it with makePolicy before writing). */
export function draftOf(state: ReviewState): PolicyDraft {
  return { ...state.data.policy, rules: state.rules };
}

// ---- the view ----

function passes(state: ReviewState, index: number): boolean {
  const info = state.data.infos[index]!;
  if (state.search && !info.name.includes(state.search)) return false;
  const d = state.decisions[index]!;
  switch (state.filter) {
    case 'all':
      return true;
    case 'observed':
      return info.calls > 0;
    case 'completed':
      return d.source === 'family' || state.initial[index]!.source === 'family';
    case 'candidates':
      return info.candidate !== undefined;
    case 'unobserved':
      return info.calls === 0;
    case 'rare':
      return info.rare;
    case 'changed':
      return isChanged(state, index);
  }
}

/** The table's lines for the current filter, search and grouping. */
export function computeView(state: ReviewState): ViewItem[] {
  const indexes = state.data.infos.map((_, i) => i).filter((i) => passes(state, i));
  if (!state.grouped) return indexes.map((index) => ({ kind: 'syscall', index, indent: false }));
  const groups = new Map<string, number[]>();
  for (const i of indexes) {
    const g = state.data.infos[i]!.group;
    groups.set(g, [...(groups.get(g) ?? []), i]);
  }
  const rows = [...groups].map(([name, members]) => ({
    kind: 'group' as const,
    name,
    members,
    calls: members.reduce((n, i) => n + state.data.infos[i]!.calls, 0),
    share: members.reduce((n, i) => n + state.data.infos[i]!.share, 0),
  }));
  rows.sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name));
  return rows.flatMap((g): ViewItem[] =>
    state.expanded.includes(g.name) ? [g, ...g.members.map((index) => ({ kind: 'syscall' as const, index, indent: true }))] : [g],
  );
}

function itemKey(item: ViewItem | undefined, state: ReviewState): string | undefined {
  if (!item) return undefined;
  return item.kind === 'group' ? `group:${item.name}` : state.data.infos[item.index]!.key;
}

/** Recompute the view, keeping the cursor on the same line when it is still shown. */
function refresh(state: ReviewState, previous: ReviewState = state): ReviewState {
  const view = computeView(state);
  const key = itemKey(previous.view[previous.cursor], previous);
  let cursor = key === undefined ? -1 : view.findIndex((v) => itemKey(v, state) === key);
  if (cursor < 0 && key !== undefined && !key.startsWith('group:') && state.grouped) {
    const group = state.data.infos[state.data.byKey.get(key) ?? -1]?.group;
    cursor = view.findIndex((v) => v.kind === 'group' && v.name === group);
  }
  if (cursor < 0) cursor = Math.min(previous.cursor, view.length - 1);
  return scrolled({ ...state, view, cursor: Math.max(0, cursor) });
}

/** Keep the cursor on screen. */
function scrolled(state: ReviewState): ReviewState {
  const size = pageSize(state);
  const maxTop = Math.max(0, state.view.length - size);
  let top = Math.min(state.top, maxTop);
  if (state.cursor < top) top = state.cursor;
  if (state.cursor >= top + size) top = state.cursor - size + 1;
  return top === state.top ? state : { ...state, top: Math.max(0, top) };
}

function moveTo(state: ReviewState, cursor: number): ReviewState {
  const c = Math.max(0, Math.min(state.view.length - 1, cursor));
  if (state.view.length === 0) return { ...state, message: 'no rows: f changes the filter, / the search' };
  if (c === state.cursor)
    return { ...state, message: cursor < c ? 'already at the first row' : cursor > c ? 'already at the last row' : state.message };
  return scrolled({ ...state, cursor: c, message: '' });
}

// ---- construction ----

/** The terminal size to start with (80x24 when unknown). */
export interface InitialOptions {
  readonly width?: number;
  readonly height?: number;
  /** Where `s` saves (shown before saving). */
  readonly output?: string;
}

/** The state a session starts in. */
export function initialReviewState(data: ReviewData, options: InitialOptions = {}): ReviewState {
  const decisions = computeDecisions(data, data.initialRules);
  const state: ReviewState = {
    data,
    rules: data.initialRules,
    decisions,
    initial: decisions,
    view: [],
    cursor: 0,
    top: 0,
    width: options.width ?? 80,
    height: options.height ?? 24,
    filter: 'all',
    search: '',
    grouped: false,
    expanded: [],
    mode: 'table',
    pageTop: 0,
    input: '',
    message: 'press ? for help',
    savedRules: data.initialRules,
    savedDecisions: decisions,
    output: options.output ?? 'policy.json',
    undo: [],
  };
  return { ...state, view: computeView(state) };
}

// ---- the reducer ----

/** The rows an action applies to: the selected syscall, or every member of the selected group. */
export function selectedIndexes(state: ReviewState): number[] {
  const item = state.view[state.cursor];
  if (!item) return [];
  return item.kind === 'group' ? [...item.members] : [item.index];
}

function applyAction(state: ReviewState, action: Action | 'default'): ReviewState {
  const targets = selectedIndexes(state);
  if (targets.length === 0) return { ...state, message: 'nothing selected' };
  const wanted = action === 'default' ? state.data.defaultAction : action;
  let rules = state.rules;
  let changed = 0;
  for (const i of targets) {
    const d = state.decisions[i]!;
    if (sameAction(d.action, wanted) && !d.conditional && (d.source === 'default') === sameAction(wanted, state.data.defaultAction))
      continue;
    rules = setRowAction(state.data, rules, state.data.infos[i]!, wanted);
    changed++;
  }
  const what =
    targets.length === 1
      ? state.data.infos[targets[0]!]!.name
      : `${changed} syscalls of ${(state.view[state.cursor] as { name: string }).name}`;
  if (changed === 0)
    return { ...state, mode: 'table', input: '', message: `${targets.length === 1 ? what : 'the group'} already ${formatAction(wanted)}` };
  const { effect: _effect, ...prior } = state;
  const next: ReviewState = {
    ...state,
    rules,
    decisions: computeDecisions(state.data, rules),
    mode: 'table',
    input: '',
    undo: [...state.undo, { ...prior, mode: 'table', input: '' }],
    message: `${what} → ${action === 'default' ? `default (${formatAction(wanted)})` : formatAction(wanted)}`,
  };
  return refresh(next, state);
}

function runCommand(state: ReviewState, command: ReviewCommand): ReviewState {
  const page = pageSize(state);
  switch (command) {
    case 'nav.up':
      return moveTo(state, state.cursor - 1);
    case 'nav.down':
      return moveTo(state, state.cursor + 1);
    case 'nav.pageUp':
      return moveTo(state, state.cursor - page);
    case 'nav.pageDown':
      return moveTo(state, state.cursor + page);
    case 'nav.halfDown':
      return moveTo(state, state.cursor + Math.max(1, Math.floor(page / 2)));
    case 'nav.halfUp':
      return moveTo(state, state.cursor - Math.max(1, Math.floor(page / 2)));
    case 'nav.home':
      return moveTo(state, 0);
    case 'nav.end':
      return moveTo(state, state.view.length - 1);
    case 'nav.search':
      return { ...state, mode: 'search', input: state.search, message: '' };
    case 'rule.allow':
      return applyAction(state, { kind: 'allow' });
    case 'rule.default':
      return applyAction(state, 'default');
    case 'rule.errno':
      return selectedIndexes(state).length ? { ...state, mode: 'errno', input: '', message: '' } : state;
    case 'rule.kill':
      return applyAction(state, { kind: 'kill-process' });
    case 'rule.trace':
      return applyAction(state, { kind: 'trace', data: 0 });
    case 'rule.log':
      return applyAction(state, { kind: 'log' });
    case 'view.groups':
      return refresh(
        {
          ...state,
          grouped: !state.grouped,
          message: state.grouped ? 'syscall view' : 'group view: Enter opens a group; a/d/e/K/t/l act on the whole group',
        },
        state,
      );
    case 'view.details': {
      const item = state.view[state.cursor];
      if (!item) return { ...state, message: 'nothing selected' };
      if (item.kind === 'syscall') return { ...state, mode: 'details', pageTop: 0 };
      const open = state.expanded.includes(item.name);
      return refresh(
        {
          ...state,
          expanded: open ? state.expanded.filter((g) => g !== item.name) : [...state.expanded, item.name],
          message: `${item.name} ${open ? 'closed' : 'opened'}`,
        },
        state,
      );
    }
    case 'view.filter': {
      const filter = FILTERS[(FILTERS.indexOf(state.filter) + 1) % FILTERS.length]!;
      return refresh({ ...state, filter, message: `filter: ${filter}` }, state);
    }
    case 'edit.undo': {
      const prior = state.undo[state.undo.length - 1];
      if (!prior) return { ...state, message: 'nothing to undo' };
      // the rules go back; the view (filter, search, groups) stays, the cursor goes to the undone row
      const restored = {
        ...state,
        rules: prior.rules,
        decisions: prior.decisions,
        undo: prior.undo,
        message: `undone (${prior.undo.length} more)`,
      };
      const next = refresh(restored, state);
      const key = itemKey(prior.view[prior.cursor], prior);
      const at = next.view.findIndex((v) => itemKey(v, next) === key);
      return at >= 0 ? scrolled({ ...next, cursor: at }) : next;
    }
    case 'file.save':
      return { ...state, effect: 'save', message: `saving ${state.output}…` };
    case 'app.quit':
      if (isDirty(state)) return { ...state, mode: 'confirm-quit', message: '' };
      return { ...state, effect: 'exit', exit: true };
    case 'app.help':
      return { ...state, mode: 'help', pageTop: 0 };
    case 'app.report':
      return { ...state, mode: 'report', pageTop: 0 };
  }
}

const TABLE_KEYS = keyMap(REVIEW_KEYS);

/** The names parseKeys gives keys that are not text. */
const NAMED_KEYS = new Set([
  'up',
  'down',
  'left',
  'right',
  'pageup',
  'pagedown',
  'home',
  'end',
  'tab',
  'enter',
  'escape',
  'backspace',
  'delete',
  'insert',
  'unknown',
]);

/** Scroll the open page to `top` (kept within its lines). */
function pageTo(state: ReviewState, top: number): ReviewState {
  const max = Math.max(0, pageLines(state).length - pageHeight(state));
  const t = Math.max(0, Math.min(max, top));
  if (t === state.pageTop) return { ...state, message: top < t ? 'at the top' : top > t ? 'at the end' : state.message };
  return { ...state, pageTop: t, message: '' };
}

/** Keys on a full-screen page: scroll it, close it; on the report, f goes to the candidates filter. */
function onPageKey(state: ReviewState, key: string): ReviewState {
  const page = pageHeight(state);
  const half = Math.max(1, Math.floor(page / 2));
  switch (key) {
    case 'down':
    case 'j':
      return pageTo(state, state.pageTop + 1);
    case 'up':
    case 'k':
      return pageTo(state, state.pageTop - 1);
    case 'pagedown':
    case ' ':
      return pageTo(state, state.pageTop + page);
    case 'pageup':
      return pageTo(state, state.pageTop - page);
    case 'ctrl+d':
      return pageTo(state, state.pageTop + half);
    case 'ctrl+u':
      return pageTo(state, state.pageTop - half);
    case 'home':
      return pageTo(state, 0);
    case 'end':
    case 'G':
      return pageTo(state, Number.MAX_SAFE_INTEGER);
    case 'f':
      if (state.mode === 'report')
        return refresh({ ...state, mode: 'table', pageTop: 0, filter: 'candidates', message: 'filter: candidates' }, state);
      break;
    case 'ctrl+c':
      return runCommand({ ...state, mode: 'table', pageTop: 0 }, 'app.quit');
  }
  return { ...state, mode: 'table', pageTop: 0, message: '' };
}

function promptKey(state: ReviewState, key: string, submit: (s: ReviewState) => ReviewState): ReviewState {
  if (key === 'enter') return submit(state);
  if (key === 'escape' || key === 'ctrl+c') return { ...state, mode: 'table', input: '', message: '' };
  if (key === 'backspace' || key === 'delete') return { ...state, input: state.input.slice(0, -1) };
  // typed (or pasted) text goes into the prompt; other named keys do nothing there
  if ([...key].length === 1 || (!NAMED_KEYS.has(key) && !/^(ctrl|meta|shift)\+/.test(key))) return { ...state, input: state.input + key };
  return state;
}

function onKey(state: ReviewState, key: string): ReviewState {
  switch (state.mode) {
    case 'help':
    case 'report':
    case 'details':
      return onPageKey(state, key);
    case 'confirm-quit':
      if (key === 'y' || key === 'ctrl+c') return { ...state, effect: 'exit', exit: true, mode: 'table' };
      if (key === 's') return { ...state, effect: 'save-and-exit', mode: 'table', message: 'saving…' };
      if (key === 'n' || key === 'escape') return { ...state, mode: 'table', message: 'not quitting' };
      return state;
    case 'search': {
      // Esc, or Backspace with nothing left to erase, leaves the search
      if (key === 'escape' || key === 'ctrl+c' || ((key === 'backspace' || key === 'delete') && state.input === ''))
        return refresh({ ...state, mode: 'table', input: '', search: '', message: state.search ? 'search cleared' : '' }, state);
      const next = promptKey(state, key, (s) => ({ ...s, mode: 'table', input: '', message: s.input ? `search: ${s.input}` : '' }));
      return refresh({ ...next, search: next.mode === 'search' ? next.input : state.input }, state);
    }
    case 'errno':
      return promptKey(state, key, (s) => {
        const text = s.input.trim() || 'EPERM';
        const errno = parseErrno(/^\d+$/.test(text) ? text : text.toUpperCase());
        if (typeof errno === 'string') return { ...s, message: `${errno}; try again or Esc` };
        return applyAction(s, { kind: 'errno', errno });
      });
    case 'table': {
      const command = TABLE_KEYS.get(key);
      return command ? runCommand(state, command) : { ...state, message: `${key}: not a key here (? lists the keys)` };
    }
  }
}

/** The next state. Pure: no I/O; `effect` asks the skin to save or exit. */
export function reviewReducer(state: ReviewState, action: ReviewAction): ReviewState {
  switch (action.type) {
    case 'key':
      return onKey(state.effect ? { ...state, effect: undefined } : state, action.key);
    case 'keys': {
      // one chunk of input: every key in order; a save or exit asked for stops the rest
      let next = state;
      for (const [i, key] of action.keys.entries()) {
        next = reviewReducer(next, { type: 'key', key });
        if (next.effect) return next.effect === 'save' && i + 1 < action.keys.length ? { ...next, queued: action.keys.slice(i + 1) } : next;
      }
      return next;
    }
    case 'command':
      return runCommand(state, action.command);
    case 'set':
      return applyAction(state, action.action);
    case 'resize': {
      const resized = scrolled({ ...state, width: Math.max(20, action.width), height: Math.max(8, action.height) });
      return PAGE_MODES.includes(resized.mode as PageMode) ? pageTo(resized, resized.pageTop) : resized;
    }
    case 'saved': {
      const exit = state.effect === 'save-and-exit';
      const { effect: _e, queued, ...rest } = state;
      const saved: ReviewState = {
        ...rest,
        savedRules: state.rules,
        savedDecisions: state.decisions,
        savedTo: action.file,
        message: `saved ${action.file}`,
      };
      if (exit) return { ...saved, effect: 'exit', exit: true };
      return queued ? reviewReducer(saved, { type: 'keys', keys: queued }) : saved;
    }
    case 'saveFailed': {
      const { effect: _e, queued, ...rest } = state;
      const failed: ReviewState = { ...rest, message: `not saved: ${action.message}` };
      return queued ? reviewReducer(failed, { type: 'keys', keys: queued }) : failed;
    }
  }
}

/** "all", "rare /open": the filter and the search, for the title. */
export function filterLabel(state: Pick<ReviewState, 'filter' | 'search'>): string {
  return state.search ? `${state.filter} /${state.search}` : state.filter;
}
