/**
 * The small seccomp filter the launcher installs before exec'ing the target, so that the
 * tracer gets one PTRACE_EVENT_SECCOMP stop per syscall instead of two syscall stops.
 */
import { archDef, hostAbis, type ArchName } from './arch.js';
import { SECCOMP_RET_ALLOW, SECCOMP_RET_TRACE } from './constants.js';
import { syscallNumber } from './syscalls.js';

const BPF_LD_W_ABS = 0x20;
const BPF_JMP_JEQ_K = 0x15;
const BPF_RET_K = 0x06;
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Which syscalls stop in the tracer: all of them, or only the exec family (syscall mode, which stops at entry/exit anyway). */
export type TraceFilterKind = 'all' | 'exec-only';

/** This host's ABIs grouped by AUDIT_ARCH (x32 rides on x86_64's). */
function abiGroups(): ArchName[][] {
  const groups = new Map<number, ArchName[]>();
  for (const name of hostAbis()) {
    const audit = archDef(name).auditArch;
    groups.set(audit, [...(groups.get(audit) ?? []), name]);
  }
  return [...groups.values()];
}

function execNumbers(arches: readonly ArchName[]): number[] {
  const nrs: number[] = [];
  for (const arch of arches)
    for (const name of ['execve', 'execveat']) {
      const nr = syscallNumber(arch, name);
      if (nr !== undefined) nrs.push(nr);
    }
  return nrs;
}

/** The filter as instructions. Unknown arches always trace, so nothing escapes the count. */
export function traceFilter(kind: TraceFilterKind): Insn[] {
  if (kind === 'all') return [{ code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_TRACE }];
  const groups = abiGroups();
  const out: Insn[] = [{ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: OFFSET_ARCH }];
  // Each group: jeq arch; ld nr; jeq n (xN); ret ALLOW; ret TRACE.  Layout is fixed, so offsets are arithmetic.
  for (const group of groups) {
    const nrs = execNumbers(group);
    const bodyLength = 1 + nrs.length + 2;
    out.push({ code: BPF_JMP_JEQ_K, jt: 0, jf: bodyLength, k: archDef(group[0]!).auditArch });
    out.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: OFFSET_NR });
    nrs.forEach((nr, i) => out.push({ code: BPF_JMP_JEQ_K, jt: nrs.length - i, jf: 0, k: nr }));
    out.push({ code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_ALLOW });
    out.push({ code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_TRACE });
    // Reload arch for the next group's test.
    out.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: OFFSET_ARCH });
  }
  out.push({ code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_TRACE });
  return out;
}

/** Raw `struct sock_filter[]` bytes, little-endian, as seccomp(2) takes them. */
export function encodeFilter(insns: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * 8);
  const view = new DataView(bytes.buffer);
  insns.forEach((insn, i) => {
    view.setUint16(i * 8, insn.code, true);
    view.setUint8(i * 8 + 2, insn.jt);
    view.setUint8(i * 8 + 3, insn.jf);
    view.setUint32(i * 8 + 4, insn.k, true);
  });
  return bytes;
}
