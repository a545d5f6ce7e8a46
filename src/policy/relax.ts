/**
 * Policies for watching instead of enforcing: every action that would stop a call becomes
 * `trace` (complain mode: sbx's tracer records the would-be violation and lets the call run)
 * or `log` (the kernel logs it and lets it run). allow and log rules stay as they are.
 */
import { hostAbis } from '../linux/arch.js';
import { ACTION_OPS, makePolicy, ruleArches, sameAction, type Action, type Policy } from './policy.js';

/**
 * The same policy with every action that does not permit the call (default included)
 * replaced by `instead`. Calls of an ABI the policy does not list would be killed by the
 * filter's arch check; here they reach the default instead, so they are recorded too (each
 * rule stays on the arches it had).
 */
export function relaxPolicy(policy: Policy, instead: Extract<Action, { kind: 'trace' | 'log' }>): Policy {
  const relax = (action: Action): Action => (ACTION_OPS[action.kind].permits ? action : instead);
  const defaultAction = relax(policy.defaultAction);
  return makePolicy(
    {
      ...policy,
      arches: [...new Set([...policy.arches, ...hostAbis()])],
      defaultAction,
      rules: policy.rules
        .map((rule) => ({ ...rule, arches: ruleArches(policy, rule).map((r) => r.arch), action: relax(rule.action) }))
        // A denial that became the default changes nothing any more (and the checker refuses such rules).
        .filter((rule) => !sameAction(rule.action, defaultAction)),
    },
    '<relaxed policy>',
  );
}
