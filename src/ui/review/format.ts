/**
 * The review screen's text, as pure functions of the state: column widths for the terminal
 * width, one line per table row, and the details pane. The Ink components add only colour.
 */
import { HINT_TIER_WORDS, formatAction, type Action } from '../../policy/policy.js';
import type { ArgHistogram } from '../../profile/types.js';
import type { SyscallInfo } from './data.js';
import { changedCount, filterLabel, isChanged, isDirty, layout, sourceLabel, type ReviewState, type ViewItem } from './state.js';

/** Fit `text` into `width` columns: cut with "…" or pad with spaces. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  if (text.length > width) return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
  return align === 'left' ? text.padEnd(width) : text.padStart(width);
}

/** Width of each table column. */
export interface Columns {
  readonly name: number;
  readonly bar: number;
  readonly calls: number;
  readonly share: number;
  readonly cumulative: number;
  readonly priority: number;
  readonly action: number;
  readonly tags: number;
}

/** Column widths for a terminal `width` columns wide (80 is the smallest that shows them all). */
export function columnsFor(width: number): Columns {
  const name = width >= 110 ? 22 : width >= 90 ? 18 : 16;
  const bar = width >= 110 ? 12 : 8;
  const base = { name, bar, calls: 8, share: 6, cumulative: 6, priority: 4, action: 13 };
  // 3 for the cursor and flags, one space between columns
  const used = 3 + Object.values(base).reduce((n, w) => n + w + 1, 0);
  return { ...base, tags: Math.max(0, width - used - 1) };
}

const BLOCKS = ' ▏▎▍▌▋▊▉█';

/** A bar of `width` cells for `value` out of `max`, in eighths. */
export function bar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0) return ' '.repeat(width);
  const eighths = Math.min(width * 8, Math.max(1, Math.round((value / max) * width * 8)));
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  return ('█'.repeat(full) + (part ? BLOCKS[part] : '')).padEnd(width);
}

/** "47.4%", "<0.1%", "100%". */
export function percent(n: number): string {
  return n >= 99.95 ? '100%' : n < 0.05 && n > 0 ? '<0.1%' : `${n.toFixed(1)}%`;
}

/** The column header line. */
export function headerLine(width: number): string {
  const c = columnsFor(width);
  return [
    '   ' + fit('syscall', c.name),
    fit('calls', c.bar),
    fit('count', c.calls, 'right'),
    fit('share', c.share, 'right'),
    fit('cum', c.cumulative, 'right'),
    fit('prio', c.priority, 'right'),
    fit('action', c.action),
    fit('tags', c.tags),
  ].join(' ');
}

function flags(state: ReviewState, index: number): string {
  const info = state.data.infos[index]!;
  return (isChanged(state, index) ? '*' : ' ') + (info.danger ? '!' : info.rare ? '?' : ' ');
}

/** Text of an action in the table: "errno(EPERM)", "allow+args" for conditional rules. */
export function actionText(action: Action, conditional: boolean): string {
  return formatAction(action) + (conditional ? '+args' : '');
}

/** Summary of a group's actions: "allow" when uniform, else "allow 12, kill-process 3". */
export function groupActions(state: ReviewState, members: readonly number[]): string {
  const counts = new Map<string, number>();
  for (const i of members) {
    const d = state.decisions[i]!;
    const a = actionText(d.action, d.conditional);
    counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  if (counts.size === 1) return [...counts.keys()][0]!;
  return [...counts].sort((a, b) => b[1] - a[1]).map(([a, n]) => `${a} ${n}`).join(', ');
}

/** One table line (without the colour the component adds). */
export function rowText(state: ReviewState, item: ViewItem, selected: boolean, maxCalls: number): { text: string; action: string; actionAt: number } {
  const c = columnsFor(state.width);
  const mark = selected ? '>' : ' ';
  let head: string;
  let calls: number;
  let share: string;
  let cumulative: string;
  let priority: string;
  let action: string;
  let tags: string;
  if (item.kind === 'group') {
    const open = state.expanded.includes(item.name);
    head = `${mark}  ${fit(`${open ? '▾' : '▸'} ${item.name} (${item.members.length})`, c.name)}`;
    calls = item.calls;
    share = item.calls ? percent(item.share) : '-';
    cumulative = '';
    priority = '';
    action = groupActions(state, item.members);
    tags = '';
  } else {
    const info: SyscallInfo = state.data.infos[item.index]!;
    const d = state.decisions[item.index]!;
    head = `${mark}${flags(state, item.index)}${fit((item.indent ? '  ' : '') + info.name, c.name)}`;
    calls = info.calls;
    share = info.calls ? percent(info.share) : '-';
    cumulative = info.calls ? percent(info.cumulative) : '-';
    priority = info.priority === undefined ? '-' : String(info.priority);
    action = actionText(d.action, d.conditional);
    tags = info.tags;
  }
  // a group's bar is its share of all calls; a syscall's is relative to the busiest syscall
  const scale = item.kind === 'group' ? state.data.totalCalls : maxCalls;
  const before = [head, bar(calls, scale, c.bar), fit(String(calls), c.calls, 'right'), fit(share, c.share, 'right'), fit(cumulative, c.cumulative, 'right'), fit(priority, c.priority, 'right')].join(' ') + ' ';
  const actionCell = item.kind === 'group' ? fit(action, c.action + 1 + c.tags) : fit(action, c.action);
  const after = item.kind === 'group' ? '' : ` ${fit(tags, c.tags)}`;
  return { text: before + actionCell + after, action: actionCell, actionAt: before.length };
}

/** The title line. */
export function titleLine(state: ReviewState): string {
  const d = state.data;
  const observed = d.infos.filter((i) => i.calls > 0).length;
  const parts = [
    `sbx review ${d.title}`,
    `filter ${filterLabel(state)}`,
    `${changedCount(state)} changed${isDirty(state) ? ', unsaved' : ''}`,
    `${observed} syscalls, ${d.totalCalls} calls`,
    `default ${formatAction(d.defaultAction)}`,
  ];
  // The candidate count is the first thing to go on a narrow terminal.
  const candidates = d.policy.hints ? ` │ ${d.policy.hints.candidates.length} candidates (i)` : '';
  const title = parts.join(' │ ');
  return fit(title.length + candidates.length <= state.width ? title + candidates : title, state.width);
}

function histogramLine(h: ArgHistogram, calls: number, width: number): string {
  const total = h.values.reduce((n, v) => n + v.count, 0) + h.other || calls || 1;
  const values = h.values.map((v) => `${v.label ?? v.value} ${percent((100 * v.count) / total)}`);
  if (h.other) values.push(`other ${percent((100 * h.other) / total)}`);
  return fit(`  ${h.name}: ${values.join(', ')}`, width);
}

/** The details pane for the selected line: exactly `lines` lines. */
export function detailLines(state: ReviewState, lines: number): string[] {
  const w = state.width;
  const item = state.view[state.cursor];
  const out: string[] = [];
  if (!item) out.push(fit('── nothing matches the filter/search ', w, 'left').replace(/ +$/, (s) => '─'.repeat(s.length)));
  else if (item.kind === 'group') {
    out.push(rule(`${item.name}: ${item.members.length} syscalls, ${item.calls} calls`, w));
    out.push(fit(`actions: ${groupActions(state, item.members)}`, w));
    out.push(fit(`a/d/e/K/t/l set every syscall of ${item.name} at once; Enter ${state.expanded.includes(item.name) ? 'closes' : 'opens'} the group`, w));
    const names = item.members.map((i) => state.data.infos[i]!.name).join(' ');
    out.push(fit(`members: ${names}`, w));
  } else {
    const info = state.data.infos[item.index]!;
    const d = state.decisions[item.index]!;
    const first = info.entry ? ` · first seen #${info.entry.firstSeen}` : '';
    const runs = state.data.runCount > 1 && info.calls ? ` · ${info.runs.length}/${state.data.runCount} runs` : '';
    out.push(rule(`${info.name} (${info.arch}) · ${actionText(d.action, d.conditional)} · ${sourceLabel(d)}${first}${runs}`, w));
    out.push(fit(`why: ${d.reason}`, w));
    if (isChanged(state, item.index)) {
      const was = state.initial[item.index]!;
      out.push(fit(`proposed: ${actionText(was.action, was.conditional)}, ${sourceLabel(was)}: ${was.reason}`, w));
    }
    if (info.callers.length) {
      const callers = info.callers.map((c) => `${c.path} ${c.calls} calls (${c.processes} process(es), ${c.threads} thread(s))`).join('; ');
      out.push(fit(`used by: ${callers}`, w));
    } else if (info.calls === 0) out.push(fit('not observed in the profiles', w));
    if (info.candidate) out.push(fit(`reachable (${HINT_TIER_WORDS[info.candidate.tier]}): ${info.candidate.evidence.join('; ')}`, w));
    for (const n of info.notes) out.push(fit(`${n.severity === 'danger' ? '!' : n.severity === 'warning' ? '?' : '·'} ${n.kind}: ${n.message}`, w));
    for (const h of info.entry?.args ?? []) out.push(histogramLine(h, info.calls, w));
    if (info.entry?.paths) out.push(histogramLine(info.entry.paths, info.calls, w));
    const errors = Object.entries(info.entry?.errors ?? {});
    if (errors.length) out.push(fit(`errors: ${errors.map(([e, n]) => `${e} ${n}`).join(', ')}`, w));
  }
  const shown = out.slice(0, lines);
  while (shown.length < lines) shown.push('');
  return shown;
}

function rule(text: string, width: number): string {
  const head = `── ${text} `;
  return head.length >= width ? fit(head, width) : head + '─'.repeat(width - head.length);
}

/** The fidelity page (`i`): the report as the policy was loaded, and the candidates allowed now. */
export function reportLines(state: ReviewState): string[] {
  const rows = state.data.infos.flatMap((info, i) => (info.candidate ? [i] : []));
  const allowed = rows.filter((i) => state.decisions[i]!.action.kind === 'allow').length;
  return [
    'fidelity report (any key closes it; f cycles to the "candidates" filter)',
    '',
    ...(state.data.fidelity.length ? state.data.fidelity : ['no static hints in this policy (made with --no-hints, or a denylist)']),
    '',
    `now: ${allowed} of ${rows.length} candidates allowed`,
  ];
}

/** The status line: the prompt, the last message, or the key hint. */
export function statusLine(state: ReviewState): string {
  const w = state.width;
  switch (state.mode) {
    case 'search':
      return fit(`/${state.input}█  (Enter keeps, Esc clears)`, w);
    case 'errno':
      return fit(`errno for ${targetLabel(state)} (Enter = EPERM): ${state.input}█  ${state.message}`, w);
    case 'confirm-quit':
      return fit(`${changedCount(state)} unsaved change(s). s: save and quit · y: quit without saving · n: stay`, w);
    default:
      return fit(`${state.message ? `${state.message} · ` : ''}a allow d default e errno K kill t trace l log g groups f filter i report u undo s save q quit ? help`, w);
  }
}

function targetLabel(state: ReviewState): string {
  const item = state.view[state.cursor];
  return !item ? '' : item.kind === 'group' ? `group ${item.name}` : state.data.infos[item.index]!.name;
}

/** The whole screen as text lines (what the components draw, without colour): for tests and docs. */
export function screenLines(state: ReviewState): string[] {
  const { table, details } = layout(state.height);
  const max = maxCalls(state);
  const rows = state.view.slice(state.top, state.top + table).map((item, i) => rowText(state, item, state.top + i === state.cursor, max).text);
  while (rows.length < table) rows.push('');
  return [titleLine(state), headerLine(state.width), ...rows, ...detailLines(state, details), statusLine(state)];
}

/** Calls of the busiest syscall: the full-width bar. */
export function maxCalls(state: ReviewState): number {
  return state.data.infos[0]?.calls ?? 0;
}
