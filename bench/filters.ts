/**
 * `npm run bench`, filter section: what a seccomp filter costs per syscall, for the same policy
 * compiled six ways, on real profiles.
 *
 *  1. Counted (no timing): libseccomp priority-linear and libseccomp's binary tree
 *     (SCMP_FLTATR_CTL_OPTIMIZE=2), exported with seccomp_export_bpf from a C helper built here
 *     out of the libseccomp-c emitter's output; minijail's BST where it can be run; and sbx's
 *     linear, tree and cache-aware layouts. Every filter runs on our emulator for every syscall
 *     of the profile (stats.ts `expectedCost`, as `sbx bpf --stats`), weighted by its calls,
 *     with calls the kernel's action cache decides (the port of seccomp_is_const_allow, run on
 *     each filter, libseccomp's too) counted as 0 instructions.
 *  2. Timed: a tight loop of getppid() with no filter, and under each filter loaded for real
 *     (sbx run --policy --layout, and the libseccomp helper), once with getppid plainly allowed
 *     (the action cache decides it) and once with an argument rule on it (the filter runs).
 *
 * Nothing here asserts anything about time; ratios are of numbers measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { archDef } from '../src/linux/arch.js';
import { syscallNumber } from '../src/linux/syscalls.js';
import { LAYOUTS, compilePolicy, type Layout } from '../src/policy/compile/compile.js';
import { parseRaw } from '../src/bpf/disasm.js';
import { actionOf, emulate } from '../src/bpf/emulator.js';
import type { Program } from '../src/bpf/program.js';
import { callMix, expectedCost, isCached, type FilterCost } from '../src/policy/compile/stats.js';
import { emit as emitLibseccompC } from '../src/policy/emit/libseccomp-c.js';
import { makePolicy, policyText, readPolicy, type Policy } from '../src/policy/policy.js';
import type { Profile } from '../src/profile/types.js';
import { readProfile } from '../src/profile/profile.js';
import { propose } from '../src/learn/propose/index.js';

// ---- the counted table ----

/** The rows of every table, in order. */
export const FILTER_ROWS = ['libseccomp linear', 'libseccomp tree', 'minijail BST', 'sbx linear', 'sbx tree', 'sbx cache-aware'] as const;
export type FilterRowName = (typeof FILTER_ROWS)[number];

/** sbx's row per layout. */
const SBX_ROWS: Readonly<Record<Layout, FilterRowName>> = { linear: 'sbx linear', tree: 'sbx tree', 'cache-aware': 'sbx cache-aware' };

/** Filters built outside sbx for one policy; a string says why one could not be built. */
export interface ForeignFilters {
  readonly libseccompLinear: Program;
  readonly libseccompTree: Program;
  readonly minijail: Program | string;
}

export interface FilterRow {
  readonly name: FilterRowName;
  /** Absent when the filter could not be built (`missing` says why). */
  readonly program?: Program;
  readonly missing?: string;
  readonly cost?: FilterCost;
  /** expectedCached / libseccomp linear's (undefined when that is 0). */
  readonly vsLibseccompLinear?: number;
  /** expectedCached / libseccomp tree's. */
  readonly vsLibseccompTree?: number;
  /** expected (no action cache) / libseccomp linear's. */
  readonly vsLibseccompLinearNoCache?: number;
}

export interface FilterTable {
  readonly title: string;
  readonly rows: readonly FilterRow[];
  /** Calls of the profile where a filter's action differs from sbx cache-aware's (none expected). */
  readonly disagreements: readonly string[];
}

const ratio = (a: number, b: number): number | undefined => (b > 0 ? a / b : undefined);

/**
 * The table for one policy on one profile: sbx's three layouts compiled here, laid out for the
 * profile, and the foreign filters given, all costed by `expectedCost` on the profile's calls.
 * Pure: no files, no processes.
 */
export function countFilters(title: string, policy: Policy, profile: Profile, foreign: ForeignFilters): FilterTable {
  const programs = new Map<FilterRowName, Program | string>([
    ['libseccomp linear', foreign.libseccompLinear],
    ['libseccomp tree', foreign.libseccompTree],
    ['minijail BST', foreign.minijail],
  ]);
  for (const layout of LAYOUTS) programs.set(SBX_ROWS[layout], compilePolicy(policy, { layout, profile }));
  const costs = new Map<FilterRowName, FilterCost>();
  for (const [name, p] of programs) if (typeof p !== 'string') costs.set(name, expectedCost(p, profile));
  const lin = costs.get('libseccomp linear')!;
  const tree = costs.get('libseccomp tree')!;
  const rows = FILTER_ROWS.map((name): FilterRow => {
    const p = programs.get(name)!;
    if (typeof p === 'string') return { name, missing: p };
    const cost = costs.get(name)!;
    return {
      name,
      program: p,
      cost,
      vsLibseccompLinear: ratio(cost.expectedCached, lin.expectedCached),
      vsLibseccompTree: ratio(cost.expectedCached, tree.expectedCached),
      vsLibseccompLinearNoCache: ratio(cost.expected, lin.expected),
    };
  });
  return { title, rows, disagreements: disagreements(programs, profile) };
}

/** Every filter must decide each call of the profile as sbx cache-aware does. */
function disagreements(programs: ReadonlyMap<FilterRowName, Program | string>, profile: Profile): string[] {
  const reference = programs.get('sbx cache-aware') as Program;
  const out: string[] = [];
  for (const c of callMix(profile)) {
    const data = { nr: c.nr, arch: archDef(c.arch).auditArch, instructionPointer: 0n, args: c.args ?? [] };
    const want = emulate(reference, data).ret >>> 0;
    for (const [name, p] of programs) {
      if (typeof p === 'string') continue;
      const got = emulate(p, data).ret >>> 0;
      if (got !== want)
        out.push(`${name}: ${c.arch} syscall ${c.nr} returns 0x${got.toString(16)}, sbx 0x${want.toString(16)} (${actionOf(want).kind})`);
    }
  }
  return out;
}

const fmt = (n: number | undefined, digits = 2): string => (n === undefined ? '-' : n.toFixed(digits));

function textTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** The table as text, with the goal line (sbx cache-aware <= 0.5x libseccomp linear and < its tree). */
export function formatFilterTable(t: FilterTable): string {
  const head = ['filter', 'insns', 'exp/call', 'x lsc-lin', 'x lsc-tree', 'no-cache', 'x lsc-lin', 'worst', 'cached'];
  const costed = t.rows.filter((r) => r.cost);
  const body = costed.map((r) => {
    const c = r.cost!;
    return [
      r.name,
      String(c.instructions),
      fmt(c.expectedCached, 3),
      fmt(r.vsLibseccompLinear),
      fmt(r.vsLibseccompTree),
      fmt(c.expected),
      fmt(r.vsLibseccompLinearNoCache),
      String(c.worst),
      `${fmt(c.calls ? (100 * c.cachedCalls) / c.calls : 0, 1)}%`,
    ];
  });
  const [headLine, ...bodyLines] = textTable([head, ...body]).split('\n');
  const width = Math.max(...t.rows.map((r) => r.name.length));
  // A filter that could not be built says why on its own line, in its place.
  const tableLines = t.rows.map((r) => (r.cost ? bodyLines[costed.indexOf(r)]! : `${r.name.padEnd(width)}  ${r.missing ?? 'n/a'}`));
  const lines = [t.title, headLine!, ...tableLines];
  const sbx = t.rows.find((r) => r.name === 'sbx cache-aware')!.cost!;
  const lin = t.rows.find((r) => r.name === 'libseccomp linear')!.cost!;
  const tree = t.rows.find((r) => r.name === 'libseccomp tree')!.cost!;
  if (lin.expectedCached === 0 && sbx.expectedCached === 0) {
    lines.push(
      'goal: every call of this profile is decided by the action cache in every filter (0 instructions each); see no-cache for kernels < 5.11',
    );
  } else {
    const met = sbx.expectedCached <= 0.5 * lin.expectedCached && sbx.expectedCached < tree.expectedCached;
    lines.push(
      `goal: sbx cache-aware <= 0.5x libseccomp linear and < libseccomp tree: ${fmt(sbx.expectedCached, 3)} vs ${fmt(lin.expectedCached, 3)} and ${fmt(tree.expectedCached, 3)} per call: ${met ? 'met' : 'NOT met'}`,
    );
  }
  for (const d of t.disagreements) lines.push(`DISAGREEMENT ${d}`);
  return lines.join('\n');
}

// ---- libseccomp's filters, from a C helper built here ----

/**
 * The helper's own part. The policy's C comes from the libseccomp-c emitter, compiled with
 * -DSBX_NO_MAIN and -Dseccomp_load=sbx_bench_load, so where the emitted sbx_load_filter() would
 * load its context it calls this instead: set the optimization level, then export or load.
 *
 *   helper linear|tree export FILE          raw sock_filter[] bytes to FILE
 *   helper linear|tree run PROGRAM ARGS...  load the filter and exec PROGRAM
 */
const HELPER_C = `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sbx_load_filter(void);

static int optimize = 1;   /* SCMP_FLTATR_CTL_OPTIMIZE: 1 priority order, 2 binary tree */
static int export_fd = -1; /* >= 0: export there instead of loading */

int sbx_bench_load(const scmp_filter_ctx ctx)
{
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimize);
	if (rc < 0)
		return rc;
	return export_fd >= 0 ? seccomp_export_bpf(ctx, export_fd) : seccomp_load(ctx);
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "linear") && strcmp(argv[1], "tree")) || (strcmp(argv[2], "export") && strcmp(argv[2], "run"))) {
		fprintf(stderr, "usage: %s linear|tree export FILE | linear|tree run PROGRAM [ARGS...]\\n", argv[0]);
		return 2;
	}
	optimize = strcmp(argv[1], "tree") == 0 ? 2 : 1;
	if (strcmp(argv[2], "export") == 0 && (export_fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		fprintf(stderr, "%s: %s: %s\\n", argv[0], argv[3], strerror(errno));
		return 1;
	}
	int rc = sbx_load_filter();
	if (rc < 0) {
		fprintf(stderr, "%s: libseccomp: %s\\n", argv[0], strerror(-rc));
		return 126;
	}
	if (export_fd >= 0)
		return close(export_fd) == 0 ? 0 : 1;
	execvp(argv[3], argv + 3);
	fprintf(stderr, "%s: cannot run %s: %s\\n", argv[0], argv[3], strerror(errno));
	return 127;
}
`;

/** Exits the bench with a clear message when gcc or libseccomp-dev is missing. */
export function requireCTools(): void {
  if (spawnSync('sh', ['-c', 'command -v gcc']).status !== 0) {
    console.error('bench: gcc is required for the filter section (apt-get install gcc libc6-dev)');
    process.exit(2);
  }
  if (!existsSync('/usr/include/seccomp.h')) {
    console.error('bench: libseccomp-dev is required for the filter section (apt-get install libseccomp-dev)');
    process.exit(2);
  }
}

function gcc(args: string[]): void {
  const r = spawnSync('gcc', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${args.join(' ')} failed:\n${r.stderr}`);
}

/** Builds the libseccomp helper for `policy` in `dir` (a fresh directory) and returns its path. */
export function buildLibseccompHelper(policy: Policy, dir: string, name = 'policy'): string {
  const policyC = join(dir, `${name}.c`);
  const helperC = join(dir, 'helper.c');
  writeFileSync(policyC, emitLibseccompC(policy, { source: `${name}.json` }).text);
  writeFileSync(helperC, HELPER_C);
  const obj = join(dir, `${name}.o`);
  gcc(['-O1', '-c', '-DSBX_NO_MAIN', '-Dseccomp_load=sbx_bench_load', '-o', obj, policyC]);
  const out = join(dir, `${name}-libseccomp`);
  gcc(['-O1', '-o', out, helperC, obj, '-lseccomp']);
  return out;
}

/** The two filters a helper exports (priority-linear and binary tree), as the kernel would receive them. */
export function exportedFilters(helper: string): { linear: Program; tree: Program } {
  const exported = (mode: 'linear' | 'tree'): Program => {
    const file = `${helper}.${mode}.bpf`;
    const r = spawnSync(helper, [mode, 'export', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${helper} ${mode} export failed: ${r.stderr}`);
    return parseRaw(readFileSync(file));
  };
  return { linear: exported('linear'), tree: exported('tree') };
}

/** libseccomp's two filters for `policy`, built in `dir`. */
export function libseccompFilters(policy: Policy, dir: string, name = 'policy'): { linear: Program; tree: Program } {
  return exportedFilters(buildLibseccompHelper(policy, dir, name));
}

/** Why minijail's BST is not in the table (the bench cannot run it yet, installed or not). */
export function minijailMissing(): string {
  if (spawnSync('sh', ['-c', 'command -v minijail0 || command -v compile_seccomp_policy']).status !== 0) {
    return "minijail: not available on this machine (not in Debian's archive)";
  }
  return 'minijail: installed, but its BST compiler (compile_seccomp_policy) is not driven by this bench';
}

// ---- the section ----

export interface FilterBenchOptions {
  /** A scratch directory. */
  readonly work?: string;
  /** Timed runs per cell (median). */
  readonly runs?: number;
  /** CPU the timed loops are pinned to. */
  readonly cpu?: number;
  /** getppid calls per timed run. */
  readonly calls?: number;
}

/** The repository: the nearest directory above this file with a package.json (src or dist). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('bench: cannot find the repository root');
    dir = up;
  }
  return dir;
}

interface BenchCase {
  readonly title: string;
  readonly policy: Policy;
  readonly profile: Profile;
}

/** The QEMU profile with a proposed allowlist, and the sample workloads with their sample policies. */
function benchCases(root: string): BenchCase[] {
  const qemuFile = join(root, 'samples', 'qemu', 'qemu.profile.json');
  const qemu = readProfile(qemuFile);
  const sample = (name: string, policy: string): BenchCase => ({
    title: `${name}: samples/profiles/${name}.profile.json, policy samples/policies/${policy}`,
    policy: readPolicy(join(root, 'samples', 'policies', policy)),
    profile: readProfile(join(root, 'samples', 'profiles', `${name}.profile.json`)),
  });
  return [
    {
      title: 'qemu boot: samples/qemu/qemu.profile.json, policy sbx propose (allowlist)',
      policy: propose([{ file: qemuFile, profile: qemu }]),
      profile: qemu,
    },
    {
      title: 'qemu boot: samples/qemu/qemu.profile.json, policy sbx propose --args (allowlist, arguments tightened)',
      policy: propose([{ file: qemuFile, profile: qemu }], { args: true }),
      profile: qemu,
    },
    sample('http-server', 'http-server.allowlist.json'),
    sample('ls', 'ls.allowlist.json'),
    sample('sh-loop', 'sh-loop.denylist.json'),
    sample('threads', 'threads.allowlist.json'),
    sample('dd', 'dd.allowlist.json'),
  ];
}

// ---- real cost: getppid ----

const GETPPID_C = `/* getppid-loop N: N getppid system calls with all six arguments 0; prints ns per call. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000000;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid, 0, 0, 0, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f\\n", n > 0 ? ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n : 0.0);
	return 0;
}
`;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** ns per getppid one run of the loop reports. */
function loopNs(argv: readonly string[]): number {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return Number(r.stdout.trim());
}

/** The policy with getppid allowed only when its first argument is 0 (always, here): the filter must run. */
function withGetppidArgRule(policy: Policy): Policy {
  return makePolicy(
    { ...policy, rules: policy.rules.map((r) => (r.syscall === 'getppid' ? { ...r, args: [{ index: 0, op: 'eq', value: 0n }] } : r)) },
    '<getppid with an argument rule>',
  );
}

/** Instructions the filter runs for the loop's getppid, 0 when the action cache decides it. */
function getppidInsns(program: Program): { executed: number; cached: boolean } {
  const nr = syscallNumber('x86_64', 'getppid')!;
  const cached = isCached(program, 'x86_64', nr);
  const { executed } = emulate(program, { nr, arch: archDef('x86_64').auditArch, instructionPointer: 0n, args: [0n, 0n, 0n, 0n, 0n, 0n] });
  return { executed, cached };
}

function realCost(root: string, work: string, runs: number, cpu: number, calls: number): void {
  const sbxBin = join(root, 'bin', 'sbx');
  const loop = join(work, 'getppid-loop');
  const loopC = join(work, 'getppid-loop.c');
  writeFileSync(loopC, GETPPID_C);
  gcc(['-O2', '-o', loop, loopC]);
  // The policy: QEMU's proposed allowlist plus what the loop itself needs, learned from one
  // call, so getppid is a rare syscall for every layout (priority and weight from 1 call).
  const learned = join(work, 'getppid.profile.json');
  const l = spawnSync(sbxBin, ['learn', '-q', '-o', learned, '--', loop, '1'], { encoding: 'utf8' });
  if (l.status !== 0) throw new Error(`sbx learn getppid-loop: ${l.stderr}`);
  const qemuFile = join(root, 'samples', 'qemu', 'qemu.profile.json');
  const plain = propose([
    { file: qemuFile, profile: readProfile(qemuFile) },
    { file: learned, profile: readProfile(learned) },
  ]);
  const policies = [
    { tag: 'plain', what: 'getppid plainly allowed', policy: plain },
    { tag: 'args', what: 'getppid with an arg rule', policy: withGetppidArgRule(plain) },
  ];
  const pin = (argv: string[]) => ['taskset', '-c', String(cpu), ...argv];
  interface Cell {
    readonly tag: string;
    readonly what: string;
    readonly name: string;
    readonly argv: string[];
    readonly insns?: { executed: number; cached: boolean };
  }
  const cells: Cell[] = [{ tag: 'none', what: 'no filter', name: '-', argv: pin([loop, String(calls)]) }];
  for (const { tag, what, policy } of policies) {
    const file = join(work, `getppid-${tag}.policy.json`);
    writeFileSync(file, policyText(policy));
    const helper = buildLibseccompHelper(policy, work, `getppid-${tag}`);
    const lsc = exportedFilters(helper);
    cells.push(
      { tag, what, name: 'libseccomp linear', insns: getppidInsns(lsc.linear), argv: pin([helper, 'linear', 'run', loop, String(calls)]) },
      { tag, what, name: 'libseccomp tree', insns: getppidInsns(lsc.tree), argv: pin([helper, 'tree', 'run', loop, String(calls)]) },
      ...LAYOUTS.map((layout) => ({
        tag,
        what,
        name: SBX_ROWS[layout],
        // As `sbx run` compiles it: no --profile, so the rules' observed calls lay it out. Planned
        // in full before each run (a first run would start under the quick plan and search
        // beside the loop, on its CPU: filter-cache.ts).
        insns: getppidInsns(compilePolicy(policy, { layout })),
        argv: pin(['env', 'SBX_NO_CACHE=1', sbxBin, 'run', '--policy', file, '--layout', layout, '--', loop, String(calls)]),
      })),
    );
  }
  // Round-robin over the cells, so drift on the machine spreads over all of them alike.
  const samples = cells.map((): number[] => []);
  for (let r = 0; r < runs; r++) cells.forEach((c, i) => samples[i]!.push(loopNs(c.argv)));
  // Medians as asked; mins beside them, because other load on the machine moves the median
  // of a ~100 ns loop far more than its fastest run.
  const stats = { median: samples.map(median), min: samples.map((xs) => Math.min(...xs)) };
  const at = (kind: 'median' | 'min', tag: string, name: string): number | undefined => {
    const i = cells.findIndex((c) => c.tag === tag && c.name === name);
    return i < 0 ? undefined : stats[kind][i];
  };

  console.log(`\nreal cost: ${calls} getppid() per run in a C loop timed by itself (clock_gettime), pinned to CPU ${cpu}, ${runs} runs`);
  console.log(
    `policy: sbx propose of the QEMU profile + the loop's own profile (getppid seen once: a rare syscall to every layout); ${plain.rules.length} rules`,
  );
  const rows = [['policy', 'filter', 'getppid insns', 'median ns', 'vs none', 'vs cached', 'min ns', 'vs none', 'vs cached']];
  const fit: [number, number][] = [];
  cells.forEach((c, i) => {
    const uncached = c.insns !== undefined && !c.insns.cached;
    if (uncached) fit.push([c.insns!.executed, stats.min[i]! - at('min', 'plain', c.name)!]);
    const deltas = (kind: 'median' | 'min'): string[] => [
      c.tag === 'none' ? '-' : signed(stats[kind][i]! - stats[kind][0]!),
      uncached ? signed(stats[kind][i]! - at(kind, 'plain', c.name)!) : '-',
    ];
    rows.push([
      c.what,
      c.name,
      c.insns === undefined ? '-' : c.insns.cached ? `0 (cached; ${c.insns.executed})` : String(c.insns.executed),
      fmt(stats.median[i]!, 1),
      ...deltas('median'),
      fmt(stats.min[i]!, 1),
      ...deltas('min'),
    ]);
  });
  console.log(textTable(rows));
  const cachedOverNone = cells.flatMap((c, i) => (c.insns?.cached ? [stats.min[i]! - stats.min[0]!] : []));
  const line = leastSquares(fit);
  console.log(
    [
      '',
      `A plainly allowed getppid is answered by the kernel's action cache (Linux >= 5.11) from a bitmap without running the filter, so it costs`,
      `the same whatever the layout: ${signed(median(cachedOverNone))} ns over no filter here (median over the five filters, of mins), the seccomp entry path, not the filter.`,
      `With an argument rule the filter runs on every call: "vs cached" is what running that layout's instructions costs.`,
      line
        ? `Fit of "vs cached" (mins) over the uncached rows: ${fmt(line.intercept, 1)} ns + ${fmt(line.slope, 2)} ns per executed BPF instruction.`
        : '',
    ].join('\n'),
  );
}

const signed = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;

/** y = intercept + slope * x by least squares, or undefined when x does not vary. */
function leastSquares(points: readonly [number, number][]): { intercept: number; slope: number } | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  const slope = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { intercept: my - slope * mx, slope };
}

/**
 * The filter section of `npm run bench`: one counted table per profile, then the real cost of
 * getppid with each filter loaded.
 */
export function runFilterBench(options: FilterBenchOptions = {}): void {
  requireCTools();
  const root = repoRoot();
  const work = options.work ?? mkdtempSync(join(tmpdir(), 'sbx-bench-filters-'));
  const runs = options.runs ?? Number(process.env.BENCH_RUNS ?? 5);
  const minijail = minijailMissing();
  console.log('\n== seccomp filters: expected BPF instructions per syscall, counted on the emulator ==');
  console.log('exp/call: profile-weighted mean with action-cache hits as 0 (Linux >= 5.11); no-cache: every call runs the filter;');
  console.log("worst: longest path through the filter; cached: share of the profile's calls the action cache decides;");
  console.log(
    "x lsc-lin / x lsc-tree: exp/call over libseccomp linear's / binary tree's (SCMP_FLTATR_CTL_OPTIMIZE=2). libseccomp " +
      `${libseccompVersion()} via seccomp_export_bpf.`,
  );
  benchCases(root).forEach((c, i) => {
    const dir = mkdtempSync(join(work, `case${i}-`));
    const lsc = libseccompFilters(c.policy, dir);
    const table = countFilters(c.title, c.policy, c.profile, { libseccompLinear: lsc.linear, libseccompTree: lsc.tree, minijail });
    console.log(`\n${formatFilterTable(table)}`);
  });
  realCost(root, work, runs, options.cpu ?? 0, options.calls ?? 5_000_000);
}

function libseccompVersion(): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'libseccomp-dev'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '(version unknown)';
}
