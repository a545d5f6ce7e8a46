/**
 * The small seccomp filter the launcher installs before exec'ing the target, so that the
 * tracer gets one PTRACE_EVENT_SECCOMP stop per syscall instead of two syscall stops.
 */
import { archDef, groupByAuditArch, hostAbis, type ArchName } from '../linux/arch.js';
import { syscallNumber } from '../linux/syscalls.js';
import { NEXT, ProgramBuilder } from '../bpf/builder.js';
import { DATA_ARCH, DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_TRACE, type Program } from '../bpf/program.js';

/** Which syscalls stop in the tracer: all of them, or only the exec family (syscall mode, which stops at entry/exit anyway). */
export type TraceFilterKind = 'all' | 'exec-only';

function execNumbers(arches: readonly ArchName[]): number[] {
  return arches.flatMap((arch) =>
    ['execve', 'execveat'].flatMap((name) => {
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
    for (const nr of execNumbers(group)) b.jeq(nr, trace, NEXT);
    b.ja(allow).label(otherArch);
  });
  return b.ret(SECCOMP_RET_TRACE).build();
}
