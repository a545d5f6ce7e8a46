/**
 * The small seccomp filter the launcher installs before exec'ing the target, so that the
 * tracer gets one PTRACE_EVENT_SECCOMP stop per syscall instead of two syscall stops.
 */
import { archDef, groupByAuditArch, hostAbis, type ArchName } from '../linux/arch.js';
import { syscallNumber } from '../linux/syscalls.js';
import { NEXT, ProgramBuilder } from '../bpf/builder.js';
import { DATA_ARCH, DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_TRACE, type Program, argLo, compileProgram } from '../bpf/program.js';
import { CLONE_UNTRACED } from '../linux/constants.js';

/** Which syscalls stop in the tracer: all of them, or only the exec family (syscall mode, which stops at entry/exit anyway). */
export type TraceFilterKind = 'all' | 'exec-only';

function numbersOf(arches: readonly ArchName[], names: readonly string[]): number[] {
  return arches.flatMap((arch) =>
    names.flatMap((name) => {
      const nr = syscallNumber(arch, name);
      return nr === undefined ? [] : [nr];
    }),
  );
}

/** The filter. Calls of an arch without a table always trace, so nothing escapes the count. */
export function traceFilter(kind: TraceFilterKind): Program {
  const b = new ProgramBuilder();
  if (kind === 'all') return b.ret(SECCOMP_RET_TRACE).build();
  const trace = b.returnLabel(SECCOMP_RET_TRACE);
  const allow = b.returnLabel(SECCOMP_RET_ALLOW);
  [...groupByAuditArch(hostAbis()).values()].forEach((group, i) => {
    const otherArch = `arch-${i + 1}`;
    b.load(DATA_ARCH).jeq(archDef(group[0]!).auditArch, NEXT, otherArch).load(DATA_NR);
    for (const nr of numbersOf(group, ['execve', 'execveat'])) b.jeq(nr, trace, NEXT);
    b.ja(allow).label(otherArch);
  });
  return b.ret(SECCOMP_RET_TRACE).build();
}

/** SECCOMP_RET_DATA of the stops `withCloneCheck` adds (the policy's own TRACE carries 0). */
export const CLONE_CHECK_DATA = 0xc10e;

/**
 * `policy` (run --complain/--ask: it traces only what it would deny) with a prefix that also
 * stops at every clone with CLONE_UNTRACED and every clone3 (its flags are in memory), with
 * CLONE_CHECK_DATA: the tracer clears the flag there so the child stays traced, and asks the
 * policy itself whether the call is a violation.
 */
export function withCloneCheck(policy: Program): Program {
  const b = new ProgramBuilder();
  [...groupByAuditArch(hostAbis()).values()].forEach((group, i) => {
    const otherArch = `arch-${i + 1}`;
    b.load(DATA_ARCH).jeq(archDef(group[0]!).auditArch, NEXT, otherArch).load(DATA_NR);
    for (const nr of numbersOf(group, ['clone3'])) b.jeq(nr, 'check', NEXT);
    for (const nr of numbersOf(group, ['clone'])) b.jeq(nr, `clone-${i}`, NEXT);
    b.ja('policy').label(`clone-${i}`).load(argLo(0)).jset(CLONE_UNTRACED, 'check', 'policy').label(otherArch);
  });
  b.ja('policy')
    .label('check')
    .ret((SECCOMP_RET_TRACE | CLONE_CHECK_DATA) >>> 0);
  // A placeholder where the policy goes: every jump to it lands on the policy's first instruction.
  const prefix = b.label('policy').ret(0).build().instructions;
  return compileProgram([...prefix.slice(0, -1), ...policy.instructions]);
}
