/**
 * `markdown`: a report a person reviews: what the policy is, the knee ("the top 12 syscalls
 * are 95% of calls"), the ranked table with priorities, shares, categories and reasons, and
 * the review list, most severe first.
 */
import { formatAction, type Policy, type ReviewSeverity } from '../policy.js';
import { describeTop, headerLines, tableRows, type EmitContext, type EmitResult } from './shared.js';

const cell = (text: string | number | undefined) => String(text ?? '').replace(/\|/g, '\\|');
const SEVERITY: readonly ReviewSeverity[] = ['danger', 'warning', 'info'];

export function emit(policy: Policy, context: EmitContext): EmitResult {
  const rows = tableRows(policy);
  const observed = rows.filter((r) => r.calls > 0);
  const lines = [`# Seccomp policy: ${policy.generator?.strategy ?? 'policy'} for ${policy.arches.join(', ')}`, ''];
  lines.push(...headerLines(policy, context, 'Policy report').map((l) => `${l}  `), '');
  if (policy.runs?.length) {
    lines.push('Runs:', '');
    policy.runs.forEach((r, i) => lines.push(`${i + 1}. \`${r.command.join(' ')}\` — ${r.calls} calls`));
    lines.push('');
  }
  if (observed.length) {
    const top = describeTop(observed, 95);
    lines.push(`${top[0]!.toUpperCase()}${top.slice(1)}.`, '');
  }
  lines.push(
    `Default action: **${formatAction(policy.defaultAction)}**. ${rows.length} syscall decisions.`,
    '',
    '| # | syscall | arch | action | priority | calls | share | cum. | runs | category | why |',
    '|---:|---|---|---|---:|---:|---:|---:|---|---|---|',
  );
  for (const r of rows) {
    const why = [r.conditions && `when ${r.conditions}`, r.reason || r.provenance].filter(Boolean).join('; ');
    lines.push(
      `| ${r.rank} | ${cell(r.syscall)} | ${r.arch} | ${cell(r.action)} | ${r.priority ?? ''} | ${r.calls} | ${r.share.toFixed(2)}% | ${r.cumulative.toFixed(2)}% | ${r.runs} | ${cell(r.category)} | ${cell(why)} |`,
    );
  }
  const review = [...(policy.review ?? [])].sort((a, b) => SEVERITY.indexOf(a.severity) - SEVERITY.indexOf(b.severity));
  if (review.length) {
    lines.push('', '## Review', '');
    for (const item of review)
      lines.push(`- **${item.severity}** (${item.kind}${item.syscall ? `, ${item.syscall}` : ''}): ${item.message}`);
  }
  return { text: `${lines.join('\n')}\n`, warnings: [] };
}
