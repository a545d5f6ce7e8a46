/**
 * The eBPF section of `npm run bench` (root only): `sbx learn --backend ebpf` against strace
 * -f -c and sbx's ptrace seccomp mode on the same workloads in the same run, all pinned to one
 * CPU; the kernel's own timing of each program run (BPF_ENABLE_STATS, the switch behind
 * kernel.bpf_stats_enabled, off again when its fd closes); load + attach time.
 *
 * Overhead per syscall = (traced - bare - that tool's fixed start-up) / calls, in CPU time
 * (user + system, from /usr/bin/time), medians: wall clock on this shared 2-vCPU VM swings by
 * seconds with the other sessions' load, CPU time does not wait for a CPU. For strace and sbx's
 * ptrace mode that is the whole tree (the tracer works per call); for eBPF it is the program's
 * own tree (the hook runs in the program's context; sbx itself only polls a counter every 20 ms,
 * and its start-up CPU would bury 0.1 s of hook time in ±0.2 s of Node start-up). Cost for other processes = sys_enter's run time per run while almost every run is a
 * process sbx does not follow (an untraced dd while sbx learns a sleeping command).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

/** CPU seconds (user + system) that /usr/bin/time wrote to `out`. */
function cpuIn(out: string): number {
  const [user, system] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return user! + system!;
}

/**
 * CPU seconds of the command `wrap(timed)` runs, where `timed` is `argv` under /usr/bin/time:
 * `wrap` = identity times the whole tree, a tracer wrapper times its program only.
 */
function cpuOnce(argv: readonly string[], work: string, wrap: (timed: string[]) => string[] = (t) => t): number {
  const out = join(work, 'time.out');
  const command = wrap(['/usr/bin/time', '-f', '%U %S', '-o', out, ...argv]);
  const r = spawnSync(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${command.join(' ')} failed (${r.status}): ${r.stderr}`);
  return cpuIn(out);
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
  if (!existsSync('/usr/bin/time')) {
    console.log('\nebpf: skipped (/usr/bin/time missing: apt-get install time)');
    return;
  }
  const { runs, cpu, sbx, work } = options;
  const pinned = (argv: readonly string[]) => ['taskset', '-c', String(cpu), ...argv];
  const out = join(work, 'ebpf.json');
  // Each tool: how to measure the CPU of `argv` under it (median of `runs`).
  const measure = (argv: readonly string[], wrap?: (timed: string[]) => string[]) =>
    median(Array.from({ length: runs }, () => cpuOnce(argv, work, wrap)));
  const tools = {
    bare: (argv: readonly string[]) => measure(pinned(argv)),
    ebpf: (argv: readonly string[]) =>
      measure(pinned(argv), (timed) => [sbx, 'learn', '-q', '--backend', 'ebpf', '-o', out, '--', ...timed]),
    seccomp: (argv: readonly string[]) => measure([sbx, 'learn', '-q', '--mode', 'seccomp', '-o', join(work, 'sec.json'), '--', ...argv]),
    strace: (argv: readonly string[]) => measure(pinned(['strace', '-f', '-c', '-o', '/dev/null', '--', ...argv])),
  };
  const trueBare = tools.bare(['true']);
  const fixed = Object.fromEntries((['ebpf', 'seccomp', 'strace'] as const).map((t) => [t, tools[t](['true']) - trueBare])) as Record<
    'ebpf' | 'seccomp' | 'strace',
    number
  >;
  console.log(
    `\nebpf: sbx learn --backend ebpf, ${runs} runs per cell (median CPU time: tracer + program; eBPF: the program, where its hook runs), programs pinned to CPU ${cpu}; fixed start-up CPU over bare /bin/true: ebpf ${fmt(fixed.ebpf * 1000, 1)} ms, seccomp ${fmt(fixed.seccomp * 1000, 1)} ms, strace ${fmt(fixed.strace * 1000, 1)} ms`,
  );
  const workloads = [
    { name: 'dd bs=1 count=200000', argv: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=200000', 'status=none'] },
    { name: 'C threads 4x50000 getppid', argv: [options.compile('threads'), '4', '50000'] },
  ];
  const rows = [['workload', 'calls', 'bare CPU s', 'µs ebpf', 'µs seccomp', 'µs strace', 'ebpf/strace', 'ebpf/seccomp']];
  for (const w of workloads) {
    const bare = tools.bare(w.argv);
    const ebpf = tools.ebpf(w.argv);
    const calls = (JSON.parse(spawnSync('cat', [out], { encoding: 'utf8' }).stdout) as { totals: { calls: number } }).totals.calls;
    const seccomp = tools.seccomp(w.argv);
    const strace = tools.strace(w.argv);
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
    [
      'while following dd (almost all runs traced)',
      ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=200000', 'status=none'],
      undefined,
    ],
    [
      'other processes: untraced dd while following sleep',
      ['sleep', '2'],
      ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=400000', 'status=none'],
    ],
  ] as const) {
    const others = background ? spawn(background[0], background.slice(1), { stdio: 'ignore' }) : undefined;
    // Listen now: the background dd may well finish before learning does.
    const othersDone = others && new Promise((resolve) => others.on('close', resolve));
    const result = await learnWithEbpf({
      target: { kind: 'command', path: `/usr/bin/${argv[0]}`, argv },
      maxValues: 64,
      argValues: 16384,
      measureCost: true,
      notes: [],
    });
    await othersDone;
    loads.push(result.loadMs);
    for (const c of result.cost ?? [])
      if (c.program === 'sbx_sys_enter' || c.program === 'sbx_sys_exit')
        cost.push([`${label}: ${c.program}`, String(c.runs), fmt(c.nsPerRun, 0)]);
  }
  for (let i = loads.length; i < runs; i++)
    loads.push(
      (
        await learnWithEbpf({
          target: { kind: 'command', path: '/usr/bin/true', argv: ['true'] },
          maxValues: 64,
          argValues: 16384,
          notes: [],
        })
      ).loadMs,
    );
  console.log(table(cost));
  console.log('goal: cost for other processes <= 300 ns per syscall (sys_enter + sys_exit run time per run)');
  console.log(`load + attach (maps, assembly, verifier, attach), median of ${loads.length}: ${fmt(median(loads), 1)} ms (goal <= 100 ms)`);
}
