/**
 * Test helper (not a golden file): systemd's syscall groups as the installed systemd has them,
 * from `systemd-analyze syscall-filter`. Fails loudly when systemd-analyze is missing.
 */
import { spawnSync } from 'node:child_process';
import { requireTool } from '../helpers.js';

/** Group name → members as systemd lists them (nested "@groups" unexpanded), @known included. */
export function systemdAnalyzeGroups(): Map<string, string[]> {
  requireTool('systemd-analyze');
  const out = spawnSync('systemd-analyze', ['syscall-filter', '--no-pager'], { encoding: 'utf8' }).stdout;
  const groups = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith('@')) groups.set(line.trim(), (current = []));
    else if (current && line.trim() && !line.trim().startsWith('#')) current.push(line.trim());
  }
  return groups;
}

/** Group name → every syscall in it, nested groups expanded. */
export function systemdAnalyzeExpanded(): Map<string, Set<string>> {
  const groups = systemdAnalyzeGroups();
  const expand = (name: string): string[] => (groups.get(name) ?? []).flatMap((m) => (m.startsWith('@') ? expand(m) : [m]));
  return new Map([...groups.keys()].map((g) => [g, new Set(expand(g))]));
}
