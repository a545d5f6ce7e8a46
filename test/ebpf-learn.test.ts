/**
 * `sbx learn --backend ebpf` on real processes under the real kernel (root): counts against
 * strace -f -c, arguments against the ptrace backend, compat calls, overflow, --pid, --cgroup,
 * the program's own filter, snapshots, and what is left behind when sbx is killed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Profile } from '../src/profile/types.js';
import { loadedProgramNames } from '../src/ebpf/kernel.js';
import { ebpfCapability, needs } from './machine.js';
import { PYTHON, profileCounts, readJson, requireTool, ROOT, runCommand, runSbx, SBX, straceCounts, tempDir, workload } from './helpers.js';

/** strace -c does not count calls that never return (exit_group, exit); sbx counts them at entry. */
const NEVER_RETURN = new Set(['exit_group', 'exit']);

async function learn(
  command: string[],
  extra: string[] = [],
): Promise<{ profile: Profile; stdout: string; stderr: string; code: number | null }> {
  const out = join(tempDir(), 'p.json');
  const run = await runSbx(['learn', '-q', '--backend', 'ebpf', ...extra, '-o', out, '--', ...command]);
  if (!existsSync(out)) throw new Error(`no profile written (exit ${run.code}): ${run.stderr}`);
  return { profile: readJson(out), ...run };
}

function withoutNeverReturning(counts: Map<string, number>): Map<string, number> {
  return new Map([...counts].filter(([name]) => !NEVER_RETURN.has(name)));
}

/** Start sbx in the background; resolves `ready` once it says it follows its target. */
function startSbx(args: string[]) {
  const child = spawn(process.execPath, [SBX, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/learning .* with eBPF/.test(stderr)) resolve();
    });
    child.on('exit', () => reject(new Error(`sbx exited before following: ${stderr}`)));
  });
  ready.catch(() => {}); // awaited only by the tests that need it
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, ready, done, stderr: () => stderr };
}

// Loading sbx's programs is what these tests need (root or CAP_BPF+CAP_PERFMON, a kernel with BTF
// and the tracepoints); probed once, and each test skips with the reason where it cannot.
// The option checks under 'bad input' load nothing and run everywhere.
beforeEach((ctx) => {
  if (ctx.task.suite?.name !== 'bad input') needs(ctx, ebpfCapability());
});

const exactWorkloads: { name: string; command: () => string[] }[] = [
  { name: 'dd bs=1 count=2000', command: () => ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=2000'] },
  { name: 'python stat loop', command: () => [PYTHON, '-c', "import os\nfor _ in range(500): os.stat('/')"] },
  { name: 'sh fork/exec loop', command: () => ['sh', '-c', 'for i in 1 2 3 4 5; do /bin/true; done; /bin/echo done >/dev/null'] },
];

describe('exact counts', () => {
  it.each(exactWorkloads)('$name equals strace -f -c, calls and errors', async ({ command }) => {
    const argv = command();
    const strace = straceCounts(argv);
    const { profile, code } = await learn(argv);
    expect(code).toBe(0);
    expect(profile.runs[0]?.backend).toBe('ebpf');
    expect(withoutNeverReturning(profileCounts(profile))).toEqual(withoutNeverReturning(strace.native));
    const errors = new Map(
      profile.syscalls.map((s) => [s.name, Object.values(s.errors ?? {}).reduce((a, b) => a + b, 0)] as const).filter(([, n]) => n > 0),
    );
    expect(errors).toEqual(strace.errors);
  });

  it('counts every thread exactly (4 threads x 1000 getppid)', async () => {
    const { profile } = await learn([workload('threads'), '4', '1000']);
    const counts = profileCounts(profile);
    expect(counts.get('getppid')).toBe(4000);
    expect(counts.get('getpid')).toBe(4);
    expect(profile.totals.threads).toBe(5);
    expect(profile.totals.processes).toBe(1);
  });

  it('breaks counts down per executable across exec chains', async () => {
    const threads = workload('threads');
    const { profile } = await learn(['sh', '-c', `${threads} 1 10; exec ${threads} 2 5`]);
    const exe = profile.executables.find((e) => e.path === threads);
    expect(exe?.execs).toBe(2);
    expect(exe?.syscalls['x86_64:getppid']).toBe(20);
    expect(profile.executables.find((e) => e.path.endsWith('/dash') || e.path.endsWith('/sh'))?.execs).toBe(1);
    expect(profile.totals.processes).toBe(2);
  });

  it('counts int 0x80 calls under i386, never under x86_64 names', async (ctx) => {
    // Some hypervisors refuse int 0x80 from 64-bit code (SIGSEGV): then there is no compat call to see.
    if (spawnSync(workload('int80'), ['1']).signal === 'SIGSEGV') ctx.skip(true, 'this machine refuses int 0x80 (SIGSEGV)');
    const { profile } = await learn([workload('int80'), '25']);
    expect(profileCounts(profile, 'i386').get('getpid')).toBe(25);
    expect(profileCounts(profile).get('getpid')).toBeUndefined();
    expect(profileCounts(profile).get('getppid')).toBe(25);
  });

  it('forwards SIGTERM to the program it started and passes its death on (143)', async () => {
    const sbx = startSbx(['learn', '-q', '--backend', 'ebpf', '--', 'sleep', '30']);
    // Once sleep runs, sbx has its handlers in place.
    while (spawnSync('pgrep', ['-P', String(sbx.child.pid), '-x', 'sleep']).status !== 0)
      await new Promise((resolve) => setTimeout(resolve, 50));
    sbx.child.kill('SIGTERM');
    expect(await sbx.done).toBe(143);
  });

  it('passes the exit status through like a shell', async () => {
    expect((await runSbx(['learn', '-q', '--backend', 'ebpf', '--', workload('exit-with'), '3'])).code).toBe(3);
    expect((await runSbx(['learn', '-q', '--backend', 'ebpf', '--', workload('exit-with'), '-15'])).code).toBe(143);
  });
});

describe('arguments', () => {
  it('keeps the same argument histograms as the ptrace backend', async () => {
    const script =
      'import socket, os\nfor f in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX): socket.socket(f, socket.SOCK_DGRAM).close()\nos.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)';
    const command = [PYTHON, '-c', script];
    const ebpf = (await learn(command)).profile;
    const out = join(tempDir(), 'ptrace.json');
    expect((await runSbx(['learn', '-q', '-o', out, '--', ...command])).code).toBe(0);
    const ptrace = readJson(out);
    // Values with equal counts have no order of their own: compare them sorted.
    const argsOf = (p: Profile, name: string) =>
      p.syscalls
        .find((s) => s.name === name)
        ?.args?.map((a) => ({
          ...a,
          values: [...a.values].sort((x, y) => `${x.value}@${x.context}`.localeCompare(`${y.value}@${y.context}`)),
        }));
    for (const name of ['socket', 'openat', 'mmap', 'ioctl', 'fcntl', 'rt_sigaction'])
      expect(argsOf(ebpf, name), name).toEqual(argsOf(ptrace, name));
    expect(argsOf(ebpf, 'socket')).toBeDefined();
    const domains = argsOf(ebpf, 'socket')
      ?.find((a) => a.name === 'domain')
      ?.values.map((v) => v.label);
    expect(domains).toEqual(expect.arrayContaining(['AF_INET', 'AF_INET6', 'AF_UNIX']));
  });

  it('reads clone3 flags through the clone_args pointer', async () => {
    const { profile } = await learn([workload('threads'), '2', '1']);
    const clone3 = profile.syscalls.find((s) => s.name === 'clone3');
    expect(clone3?.args?.[0]?.values[0]?.label).toMatch(/CLONE_VM.*CLONE_THREAD/);
    expect(clone3?.args?.[0]?.values[0]?.count).toBe(2);
  });

  it('counts values beyond the kernel table as dropped, and says so', async () => {
    const { profile } = await learn(['dd', 'if=/dev/zero', 'of=/dev/null', 'count=3'], ['--arg-values', '3']);
    expect(profile.notes.some((n) => /argument values dropped: the kernel's argument table \(3 distinct values\) was full/.test(n))).toBe(
      true,
    );
    let other = 0;
    for (const s of profile.syscalls)
      for (const a of s.args ?? []) {
        expect(a.values.reduce((sum, v) => sum + v.count, 0) + a.other, `${s.name} ${a.name}`).toBe(s.count);
        other += a.other;
      }
    expect(other).toBeGreaterThan(0);
  });
});

describe('--paths', () => {
  /** Opens known paths (one missing), connects to a unix and an inet address, sends to one and binds one. */
  const script = [
    'import os, socket',
    'for p in ("/etc/hostname", "/nonexistent/sbx-paths", "/dev/null", "/dev/null"):',
    '  try: os.close(os.open(p, os.O_RDONLY))',
    '  except OSError: pass',
    'u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
    'try: u.connect("/tmp/sbx-paths-no-such.sock")',
    'except OSError: pass',
    'i = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    'i.bind(("127.0.0.1", 0))',
    'i.connect(("127.0.0.1", 9))',
    'i.sendto(b"x", ("127.0.0.2", 7))',
    'socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind("\\0sbx-abstract")',
  ].join('\n');
  const pathsOf = (p: Profile, name: string) => {
    const paths = p.syscalls.find((s) => s.name === name)?.paths;
    return paths && new Map(paths.values.map((v) => [String(v.value), v.count]));
  };

  it('records the same paths and socket addresses as the ptrace backend', async () => {
    const command = [PYTHON, '-c', script];
    const { profile: ebpf, code } = await learn(command, ['--paths', '--max-values', '4096']);
    expect(code).toBe(0);
    const out = join(tempDir(), 'ptrace.json');
    expect((await runSbx(['learn', '-q', '--paths', '--max-values', '4096', '-o', out, '--', ...command])).code).toBe(0);
    const ptrace = readJson(out);
    // Every socket address, exactly.
    for (const name of ['connect', 'bind', 'sendto']) expect(pathsOf(ebpf, name), name).toEqual(pathsOf(ptrace, name));
    expect(pathsOf(ebpf, 'connect')).toEqual(
      new Map([
        ['/tmp/sbx-paths-no-such.sock', 1],
        ['127.0.0.1:9', 1],
      ]),
    );
    expect(pathsOf(ebpf, 'sendto')?.get('127.0.0.2:7')).toBe(1);
    expect(pathsOf(ebpf, 'bind')?.get('@sbx-abstract')).toBe(1);
    // The workload's own paths, with their counts (the interpreter's start-up may touch pages not yet resident).
    for (const [path, n] of [
      ['/etc/hostname', 1],
      ['/nonexistent/sbx-paths', 1],
    ] as const) {
      expect(pathsOf(ebpf, 'openat')?.get(path), path).toBe(n);
      expect(pathsOf(ptrace, 'openat')?.get(path), path).toBe(n);
    }
    expect(pathsOf(ebpf, 'openat')?.get('/dev/null')).toBe(pathsOf(ptrace, 'openat')?.get('/dev/null'));
    expect(pathsOf(ebpf, 'execve')).toEqual(pathsOf(ptrace, 'execve'));
    // Every call of a syscall with a path argument has its path(s) counted, and nothing was dropped.
    for (const s of ebpf.syscalls.filter((x) => x.name === 'openat' || x.name === 'connect')) {
      expect(s.paths!.values.reduce((sum, v) => sum + v.count, 0) + s.paths!.other, s.name).toBe(s.count);
    }
    expect(ebpf.notes.some((n) => /paths dropped/.test(n))).toBe(false);
  });

  it("records a path in a page not yet resident as '(unreadable)' (ptrace faults it in)", async () => {
    // A private file mapping is not in the page tables until touched: the kernel's copy in sys_enter cannot fault.
    const unresident = [
      'import ctypes, mmap, os, tempfile',
      'with tempfile.TemporaryFile() as f:',
      '  f.write(b"/etc/hostname\\0".ljust(4096, b"\\0")); f.flush()',
      '  m = mmap.mmap(f.fileno(), 4096, mmap.MAP_PRIVATE)',
      '  address = ctypes.addressof(ctypes.c_char.from_buffer(m))',
      '  assert ctypes.CDLL(None).open(ctypes.c_void_p(address), os.O_RDONLY) >= 0',
    ].join('\n');
    const command = [PYTHON, '-c', unresident];
    const { profile: ebpf, code } = await learn(command, ['--paths', '--max-values', '4096']);
    expect(code).toBe(0);
    expect(pathsOf(ebpf, 'openat')?.get('(unreadable)')).toBeGreaterThanOrEqual(1);
    expect(pathsOf(ebpf, 'openat')?.has('/etc/hostname')).toBe(false);
    const out = join(tempDir(), 'ptrace.json');
    expect((await runSbx(['learn', '-q', '--paths', '--max-values', '4096', '-o', out, '--', ...command])).code).toBe(0);
    expect(pathsOf(readJson(out), 'openat')?.get('/etc/hostname')).toBe(1);
  });

  it('counts what a full ring buffer refused, and says so', async () => {
    const { profile, stderr } = await learn(
      [PYTHON, '-c', 'import os\nfor _ in range(20000): os.close(os.open("/dev/null", os.O_RDONLY))'],
      ['--paths', '--path-buffer', '4096'],
    );
    const openat = profile.syscalls.find((s) => s.name === 'openat');
    const dropped = profile.notes.map((n) => /^(\d+) paths dropped: the ring buffer was full \(4096 bytes/.exec(n)).find(Boolean);
    expect(dropped, profile.notes.join('\n')).toBeTruthy();
    expect(Number(dropped![1])).toBeGreaterThan(0);
    expect(openat!.paths!.other).toBeGreaterThan(0);
    expect(openat!.paths!.values.reduce((sum, v) => sum + v.count, 0) + openat!.paths!.other).toBe(openat!.count);
    expect(pathsOf(profile, 'openat')?.get('/dev/null')).toBeGreaterThan(0);
    expect(stderr).toBe('');
  });
});

describe('own seccomp filter', () => {
  it("counts calls the program's own filter denied, with the errno", async () => {
    const { profile, stdout, code } = await learn([workload('own-filter'), '7']);
    expect(code).toBe(0);
    expect(stdout).toBe('denied=7\n');
    const getppid = profile.syscalls.find((s) => s.name === 'getppid');
    expect(getppid?.count).toBe(7);
    expect(getppid?.deniedByOwnFilter).toEqual({ 'ERRNO(EPERM)': 7 });
    expect(getppid?.errors ?? {}).toEqual({});
    expect(profileCounts(profile).get('getpid')).toBe(7);
  });
});

describe('in place', () => {
  it('--pid follows a running process and its future children until they are gone', async () => {
    const target = spawn(
      PYTHON,
      [
        '-c',
        'import os, sys\nsys.stdin.readline()\nfor _ in range(1000): os.getppid()\nif os.fork() == 0:\n  for _ in range(50): os.getppid()\n  os._exit(0)\nos.wait()',
      ],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    const out = join(tempDir(), 'pid.json');
    const sbx = startSbx(['learn', '-q', '--backend', 'ebpf', '--pid', String(target.pid), '-o', out]);
    await sbx.ready;
    target.stdin!.end('go\n');
    expect(await sbx.done).toBe(0);
    const profile = readJson(out);
    expect(profileCounts(profile).get('getppid')).toBe(1050);
    expect(profile.runs[0]?.attachedPid).toBe(target.pid);
    expect(profile.totals.processes).toBe(2);
  });

  describe('--cgroup', () => {
    const mount = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .find((f) => f[f.indexOf('-') + 1] === 'cgroup2')?.[4];
    const dir = mount && join(mount, `sbx-test-${process.pid}`);
    afterAll(() => {
      if (dir && existsSync(dir)) rmdirSync(dir);
    });

    it('learns every process in the cgroup and nothing outside it', async () => {
      if (!dir) throw new Error('no cgroup v2 hierarchy mounted');
      mkdirSync(dir);
      const out = join(tempDir(), 'cg.json');
      const sbx = startSbx(['learn', '-q', '--backend', 'ebpf', '--cgroup', dir, '-o', out]);
      await sbx.ready;
      const loop = workload('getppid-loop');
      // Inside: joins the cgroup, then 300 getppid in a child; outside, at the same time: 500.
      const inside = spawnSync('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && ${loop} 300`]);
      const outside = spawnSync(loop, ['500']);
      expect(inside.status).toBe(0);
      expect(outside.status).toBe(0);
      sbx.child.kill('SIGINT');
      expect(await sbx.done).toBe(0);
      const profile = readJson(out);
      expect(profileCounts(profile).get('getppid')).toBe(300);
      expect(profile.runs[0]?.cgroup).toBe(dir);
      expect(profile.notes.some((n) => /stopped by a signal/.test(n))).toBe(true);
    });
  });

  it('--container learns a runc container by its cgroup', async () => {
    requireTool('runc');
    requireTool('busybox');
    const bundle = tempDir('sbx-runc-');
    const rootfs = join(bundle, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    copyFileSync(requireTool('busybox'), join(rootfs, 'bin', 'busybox'));
    symlinkSync('busybox', join(rootfs, 'bin', 'sh'));
    const loop = join(rootfs, 'bin', 'getppid-loop');
    const cc = spawnSync('gcc', ['-O1', '-static', '-o', loop, join(ROOT, 'test', 'workloads', 'getppid-loop.c')], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    expect(spawnSync('mkfifo', [join(rootfs, 'go')]).status).toBe(0);
    expect(spawnSync('runc', ['spec'], { cwd: bundle }).status).toBe(0);
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    config.process.terminal = false;
    // Waits (before sbx attaches), then exactly 300 getppid.
    config.process.args = ['/bin/sh', '-c', 'read x < /go; exec /bin/getppid-loop 300'];
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    const id = `sbx-test-${process.pid}`;
    // The container inherits runc's stdio: a pipe would keep spawnSync waiting for the container.
    const log = join(bundle, 'runc.log');
    const started = spawnSync('runc', ['--log', log, 'run', '-d', '--bundle', bundle, id], { stdio: 'ignore' });
    expect(started.status, existsSync(log) ? readFileSync(log, 'utf8') : '').toBe(0);
    try {
      const out = join(tempDir(), 'container.json');
      const sbx = startSbx(['learn', '-q', '--backend', 'ebpf', '--container', id, '-o', out]);
      await sbx.ready;
      writeFileSync(join(rootfs, 'go'), 'go\n');
      while (JSON.parse(spawnSync('runc', ['state', id], { encoding: 'utf8' }).stdout || '{}').status === 'running')
        await new Promise((r) => setTimeout(r, 50));
      sbx.child.kill('SIGINT');
      expect(await sbx.done).toBe(0);
      const profile = readJson(out);
      expect(profileCounts(profile).get('getppid')).toBe(300);
      expect(profile.runs[0]?.command).toEqual(['--container', id]);
    } finally {
      spawnSync('runc', ['delete', '-f', id]);
    }
  });

  it('--snapshot-every writes the profile while learning', async () => {
    const out = join(tempDir(), 'snap.json');
    const started = join(tempDir(), 'started');
    const sbx = startSbx([
      'learn',
      '-q',
      '--backend',
      'ebpf',
      '--snapshot-every',
      '1',
      '-o',
      out,
      '--',
      'sh',
      '-c',
      `${workload('getppid-loop')} 100; touch ${started}; sleep 4`,
    ]);
    while (!existsSync(started)) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(existsSync(out)).toBe(true);
    const snapshot = profileCounts(readJson(out)).get('getppid');
    expect(snapshot).toBeGreaterThanOrEqual(100);
    expect(await sbx.done).toBe(0);
    // Every getppid (the loop's, and sh's own) came before the snapshot.
    expect(profileCounts(readJson(out)).get('getppid')).toBe(snapshot);
  });
});

describe('safety', () => {
  it('when sbx is killed the program runs on and no program or map is left behind', async () => {
    const dir = tempDir();
    const marker = join(dir, 'finished');
    const started = join(dir, 'started');
    const sbx = startSbx(['learn', '-q', '--backend', 'ebpf', '--', 'sh', '-c', `touch ${started}; sleep 2; echo ok > ${marker}`]);
    while (!existsSync(started)) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(loadedProgramNames()).toContain('sbx_sys_enter');
    sbx.child.kill('SIGKILL');
    await sbx.done;
    while (!existsSync(marker)) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(readFileSync(marker, 'utf8')).toBe('ok\n');
    // Programs go away with their last fd; the kernel frees them shortly after.
    for (let i = 0; i < 50 && loadedProgramNames().some((n) => n.startsWith('sbx_')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(loadedProgramNames().filter((n) => n.startsWith('sbx_'))).toEqual([]);
  });
});

describe('privileges', () => {
  it('runs non-root with CAP_BPF+CAP_PERFMON+CAP_DAC_READ_SEARCH, and the program does not inherit them', async () => {
    const caps = '+bpf,+perfmon,+dac_read_search';
    const out = join(tempDir(), 'caps.json');
    spawnSync('chmod', ['a+rwx', join(out, '..')]);
    const run = await runCommand('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      `--inh-caps=${caps}`,
      `--ambient-caps=${caps}`,
      process.execPath,
      SBX,
      'learn',
      '-q',
      '--backend',
      'ebpf',
      '-o',
      out,
      '--',
      'grep',
      'CapAmb',
      '/proc/self/status',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('CapAmb:\t0000000000000000\n');
    expect(profileCounts(readJson(out)).get('execve')).toBe(1);
  });
});

describe('bad input', () => {
  it.each([
    {
      args: ['--paths', '--path-buffer', '5000', '--', 'true'],
      message: /^sbx: --path-buffer 5000: the ring buffer size must be a power of two of at least 4096 bytes\n$/,
    },
    { args: ['--path-buffer', '8192', '--', 'true'], message: /^sbx: --path-buffer goes with --paths\n$/ },
    { args: ['--pid', '1', '--', 'true'], message: /^sbx: give one of a command, --pid, --cgroup/ },
    { args: ['--cgroup', '/nonexistent/cg'], message: /^sbx: \/nonexistent\/cg: not a cgroup directory\n$/ },
    { args: ['--cgroup', '/tmp'], message: /^sbx: \/tmp: not in a cgroup v2 hierarchy/ },
    { args: ['--mode', 'syscall', '--', 'true'], message: /^sbx: --mode is not available with --backend ebpf\n$/ },
  ])('$args', async ({ args, message }) => {
    const run = await runSbx(['learn', '--backend', 'ebpf', ...args]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a file the kernel cannot execute gives 126 with the reason and no profile, as under ptrace', async (ctx) => {
    needs(ctx, ebpfCapability());
    const dir = tempDir();
    const file = join(dir, 'garbage');
    writeFileSync(file, '\x7fELF garbage', { mode: 0o755 });
    const out = join(dir, 'p.json');
    const run = await runSbx(['learn', '--backend', 'ebpf', '-o', out, '--', file]);
    expect(run.code).toBe(126);
    expect(run.stderr).toBe(`sbx: ${file}: Exec format error\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('--duration and --cgroup without --backend ebpf are refused', async () => {
    const run = await runSbx(['learn', '--duration', '3', '--', 'true']);
    expect(run.stderr).toMatch(/^sbx: --duration goes with --backend ebpf/);
  });
});

describe('--dump-bpf', () => {
  it('prints every program as loaded', async () => {
    const run = await runSbx(['learn', '--backend', 'ebpf', '--dump-bpf']);
    expect(run.code).toBe(0);
    for (const name of ['sbx_sys_enter', 'sbx_sys_exit', 'sbx_fork', 'sbx_exec', 'sbx_exit'])
      expect(run.stdout).toMatch(new RegExp(`^# ${name}: \\d+ instructions$`, 'm'));
  });
});
