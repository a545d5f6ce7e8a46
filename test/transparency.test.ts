/**
 * sbx is invisible to the program it watches: test/workloads/world-probe.c prints what a program
 * can see of the world it was started in (fd flags and types, open and closed fds, signal mask
 * and dispositions, rlimits, umask, cwd, environment, session, terminal, CPUs, ...). It runs
 * bare and under every way sbx starts or watches a program, in a pipe and in a terminal (tmux),
 * and the reports must be identical except for what the README lists under "What sbx changes in
 * the program". The pipe world is made unusual on purpose (a blocked and an ignored signal, a
 * low open-files limit, umask 027, an extra fd 3, a stale PWD, NODE_EXTRA_CA_CERTS), since Node
 * changes or reads all of those in its own process; stdout is a real pipe, stdin and stderr sockets. A second world has fds 0
 * and 2 closed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON, requireTool, runCommand, runSbx, SBX, tempDir, workload } from './helpers.js';
import { type Capability, ebpfCapability, needs } from './machine.js';

/** Makes the world unusual, then execs the rest of its arguments. */
const WORLD = `
import os, resource, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
signal.signal(signal.SIGHUP, signal.SIG_IGN)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(512, hard), hard))
os.umask(0o027)
fd = os.open('/dev/null', os.O_RDONLY)
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.set_inheritable(3, True)
# bin/sbx keeps it from sbx's own node and gives it back
os.environ['NODE_EXTRA_CA_CERTS'] = '/nonexistent/extra-ca.pem'
if sys.argv[1] == 'closed':
    os.close(0)
    os.close(2)
else:
    # stdout a real pipe (the test's own are sockets), drained by a child
    r, w = os.pipe()
    if os.fork() == 0:
        os.close(w)
        while os.read(r, 65536):
            pass
        os._exit(0)
    os.close(r)
    os.dup2(w, 1)
    os.close(w)
os.execvp(sys.argv[2], sys.argv[2:])
`;

/** How a mode differs from bare by design (README "What sbx changes in the program"). */
interface Mode {
  readonly name: string;
  /** sbx arguments before the probe's command; undefined: bare. */
  readonly sbx?: (policy: string) => string[];
  /** A seccomp filter is installed: no_new_privs 1, seccomp 2. */
  readonly filtered: boolean;
  /** sbx stays attached while the program runs: TracerPid is set. */
  readonly traced: boolean;
  /** Pinned to one CPU while traced (the default; --no-pin turns it off). */
  readonly pinned: boolean;
  /** Attach to the running probe instead of starting it. */
  readonly attach?: boolean;
  /** Needs a terminal (--tui, --ask). */
  readonly tty?: boolean;
  /** What the machine must be able to do (probed when the mode runs). */
  readonly needs?: () => Capability;
}

const BARE: Mode = { name: 'bare', filtered: false, traced: false, pinned: false };
const MODES: readonly Mode[] = [
  { name: 'learn', sbx: () => ['learn', '-q', '-o', '/dev/null', '--'], filtered: true, traced: true, pinned: true },
  {
    name: 'learn --mode syscall',
    sbx: () => ['learn', '-q', '--mode', 'syscall', '-o', '/dev/null', '--'],
    filtered: true,
    traced: true,
    pinned: true,
  },
  { name: 'learn --no-pin', sbx: () => ['learn', '-q', '--no-pin', '-o', '/dev/null', '--'], filtered: true, traced: true, pinned: false },
  { name: 'learn --pid', filtered: false, traced: true, pinned: false, attach: true },
  { name: 'run', sbx: (policy) => ['run', '--policy', policy, '--'], filtered: true, traced: false, pinned: false },
  {
    name: 'run --complain',
    sbx: (policy) => ['run', '-q', '--policy', policy, '--complain', '--'],
    filtered: true,
    traced: true,
    pinned: true,
  },
  {
    name: 'learn --tui',
    sbx: () => ['learn', '-q', '--tui', '-o', '/dev/null', '--'],
    filtered: true,
    traced: true,
    pinned: true,
    tty: true,
  },
  {
    name: 'run --ask',
    sbx: (policy) => ['run', '--policy', policy, '--ask', '-o', '/dev/null', '--'],
    filtered: true,
    traced: true,
    pinned: true,
    tty: true,
  },
  {
    name: 'learn --backend ebpf',
    sbx: () => ['learn', '-q', '--backend', 'ebpf', '-o', '/dev/null', '--'],
    filtered: false,
    traced: false,
    pinned: false,
    needs: ebpfCapability,
  },
];

let probe: string;
let policy: string;
let dir: string;

beforeAll(async () => {
  probe = workload('world-probe');
  dir = tempDir('sbx-transparency-');
  // A policy complete for the probe: learned from it (both worlds make the same calls).
  const profile = join(dir, 'probe.profile.json');
  policy = join(dir, 'probe.policy.json');
  const learned = await runSbx(['learn', '-q', '-o', profile, '--', probe, '--out', join(dir, 'learning.txt')]);
  expect(learned.code, learned.stderr).toBe(0);
  const proposed = await runSbx(['propose', '-q', profile, '-o', policy]);
  expect(proposed.code, proposed.stderr).toBe(0);
}, 60_000);

let serial = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether pid is ptrace-stopped by or attached to someone (TracerPid). */
function tracerOf(pid: number): number {
  try {
    return Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** `sbx learn --pid` on the probe once it waits on its fifo (it says its pid in FIFO.pid); then let it look. */
async function attachAndRelease(fifo: string): Promise<number> {
  const pidFile = `${fifo}.pid`;
  for (let i = 0; i < 400 && !existsSync(pidFile); i++) await sleep(25);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const learn = runSbx(['learn', '-q', '-o', '/dev/null', '--pid', String(pid)]);
  for (let i = 0; i < 400 && tracerOf(pid) === 0; i++) await sleep(25);
  expect(tracerOf(pid), 'sbx learn --pid attached').not.toBe(0);
  writeFileSync(fifo, 'x');
  const done = await learn;
  expect(done.code, done.stderr).toBe(0);
  return pid;
}

/** The probe's report in a pipe world: stdio are pipes from this test, the world made by WORLD. */
async function inPipe(world: 'pipe' | 'closed', mode: Mode): Promise<string> {
  const id = `${mode.name.replace(/\W+/g, '-')}-${world}-${serial++}`;
  const out = join(dir, `${id}.txt`);
  const fifo = join(dir, `${id}.fifo`);
  const probeArgs = [probe, ...(mode.attach ? ['--wait', fifo] : []), '--out', out];
  if (mode.attach) execFileSync('mkfifo', [fifo]);
  const argv = mode.sbx ? [SBX, ...mode.sbx(policy), ...probeArgs] : probeArgs;
  const child = spawn(PYTHON, ['-c', WORLD, world, ...argv], {
    cwd: dir,
    env: { ...process.env, PWD: '/stale' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // A hang must fail the test, not leave sbx and the probe behind (sbx's EXITKILL takes the probe).
  const guard = setTimeout(() => child.kill('SIGKILL'), 45_000);
  if (mode.attach) await attachAndRelease(fifo);
  child.stdin!.end();
  const code = await ended;
  clearTimeout(guard);
  expect(code, `${mode.name} in ${world}: ${stderr}`).toBe(0);
  // bare, its parent is this test; under sbx, sbx itself (the process this test started)
  const parent = mode.sbx ? child.pid : process.pid;
  return withoutUnderscore(readFileSync(out, 'utf8').replace(`ppid: ${parent}\n`, `ppid: ${mode.sbx ? 'sbx' : 'caller'}\n`));
}

/** A tmux server of this test's own: the environment of a shared one is whoever started it. */
const tmux = (...args: string[]) =>
  execFileSync('tmux', ['-L', `sbx-transparency-${process.pid}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The probe's report in a terminal: a tmux session 100x30, the command run by its shell. */
async function inTerminal(mode: Mode): Promise<string> {
  requireTool('tmux');
  const id = `${mode.name.replace(/\W+/g, '-')}-tty-${serial++}`;
  const out = join(dir, `${id}.txt`);
  const fifo = join(dir, `${id}.fifo`);
  const exitFile = join(dir, `${id}.exit`);
  const session = id;
  if (mode.attach) execFileSync('mkfifo', [fifo]);
  const probeCommand = `${probe}${mode.attach ? ` --wait ${fifo}` : ''} --out ${out}`;
  // The same prefix for every mode: no tmux variables (they name the pane).
  const command = mode.sbx ? `${SBX} ${mode.sbx(policy).join(' ')} ${probeCommand}` : probeCommand;
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '100',
    '-y',
    '30',
    `cd ${dir} && env -u TMUX -u TMUX_PANE ${command}; echo $? >${exitFile}; exec sleep 600`,
  );
  try {
    if (mode.attach) await attachAndRelease(fifo);
    for (let i = 0; i < 600 && !existsSync(exitFile); i++) {
      // --tui asks "open sbx review?" at the end: answer no
      if (mode.name === 'learn --tui' && existsSync(out) && i % 4 === 0) tmux('send-keys', '-t', session, 'n');
      await sleep(50);
    }
    expect(readFileSync(exitFile, 'utf8').trim(), `${mode.name} in a terminal:\n${tmux('capture-pane', '-p', '-t', session)}`).toBe('0');
  } finally {
    tmux('kill-session', '-t', session);
  }
  // Its parent is the shell bare and sbx under sbx: both die with the session, nothing to compare.
  return withoutUnderscore(readFileSync(out, 'utf8').replace(/^ppid: \d+\n/m, ''));
}

/** `$_` is what the calling shell ran: the probe bare, sbx under sbx (which does not pass it on). */
const withoutUnderscore = (report: string) => report.replace(/^env: _=.*\n/m, '');

/** The report bare would give, with what `mode` changes by design (README) applied. */
function expected(bare: string, mode: Mode): string {
  let text = bare.replace('ppid: caller\n', 'ppid: sbx\n');
  if (mode.attach) text = text.replace('ppid: sbx\n', 'ppid: caller\n');
  if (mode.filtered) text = text.replace('no_new_privs: 0', 'no_new_privs: 1').replace('seccomp: 0', 'seccomp: 2');
  if (mode.traced) text = text.replace('traced: 0', 'traced: 1');
  if (mode.pinned) text = text.replace(/^cpus: \d+$/m, 'cpus: 1');
  return text;
}

describe('the program sees the same world bare and under sbx', () => {
  for (const world of ['pipe', 'closed'] as const) {
    // Each run is its own process tree: they run side by side (the suite runs in CI on 2 CPUs).
    describe.concurrent(`in a pipe world${world === 'closed' ? ' with fds 0 and 2 closed' : ''}`, () => {
      let bare: string;
      beforeAll(async () => {
        bare = await inPipe(world, BARE);
      }, 30_000);
      it('bare, the world is what WORLD made it', () => {
        expect(bare).toMatch(/^blocked: 12$/m);
        expect(bare).toMatch(/^ignored: 1( |$)/m);
        expect(bare).toMatch(/^rlimit nofile: 512 /m);
        expect(bare).toMatch(/^umask: 027$/m);
        expect(bare).toMatch(/^open fds: (0,1,2,3|1,3)(,\d+)*$/m);
        expect(bare).toMatch(/^env: PWD=\/stale$/m);
        expect(bare).toMatch(world === 'closed' ? /^fd0: closed$/m : /^fd1: flags=01 type=fifo/m);
      });
      it.for(MODES.filter((m) => !m.tty && (world === 'pipe' || !m.attach)).map((m) => [m.name, m] as const))(
        '%s',
        { timeout: 60_000 },
        async ([, mode], ctx) => {
          if (mode.needs) needs(ctx, mode.needs());
          expect(await inPipe(world, mode)).toBe(expected(bare, mode));
        },
      );
    });
  }

  describe('in a terminal (tmux)', () => {
    let bare: string;
    beforeAll(async () => {
      bare = await inTerminal(BARE);
    }, 60_000);
    afterAll(() => {
      try {
        tmux('kill-server');
      } catch {
        // no session left: the server is gone already
      }
    });
    it('bare, the probe has the terminal', () => {
      expect(bare).toMatch(/^fd0: flags=\d+ type=chr tty=1$/m);
      expect(bare).toMatch(/^controlling terminal: yes, foreground group is ours: 1/m);
    });
    it.for(MODES.map((m) => [m.name, m] as const))('%s', { timeout: 60_000 }, async ([, mode], ctx) => {
      if (mode.needs) needs(ctx, mode.needs());
      expect(await inTerminal(mode)).toBe(expected(bare, mode));
    });
  });
});

describe.concurrent('O_NONBLOCK on the shared pipe never reaches the program', () => {
  let file: string;
  let catPolicy: string;
  beforeAll(async () => {
    file = join(tempDir('sbx-nonblock-'), 'big.bin');
    writeFileSync(file, Buffer.alloc(3_000_000, 'x'));
    const profile = join(dir, 'cat.profile.json');
    catPolicy = join(dir, 'cat.policy.json');
    expect((await runSbx(['learn', '-q', '-o', profile, '--', 'cat', file])).code).toBe(0);
    expect((await runSbx(['propose', '-q', profile, '-o', catPolicy])).code).toBe(0);
  }, 30_000);
  /** sbx arguments before the command, and what the machine must be able to do. */
  interface Row {
    readonly name: string;
    readonly args: readonly string[];
    readonly needs?: () => Capability;
  }
  const learn: Row = { name: 'learn', args: ['learn', '-q', '-o', '/dev/null', '--'] };
  const ebpfLearn: Row = {
    name: 'learn --backend ebpf',
    args: ['learn', '-q', '--backend', 'ebpf', '-o', '/dev/null', '--'],
    needs: ebpfCapability,
  };
  // A reader that starts late: the program's writes must block, not fail with EAGAIN.
  it.for<Row>([
    learn,
    { name: 'learn --mode syscall', args: ['learn', '-q', '--mode', 'syscall', '-o', '/dev/null', '--'] },
    { name: 'run --complain', args: ['run', '-q', '--complain', '--policy', 'POLICY', '--'] },
    { name: 'run', args: ['run', '--policy', 'POLICY', '--'] },
    ebpfLearn,
  ])('$name: cat of 3 MB into a pipe read late delivers every byte', { timeout: 60_000 }, async (row, ctx) => {
    if (row.needs) needs(ctx, row.needs());
    const sbxArgs = row.args.map((a) => (a === 'POLICY' ? catPolicy : a)).join(' ');
    const result = await runCommand('bash', ['-c', `${SBX} ${sbxArgs} cat ${file} | (sleep 1; wc -c); echo "status \${PIPESTATUS[0]}"`]);
    expect(result.stdout, result.stderr).toBe('3000000\nstatus 0\n');
    expect(result.stderr).toBe('');
  });

  it.for<Row>([learn, ebpfLearn])(
    '$name -- yes | head -1: no EAGAIN, yes ends by SIGPIPE as bare',
    { timeout: 60_000 },
    async (row, ctx) => {
      if (row.needs) needs(ctx, row.needs());
      const bare = await runCommand('bash', ['-c', 'yes | head -1; echo "status ${PIPESTATUS[0]}"']);
      const traced = await runCommand('bash', ['-c', `${SBX} ${row.args.join(' ')} yes | head -1; echo "status \${PIPESTATUS[0]}"`]);
      expect(traced).toEqual(bare);
    },
  );
});
