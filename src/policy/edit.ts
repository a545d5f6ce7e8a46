/** Edits a person makes to a policy outside the review screen (sbx run --ask). */
import type { ArchName } from '../linux/arch.js';
import { makePolicy, ruleArches, type Policy, type PolicyRule, CMP_OPS, type Action, type ArgCondition } from './policy.js';

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

/** The provenance note of rules made by answers in sbx run --ask (how a later run finds them). */
export const ASK_NOTE = 'answered in sbx run --ask';

/**
 * Add the rule an ask answer makes: `action` for `syscall` on `arch`, only when `condition`
 * holds (the asked case) or for every call. It goes first among the syscall's rules, so the
 * answer decides the case it was given for.
 */
export function addAnswerRule(
  policy: Policy,
  arch: ArchName,
  syscall: string,
  action: Action,
  condition: ArgCondition | undefined,
  reason: string,
): Policy {
  // priority is per syscall: the new rule takes the one its syscall's rules have
  const priority = policy.rules.find((r) => r.syscall === syscall && r.priority !== undefined)?.priority;
  const rule: PolicyRule = {
    syscall,
    arches: [arch],
    action,
    ...(condition ? { args: [condition] } : {}),
    ...(priority !== undefined ? { priority } : {}),
    provenance: { source: 'hand', note: ASK_NOTE },
    reason,
  };
  const at = policy.rules.findIndex((r) => r.syscall === syscall);
  const rules = [...policy.rules];
  rules.splice(at < 0 ? rules.length : at, 0, rule);
  return makePolicy({ ...policy, rules }, '<edited policy>');
}

/** The action of an earlier ask answer (a rule with ASK_NOTE) that covers this call, if any. */
export function answeredBefore(policy: Policy, arch: ArchName, syscall: string, args: readonly bigint[]): Action | undefined {
  for (const r of policy.rules) {
    if (r.syscall !== syscall || r.provenance.source !== 'hand' || r.provenance.note !== ASK_NOTE) continue;
    if (!ruleArches(policy, r).some((a) => a.arch === arch)) continue;
    if ((r.args ?? []).every((c) => CMP_OPS[c.op].test(args[c.index] ?? 0n, c))) return r.action;
  }
  return undefined;
}
