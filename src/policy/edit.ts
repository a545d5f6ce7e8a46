/** Edits a person makes to a policy outside the review screen (sbx run --ask). */
import type { ArchName } from '../linux/arch.js';
import { makePolicy, ruleArches, type Policy, type PolicyRule } from './policy.js';

/**
 * Allow `syscall` on `arch` for every argument: its rules there give way to one hand-set
 * allow rule (none when the default already allows). Rules that also cover other arches stay
 * for those arches.
 */
export function allowSyscall(policy: Policy, arch: ArchName, syscall: string, note: string): Policy {
  const rules: PolicyRule[] = [];
  for (const rule of policy.rules) {
    const arches = ruleArches(policy, rule).map((r) => r.arch);
    if (rule.syscall !== syscall || !arches.includes(arch)) rules.push(rule);
    else if (arches.length > 1) rules.push({ ...rule, arches: arches.filter((a) => a !== arch) });
  }
  if (policy.defaultAction.kind !== 'allow')
    rules.push({ syscall, arches: [arch], action: { kind: 'allow' }, provenance: { source: 'hand', note }, reason: note });
  return makePolicy({ ...policy, rules }, '<edited policy>');
}
