/**
 * Whether a policy lets a program start at all: the launcher installs the filter, then the
 * first call it filters is the execve of the program. A policy that kills execve (or admits
 * no call of the machine's arch) kills every program before it runs.
 */
import { hostArch, type ArchName } from '../linux/arch.js';
import { syscallNumber } from '../linux/syscalls.js';
import { decide, formatAction, type Policy } from '../policy/policy.js';
import type { Profile } from '../profile/types.js';

/** Why `policy` cannot start a program on `arch`, as one line; undefined when it can. */
export function whyPolicyCannotStart(policy: Policy, arch: ArchName): string | undefined {
  if (!policy.arches.includes(arch)) return `the policy does not admit ${arch} (its arches: ${policy.arches.join(', ') || 'none'})`;
  const execve = syscallNumber(arch, 'execve');
  if (execve === undefined) return undefined;
  const action = decide(policy, arch, execve);
  switch (action.kind) {
    case 'allow':
    case 'log':
      return undefined;
    case 'kill-process':
    case 'kill-thread':
      return 'the policy kills execve, which starting the program needs';
    case 'trace':
      return `the policy sends execve to a tracer (${formatAction(action)}; without one it fails with ENOSYS), and starting the program needs it`;
    default:
      return `the policy answers execve with ${formatAction(action)}, and starting the program needs it`;
  }
}

/** The arch a learned program started on: that of its execve calls, else this machine's. */
export function startArch(profiles: readonly Profile[]): ArchName {
  for (const profile of profiles) {
    const execve = profile.syscalls.find((s) => s.name === 'execve');
    if (execve) return execve.arch;
  }
  return hostArch();
}
