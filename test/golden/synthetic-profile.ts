/**
 * Test fixture builder (not a golden file): a profile v1 from a compact table, for unit rows
 * that need exact counts. Real-program tests use the learned profiles in samples/profiles/.
 */
import type { ArchName } from '../../src/linux/arch.js';
import { syscallNumber } from '../../src/linux/syscalls.js';
import type { ArgHistogram, Profile, SyscallEntry } from '../../src/profile/types.js';

export interface SyntheticCall {
  readonly name: string;
  /** Calls per run. */
  readonly perRun: readonly number[];
  readonly arch?: ArchName;
  readonly args?: readonly ArgHistogram[];
}

export function syntheticProfile(calls: readonly SyntheticCall[], arches: readonly ArchName[] = ['x86_64']): Profile {
  const runCount = Math.max(1, ...calls.map((c) => c.perRun.length));
  const syscalls: SyscallEntry[] = calls.map((c, i) => {
    const arch = c.arch ?? arches[0]!;
    const nr = syscallNumber(arch, c.name);
    if (nr === undefined) throw new Error(`fixture: no ${c.name} on ${arch}`);
    const perRun = Array.from({ length: runCount }, (_, r) => c.perRun[r] ?? 0);
    return {
      arch,
      nr,
      name: c.name,
      count: perRun.reduce((a, b) => a + b, 0),
      perRun,
      firstSeen: i + 1,
      ...(c.args ? { args: c.args } : {}),
    };
  });
  const runCalls = (r: number) => syscalls.reduce((n, s) => n + s.perRun[r]!, 0);
  return {
    format: 'sbx-profile',
    version: 1,
    tool: { name: 'sbx', version: '0.0.0' },
    arches,
    runs: Array.from({ length: runCount }, (_, r) => ({
      command: ['workload', String(r)],
      mode: 'seccomp' as const,
      kernel: 'test',
      hostname: 'test',
      start: '2026-01-01T00:00:00.000Z',
      end: '2026-01-01T00:00:01.000Z',
      exit: { kind: 'exited' as const, code: 0 },
      processes: 1,
      threads: 1,
      calls: runCalls(r),
    })),
    totals: { calls: syscalls.reduce((n, s) => n + s.count, 0), errors: 0, processes: runCount, threads: runCount },
    syscalls: [...syscalls].sort((a, b) => b.count - a.count || a.nr - b.nr),
    executables: [],
    notes: [],
  };
}

/** An argument histogram row: values as [hex, count, label?]. */
export function histogram(index: number, name: string, values: readonly (readonly [string, number, string?])[], other = 0): ArgHistogram {
  return {
    index,
    name,
    values: values.map(([value, count, label]) => (label ? { value, count, label } : { value, count })),
    other,
  };
}
