/** Explain why ptrace was refused, naming the cause a user can act on. */
import { readFileSync } from 'node:fs';
import { ERRNO, errnoName } from '../linux/constants.js';

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

function statusField(text: string | undefined, field: string): string | undefined {
  return text ? new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(text)?.[1] : undefined;
}

const CAP_SYS_PTRACE = 19n;

/** A one-line explanation for a failed PTRACE_SEIZE of `pid`. */
export function diagnosePtraceFailure(err: number, pid: number, attaching: boolean): string {
  if (err === ERRNO.ESRCH) return `no such process: ${pid}`;
  if (err !== ERRNO.EPERM) return `ptrace(PTRACE_SEIZE, ${pid}) failed: ${errnoName(err)}`;
  const self = readProc('/proc/self/status');
  const ownTracer = statusField(self, 'TracerPid');
  if (ownTracer && ownTracer !== '0')
    return `ptrace not permitted: sbx is itself being traced by pid ${ownTracer} (strace or gdb?); a process can have only one tracer`;
  const target = readProc(`/proc/${pid}/status`);
  const targetTracer = statusField(target, 'TracerPid');
  if (targetTracer && targetTracer !== '0') return `ptrace not permitted: pid ${pid} is already traced by pid ${targetTracer}`;
  const capEff = statusField(self, 'CapEff');
  const hasCap = capEff ? (BigInt(`0x${capEff}`) >> CAP_SYS_PTRACE) & 1n : 0n;
  const scope = readProc('/proc/sys/kernel/yama/ptrace_scope')?.trim();
  if (scope === '3') return 'ptrace not permitted: kernel.yama.ptrace_scope is 3 (ptrace disabled until reboot)';
  if (scope === '2' && !hasCap) return 'ptrace not permitted: kernel.yama.ptrace_scope is 2 (needs CAP_SYS_PTRACE: run as root)';
  if (scope === '1' && attaching && !hasCap)
    return `ptrace not permitted: kernel.yama.ptrace_scope is 1 (only descendants; attaching to pid ${pid} needs CAP_SYS_PTRACE or 'sysctl kernel.yama.ptrace_scope=0')`;
  const targetUid = statusField(target, 'Uid');
  const selfUid = statusField(self, 'Uid');
  if (attaching && targetUid && selfUid && targetUid !== selfUid && !hasCap)
    return `ptrace not permitted: pid ${pid} belongs to uid ${targetUid} (needs CAP_SYS_PTRACE)`;
  return `ptrace not permitted for pid ${pid} (missing CAP_SYS_PTRACE, a seccomp/container policy forbidding ptrace, or a non-dumpable target)`;
}
