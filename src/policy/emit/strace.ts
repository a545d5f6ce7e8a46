/**
 * `strace`: an `-e trace=` set. For a policy that refuses by default, the syscalls it allows
 * (watch a program inside its policy); for one that allows by default, the syscalls it
 * refuses (watch for attempts). Argument conditions are not strace's business: a syscall
 * with conditions is in the set.
 *
 *     strace -f $(sbx emit -f strace policy.json) program
 */
import { permits, policyDecisions, type EmitContext, type EmitResult } from './shared.js';
import type { Policy } from '../policy.js';

export function emit(policy: Policy, _context: EmitContext): EmitResult {
  const wanted = !permits(policy.defaultAction);
  const listed = policyDecisions(policy).filter((d) => permits(d.action) === wanted);
  const names = [...new Set(listed.map((d) => d.name))].sort();
  const conditional = [...new Set(listed.filter((d) => d.when.length > 0).map((d) => d.name))].sort();
  const warnings = conditional.length
    ? [
        `strace: cannot filter on arguments; these are traced for every argument, not only when ${wanted ? 'allowed' : 'denied'}: ${conditional.join(', ')}`,
      ]
    : [];
  if (names.length === 0) return { text: '-e trace=none\n', warnings };
  return { text: `-e trace=${names.join(',')}\n`, warnings };
}
