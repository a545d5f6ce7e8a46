/**
 * What a container runtime needs from a container's seccomp filter. runc and crun load the
 * filter themselves and then, still in their own code, finish setting the process up (close
 * their fds, drop capabilities, set ids, signal the parent) before they exec the command:
 * those calls go through the filter too. A profile learned from the command alone kills the
 * container before it starts, so the container formats (oci, spo) add them, each as an allow
 * rule with its own provenance. The lists are traced from the real runtimes
 * (./runtime-needs.ts, made by scripts/gen-runtime-needs.mjs); for a runtime written in Go,
 * what Go's runtime can do at any point is added from its source (GO_RUNTIME_CALLS).
 */
import { parseSyscallName } from '../../linux/syscalls.js';
import { ACTION_OPS, formatAction, makePolicy, policyDecisions, type Policy, type PolicyRule } from '../policy.js';
import type { RuntimeChoice } from './runtime-choice.js';
import { RUNTIME_NEEDS, type TracedRuntime } from './runtime-needs.js';

/**
 * What Go's runtime may do on the thread that loaded the filter, between any two calls of
 * runc's own code, and so on no fixed start: block and wake (futex), back off (nanosleep,
 * sched_yield), grow or return memory (mmap, munmap, madvise), return from a preemption
 * signal (rt_sigreturn), start a thread to hand its work to (clone) and preempt another
 * (getpid, tgkill). From Go's runtime/sys_linux_amd64.s and proc.go (Go 1.19, which Debian's
 * runc is built with); the traces caught futex, rt_sigreturn and, under load, mmap.
 */
export const GO_RUNTIME_CALLS: readonly string[] = [
  'futex',
  'nanosleep',
  'sched_yield',
  'mmap',
  'munmap',
  'madvise',
  'rt_sigreturn',
  'clone',
  'getpid',
  'tgkill',
];

/** Every call `runtime` needs after loading the filter, with why. */
export function runtimeCalls(runtime: TracedRuntime): { name: string; reason: string }[] {
  const needs = RUNTIME_NEEDS[runtime];
  const traced = needs.syscalls.map((s) => ({
    name: s.name,
    reason: `${runtime} calls it after loading the filter, before exec'ing the command (traced: ${s.scenarios.join('; ')})`,
  }));
  const go = needs.go
    ? GO_RUNTIME_CALLS.filter((name) => !traced.some((t) => t.name === name)).map((name) => ({
        name,
        reason: `${runtime} is a Go program (${needs.go}): Go's runtime may make it on the thread between loading the filter and exec'ing the command`,
      }))
    : [];
  return [...traced, ...go].sort((a, b) => a.name.localeCompare(b.name));
}

export interface WithRuntime {
  readonly policy: Policy;
  /** Names added for the runtime (they were not allowed for every call before). */
  readonly added: readonly string[];
  /** What the reader must know: rules the runtime's needs overrode, arches that do not fit. */
  readonly warnings: readonly string[];
}

/** The policy with an allow rule for each call `runtime` makes after loading it, where the policy does not already allow it. */
export function withRuntimeNeeds(policy: Policy, runtime: RuntimeChoice): WithRuntime {
  if (runtime === 'none') return { policy, added: [], warnings: [] };
  const needs = RUNTIME_NEEDS[runtime];
  const warnings: string[] = [];
  if (!policy.arches.some((a) => a === needs.arch))
    warnings.push(
      `${runtime}: its needs were traced on ${needs.arch}, which the policy does not list (${policy.arches.join(', ')}): the runtime's own calls may still be refused`,
    );
  const decisions = policyDecisions(policy);
  const allowsEveryCall = (name: string) =>
    policy.arches.every((arch) => {
      if (parseSyscallName(arch, name) === undefined) return true;
      const d = decisions.find((x) => x.arch === arch && x.name === name);
      return d ? d.when.length === 0 && ACTION_OPS[d.action.kind].permits : ACTION_OPS[policy.defaultAction.kind].permits;
    });
  const wanted = runtimeCalls(runtime).filter(
    (s) => policy.arches.some((a) => parseSyscallName(a, s.name) !== undefined) && !allowsEveryCall(s.name),
  );
  if (wanted.length === 0) return { policy, added: [], warnings };

  const replaced = new Map<string, PolicyRule[]>();
  for (const rule of policy.rules)
    if (wanted.some((s) => s.name === rule.syscall)) replaced.set(rule.syscall, [...(replaced.get(rule.syscall) ?? []), rule]);
  const overridden = [...replaced].map(([name, rules]) => {
    const what = rules.map(
      (r) => `${formatAction(r.action)}${r.args?.length ? ' when conditions hold' : ''}${r.arches ? ` on ${r.arches.join(', ')}` : ''}`,
    );
    return `${name} (${[...new Set(what)].join('; ')})`;
  });
  if (overridden.length)
    warnings.push(
      `${runtime} calls these after loading the filter, so they are allowed for every call (the policy said otherwise; --runtime none keeps the policy's rules, and the runtime's init may then be killed): ${overridden.join(', ')}`,
    );

  const provenance = { source: 'runtime', runtime, version: needs.version } as const;
  // Under a default of allow, taking the policy's rule away is what allows the call.
  const ruleNeeded = policy.defaultAction.kind !== 'allow';
  const added: PolicyRule[] = wanted
    .filter(() => ruleNeeded)
    .map((s) => {
      const old = replaced.get(s.name) ?? [];
      const calls = old.reduce((n, r) => n + (r.observed?.calls ?? 0), 0);
      const runs = [...new Set(old.flatMap((r) => r.observed?.runs ?? []))].sort((a, b) => a - b);
      const priority = old.find((r) => r.priority !== undefined)?.priority;
      return {
        syscall: s.name,
        action: { kind: 'allow' },
        ...(priority !== undefined ? { priority } : {}),
        provenance,
        ...(old.some((r) => r.observed) ? { observed: { calls, runs } } : {}),
        reason: s.reason,
      };
    });
  const kept = policy.rules.filter((r) => !replaced.has(r.syscall));
  return {
    policy: makePolicy({ ...policy, rules: [...kept, ...added] }, `the policy with ${runtime}'s needs`),
    added: wanted.map((s) => s.name),
    warnings,
  };
}
