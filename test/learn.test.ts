/**
 * `sbx learn` on real processes under the real kernel: counts against strace -f -c, exit
 * status, stdio, signals, threads, exec, i386 calls, programs with their own filter.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../src/profile/types.js';
import {
  asNobody,
  PYTHON,
  profileCounts,
  readJson,
  runCommand,
  runSbx,
  SBX,
  straceCounts,
  tempDir,
  workload,
  processEnded,
  waitFor,
} from './helpers.js';
import { INT80, needs } from './machine.js';

/** strace -c does not count calls that never return (exit_group, exit); sbx counts them at entry. */
const NEVER_RETURN = new Set(['exit_group', 'exit']);

async function learn(
  command: string[],
  extra: string[] = [],
): Promise<{ profile: Profile; stdout: string; stderr: string; code: number | null }> {
  const out = join(tempDir(), 'p.json');
  const run = await runSbx(['learn', '-q', ...extra, '-o', out, '--', ...command]);
  if (!existsSync(out)) throw new Error(`no profile written (exit ${run.code}): ${run.stderr}`);
  return { profile: readJson(out), ...run };
}

function withoutNeverReturning(counts: Map<string, number>): Map<string, number> {
  return new Map([...counts].filter(([name]) => !NEVER_RETURN.has(name)));
}

const exactWorkloads: { name: string; command: () => string[] }[] = [
  { name: 'dd bs=1 count=2000', command: () => ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=2000'] },
  { name: 'python stat loop', command: () => [PYTHON, '-c', "import os\nfor _ in range(500): os.stat('/')"] },
  { name: 'sh fork/exec loop', command: () => ['sh', '-c', 'for i in 1 2 3 4 5; do /bin/true; done; /bin/echo done >/dev/null'] },
];

describe.each(['seccomp', 'syscall'] as const)('exact counts in %s mode', (mode) => {
  it.each(exactWorkloads)('$name equals strace -f -c', async ({ command }) => {
    const argv = command();
    const strace = straceCounts(argv);
    const { profile, code } = await learn(argv, ['--mode', mode]);
    expect(code).toBe(0);
    expect(withoutNeverReturning(profileCounts(profile))).toEqual(withoutNeverReturning(strace.native));
    if (mode === 'syscall') {
      const errors = new Map(
        profile.syscalls.map((s) => [s.name, Object.values(s.errors ?? {}).reduce((a, b) => a + b, 0)] as const).filter(([, n]) => n > 0),
      );
      expect(errors).toEqual(strace.errors);
    }
  });
});

describe('threads and processes', () => {
  it('counts every thread of a C program exactly (4 threads x 1000 getppid)', async () => {
    const { profile } = await learn([workload('threads'), '4', '1000']);
    const counts = profileCounts(profile);
    expect(counts.get('getppid')).toBe(4000);
    expect(counts.get('getpid')).toBe(4);
    expect((counts.get('clone3') ?? 0) + (counts.get('clone') ?? 0)).toBe(4);
    expect(profile.totals.threads).toBe(5);
    expect(profile.totals.processes).toBe(1);
  });

  it('follows python threading', async () => {
    const script =
      'import threading, os\ndef w():\n  for _ in range(100): os.getppid()\nts=[threading.Thread(target=w) for _ in range(3)]\n[t.start() for t in ts]\n[t.join() for t in ts]';
    const { profile } = await learn([PYTHON, '-c', script]);
    expect(profileCounts(profile).get('getppid')).toBe(300);
  });

  it('follows node worker_threads', async () => {
    const dir = tempDir();
    const script = join(dir, 'w.mjs');
    writeFileSync(
      script,
      "import { Worker, isMainThread } from 'node:worker_threads';\nif (isMainThread) for (let i = 0; i < 2; i++) new Worker(new URL(import.meta.url));\nelse for (let i = 0; i < 100; i++) process.ppid;\n",
    );
    const { profile } = await learn([process.execPath, script]);
    expect(profileCounts(profile).get('getppid')).toBe(200);
  });

  it('follows exec chains and breaks counts down per executable', async () => {
    const threads = workload('threads');
    const { profile } = await learn(['sh', '-c', `${threads} 1 10; exec ${threads} 2 5`]);
    const exe = profile.executables.find((e) => e.path === threads);
    expect(exe?.execs).toBe(2);
    expect(exe?.syscalls['x86_64:getppid']).toBe(20);
    const sh = profile.executables.find((e) => e.path.endsWith('/sh'));
    expect(sh?.execs).toBe(1);
    // Whatever sh itself did is counted under sh, and the totals add up.
    expect(profileCounts(profile).get('getppid')).toBe(20 + (sh?.syscalls['x86_64:getppid'] ?? 0));
    expect(profile.totals.processes).toBe(2);
  });
});

describe('exit status and stdio pass through', () => {
  it.each([
    { arg: '0', code: 0 },
    { arg: '3', code: 3 },
    { arg: '-9', code: 137 },
    { arg: '-15', code: 143 },
  ])('exit-with $arg gives $code like a shell', async ({ arg, code }) => {
    const run = await runSbx(['learn', '-q', '--', workload('exit-with'), arg]);
    expect(run.code).toBe(code);
  });

  it('pipes stdin to the program and its stdout back', async () => {
    const input = 'line one\nline two\n'.repeat(1000);
    const run = await runSbx(['learn', '-q', '--', 'cat'], { input });
    expect(run.stdout).toBe(input);
    expect(run.code).toBe(0);
  });

  it('restores SIGPIPE for the program (yes | head -1 ends)', async () => {
    const run = await runSbx(['learn', '-q', '--', 'sh', '-c', 'yes | head -1']);
    expect(run.stdout).toBe('y\n');
    expect(run.code).toBe(0);
  });

  it('prints the strace -c style summary on stderr unless -q', async () => {
    const run = await runSbx(['learn', '--', 'true']);
    expect(run.stderr).toMatch(/% calls\s+calls\s+errors syscall/);
    expect(run.stderr).toMatch(/\bexecve\n/);
    expect(run.stdout).toBe('');
  });
});

/** Start sbx in its own process group, as a shell job would be; resolves when it exits. */
function startSbxJob(args: string[]) {
  const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'sbx'), ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = async (pattern: RegExp) => {
    for (let i = 0; i < 200 && !pattern.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
    if (!pattern.test(stdout)) throw new Error(`never saw ${pattern} in ${stdout} / ${stderr}`);
  };
  return { child, done, waitFor, output: () => ({ stdout, stderr }) };
}

describe('signals', () => {
  it('Ctrl-C (SIGINT to the foreground group) reaches a program that handles it; the profile is written', async () => {
    const out = join(tempDir(), 'p.json');
    const script =
      "import signal, sys, time\nsignal.signal(signal.SIGINT, lambda *a: (print('caught', flush=True), sys.exit(4)))\nprint('ready', flush=True)\ntime.sleep(30)";
    const job = startSbxJob(['learn', '-q', '-o', out, '--', PYTHON, '-c', script]);
    await job.waitFor(/ready/);
    process.kill(-job.child.pid!, 'SIGINT');
    const { code } = await job.done;
    expect(job.output().stdout).toContain('caught');
    expect(code).toBe(4);
    expect(readJson(out).syscalls.some((s) => s.name === 'rt_sigreturn')).toBe(true);
  });

  it('Ctrl-C kills a program that does not handle it: sbx dies of SIGINT too (a shell reports 130), profile still written', async () => {
    const out = join(tempDir(), 'p.json');
    const job = startSbxJob(['learn', '-q', '-o', out, '--', 'sh', '-c', 'echo ready; sleep 30']);
    await job.waitFor(/ready/);
    process.kill(-job.child.pid!, 'SIGINT');
    const { signal } = await job.done;
    expect(signal).toBe('SIGINT');
    expect(existsSync(out)).toBe(true);
  });

  it('a program that stops itself waits for SIGCONT from outside, then finishes', async () => {
    const job = startSbxJob(['learn', '-q', '--', 'sh', '-c', 'echo $$; kill -STOP $$; echo resumed']);
    await job.waitFor(/^\d+\n/);
    const pid = Number(job.output().stdout.trim());
    const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0]!;
    await waitFor('the program to stop itself', () => ['T', 't'].includes(state()));
    expect(job.output().stdout).not.toContain('resumed');
    process.kill(pid, 'SIGCONT');
    const { code } = await job.done;
    expect(job.output().stdout).toContain('resumed');
    expect(code).toBe(0);
  });

  it('--pid attaches to a running process with all its threads; Ctrl-C detaches and writes the profile', async () => {
    const out = join(tempDir(), 'p.json');
    // The main thread says when it has made 50 calls while traced (its threads call as often).
    const script = [
      'import os, threading, time',
      'def w():',
      '  while True: os.getppid(); time.sleep(0.001)',
      'for _ in range(2): threading.Thread(target=w, daemon=True).start()',
      "print('ready', flush=True)",
      "traced = lambda: 'TracerPid:\\t0\\n' not in open('/proc/self/status').read()",
      'while not traced(): os.getpid(); time.sleep(0.001)',
      'for _ in range(50): os.getpid(); time.sleep(0.001)',
      "print('traced calls made', flush=True)",
      'while True: os.getpid(); time.sleep(0.001)',
    ].join('\n');
    let said = '';
    const target = spawn(PYTHON, ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      target.stdout.on('data', (d) => (said += String(d)));
      await waitFor('the program to start', () => said.includes('ready'));
      const job = startSbxJob(['learn', '-q', '-o', out, '--pid', String(target.pid)]);
      // Ctrl-C once the program has made calls while traced (sbx's handler is in place by then).
      await waitFor('the program to make calls while traced', () => said.includes('traced calls made'));
      process.kill(job.child.pid!, 'SIGINT');
      const { code } = await job.done;
      expect(code).toBe(0);
      const profile = readJson(out);
      const counts = profileCounts(profile);
      expect(counts.get('getppid')).toBeGreaterThan(10);
      expect(counts.get('getpid')).toBeGreaterThan(10);
      expect(profile.runs[0]!.attachedPid).toBe(target.pid);
      expect(profile.totals.threads).toBe(3);
      // What ran is recorded from /proc, not as sbx's own arguments; nothing claims a pinning that did not happen.
      expect(profile.runs[0]!.command).toEqual([PYTHON, '-c', script]);
      const exe = profile.executables.find((e) => e.path === realpathSync(PYTHON));
      expect(exe).toMatchObject({ attached: 1, execs: 0, processes: 1, threads: 3 });
      expect(exe!.syscalls['x86_64:getppid']).toBeGreaterThan(10);
      expect(profile.notes.filter((n) => /pinned/.test(n))).toEqual([
        'not pinned to a CPU: an attached process keeps its own CPU affinity',
      ]);
      // Detached cleanly: the program runs on, untraced.
      const status = () => readFileSync(`/proc/${target.pid}/status`, 'utf8');
      await waitFor('the program to run untraced', () => /TracerPid:\s+0\n/.test(status()) && !/State:\s+[tT]/.test(status()));
    } finally {
      target.kill('SIGKILL');
    }
  });
});

describe('lifetime', () => {
  it('--pid ends when the process exits by itself, passing its exit status through', async () => {
    const out = join(tempDir(), 'p.json');
    // It makes its calls once sbx traces it (exit 3 if that never happens), however long sbx takes to attach.
    const script = [
      'import os, sys, time',
      "print('ready', flush=True)",
      'deadline = time.monotonic() + 30',
      "while 'TracerPid:\\t0\\n' in open('/proc/self/status').read():",
      '  if time.monotonic() > deadline: sys.exit(3)',
      '  time.sleep(0.01)',
      'for _ in range(50): os.getppid()',
      'sys.exit(5)',
    ].join('\n');
    const target = spawn(PYTHON, ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => target.stdout.on('data', (d) => String(d).includes('ready') && resolve()));
    const run = await runSbx(['learn', '-q', '-o', out, '--pid', String(target.pid)]);
    expect(run.code).toBe(5);
    expect(profileCounts(readJson(out)).get('getppid')).toBe(50);
  });

  it('the traced program dies with sbx (PTRACE_O_EXITKILL)', async () => {
    const job = startSbxJob(['learn', '-q', '--', 'sh', '-c', 'echo $$; exec sleep 30']);
    await job.waitFor(/^\d+\n/);
    const pid = Number(job.output().stdout.trim());
    await waitFor('the traced program to run sleep', () => existsSync(`/proc/${pid}`) && /sleep$/.test(readlinkSync(`/proc/${pid}/exe`)));
    process.kill(job.child.pid!, 'SIGKILL');
    await job.done;
    await waitFor('the traced program to die with sbx', () => processEnded(pid), 2500);
  });
});

describe('special syscalls', () => {
  it('counts int 0x80 calls under i386, never under x86_64 names', async (ctx) => {
    needs(ctx, INT80);
    const { profile } = await learn([workload('int80'), '25']);
    expect(profileCounts(profile, 'i386').get('getpid')).toBe(25);
    expect(profileCounts(profile).get('getpid')).toBeUndefined();
    expect(profileCounts(profile).get('getppid')).toBe(25);
    expect(profile.arches).toEqual(expect.arrayContaining(['x86_64', 'i386']));
  });

  it("sees syscalls denied by the program's own seccomp filter, with the result", async () => {
    const { profile, stdout, code } = await learn([workload('own-filter'), '7']);
    expect(code).toBe(0);
    expect(stdout).toBe('denied=7\n');
    const getppid = profile.syscalls.find((s) => s.name === 'getppid');
    expect(getppid?.count).toBe(7);
    expect(getppid?.deniedByOwnFilter).toEqual({ 'ERRNO(EPERM)': 7 });
    expect(profileCounts(profile).get('getpid')).toBe(7);
    expect(profile.syscalls.find((s) => s.name === 'getpid')?.deniedByOwnFilter).toBeUndefined();
  });

  it('in syscall mode records no call of a program with its own filter as denied unless it was', async () => {
    const { profile, code } = await learn([workload('own-filter'), '7'], ['--mode', 'syscall']);
    expect(code).toBe(0);
    expect(profile.syscalls.filter((s) => s.deniedByOwnFilter).map((s) => s.name)).toEqual([]);
    expect(profile.syscalls.find((s) => s.name === 'getppid')?.errors).toEqual({ EPERM: 7 });
  });

  describe.each(['seccomp', 'syscall'] as const)("%s mode: a call the program's own filter kills or traps", (mode) => {
    it.each([
      { action: 'kill-process', result: 'KILL' },
      { action: 'kill-thread', result: 'KILL' },
      { action: 'trap', result: 'TRAP' },
    ])('$action is recorded as $result', async ({ action, result }) => {
      const { profile, stdout, code } = await learn([workload('own-filter-kill'), action, '4'], ['--mode', mode]);
      expect(code).toBe(0);
      expect(stdout).toBe('child: SIGSYS\n');
      const getppid = profile.syscalls.find((s) => s.name === 'getppid');
      expect(getppid?.count).toBe(1);
      expect(getppid?.deniedByOwnFilter).toEqual({ [result]: 1 });
      expect(profile.syscalls.filter((s) => s.deniedByOwnFilter).map((s) => s.name)).toEqual(['getppid']);
      expect(profileCounts(profile).get('getpid')).toBe(5);
    });
  });
});

describe('--pid and a filter installed before the attach', () => {
  it('records the call that filter kills as KILL, and says ERRNO denials cannot be told from errors', async () => {
    const out = join(tempDir(), 'p.json');
    const target = spawn(workload('own-filter-kill'), ['kill-process', '3', 'attach'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    target.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise((resolve) => target.on('close', resolve));
    try {
      for (let waited = 0; !/child \d+\n/.test(stdout) && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      const child = Number(/child (\d+)/.exec(stdout)![1]);
      const run = await runSbx(['learn', '-q', '-o', out, '--pid', String(child)]);
      expect(run.code).toBe(128 + 31); // the attached process died of SIGSYS
      await exited;
      expect(stdout).toMatch(/child: SIGSYS\n$/);
      const profile = readJson(out);
      expect(profile.syscalls.find((s) => s.name === 'getppid')?.deniedByOwnFilter).toEqual({ KILL: 1 });
      expect(profileCounts(profile).get('getpid')).toBe(3);
      expect(profile.notes.some((n) => n.startsWith('the attached process runs under a seccomp filter of its own'))).toBe(true);
    } finally {
      target.kill('SIGKILL');
    }
  });
});

describe.each(['seccomp', 'syscall'] as const)('a CLONE_UNTRACED child in %s mode', (mode) => {
  it.each(['clone', 'clone3'])('via %s runs as it does bare, its calls counted, its flags as the program wrote them', async (how) => {
    const argv = [workload('untraced-child'), how, '6'];
    const bare = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    expect(bare.stdout).toBe('flags: as given\nchild: exit 7\n');
    const { profile, stdout, code } = await learn(argv, ['--mode', mode]);
    expect(code).toBe(0);
    expect(stdout).toBe(bare.stdout);
    expect(profileCounts(profile).get('getppid')).toBe(6);
    expect(profile.totals.processes).toBe(2);
    // The recorded flags are the program's; the profile says what sbx did about them.
    expect(profile.syscalls.find((s) => s.name === how)!.args![0]!.values[0]!.label).toMatch(/CLONE_UNTRACED/);
    expect(profile.notes).toContain(
      "1 clone/clone3 call(s) asked for an untraced child (CLONE_UNTRACED): sbx cleared the flag so each child was traced and its calls counted (the program's own copy of the flags was put back)",
    );
  });
});

describe('bad input', () => {
  it.each([
    { args: ['learn'], code: 125, message: /^sbx: no command given/ },
    { args: ['learn', '--', 'no-such-command-xyz'], code: 127, message: /^sbx: no-such-command-xyz: command not found\n$/ },
    { args: ['learn', '--', '/etc'], code: 126, message: /^sbx: \/etc: is a directory\n$/ },
    { args: ['learn', '--pid', '999999999'], code: 125, message: /^sbx: no process with pid 999999999\n$/ },
    {
      args: ['learn', '--tracee-output', '/proc/nope/out', '--', 'true'],
      code: 125,
      message: /^sbx: cannot write \/proc\/nope\/out: ENOENT\n$/,
    },
    { args: ['learn', '--tracee-output', 'out', '--pid', '1'], code: 125, message: /^sbx: --tracee-output redirects a program sbx starts/ },
  ])('$args → exit $code', async ({ args, code, message }) => {
    const run = await runSbx(args);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a file without execute permission gives 126 before anything runs', async () => {
    const file = join(tempDir(), 'data.txt');
    writeFileSync(file, 'not a program\n', { mode: 0o644 });
    const run = await runSbx(['learn', '--', file]);
    expect(run.code).toBe(126);
    expect(run.stderr).toBe(`sbx: ${file}: permission denied\n`);
  });

  it('a file the kernel cannot execute gives 126 with the reason and no profile', async () => {
    const dir = tempDir();
    const file = join(dir, 'garbage');
    writeFileSync(file, '\x7fELF garbage', { mode: 0o755 });
    const out = join(dir, 'p.json');
    const run = await runSbx(['learn', '-o', out, '--', file]);
    expect(run.code).toBe(126);
    expect(run.stderr).toBe(`sbx: ${file}: Exec format error\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an unwritable -o before running the program', async () => {
    const dir = tempDir();
    const marker = join(dir, 'ran');
    const run = await runSbx(['learn', '-o', '/proc/nope/p.json', '--', 'touch', marker]);
    expect(run.code).toBe(125);
    expect(run.stderr).toMatch(/^sbx: cannot write \/proc\/nope\/p.json/);
    expect(existsSync(marker)).toBe(false);
  });

  it('names the cause when ptrace is not permitted (sbx already traced)', async () => {
    const traced = spawnSync('strace', ['-f', '-o', '/dev/null', process.execPath, 'bin/sbx', 'learn', '-q', '--', 'true'], {
      encoding: 'utf8',
    });
    expect(traced.status).toBe(125);
    expect(traced.stderr).toMatch(/ptrace not permitted: .*(already traced|itself being traced)/);
  });
});

describe('command lookup', () => {
  it('skips PATH directories it may not search, as execvp does', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o000 });
    // As nobody (root could search it anyway): the locked directory comes first in PATH.
    const [cmd, ...args] = asNobody(['env', `PATH=${locked}:/usr/bin:/bin`, SBX, 'learn', '-q', '--', 'true']);
    const run = await runCommand(cmd!, args);
    expect(run.code, run.stderr).toBe(0);
  });
});
