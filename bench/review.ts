/**
 * `sbx review` key-to-redraw on a large profile: 400 syscalls (x86_64 and i386), six argument
 * histograms of 64 long-labelled values each, three executables. The review app runs as
 * `sbx review` runs it (mountReview: Ink for keys, the frame painter for output), on a fake
 * 200x60 terminal; each key is written to
 * stdin and timed until Ink writes the next frame to stdout, and the bytes written until the
 * next key are counted. Keys are spaced like a fast typist (25 ms apart), so Ink's frame
 * throttle does not hold a frame back. Goal: p95 key → first output ≤ 30 ms, and a cursor
 * move (j/k) writes ≤ 1 KB (only what changed is redrawn).
 *
 * `benchReview()` runs the measurement in a child process (Ink owns stdin/stdout while it
 * runs; bench/run.ts stays synchronous); `node dist/bench/review.js` runs it directly.
 */
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { namedCallKey, type ArchName } from '../src/linux/arch.js';
import { syscallTable } from '../src/linux/syscalls.js';
import { PROFILE_FORMAT, PROFILE_VERSION, type ArgHistogram, type Profile, type SyscallEntry } from '../src/profile/types.js';
import { propose } from '../src/learn/propose/index.js';
import { buildReviewData } from '../src/ui/review/data.js';
import { parseKeys } from '../src/ui/keys.js';
import { mountReview } from '../src/ui/review/run-review.js';
import { initialReviewState, reviewReducer } from '../src/ui/review/state.js';

const SYSCALLS = 400;
const WIDTH = 200;
const HEIGHT = 60;
const GOAL_MS = 30;
const GOAL_MOVE_BYTES = 1024;
const VALUES = 64;
const FLAG_WORDS = [
  'O_RDONLY',
  'O_CLOEXEC',
  'O_NONBLOCK',
  'O_DIRECTORY',
  'O_NOFOLLOW',
  'O_CREAT',
  'O_TRUNC',
  'O_APPEND',
  'O_LARGEFILE',
  'O_PATH',
];

/** A profile of 400 syscalls with long histograms, Zipf-distributed counts. */
export function largeProfile(): Profile {
  const picks: { arch: ArchName; nr: number; name: string }[] = [];
  for (const arch of ['x86_64', 'i386'] as const)
    for (const { nr, name } of syscallTable(arch)) if (picks.length < SYSCALLS) picks.push({ arch, nr, name });
  const syscalls: SyscallEntry[] = picks.map((p, i) => {
    const count = Math.floor(2_000_000 / (i + 1) ** 1.1) + 1;
    const args: ArgHistogram[] = Array.from({ length: 6 }, (_, index) => {
      const values = Array.from({ length: VALUES }, (_, v) => ({
        value: `0x${(v * 0x1001 + index).toString(16)}`,
        label: FLAG_WORDS.filter((_, b) => (v >> b) & 1).join('|') || `value_${v}`,
        count: Math.max(1, Math.floor(count / (v + 2))),
      }));
      return { index, name: `arg${index}`, values, other: Math.floor(count / 50) };
    });
    return { arch: p.arch, nr: p.nr, name: p.name, count, perRun: [count], firstSeen: i + 1, args };
  });
  const exes = ['/usr/bin/qemu-system-x86_64', '/usr/lib/qemu/helper', '/bin/sh'];
  const calls = syscalls.reduce((n, s) => n + s.count, 0);
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    tool: { name: 'sbx', version: 'bench' },
    arches: ['x86_64', 'i386'],
    runs: [
      {
        command: ['bench'],
        mode: 'seccomp',
        kernel: 'bench',
        hostname: 'bench',
        start: '',
        end: '',
        exit: { kind: 'exited', code: 0 },
        processes: 3,
        threads: 12,
        calls,
      },
    ],
    totals: { calls, errors: 0, processes: 3, threads: 12 },
    syscalls,
    executables: exes.map((path, e) => ({
      path,
      execs: 1,
      processes: 1,
      threads: 4,
      syscalls: Object.fromEntries(
        syscalls.filter((_, i) => i % (e + 1) === 0).map((s) => [namedCallKey(s.arch, s.name), Math.ceil(s.count / (e + 1))]),
      ),
    })),
    notes: [],
  };
}

class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  columns = WIDTH;
  rows = HEIGHT;
  onWrite: (() => void) | undefined;
  frames = 0;
  bytes = 0;
  write(data: string): boolean {
    this.frames++;
    this.bytes += Buffer.byteLength(data);
    this.onWrite?.();
    return true;
  }
}

class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  send(data: string): void {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read(): string | null {
    const d = this.data;
    this.data = null;
    return d;
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const KEYS: [string, string][] = [
  ...Array.from({ length: 60 }, (): [string, string] => ['j', 'j']),
  ...Array.from({ length: 10 }, (): [string, string] => ['PgDn', '\x1b[6~']),
  ...Array.from({ length: 30 }, (): [string, string] => ['k', 'k']),
  ['End', '\x1b[F'],
  ['Home', '\x1b[H'],
  ['a', 'a'],
  ['j', 'j'],
  ['K', 'K'],
  ['j', 'j'],
  ['l', 'l'],
  ['u', 'u'],
  ['u', 'u'],
  ['f', 'f'],
  ['f', 'f'],
  ['f', 'f'],
  ['f', 'f'],
  ['f', 'f'],
  ['f', 'f'],
  ['g', 'g'],
  ['j', 'j'],
  ['Enter', '\r'],
  ['l', 'l'],
  ['g', 'g'],
  ['/', '/'],
  ['r', 'r'],
  ['e', 'e'],
  ['Enter', '\r'],
  ['?', '?'],
  ['x', 'x'],
];

/** Measure and print; resolves when done. */
export async function measureReview(): Promise<void> {
  let t = process.hrtime.bigint();
  const profile = largeProfile();
  const policy = propose([{ file: 'bench', profile }]);
  const data = buildReviewData(profile, policy, 'bench-400.profile.json');
  const state = initialReviewState(data, { width: WIDTH, height: HEIGHT });
  const buildMs = Number(process.hrtime.bigint() - t) / 1e6;

  // the reducer alone, for comparison
  const reducerTimes: number[] = [];
  let s = state;
  for (const [, key] of KEYS) {
    const t0 = process.hrtime.bigint();
    s = reviewReducer(s, { type: 'keys', keys: parseKeys(key) });
    reducerTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }

  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  t = process.hrtime.bigint();
  const firstFrame = new Promise<void>((resolve) => (stdout.onWrite = resolve));
  const app = mountReview({
    initial: state,
    color: true,
    save: () => 'bench.json',
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
  });
  await firstFrame;
  const firstMs = Number(process.hrtime.bigint() - t) / 1e6;
  await sleep(50);

  const times: { key: string; ms: number }[] = [];
  const cpu: number[] = [];
  const moveBytes: number[] = [];
  let missed = 0;
  for (const [label, key] of KEYS) {
    const b0 = stdout.bytes;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const drawn = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 1000);
      stdout.onWrite = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    stdin.send(key);
    if (await drawn) {
      times.push({ key: label, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    } else missed++;
    stdout.onWrite = undefined;
    await sleep(key === '\x1b' ? 80 : 25);
    if (label === 'j' || label === 'k') moveBytes.push(stdout.bytes - b0);
  }
  app.unmount();

  const all = times.map((x) => x.ms).sort((a, b) => a - b);
  const r = [...reducerTimes].sort((a, b) => a - b);
  const fmt = (n: number) => n.toFixed(2);
  console.log(
    `\nsbx review key-to-redraw: ${data.infos.length} rows (${profile.syscalls.length} syscalls, 6 args x ${VALUES} values each), ${WIDTH}x${HEIGHT}, ${times.length} keys`,
  );
  console.log(`  build rows + proposal ${fmt(buildMs)} ms; first frame ${fmt(firstMs)} ms`);
  console.log(
    `  key → frame written: median ${fmt(quantile(all, 0.5))} ms, p95 ${fmt(quantile(all, 0.95))} ms, max ${fmt(all[all.length - 1]!)} ms${missed ? `, ${missed} key(s) drew nothing` : ''}`,
  );
  const c = [...cpu].sort((a, b) => a - b);
  console.log(
    `  CPU time per key (all threads of the process; less sensitive to load): median ${fmt(quantile(c, 0.5))} ms, p95 ${fmt(quantile(c, 0.95))} ms, max ${fmt(c[c.length - 1]!)} ms`,
  );
  console.log(`  reducer alone: median ${quantile(r, 0.5).toFixed(3)} ms, max ${fmt(r[r.length - 1]!)} ms`);
  const byKey = new Map<string, number[]>();
  for (const { key, ms } of times) byKey.set(key, [...(byKey.get(key) ?? []), ms]);
  console.log(
    `  slowest by key: ${[...byKey]
      .map(([k, v]) => [k, Math.max(...v)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([k, v]) => `${k} ${fmt(v)} ms`)
      .join(', ')}`,
  );
  const mb = [...moveBytes].sort((a, b) => a - b);
  console.log(`  bytes written per cursor move (j/k): median ${quantile(mb, 0.5)}, p95 ${quantile(mb, 0.95)}, max ${mb[mb.length - 1]!}`);
  const p95 = quantile(all, 0.95);
  console.log(
    `  goal: p95 key → first output ≤ ${GOAL_MS} ms: ${p95 <= GOAL_MS ? 'meets it' : 'DOES NOT meet it'}; cursor move ≤ ${GOAL_MOVE_BYTES} B: p95 ${quantile(mb, 0.95) <= GOAL_MOVE_BYTES ? 'meets it' : 'DOES NOT meet it'} (wall time on a shared machine: load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)`,
  );
}

/** Run the measurement in a child process and print its report (for bench/run.ts). */
export function benchReview(): void {
  // React's production build, as `sbx review` runs it (React picks its build when first loaded)
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  // Ink's cursor handling shows the cursor on stderr at exit; the bench has no cursor to show
  process.stderr.write(r.stderr.replaceAll('\x1b[?25h', ''));
  if (r.status !== 0) console.error(`bench: review benchmark failed (exit ${r.status})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.env.NODE_ENV === 'production') await measureReview();
  else benchReview();
}
