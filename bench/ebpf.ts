/**
 * The eBPF section of `npm run bench` (root only): `sbx learn --backend ebpf` against strace
 * -f -c and sbx's ptrace seccomp mode on the same workloads in the same run, all pinned to one
 * CPU; the kernel's own timing of each program run (BPF_ENABLE_STATS, the switch behind
 * kernel.bpf_stats_enabled, off again when its fd closes); load + attach time.
 *
 * Overhead per syscall = (traced - bare - that tool's fixed start-up) / calls, wall clock,
 * medians. Cost for other processes = sys_enter's run time per run while almost every run is a
 * process sbx does not follow (an untraced dd while sbx learns a sleeping command).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { learnWithEbpf } from '../src/ebpf/session.js';

export interface EbpfBenchOptions {
  readonly work: string;
  readonly runs: number;
  readonly cpu: number;
  readonly sbx: string;
  /** Compiled test workload by name. */
  readonly compile: (name: string) => string;
}

function timeOnce(argv: readonly string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** Print the eBPF section; skipped with the reason when not root. */
export async function runEbpfBench(options: EbpfBenchOptions): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('\nebpf: skipped (sbx learn --backend ebpf needs root)');
    return;
  }
  const { runs, cpu, sbx, work } = options;
  const pinned = (argv: readonly string[]) => ['taskset', '-c', String(cpu), ...argv];
  const out = join(work, 'ebpf.json');
  const tools = {
    bare: (argv: readonly string[]) => pinned(argv),
    ebpf: (argv: readonly string[]) => [sbx, 'learn', '-q', '--backend', 'ebpf', '-o', out, '--', ...pinned(argv)],
    seccomp: (argv: readonly string[]) => [sbx, 'learn', '-q', '--mode', 'seccomp', '-o', join(work, 'sec.json'), '--', ...argv],
    strace: (argv: readonly string[]) => pinned(['strace', '-f', '-c', '-o', '/dev/null', '--', ...argv]),
  };
  const timeMedian = (argv: readonly string[]) => median(Array.from({ length: runs }, () => timeOnce(argv)));
  const trueBare = timeMedian(tools.bare(['true']));
  const fixed = Object.fromEntries(
    (['ebpf', 'seccomp', 'strace'] as const).map((t) => [t, timeMedian(tools[t](['true'])) - trueBare]),
  ) as Record<'ebpf' | 'seccomp' | 'strace', number>;
  console.log(`\nebpf: sbx learn --backend ebpf, ${runs} runs per cell (median), programs pinned to CPU ${cpu}; fixed start-up over bare /bin/true: ebpf ${fmt(fixed.ebpf * 1000, 1)} ms, seccomp ${fmt(fixed.seccomp * 1000, 1)} ms, strace ${fmt(fixed.strace * 1000, 1)} ms`);
  const workloads = [
    { name: 'dd bs=1 count=200000', argv: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=200000', 'status=none'] },
    { name: 'C threads 4x50000 getppid', argv: [options.compile('threads'), '4', '50000'] },
  ];
  const rows = [['workload', 'calls', 'bare s', 'µs ebpf', 'µs seccomp', 'µs strace', 'ebpf/strace', 'ebpf/seccomp']];
  for (const w of workloads) {
    const bare = timeMedian(tools.bare(w.argv));
    const ebpf = timeMedian(tools.ebpf(w.argv));
    const calls = (JSON.parse(spawnSync('cat', [out], { encoding: 'utf8' }).stdout) as { totals: { calls: number } }).totals.calls;
    const seccomp = timeMedian(tools.seccomp(w.argv));
    const strace = timeMedian(tools.strace(w.argv));
    const per = (t: number, start: number) => Math.max(0, ((t - bare - start) * 1e6) / calls);
    const [pE, pSec, pStr] = [per(ebpf, fixed.ebpf), per(seccomp, fixed.seccomp), per(strace, fixed.strace)];
    rows.push([w.name, String(calls), fmt(bare, 3), fmt(pE, 3), fmt(pSec), fmt(pStr), fmt(pE / pStr, 4), fmt(pE / pSec, 4)]);
  }
  console.log(table(rows));
  console.log('goals: ebpf/strace <= 0.05, ebpf/seccomp <= 0.10 (overhead per syscall)');

  // The kernel's timing of each program run, in-process (load time from the same sessions).
  const loads: number[] = [];
  const cost = [['program run time (bpf_stats)', 'runs', 'ns per run']];
  for (const [label, argv, background] of [
    ['while following dd (almost all runs traced)', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=200000', 'status=none'], undefined],
    ['other processes: untraced dd while following sleep', ['sleep', '2'], ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=400000', 'status=none']],
  ] as const) {
    const others = background ? spawn(background[0], background.slice(1), { stdio: 'ignore' }) : undefined;
    const result = await learnWithEbpf({ target: { kind: 'command', path: `/usr/bin/${argv[0]}`, argv }, maxValues: 64, argValues: 16384, measureCost: true, notes: [] });
    if (others) await new Promise((resolve) => others.on('close', resolve));
    loads.push(result.loadMs);
    for (const c of result.cost ?? []) if (c.program === 'sbx_sys_enter' || c.program === 'sbx_sys_exit') cost.push([`${label}: ${c.program}`, String(c.runs), fmt(c.nsPerRun, 0)]);
  }
  for (let i = loads.length; i < runs; i++)
    loads.push((await learnWithEbpf({ target: { kind: 'command', path: '/usr/bin/true', argv: ['true'] }, maxValues: 64, argValues: 16384, notes: [] })).loadMs);
  console.log(table(cost));
  console.log('goal: cost for other processes <= 300 ns per syscall (sys_enter + sys_exit run time per run)');
  console.log(`load + attach (maps, assembly, verifier, attach), median of ${loads.length}: ${fmt(median(loads), 1)} ms (goal <= 100 ms)`);
}
