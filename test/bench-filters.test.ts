/**
 * The bench's filter table (bench/filters.ts), counted on one small real profile: every row is
 * there, and every number in it is what running that very program on the emulator gives,
 * with the kernel's action cache (cacheableAllows) taking the calls it decides. No timing.
 *
 * Builds libseccomp's two filters with the bench's C helper: needs gcc and libseccomp-dev
 * (.ci/run installs them); without them this fails, it never skips.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FILTER_ROWS, countFilters, formatFilterTable, libseccompFilters, type FilterTable } from '../bench/filters.js';
import { archDef } from '../src/linux/arch.js';
import { syscallTable } from '../src/linux/syscalls.js';
import { cacheableAllows } from '../src/bpf/action-cache.js';
import { compilePolicy } from '../src/policy/compile/compile.js';
import { emulate } from '../src/bpf/emulator.js';
import type { Program } from '../src/bpf/program.js';
import { callMix } from '../src/policy/compile/stats.js';
import { readPolicy } from '../src/policy/policy.js';
import { readProfile } from '../src/profile/profile.js';
import { ROOT, requireTool, tempDir } from './helpers.js';

// ls -la /: 296 calls of 30 syscalls; its policy has argument rules, so some calls run the filter.
const profile = readProfile(join(ROOT, 'samples', 'profiles', 'ls.profile.json'));
const policy = readPolicy(join(ROOT, 'samples', 'policies', 'ls.allowlist.json'));
const MINIJAIL = "minijail: not available on this machine (not in Debian's archive)";

/** Independent of stats.ts: emulate every call of the mix, cached calls (per cacheableAllows) as 0. */
function emulated(program: Program): { expected: number; expectedCached: number; calls: number; cachedCalls: number; maxExecuted: number } {
  const audit = archDef('x86_64').auditArch;
  const cached = cacheableAllows(
    program,
    audit,
    syscallTable('x86_64').map((e) => e.nr as number),
  );
  let calls = 0;
  let total = 0;
  let totalCached = 0;
  let cachedCalls = 0;
  let maxExecuted = 0;
  for (const c of callMix(profile)) {
    expect(c.arch).toBe('x86_64');
    const { executed } = emulate(program, { nr: c.nr, arch: audit, instructionPointer: 0n, args: c.args ?? [] });
    calls += c.count;
    total += c.count * executed;
    maxExecuted = Math.max(maxExecuted, executed);
    if (cached.has(c.nr)) cachedCalls += c.count;
    else totalCached += c.count * executed;
  }
  return { expected: total / calls, expectedCached: totalCached / calls, calls, cachedCalls, maxExecuted };
}

describe('bench filter table', () => {
  let table: FilterTable;
  let lsc: { linear: Program; tree: Program };

  beforeAll(() => {
    requireTool('gcc');
    if (!existsSync('/usr/include/seccomp.h'))
      throw new Error('libseccomp-dev is required (apt-get install libseccomp-dev); .ci/run installs it');
    lsc = libseccompFilters(policy, tempDir('sbx-bench-filters-'), 'ls');
    table = countFilters('ls', policy, profile, { libseccompLinear: lsc.linear, libseccompTree: lsc.tree, minijail: MINIJAIL });
  });

  it('has every row, in order; minijail says why it is missing', () => {
    expect(table.rows.map((r) => r.name)).toEqual([...FILTER_ROWS]);
    const minijail = table.rows.find((r) => r.name === 'minijail BST')!;
    expect(minijail.program).toBeUndefined();
    expect(minijail.cost).toBeUndefined();
    expect(minijail.missing).toBe(MINIJAIL);
    for (const r of table.rows.filter((r) => r.name !== 'minijail BST')) expect(r.cost, r.name).toBeDefined();
    const text = formatFilterTable(table);
    for (const name of FILTER_ROWS) expect(text).toContain(name);
    expect(text).toContain(MINIJAIL);
  });

  it('uses the programs it was given and the ones sbx compiles for the profile', () => {
    const program = (name: string) => table.rows.find((r) => r.name === name)!.program!;
    expect(program('libseccomp linear')).toBe(lsc.linear);
    expect(program('libseccomp tree')).toBe(lsc.tree);
    // SCMP_FLTATR_CTL_OPTIMIZE=2 took effect: a different program.
    expect(lsc.tree.instructions).not.toEqual(lsc.linear.instructions);
    for (const layout of ['linear', 'tree', 'cache-aware'] as const) {
      expect(program(`sbx ${layout}`).instructions).toEqual(compilePolicy(policy, { layout, profile }).instructions);
    }
  });

  it('counts what emulating each program gives, action-cache hits as 0', () => {
    for (const r of table.rows) {
      if (!r.program) continue;
      const e = emulated(r.program);
      const c = r.cost!;
      expect(c.instructions, r.name).toBe(r.program.length);
      expect(c.calls, r.name).toBe(e.calls);
      expect(c.cachedCalls, r.name).toBe(e.cachedCalls);
      expect(c.expected, r.name).toBeCloseTo(e.expected, 9);
      expect(c.expectedCached, r.name).toBeCloseTo(e.expectedCached, 9);
      expect(c.worst, r.name).toBeGreaterThanOrEqual(e.maxExecuted);
      expect(c.worst, r.name).toBeLessThanOrEqual(r.program.length);
    }
    // The profile has calls that run the filter (argument rules), so the ratios are defined.
    const lin = emulated(lsc.linear).expectedCached;
    const tree = emulated(lsc.tree).expectedCached;
    expect(lin).toBeGreaterThan(0);
    for (const r of table.rows.filter((r) => r.cost)) {
      expect(r.vsLibseccompLinear, r.name).toBeCloseTo(r.cost!.expectedCached / lin, 9);
      expect(r.vsLibseccompTree, r.name).toBeCloseTo(r.cost!.expectedCached / tree, 9);
    }
  });

  it('every filter decides every call of the profile alike', () => {
    expect(table.disagreements).toEqual([]);
  });
});
