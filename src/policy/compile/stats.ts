/**
 * What a filter costs a program: instructions per syscall, measured by running the filter on
 * the emulator for every syscall the program makes, weighted by how often it makes it. The
 * bench and `sbx bpf --stats` both call `expectedCost`, so they cannot disagree.
 *
 * With the kernel's seccomp action cache (Linux >= 5.11) a syscall the filter allows for its
 * (arch, nr) whatever the arguments is decided from a bitmap without running the filter;
 * `expectedCostCached` counts those calls as 0 instructions. Which calls that is comes from
 * `isConstAllow`, the port of the kernel's own check; the cache covers the native arch and its
 * compat arch (i386 on x86_64), for numbers below NR_syscalls, so never x32 numbers.
 */
import { archDef, type ArchName } from '../../linux/arch.js';
import { syscallTable } from '../../linux/syscalls.js';
import type { Policy } from '../policy.js';
import { policyDecisions } from '../policy.js';
import type { Profile } from '../../profile/types.js';
import { isConstAllow } from '../../bpf/action-cache.js';
import { emulate } from '../../bpf/emulator.js';
import { BPF_JA, BPF_JMP, BPF_RET, bpfClass, isConditionalJump, type Program } from '../../bpf/program.js';

/** Calls of one syscall: how many, and the argument values to run the filter with. */
export interface CallCount {
  readonly arch: ArchName;
  readonly nr: number;
  readonly count: number;
  /** Arguments the filter sees for these calls (missing ones are 0). */
  readonly args?: readonly bigint[];
}

/** A program's syscalls and how often it makes each: what a filter is costed on. */
export type CallMix = readonly CallCount[];

/** A number the profile recorded as hex ("0x11"); text values (paths) are not numbers. */
function histogramNumber(value: string): bigint | undefined {
  return /^0x[0-9a-f]+$/i.test(value) ? BigInt(value) : undefined;
}

/**
 * A profile's calls. Each syscall is run with the most frequent recorded value of each
 * argument (0 where none was recorded): argument rules are costed on their typical path, as
 * profiles keep one histogram per argument, not their combinations.
 */
export function callMix(profile: Profile): CallMix {
  return profile.syscalls
    .filter((s) => s.count > 0)
    .map((s) => {
      const args: bigint[] = [];
      for (const h of s.args ?? []) {
        const top = [...h.values].sort((a, b) => b.count - a.count).find((v) => histogramNumber(v.value) !== undefined);
        if (top && h.index >= 0 && h.index < 6) args[h.index] = histogramNumber(top.value)!;
      }
      return { arch: s.arch, nr: s.nr, count: s.count, ...(args.length ? { args: Array.from(args, (a) => a ?? 0n) } : {}) };
    });
}

/** The calls a policy says it saw (each rule's `observed.calls`), for when there is no profile. */
export function policyCallMix(policy: Policy): CallMix {
  return policyDecisions(policy)
    .map((d) => ({ arch: d.arch, nr: d.nr, count: d.rules.reduce((n, r) => Math.max(n, r.rule.observed?.calls ?? 0), 0) }))
    .filter((c) => c.count > 0);
}

/** Whether the kernel's action cache can hold (arch, nr) at all: native or compat arch, a number in its table. */
export function kernelCacheCovers(arch: ArchName, nr: number): boolean {
  if (arch === 'x32') return false;
  const table = syscallTable(arch);
  return nr >= 0 && nr <= table[table.length - 1]!.nr;
}

/** Whether the action cache decides (arch, nr) for `program` without running it. */
export function isCached(program: Program, arch: ArchName, nr: number): boolean {
  return kernelCacheCovers(arch, nr) && isConstAllow(program, archDef(arch).auditArch, nr);
}

/** Cost of a filter on a call mix. "Per call" means averaged over calls, weighted by count. */
export interface FilterCost {
  /** Instructions in the program. */
  readonly instructions: number;
  /** Calls costed. */
  readonly calls: number;
  /** Mean instructions the filter runs per call (no action cache). */
  readonly expected: number;
  /** Most instructions any call of the mix runs. */
  readonly worstSeen: number;
  /** Most instructions any path through the program runs (a bound for every call). */
  readonly worst: number;
  /** Mean instructions per call with action-cache hits counted as 0. */
  readonly expectedCached: number;
  /** Most instructions a call of the mix runs when cached calls count 0. */
  readonly worstSeenCached: number;
  /** Calls the action cache decides. */
  readonly cachedCalls: number;
}

/**
 * Runs `program` on the emulator for every syscall of the mix (a profile, or a `CallMix`) and
 * averages the instructions executed, weighted by calls; also the same with action-cache hits
 * as 0, the most any call of the mix runs, and the most any path can run.
 */
export function expectedCost(program: Program, profile: Profile | CallMix): FilterCost {
  const mix = Array.isArray(profile) ? (profile as CallMix) : callMix(profile as Profile);
  let calls = 0;
  let total = 0;
  let totalCached = 0;
  let worstSeen = 0;
  let worstSeenCached = 0;
  let cachedCalls = 0;
  for (const c of mix) {
    const { executed } = emulate(program, {
      nr: c.nr,
      arch: archDef(c.arch).auditArch,
      instructionPointer: 0n,
      args: c.args ?? [],
    });
    const cached = isCached(program, c.arch, c.nr);
    calls += c.count;
    total += c.count * executed;
    worstSeen = Math.max(worstSeen, executed);
    if (cached) cachedCalls += c.count;
    else {
      totalCached += c.count * executed;
      worstSeenCached = Math.max(worstSeenCached, executed);
    }
  }
  return {
    instructions: program.length,
    calls,
    expected: calls ? total / calls : 0,
    worstSeen,
    worst: longestPath(program),
    expectedCached: calls ? totalCached / calls : 0,
    worstSeenCached,
    cachedCalls,
  };
}

/** Instructions on the longest path from the first instruction to a RET (jumps only go forward). */
export function longestPath(program: Program): number {
  const insns = program.instructions;
  const longest = new Int32Array(insns.length);
  for (let pc = insns.length - 1; pc >= 0; pc--) {
    const { code, jt, jf, k } = insns[pc]!;
    if (bpfClass(code) === BPF_RET) longest[pc] = 1;
    else if (code === (BPF_JMP | BPF_JA)) longest[pc] = 1 + longest[pc + 1 + k]!;
    else if (isConditionalJump(code)) longest[pc] = 1 + Math.max(longest[pc + 1 + jt]!, longest[pc + 1 + jf]!);
    else longest[pc] = 1 + longest[pc + 1]!;
  }
  return longest[0]!;
}

/** The syscalls of `arches` that the action cache decides for `program`, by arch, sorted by number. */
export function cachedSyscalls(program: Program, arches: readonly ArchName[]): { arch: ArchName; nrs: number[] }[] {
  return arches.map((arch) => ({
    arch,
    nrs: syscallTable(arch)
      .filter((e) => isCached(program, arch, e.nr))
      .map((e) => e.nr as number),
  }));
}

/**
 * An expected cost for a table: two decimals from 1 up, two significant digits below (so a
 * cost of 0.003 instructions per call reads 0.0030, not 0.00), and 0 for exactly none.
 */
export function formatCost(cost: number): string {
  if (cost === 0) return '0';
  return cost >= 1 ? cost.toFixed(2) : cost.toPrecision(2);
}
