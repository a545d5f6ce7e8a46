/**
 * The review screen as pure functions of the state: column widths for the terminal width, one
 * line per table row, the details pane, the full-screen pages, and the styles of each part.
 * `screen(state)` is the whole frame; the Ink skin and the terminal painter both draw it.
 */
import { HINT_TIER_WORDS, formatAction, type Action, describeCondition } from '../../policy/policy.js';
import type { ArgHistogram } from '../../profile/types.js';
import { REVIEW_KEYS, helpLines } from '../keys.js';
import { plain, type Line, type Segment, type Style } from '../painter.js';
import type { SyscallInfo } from './data.js';
import {
  changedCount,
  filterLabel,
  isChanged,
  isDirty,
  layout,
  pageHeight,
  sourceLabel,
  unsavedCount,
  type ReviewState,
  type ViewItem,
} from './state.js';

const ACTION_COLORS: Readonly<Record<string, Style['color']>> = {
  allow: 'green',
  log: 'cyan',
  errno: 'yellow',
  trace: 'magenta',
  trap: 'red',
  'kill-thread': 'red',
  'kill-process': 'red',
};

/** The colour of an action's text ("errno(EPERM)" → yellow). */
export function actionColor(text: string): Style['color'] {
  const kind = /^[a-z-]+/.exec(text.trim())?.[0] ?? '';
  return ACTION_COLORS[kind];
}

/**
 * Word-wrap `text` to `width` columns; continuation lines start with `indent`. Words longer
 * than a line are cut across lines. Always at least one line.
 */
export function wrap(text: string, width: number, indent = '  '): string[] {
  if (width <= indent.length + 1) return [fit(text, width)];
  const out: string[] = [];
  let line = '';
  const push = () => {
    out.push(line);
    line = indent;
  };
  for (const word of text.split(/(?<= )/)) {
    if (line.length + word.trimEnd().length > width && line.trim() !== '') push();
    let rest = word;
    while (line.length + rest.trimEnd().length > width) {
      const room = width - line.length;
      line += rest.slice(0, room);
      rest = rest.slice(room);
      push();
    }
    line += rest;
  }
  out.push(line);
  return out.map((l) => l.trimEnd());
}

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
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([a, n]) => `${a} ${n}`)
    .join(', ');
}

/** One table line (without the colour the component adds). */
export function rowText(
  state: ReviewState,
  item: ViewItem,
  selected: boolean,
  maxCalls: number,
): { text: string; action: string; actionAt: number } {
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
    head = `${mark}${flags(state, item.index)}${fit((item.indent ? '  ' : '') + info.label, c.name)}`;
    calls = info.calls;
    share = info.calls ? percent(info.share) : '-';
    cumulative = info.calls ? percent(info.cumulative) : '-';
    priority = info.priority === undefined ? '-' : String(info.priority);
    action = actionText(d.action, d.conditional);
    tags = info.tags;
  }
  // a group's bar is its share of all calls; a syscall's is relative to the busiest syscall
  const scale = item.kind === 'group' ? state.data.totalCalls : maxCalls;
  const before =
    [
      head,
      bar(calls, scale, c.bar),
      fit(String(calls), c.calls, 'right'),
      fit(share, c.share, 'right'),
      fit(cumulative, c.cumulative, 'right'),
      fit(priority, c.priority, 'right'),
    ].join(' ') + ' ';
  const actionCell = item.kind === 'group' ? fit(action, c.action + 1 + c.tags) : fit(action, c.action);
  const after = item.kind === 'group' ? '' : ` ${fit(tags, c.tags)}`;
  return { text: before + actionCell + after, action: actionCell, actionAt: before.length };
}

/** The rows the filter and search show: their count and calls, for the title. */
function shownCounts(state: ReviewState): { rows: number; syscalls: number; calls: number } {
  let syscalls = 0;
  let calls = 0;
  const seen = new Set<number>();
  for (const item of state.view)
    for (const i of item.kind === 'group' ? item.members : [item.index])
      if (!seen.has(i)) {
        seen.add(i);
        if (state.data.infos[i]!.calls > 0) syscalls++;
        calls += state.data.infos[i]!.calls;
      }
  return { rows: seen.size, syscalls, calls };
}

/**
 * The title line: the profiles (a file, or "3 profiles"), the filter, the changes, what the
 * filter shows and the default action. Narrow terminals get the short wording of each part
 * and a shortened name first, so the state stays visible at 80 columns.
 */
export function titleLine(state: ReviewState): string {
  const d = state.data;
  const changed = changedCount(state);
  const unsaved = isDirty(state) ? unsavedCount(state) : 0;
  const shown = shownCounts(state);
  const filtered = state.filter !== 'all' || state.search !== '';
  const observed = d.infos.filter((i) => i.calls > 0).length;
  const counts = filtered ? `${shown.rows} of ${d.infos.length} rows, ${shown.calls} calls` : `${observed} syscalls, ${d.totalCalls} calls`;
  const shortCounts = filtered ? `${shown.rows}/${d.infos.length} rows` : `${observed} sc, ${d.totalCalls} calls`;
  const long = [
    `filter ${filterLabel(state)}`,
    `${changed} changed${unsaved ? `, ${unsaved} unsaved` : ''}`,
    counts,
    `default ${formatAction(d.defaultAction)}`,
  ];
  const short = [
    filterLabel(state),
    `${changed} chg${unsaved ? ` ${unsaved} unsaved` : ''}`,
    shortCounts,
    `dflt ${formatAction(d.defaultAction)}`,
  ];
  const candidates = d.policy.hints ? [`${d.policy.hints.candidates.length} candidates (i)`] : [];
  for (const [name, rest] of [
    [`sbx review ${d.title}`, [...long, ...candidates]],
    [`sbx review ${d.title}`, long],
    [d.title, long],
    [d.title, short],
  ] as const) {
    const text = [name, ...rest].join(' │ ');
    if (text.length <= state.width) return fit(text, state.width);
  }
  // the name gives way to the state
  const tail = ` │ ${short.join(' │ ')}`;
  return fit(fit(d.title, Math.max(4, state.width - tail.length)) + tail, state.width);
}

/** "TCGETS 47.4%, FIONREAD 3.1%, other 0.2%" */
function histogramSummary(h: ArgHistogram, calls: number): string {
  const total = h.values.reduce((n, v) => n + v.count, 0) + h.other || calls || 1;
  const values = h.values.map((v) => `${v.label ?? v.value} ${percent((100 * v.count) / total)}`);
  if (h.other) values.push(`other ${percent((100 * h.other) / total)}`);
  return `${h.name}: ${values.join(', ')}`;
}

/** One line per value: "  TCGETS (0x5401)   1234 calls  47.4%". */
function histogramTable(h: ArgHistogram, calls: number): string[] {
  const total = h.values.reduce((n, v) => n + v.count, 0) + h.other || calls || 1;
  const rows = h.values.map((v) => [v.label && v.label !== v.value ? `${v.label} (${v.value})` : (v.label ?? v.value), v.count] as const);
  if (h.other) rows.push(['other values (not kept)', h.other]);
  const w = Math.max(...rows.map(([l]) => l.length), 8);
  return [
    `${h.name}: ${h.values.length} value(s)${h.other ? ` and ${h.other} call(s) with others` : ''}`,
    ...rows.map(([l, n]) => `  ${l.padEnd(w)} ${String(n).padStart(9)} calls ${percent((100 * n) / total).padStart(6)}`),
  ];
}

/** The header rule of a syscall's details. */
function syscallHeading(state: ReviewState, index: number): string {
  const info = state.data.infos[index]!;
  const d = state.decisions[index]!;
  const first = info.entry ? ` · first seen #${info.entry.firstSeen}` : '';
  const runs = state.data.runCount > 1 && info.calls ? ` · ${info.runs.length}/${state.data.runCount} runs` : '';
  return `${info.name} (${info.arch}) · ${actionText(d.action, d.conditional)} · ${sourceLabel(d)}${first}${runs}`;
}

function severityMark(severity: string): string {
  return severity === 'danger' ? '!' : severity === 'warning' ? '?' : '·';
}

/** The details pane's text for a syscall (before wrapping). */
function syscallSummary(state: ReviewState, index: number): string[] {
  const info = state.data.infos[index]!;
  const d = state.decisions[index]!;
  const out = [`why: ${d.reason}`];
  if (isChanged(state, index)) {
    const was = state.initial[index]!;
    out.push(`proposed: ${actionText(was.action, was.conditional)}, ${sourceLabel(was)}: ${was.reason}`);
  }
  if (info.callers.length)
    out.push(
      `used by: ${info.callers.map((c) => `${c.path} ${c.calls} calls (${c.processes} process(es), ${c.threads} thread(s))`).join('; ')}`,
    );
  else if (info.calls === 0) out.push('not observed in the profiles');
  if (info.candidate) out.push(`reachable (${HINT_TIER_WORDS[info.candidate.tier]}): ${info.candidate.evidence.join('; ')}`);
  for (const m of info.heldOutMisses) out.push(`! held-out runs made it ${m.calls}× (${m.from.join(', ')})`);
  for (const n of info.notes) out.push(`${severityMark(n.severity)} ${n.kind}: ${n.message}`);
  for (const h of info.entry?.args ?? []) out.push(`  ${histogramSummary(h, info.calls)}`);
  if (info.entry?.paths) out.push(`  ${histogramSummary(info.entry.paths, info.calls)}`);
  const errors = Object.entries(info.entry?.errors ?? {});
  if (errors.length) out.push(`errors: ${errors.map(([e, n]) => `${e} ${n}`).join(', ')}`);
  return out;
}

/** Everything about a syscall, for the full-screen details page (before wrapping). */
function syscallFull(state: ReviewState, index: number): string[] {
  const info = state.data.infos[index]!;
  const d = state.decisions[index]!;
  const out = [`action: ${actionText(d.action, d.conditional)} (${sourceLabel(d)})`, `why: ${d.reason}`];
  if (isChanged(state, index)) {
    const was = state.initial[index]!;
    out.push(`proposed: ${actionText(was.action, was.conditional)}, ${sourceLabel(was)}: ${was.reason}`);
  }
  const rules = state.rules.filter((r) => r.syscall === info.name && (r.arches ?? state.data.arches).includes(info.arch));
  out.push('', `rules (${rules.length || 'none: the default action'}):`);
  for (const r of rules) {
    const p = r.provenance;
    const from =
      p.source === 'family'
        ? `family ${p.family} from ${p.from.join(', ')}`
        : p.source === 'category'
          ? `category ${p.category}`
          : p.source === 'hint'
            ? `static hint, ${p.tier} tier`
            : p.source === 'hand'
              ? `by hand${p.note ? `: ${p.note}` : ''}`
              : p.source;
    out.push(
      `  ${formatAction(r.action)}${r.args?.length ? ` when ${r.args.map(describeCondition).join(' and ')}` : ''} · provenance: ${from}${r.priority !== undefined ? ` · priority ${r.priority}` : ''}${r.observed ? ` · observed ${r.observed.calls} calls in ${r.observed.runs.length} run(s)` : ''}`,
    );
  }
  out.push('');
  if (info.calls) {
    out.push(
      `calls: ${info.calls} (${percent(info.share)} of all, ${percent(info.cumulative)} with the rows above) · prio ${info.priority ?? '-'}${info.entry ? ` · first seen as call #${info.entry.firstSeen} of the run` : ''}`,
    );
    if (state.data.runCount > 1)
      out.push(`runs: seen in ${info.runs.length} of ${state.data.runCount} (${info.runs.map((r) => `#${r + 1}`).join(', ')})`);
    out.push(`executables (${info.callers.length}):`);
    for (const c of info.callers) out.push(`  ${c.path} · ${c.calls} calls · ${c.processes} process(es) · ${c.threads} thread(s)`);
  } else out.push('not observed in the profiles');
  for (const h of [...(info.entry?.args ?? []), ...(info.entry?.paths ? [info.entry.paths] : [])])
    out.push('', ...histogramTable(h, info.calls));
  const errors = Object.entries(info.entry?.errors ?? {});
  if (errors.length) out.push('', 'errors returned:', ...errors.map(([e, n]) => `  ${e} ${n}`));
  if (info.notes.length) out.push('', 'review notes:', ...info.notes.map((n) => `  ${severityMark(n.severity)} ${n.kind}: ${n.message}`));
  if (info.candidate)
    out.push(
      '',
      `static hints: reachable, ${info.candidate.tier} tier (${HINT_TIER_WORDS[info.candidate.tier]}), ${info.candidate.imports} import(s):`,
      ...info.candidate.evidence.map((e) => `  ${e}`),
    );
  if (info.heldOutMisses.length)
    out.push(
      '',
      'held-out misses (runs the policy was checked against made it):',
      ...info.heldOutMisses.map((m) => `  ${m.calls} call(s) in ${m.from.join(', ')}`),
    );
  return out;
}

/** The details pane's text for a group (before wrapping). */
function groupSummary(state: ReviewState, item: Extract<ViewItem, { kind: 'group' }>): string[] {
  return [
    `actions: ${groupActions(state, item.members)}`,
    `a/d/e/K/t/l set every syscall of ${item.name} at once; Enter ${state.expanded.includes(item.name) ? 'closes' : 'opens'} the group`,
    `members: ${item.members.map((i) => state.data.infos[i]!.label).join(' ')}`,
  ];
}

/** Wrap logical lines to the width (continuations indented two more than the line). */
function wrapAll(lines: readonly string[], width: number): string[] {
  return lines.flatMap((l) => wrap(l, width, `${/^ */.exec(l)![0]}  `));
}

/** The details pane for the selected line: exactly `lines` lines, wrapped; Enter shows what does not fit. */
export function detailLines(state: ReviewState, lines: number): string[] {
  const w = state.width;
  const item = state.view[state.cursor];
  let out: string[];
  if (!item) out = [rule('nothing matches the filter/search', w)];
  else if (item.kind === 'group')
    out = [rule(`${item.name}: ${item.members.length} syscalls, ${item.calls} calls`, w), ...wrapAll(groupSummary(state, item), w)];
  else out = [rule(syscallHeading(state, item.index), w), ...wrapAll(syscallSummary(state, item.index), w)];
  if (out.length > lines && item?.kind === 'syscall')
    out = [...out.slice(0, lines - 1), fit(`… ${out.length - lines + 1} more line(s): Enter shows every detail`, w)];
  const shown = out.slice(0, lines);
  while (shown.length < lines) shown.push('');
  return shown;
}

/** The legend of the table's columns and marks (help page). */
const LEGEND = [
  'columns: calls = bar relative to the busiest syscall · count = calls in the profiles · share, cum = percent of all calls, alone and with the rows above',
  'prio = the rank priority sbx propose gives a rule (255 = most called; the BPF filter checks higher priorities first) · action +args = the rule holds only for some argument values',
  'row marks: * changed in this review  ! dangerous  ? rare · "first seen #8" = the 8th call of the run was its first · i386:read = a row of an arch other than the first',
];

/** The text of the open full-screen page, wrapped to the width. */
export function pageLines(state: ReviewState): string[] {
  const w = state.width;
  switch (state.mode) {
    case 'help':
      return [
        ...wrapAll([`keys (Esc closes; j/k scroll) · s saves to ${state.output}`, ''], w),
        ...helpLines(REVIEW_KEYS).flatMap((l) => wrap(l, w, ' '.repeat(11))),
        '',
        ...wrapAll(LEGEND, w),
      ];
    case 'report':
      return reportLines(state).flatMap((l) => wrap(l, w, `${/^ */.exec(l)![0]}  `));
    case 'details': {
      const item = state.view[state.cursor];
      if (item?.kind !== 'syscall') return [];
      return [rule(syscallHeading(state, item.index), w), ...wrapAll(syscallFull(state, item.index), w)];
    }
    default:
      return [];
  }
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
    'fidelity report (j/k scroll; f shows the "candidates" rows; any other key closes it)',
    `profiles: ${state.data.sources.join(', ')}`,
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
      return fit(`${unsavedCount(state)} unsaved change(s). s: save to ${state.output} and quit · y: quit without saving · n: stay`, w);
    case 'help':
    case 'report':
    case 'details': {
      const total = pageLines(state).length;
      const last = Math.min(total, state.pageTop + pageHeight(state));
      return fit(
        `${state.message ? `${state.message} · ` : ''}lines ${Math.min(total, state.pageTop + 1)}–${last} of ${total} · j/k PgUp/PgDn Home/End scroll · Esc back`,
        w,
      );
    }
    default:
      return fit(
        // where s saves comes first: seen before s, at any width
        `${state.message ? `${state.message} · ` : ''}s save → ${state.output} · a allow d default e errno K kill t trace l log Enter details g groups f filter i report u undo q quit ? help`,
        w,
      );
  }
}

function targetLabel(state: ReviewState): string {
  const item = state.view[state.cursor];
  return !item ? '' : item.kind === 'group' ? `group ${item.name}` : state.data.infos[item.index]!.name;
}

/** A line cut to `width` columns with "…", its styles kept: narrower than 80, columns go. */
function clip(line: Line, width: number): Line {
  if (plain(line).length <= width) return line;
  const out: Segment[] = [];
  let room = Math.max(0, width - 1);
  for (const segment of line) {
    const text = segment.text.slice(0, room);
    room -= text.length;
    if (text.length < segment.text.length) {
      out.push({ ...segment, text: `${text}…` });
      break;
    }
    out.push(segment);
  }
  return out;
}

/** The whole frame: `height - 1` lines (one spare, so the terminal never scrolls), with styles. */
export function screen(state: ReviewState): Line[] {
  return frame(state).map((line) => clip(line, state.width));
}

function frame(state: ReviewState): Line[] {
  const title: Line = [{ text: titleLine(state), style: { bold: true } }];
  const status: Line = [{ text: statusLine(state), ...(state.mode !== 'table' ? { style: { color: 'yellow' as const } } : {}) }];
  if (state.mode === 'help' || state.mode === 'report' || state.mode === 'details') {
    const page = pageLines(state)
      .slice(state.pageTop, state.pageTop + pageHeight(state))
      .map((text): Line => [{ text: fit(text, state.width) }]);
    while (page.length < pageHeight(state)) page.push([{ text: '' }]);
    return [title, ...page, status];
  }
  const { table, details } = layout(state.height);
  const max = maxCalls(state);
  const rows = state.view.slice(state.top, state.top + table).map((item, i): Line => {
    const selected = state.top + i === state.cursor;
    const { text, actionAt, action } = rowText(state, item, selected, max);
    const style: Style = { inverse: selected, bold: item.kind === 'group' };
    const color = actionColor(action);
    return [
      { text: text.slice(0, actionAt), style },
      { text: action, style: color ? { ...style, color } : style },
      { text: text.slice(actionAt + action.length), style },
    ];
  });
  while (rows.length < table) rows.push([{ text: '' }]);
  const pane = detailLines(state, details).map((text): Line => [{ text, ...(text.startsWith('  ') ? { style: { dim: true } } : {}) }]);
  return [title, [{ text: headerLine(state.width), style: { underline: true } }], ...rows, ...pane, status];
}

/** The whole screen as text lines (what is drawn, without styles): for tests and docs. */
export function screenLines(state: ReviewState): string[] {
  return screen(state).map(plain);
}

/** Calls of the busiest syscall: the full-width bar. */
export function maxCalls(state: ReviewState): number {
  return state.data.infos[0]?.calls ?? 0;
}
