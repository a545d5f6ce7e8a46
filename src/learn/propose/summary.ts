/** The few lines `sbx propose` prints on stderr: what was made, the knee, and what to review. */
import {
  decisionCalls,
  formatAction,
  policyDecisions,
  type Policy,
  type ProvenanceSource,
  type ReviewItem,
  type ReviewSeverity,
} from '../../policy/policy.js';
import { describeTop, withShares } from '../../profile/rank.js';
import { fidelity, formatFidelity } from '../fidelity.js';

const SOURCE_WORDS: Readonly<Record<ProvenanceSource, string>> = {
  observed: 'observed',
  family: 'completed from families',
  category: 'from categories and smart actions',
  hand: 'by hand',
  hint: 'from static hints',
  runtime: "for the container runtime's start-up",
};

const SEVERITY_ORDER: readonly ReviewSeverity[] = ['danger', 'warning', 'info'];

export function formatProposalSummary(policy: Policy): string {
  const strategy = policy.generator?.strategy ?? 'policy';
  const runs = policy.runs?.length ?? 0;
  const counts = new Map<ProvenanceSource, number>();
  for (const r of policy.rules) counts.set(r.provenance.source, (counts.get(r.provenance.source) ?? 0) + 1);
  const parts = [...counts].map(([source, n]) => `${n} ${SOURCE_WORDS[source]}`);
  const lines = [
    `${strategy} for ${policy.arches.join(', ')} from ${runs} run(s): ${policy.rules.length} rules (${parts.join(', ')}); default ${formatAction(policy.defaultAction)}`,
  ];
  const observed = policyDecisions(policy)
    .map((d) => ({ calls: decisionCalls(d) }))
    .filter((d) => d.calls > 0)
    .sort((a, b) => b.calls - a.calls);
  if (observed.length)
    lines.push(
      describeTop(
        withShares(observed, (d) => d.calls),
        95,
      ),
    );
  const review = [...(policy.review ?? [])].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
  if (review.length) {
    lines.push(`review (${review.length}; all of them are in the policy's "review" list):`);
    const label = (severity: ReviewSeverity) => (severity === 'danger' ? 'DANGER ' : severity.padEnd(7));
    // Danger in full; a kind with many items on one line, by syscall.
    const byKind = new Map<string, ReviewItem[]>();
    for (const item of review) byKind.set(`${item.severity} ${item.kind}`, [...(byKind.get(`${item.severity} ${item.kind}`) ?? []), item]);
    for (const items of byKind.values()) {
      const first = items[0]!;
      if (first.severity === 'danger' || items.length <= GROUP_OVER || items.some((i) => !i.syscall)) {
        for (const item of items) lines.push(`  ${label(item.severity)} ${item.message}`);
      } else {
        lines.push(
          `  ${label(first.severity)} ${KIND_WORDS[first.kind] ?? first.kind} (${items.length}): ${items.map((i) => i.syscall).join(', ')}`,
        );
      }
    }
  }
  if (policy.hints || policy.heldOut) lines.push(...formatFidelity(fidelity(policy)));
  return lines.map((l) => `sbx: ${l}\n`).join('');
}

/** More items of one kind than this print as one line. */
const GROUP_OVER = 3;

const KIND_WORDS: Readonly<Record<string, string>> = {
  rare: 'seen only a few times',
  'one-run': 'seen in only one run',
  completion: 'allowed without being seen (family completion)',
  candidate: 'allowed without being seen (static hints)',
  companion: 'common companions not seen',
  args: 'argument tightening',
  'danger-unchecked': 'cannot check the arguments of',
};
