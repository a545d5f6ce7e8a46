/**
 * `npm run bench`: tracer cost against strace, measured in one run on the same workloads.
 * Prints bare time, sbx seccomp mode, sbx syscall mode and strace -f -c, the overhead per
 * syscall of each tracer in µs, the sbx/strace ratios, fixed start-up, and peak RSS.
 *
 * Every tracer is measured pinned to one CPU (sbx pins by default; strace runs under taskset on
 * the same CPU), because unpinned ptrace on this VM swings 10x between batches. Medians of
 * BENCH_RUNS (default 5) runs. BENCH_ONLY=startup prints the start-up table alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchReview } from './review.js';
import { runFilterBench } from './filters.js';
import { benchHints } from './hints.js';
import { runEbpfBench } from './ebpf.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SBX = join(ROOT, 'bin', 'sbx');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WORK = mkdtempSync(join(tmpdir(), 'sbx-bench-'));
const CPU = 0;
/** BENCH_ONLY=startup: only the start-up table (quick, for the start-up goal). */
const ONLY = process.env.BENCH_ONLY;
if (ONLY !== undefined && ONLY !== 'startup') {
  console.error(`bench: BENCH_ONLY=${ONLY}: the only section that runs alone is startup`);
  process.exit(2);
}

function need(tool: string): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench: ${tool} is required (apt-get install ${tool})`);
    process.exit(2);
  }
}

function compile(name: string): string {
  const out = join(WORK, name);
  const r = spawnSync('gcc', ['-O1', '-pthread', '-o', out, join(ROOT, 'test', 'workloads', `${name}.c`)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

const PYTHON = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

interface Workload {
  name: string;
  argv: string[];
}

/** A command, the environment it runs in, where it is not the bench's own, and what runs untimed before each run. */
interface Command {
  readonly argv: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly before?: () => void;
}

function timeOnce(argv: string[], env = process.env): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return elapsed;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMedian(argv: string[]): number {
  return median(Array.from({ length: RUNS }, () => timeOnce(argv)));
}

/**
 * Median of each command, run in turn (A B C A B C ...), so that a noisy moment of a shared
 * machine falls on all of them alike: start-up ratios compare commands of ~0.1-0.3 s.
 */
function timeMediansInTurn<C extends Record<string, string[] | Command>>(commands: C, runs: number): { [K in keyof C]: number } {
  const entries = Object.entries(commands);
  const times = entries.map(() => [] as number[]);
  const once = (c: string[] | Command): number => {
    if (Array.isArray(c)) return timeOnce(c);
    c.before?.();
    return timeOnce(c.argv, c.env);
  };
  for (let i = 0; i < runs; i++) entries.forEach(([, c], k) => times[k]!.push(once(c)));
  return Object.fromEntries(entries.map(([name], k) => [name, median(times[k]!)])) as { [K in keyof C]: number };
}

/** Peak RSS in KiB of the whole command tree's largest process, from GNU time. */
function peakRss(argv: string[]): number {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  return Number(r.stderr.trim().split('\n').pop());
}

const pinned = (argv: string[]) => ['taskset', '-c', String(CPU), ...argv];
const sbx = (mode: string, argv: string[], out: string) => [SBX, 'learn', '-q', '--mode', mode, '-o', out, '--', ...argv];
const strace = (argv: string[]) => pinned(['strace', '-f', '-c', '-o', '/dev/null', '--', ...argv]);
/** `argv` on a pseudo-terminal of its own (script(1)); compared only with another command run so. */
const onTerminal = (argv: string[]) => ['script', '-qec', argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' '), '/dev/null'];

/**
 * Writes `to`: the policy `from` with a rule of `extra` for each syscall `from` has none for;
 * returns how many rules it has.
 */
function writeWithRulesOf(from: string, extra: string, to: string): number {
  type PolicyJson = { rules: { syscall: string }[] };
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PolicyJson;
  const policy = read(from);
  const named = new Set(policy.rules.map((r) => r.syscall));
  policy.rules.push(...read(extra).rules.filter((r) => !named.has(r.syscall)));
  writeFileSync(to, JSON.stringify(policy));
  return policy.rules.length;
}

function callsIn(profilePath: string): number {
  return (JSON.parse(readFileSync(profilePath, 'utf8')) as { totals: { calls: number } }).totals.calls;
}

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

function table(rows: string[][]): string {
  // A row may end early: its missing cells are blank.
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  for (const tool of ['strace', 'gcc', 'taskset', 'script']) need(tool);
  if (!existsSync('/usr/bin/time')) console.error('bench: /usr/bin/time missing (apt-get install time): RSS not measured');
  console.log(`sbx bench: ${RUNS} runs per cell (median), tracers pinned to CPU ${CPU}; times in seconds\n`);

  // Fixed start-up first: the per-syscall overhead below subtracts each tracer's own.
  const trueArgv = ['true'];
  const learnTrue = join(WORK, 't.json');
  const truePolicy = join(WORK, 'true.policy.json');
  spawnSync(SBX, ['learn', '-q', '-o', learnTrue, '--', ...trueArgv], { stdio: 'ignore' });
  spawnSync(SBX, ['propose', learnTrue, '-o', truePolicy], { stdio: 'ignore' });
  const truePolicyRules = (JSON.parse(readFileSync(truePolicy, 'utf8')) as { rules: unknown[] }).rules.length;
  // sbx run with its filter cache filled first (in the bench's own directory), and without it.
  const runTrueArgv = [SBX, 'run', '--policy', truePolicy, '--', ...trueArgv];
  const cached = { ...process.env, XDG_CACHE_HOME: join(WORK, 'cache') };
  spawnSync(runTrueArgv[0]!, runTrueArgv.slice(1), { stdio: 'ignore', env: cached });
  // A daemon-sized policy's first run: the planner's search grows with the rules (docs/bpf.md).
  const serverPolicy = join(WORK, 'server.policy.json');
  const serverRules = writeWithRulesOf(join(ROOT, 'samples/policies/http-server.allowlist.json'), truePolicy, serverPolicy);
  const uncached = { ...process.env, SBX_NO_CACHE: '1' };
  // A policy's first run: an empty cache before each (it plans quickly, then in full while the
  // program runs, which /bin/true is too short for: filter-cache.ts).
  const firstCache = join(WORK, 'first-cache');
  const firstRun = (argv: string[]): Command => ({
    argv,
    env: { ...process.env, XDG_CACHE_HOME: firstCache },
    before: () => rmSync(firstCache, { recursive: true, force: true }),
  });
  // Where NODE_EXTRA_CA_CERTS is set, Node parses that CA bundle as it starts (bin/sbx keeps it
  // from sbx's own node): node -e 0 is timed without it too, the floor sbx cannot go under.
  const { NODE_EXTRA_CA_CERTS: extraCaCerts, ...withoutCa } = process.env;
  // At least 10 runs each: one start-up is ~0.1-0.4 s.
  const {
    bare: trueBare,
    runCached,
    runUncached,
    runServerUncached,
    runFirst,
    runServerFirst,
    ttyNode,
    ttyLearn,
    nodeWithoutCa,
    ...total
  } = timeMediansInTurn(
    {
      bare: trueArgv,
      node: ['node', '-e', '0'],
      // Where the variable is unset, node -e 0 already is this.
      ...(extraCaCerts === undefined ? {} : { nodeWithoutCa: { argv: ['node', '-e', '0'], env: withoutCa } }),
      seccomp: sbx('seccomp', trueArgv, learnTrue),
      syscall: sbx('syscall', trueArgv, learnTrue),
      runCached: { argv: runTrueArgv, env: cached },
      runUncached: { argv: runTrueArgv, env: uncached },
      runServerUncached: { argv: [SBX, 'run', '--policy', serverPolicy, '--', ...trueArgv], env: uncached },
      runFirst: firstRun(runTrueArgv),
      runServerFirst: firstRun([SBX, 'run', '--policy', serverPolicy, '--', ...trueArgv]),
      strace: strace(trueArgv),
      // On a terminal (a pty from script(1)), where sbx learn shows its progress line.
      ttyNode: onTerminal(['node', '-e', '0']),
      ttyLearn: onTerminal([SBX, 'learn', '-q', '-o', learnTrue, '--', ...trueArgv]),
    },
    Math.max(RUNS, 10),
  );
  const fixed = { seccomp: total.seccomp - trueBare, syscall: total.syscall - trueBare, strace: total.strace - trueBare };
  const withCa = nodeWithoutCa !== undefined;
  const row = (name: string, t: number, overBare = true) => [
    name,
    fmt(t * 1000, 1),
    overBare ? fmt((t - trueBare) * 1000, 1) : '',
    fmt(t / total.node),
    ...(withCa ? [fmt(t / nodeWithoutCa)] : []),
  ];
  console.log(
    table([
      ['start-up on /bin/true', 'ms', 'ms over bare', 'x node -e 0', ...(withCa ? ['x node without CA'] : [])],
      row('node -e 0', total.node, false),
      ...(withCa ? [row('node -e 0 without NODE_EXTRA_CA_CERTS', nodeWithoutCa, false)] : []),
      row('sbx learn --mode seccomp', total.seccomp),
      row('sbx learn --mode syscall', total.syscall),
      row('sbx run (filter cached)', runCached),
      row(`sbx run, the policy's first run (${truePolicyRules} rules)`, runFirst),
      row(`sbx run, the policy's first run, ${serverRules}-rule policy`, runServerFirst),
      row('sbx run, SBX_NO_CACHE=1 (full plan each run)', runUncached),
      row(`sbx run, SBX_NO_CACHE=1, ${serverRules}-rule policy`, runServerUncached),
      row('strace -f -c', total.strace),
      ['on a terminal: node -e 0', fmt(ttyNode * 1000, 1), '', '1.00'],
      ['on a terminal: sbx learn', fmt(ttyLearn * 1000, 1), '', fmt(ttyLearn / ttyNode)],
    ]),
  );
  console.log('\ngoal: sbx learn and sbx run start in <= 1.5x node -e 0 (same run, commands in turn)');
  if (withCa)
    console.log(
      `NODE_EXTRA_CA_CERTS is set (${extraCaCerts}): node -e 0 parses it as it starts, sbx does not (bin/sbx); the last column is against node without it`,
    );
  console.log('');
  if (ONLY === 'startup') return;

  const script = join(WORK, 'stat.py');
  writeFileSync(script, "import os\nfor _ in range(100000): os.stat('/')\n");
  const workloads: Workload[] = [
    { name: 'dd bs=1 count=200000', argv: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=200000', 'status=none'] },
    { name: 'python stat x100000', argv: [PYTHON, script] },
    { name: 'C threads 4x50000 getppid', argv: [compile('threads'), '4', '50000'] },
    { name: 'sh fork/exec x300', argv: ['sh', '-c', 'i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done'] },
  ];

  console.log("overhead per syscall, µs = (traced - bare - that tracer's fixed start-up) / calls");
  const rows = [
    ['workload', 'calls', 'bare', 'seccomp', 'syscall', 'strace', 'µs sbx-sec', 'µs sbx-sys', 'µs strace', 'sec/strace', 'sys/strace'],
  ];
  for (const w of workloads) {
    const out = join(WORK, 'p.json');
    const bare = timeMedian(pinned(w.argv));
    const seccomp = timeMedian(sbx('seccomp', w.argv, out));
    const calls = callsIn(out);
    const syscall = timeMedian(sbx('syscall', w.argv, out));
    const st = timeMedian(strace(w.argv));
    const per = (t: number, start: number) => ((t - bare - start) * 1e6) / calls;
    const [pSec, pSys, pStrace] = [per(seccomp, fixed.seccomp), per(syscall, fixed.syscall), per(st, fixed.strace)];
    rows.push([
      w.name,
      String(calls),
      fmt(bare, 3),
      fmt(seccomp, 3),
      fmt(syscall, 3),
      fmt(st, 3),
      fmt(pSec),
      fmt(pSys),
      fmt(pStrace),
      fmt(pSec / pStrace),
      fmt(pSys / pStrace),
    ]);
  }
  console.log(table(rows));
  console.log('\ngoals: seccomp/strace <= 0.50, syscall/strace <= 1.00 (overhead per syscall)\n');

  // Why sbx pins by default: the spread of the same traced run, pinned and not.
  const spread = [['pinning (dd bs=1 count=100000, sbx seccomp)', 'min', 'median', 'max']];
  const ddPin = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=100000', 'status=none'];
  for (const [name, extra] of [
    ['pinned (default)', []],
    ['--no-pin', ['--no-pin']],
  ] as const) {
    const times = Array.from({ length: Math.max(RUNS, 5) }, () => timeOnce([SBX, 'learn', '-q', ...extra, '--', ...ddPin])).sort(
      (a, b) => a - b,
    );
    spread.push([name, fmt(times[0]!, 3), fmt(median(times), 3), fmt(times[times.length - 1]!, 3)]);
  }
  console.log(table(spread));
  console.log('');

  if (existsSync('/usr/bin/time')) {
    const rss = [['peak RSS (KiB)', 'dd count=10^4', 'dd count=10^6', 'growth']];
    const dd = (n: number) => ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${n}`, 'status=none'];
    for (const [name, wrap] of [
      ['sbx seccomp', (a: string[]) => sbx('seccomp', a, join(WORK, 'r.json'))],
      ['sbx syscall', (a: string[]) => sbx('syscall', a, join(WORK, 'r.json'))],
      ['strace -f -c', strace],
    ] as const) {
      const small = peakRss(wrap(dd(10_000)));
      const large = peakRss(wrap(dd(1_000_000)));
      rss.push([name, String(small), String(large), `${fmt(large / small)}x`]);
    }
    console.log(table(rss));
    console.log('\ngoal: RSS flat (growth ~1.0x) as the syscall count grows 100x');
  }

  await runEbpfBench({ work: WORK, runs: RUNS, cpu: CPU, sbx: SBX, compile });
  runFilterBench({ work: WORK, runs: RUNS, cpu: CPU });
  benchReview();
  benchHints(Math.min(RUNS, 3));
}

await main();
