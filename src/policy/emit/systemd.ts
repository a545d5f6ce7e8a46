/**
 * `systemd`: `[Service]` settings (systemd.exec(5), "SYSTEM CALL FILTERING"):
 * SystemCallArchitectures=, SystemCallFilter= with the smallest set of @groups that covers
 * the allowed syscalls without allowing one the policy refuses, plus single names, and
 * SystemCallErrorNumber= for an errno default.
 *
 * Allow-list mode (the default action refuses): systemd always adds @default, so a second
 * `SystemCallFilter=~...` line takes back the @default members the policy does not allow.
 * Deny-list mode (the default action allows): one `SystemCallFilter=~...` line per action,
 * errno actions as `name:EPERM`.
 *
 * What systemd cannot say is reported, never silently changed into something looser:
 * argument conditions, per-syscall actions inside an allow list, trap/trace/kill-thread.
 */
import { errnoLabel, formatAction, type Action, type Policy } from '../policy.js';
import {
  archSpecificNames,
  headerLines,
  permits,
  policyDecisions,
  policyUniverse,
  systemdGroup,
  systemdGroups,
  type EmitContext,
  type EmitResult,
} from './shared.js';

const SYSTEMD_ARCH: Readonly<Record<Policy['arches'][number], string>> = {
  x86_64: 'x86-64',
  x32: 'x32',
  i386: 'x86',
  aarch64: 'arm64',
};

/**
 * @default members never taken back: the kernel lets uretprobe through seccomp without
 * filtering it (it only ever comes from the uprobe trampoline), which is why systemd keeps it
 * in @default; and a libseccomp that predates it cannot parse the name.
 */
const NEVER_TAKEN_BACK: ReadonlySet<string> = new Set(['uretprobe']);

/** Most groups tried exactly; beyond that the cover is greedy. */
const EXACT_COVER_LIMIT = 24;

interface Candidate {
  readonly name: string;
  readonly covers: ReadonlySet<string>;
}

/**
 * The fewest items (groups + single names) whose union is `target`, using only groups
 * that stay inside `allowed` (on the policy's arches). Exact branch and bound; greedy past
 * EXACT_COVER_LIMIT candidates.
 */
export function smallestCover(target: ReadonlySet<string>, allowed: ReadonlySet<string>, universe: ReadonlySet<string>): string[] {
  let candidates: Candidate[] = [];
  for (const g of systemdGroups()) {
    if (g.name === '@default') continue;
    const members = [...g.syscalls].filter((s) => universe.has(s));
    if (members.length === 0 || !members.every((s) => allowed.has(s))) continue;
    const covers = new Set(members.filter((s) => target.has(s)));
    if (covers.size >= 2) candidates.push({ name: g.name, covers });
  }
  // A group whose coverage another group contains is never needed.
  candidates = candidates.filter(
    (c, i) =>
      !candidates.some(
        (d, j) =>
          j !== i &&
          d.covers.size >= c.covers.size &&
          [...c.covers].every((s) => d.covers.has(s)) &&
          (d.covers.size > c.covers.size || j < i),
      ),
  );
  candidates.sort((a, b) => b.covers.size - a.covers.size);
  const cost = (chosen: readonly Candidate[]) => chosen.length + [...target].filter((s) => !chosen.some((c) => c.covers.has(s))).length;
  let best: Candidate[] = [];
  let bestCost = target.size;
  if (candidates.length <= EXACT_COVER_LIMIT) {
    const search = (i: number, chosen: Candidate[]) => {
      const now = cost(chosen);
      if (now < bestCost) [best, bestCost] = [[...chosen], now];
      if (i >= candidates.length || chosen.length + 1 >= bestCost) return;
      search(i + 1, [...chosen, candidates[i]!]);
      search(i + 1, chosen);
    };
    search(0, []);
  } else {
    const chosen: Candidate[] = [];
    for (;;) {
      const gain = (c: Candidate) => [...c.covers].filter((s) => !chosen.some((d) => d.covers.has(s))).length;
      const next = candidates.filter((c) => !chosen.includes(c)).sort((a, b) => gain(b) - gain(a))[0];
      if (!next || gain(next) < 2) break;
      chosen.push(next);
    }
    best = chosen;
  }
  const order = systemdGroups().map((g) => g.name);
  const groups = best.map((c) => c.name).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const singles = [...target].filter((s) => !best.some((c) => c.covers.has(s))).sort();
  return [...groups, ...singles];
}

function errnoSuffix(action: Action): string {
  return action.kind === 'errno' ? `:${errnoLabel(action.errno)}` : '';
}

export function emit(policy: Policy, context: EmitContext): EmitResult {
  const warnings: string[] = [];
  const universe = policyUniverse(policy);
  const decisions = policyDecisions(policy);
  const lines = [
    ...headerLines(policy, context, 'systemd seccomp settings').map((l) => `# ${l}`),
    '# Put these in the [Service] section of the unit, or in a drop-in (systemctl edit UNIT).',
  ];
  const body = ['[Service]', `SystemCallArchitectures=${policy.arches.map((a) => SYSTEMD_ARCH[a]).join(' ')}`];
  const conditional = [...new Set(decisions.filter((d) => d.when.length).map((d) => d.name))];
  const perArch = archSpecificNames(policy);
  if (perArch.length)
    warnings.push(`systemd: a filter names syscalls for every listed arch; these differ per arch in the policy: ${perArch.join(', ')}`);
  const logged = [...new Set(decisions.filter((d) => d.action.kind === 'log').map((d) => d.name))];
  if (logged.length) warnings.push(`systemd: SystemCallFilter= cannot log; these are allowed without logging: ${logged.join(', ')}`);

  if (permits(policy.defaultAction)) {
    if (policy.defaultAction.kind === 'log')
      warnings.push('systemd: a deny list cannot log the calls it allows; the default becomes plain allow');
    if (conditional.length) warnings.push(`systemd: cannot filter on arguments; these are NOT denied at all: ${conditional.join(', ')}`);
    const denied = decisions.filter((d) => !permits(d.action) && d.when.length === 0);
    const classes = new Map<string, { action: Action; names: Set<string> }>();
    for (const d of denied) {
      let action = d.action;
      if (action.kind !== 'errno' && action.kind !== 'kill-process') {
        warnings.push(`systemd: ${d.name}: ${formatAction(action)} cannot be expressed; the process is killed instead`);
        action = { kind: 'kill-process' };
      }
      const key = formatAction(action);
      const slot = classes.get(key) ?? { action, names: new Set<string>() };
      slot.names.add(d.name);
      classes.set(key, slot);
    }
    lines.push('# Deny list: everything else is allowed.');
    for (const { action, names } of [...classes.values()].sort((a, b) => formatAction(a.action).localeCompare(formatAction(b.action)))) {
      const cover = smallestCover(names, names, universe);
      body.push(`SystemCallFilter=~${cover.map((item) => `${item}${errnoSuffix(action)}`).join(' ')}`);
    }
  } else {
    const allowed = new Set(decisions.filter((d) => permits(d.action)).map((d) => d.name));
    if (conditional.some((n) => allowed.has(n)))
      warnings.push(
        `systemd: cannot filter on arguments; these are allowed for every argument: ${conditional.filter((n) => allowed.has(n)).join(', ')}`,
      );
    const special = decisions.filter((d) => !permits(d.action) && formatAction(d.action) !== formatAction(policy.defaultAction));
    if (special.length)
      warnings.push(
        `systemd: an allow list has one action for everything outside it; these get ${formatAction(policy.defaultAction)} instead: ${[...new Set(special.map((d) => `${d.name} (${formatAction(d.action)})`))].join(', ')}`,
      );
    const implicit = [...(systemdGroup('@default')?.syscalls ?? [])].filter((s) => universe.has(s) && !NEVER_TAKEN_BACK.has(s));
    const takeBack = new Set(implicit.filter((s) => !allowed.has(s)));
    const target = new Set([...allowed].filter((s) => !implicit.includes(s)));
    const cover = smallestCover(target, new Set([...allowed, ...takeBack]), universe);
    lines.push('# Allow list: systemd adds @default itself; the ~ line takes back what the policy does not allow.');
    if (cover.length) body.push(`SystemCallFilter=${cover.join(' ')}`);
    if (takeBack.size) body.push(`SystemCallFilter=~${[...takeBack].sort().join(' ')}`);
    const d = policy.defaultAction;
    if (d.kind === 'errno') body.push(`SystemCallErrorNumber=${errnoLabel(d.errno)}`);
    else if (d.kind !== 'kill-process')
      warnings.push(`systemd: default ${formatAction(d)} cannot be expressed; calls outside the list kill the process`);
  }
  return { text: `${[...lines, ...body].join('\n')}\n`, warnings };
}
