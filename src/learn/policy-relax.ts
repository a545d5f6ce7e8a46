/**
 * Policies for watching instead of enforcing: every action that would stop a call becomes
 * `trace` (complain mode: sbx's tracer records the would-be violation and lets the call run)
 * or `log` (the kernel logs it and lets it run). allow and log rules stay as they are.
 */
import { ACTION_OPS, makePolicy, type Action, type Policy } from './policy.js';

/** The same policy with every action that does not permit the call (default included) replaced by `instead`. */
export function relaxPolicy(policy: Policy, instead: Extract<Action, { kind: 'trace' | 'log' }>): Policy {
  const relax = (action: Action): Action => (ACTION_OPS[action.kind].permits ? action : instead);
  return makePolicy(
    { ...policy, defaultAction: relax(policy.defaultAction), rules: policy.rules.map((rule) => ({ ...rule, action: relax(rule.action) })) },
    '<relaxed policy>',
  );
}
