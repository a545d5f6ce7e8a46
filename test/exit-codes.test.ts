/**
 * What a calling script sees of sbx: the program's options stay the program's, the program's
 * exit status comes through (dying of SIGINT like the program did), sbx's own failures are 125,
 * its own output failing changes nothing, and a run the policy kills before it starts is never
 * reported as a success (README "Exit codes").
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCommand, runSbx, SBX, tempDir, waitFor, workload } from './helpers.js';

interface PolicyJson {
  arches: string[];
  rules: { syscall: string }[];
  hints?: unknown;
  review?: unknown;
}

describe("options after the program are the program's", () => {
  it('learn: sort -o sorted.txt gets its -o; sbx writes its own -o', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.txt'), 'b\na\n');
    const learn = await runSbx(['learn', '-q', '-o', 'a.json', 'sort', '-o', 'sorted.txt', 'in.txt'], { cwd: dir });
    expect(learn.code, learn.stderr).toBe(0);
    expect(readFileSync(join(dir, 'sorted.txt'), 'utf8')).toBe('a\nb\n');
    expect(JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')).runs[0].command).toEqual(['sort', '-o', 'sorted.txt', 'in.txt']);
  }, 30_000);

  it('run: options after the program go to it, with or without --', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.txt'), 'b\na\n');
    expect((await runSbx(['learn', '-q', '-o', 'p.json', '--', 'sort', '-o', 'x.txt', 'in.txt'], { cwd: dir })).code).toBe(0);
    expect((await runSbx(['propose', '-q', 'p.json', '-o', 'policy.json'], { cwd: dir })).code).toBe(0);
    const run = await runSbx(['run', '--policy', 'policy.json', 'sort', '-o', 'sorted.txt', 'in.txt'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dir, 'sorted.txt'), 'utf8')).toBe('a\nb\n');
  }, 30_000);
});

describe('exit codes and signals', () => {
  it.each([
    ['learn', ['learn', '-q', '--', 'sh', '-c', 'kill -INT $$']],
    ['run --complain', ['run', '-q', '--complain', '--policy', 'POLICY', '--', 'sh', '-c', 'kill -INT $$']],
  ])(
    '%s: the program dies of SIGINT, so does sbx',
    async (_name, args) => {
      const dir = tempDir();
      const policy = join(dir, 'policy.json');
      expect((await runSbx(['learn', '-q', '-o', join(dir, 'p.json'), '--', 'sh', '-c', 'kill -INT $$'])).signal).toBe('SIGINT');
      expect((await runSbx(['propose', '-q', join(dir, 'p.json'), '-o', policy])).code).toBe(0);
      const result = await runSbx(args.map((a) => (a === 'POLICY' ? policy : a)));
      expect(result.signal, result.stderr).toBe('SIGINT');
    },
    30_000,
  );

  it('other signals come through as 128+n, like a shell reports them', async () => {
    const result = await runSbx(['learn', '-q', '--', 'sh', '-c', 'kill -TERM $$']);
    expect([result.code, result.signal]).toEqual([143, null]);
  }, 30_000);

  it.each([
    ['an unknown option', ['learn', '--bogus', '--', 'true']],
    ['no command', ['learn', '-q']],
    ['run without --policy', ['run', '--', 'true']],
    ['run with a missing policy file', ['run', '--policy', '/nonexistent/policy.json', '--', 'true']],
    ['validate without --scenarios', ['validate', 'policy.json']],
  ])(
    "sbx's own failure (%s) exits 125, not a code the program could return",
    async (_name, args) => {
      const result = await runSbx(args);
      expect(result.code, result.stderr).toBe(125);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    },
    30_000,
  );

  it("a closed or broken stderr of sbx changes nothing: the program's code comes through", async () => {
    const closed = await runCommand('bash', ['-c', `${SBX} learn -- sh -c 'exit 3' 2>&-`]);
    expect(closed.code).toBe(3);
    // The reader of sbx's stderr is gone before sbx writes its report: EPIPE.
    const broken = await runCommand('bash', ['-c', `${SBX} learn -- sh -c 'sleep 0.5; exit 3' 2> >(exec true); echo "status $?"`]);
    expect(broken.stdout).toBe('status 3\n');
  }, 30_000);

  it.each([
    ['stdin', 'cat <&-'],
    ['stdout', "sh -c 'echo lost' >&-"],
  ])(
    'a closed %s stays closed for the program: %s fails as it does bare',
    async (_fd, command) => {
      const bare = await runCommand('bash', ['-c', command]);
      const traced = await runCommand('bash', ['-c', `${SBX} learn -q -o /dev/null -- ${command}`]);
      expect(bare.code).not.toBe(0);
      expect(traced).toEqual(bare);
    },
    30_000,
  );
});

describe('sbx run never reports success for a program the policy killed', () => {
  let dir: string;
  let policy: PolicyJson;
  const write = (name: string, edit: (p: PolicyJson) => void): string => {
    const copy = JSON.parse(JSON.stringify(policy)) as PolicyJson;
    edit(copy);
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(copy));
    return file;
  };

  beforeAll(async () => {
    dir = tempDir();
    const profile = join(dir, 'true.profile.json');
    expect((await runSbx(['learn', '-q', '-o', profile, '--', 'true'])).code).toBe(0);
    expect((await runSbx(['propose', '-q', profile, '-o', join(dir, 'true.policy.json')])).code).toBe(0);
    policy = JSON.parse(readFileSync(join(dir, 'true.policy.json'), 'utf8')) as PolicyJson;
  }, 30_000);

  it('execve missing: 128+SIGSYS and the reason', async () => {
    const noExecve = write('no-execve.json', (p) => (p.rules = p.rules.filter((r) => r.syscall !== 'execve')));
    const run = await runSbx(['run', '--policy', noExecve, '--', 'true']);
    expect(run.code).toBe(128 + 31);
    expect(run.stderr).toBe('sbx: true did not start: the policy kills execve, which starting the program needs\n');
  }, 30_000);

  it('a policy for another arch only: 128+SIGSYS and the reason', async () => {
    const arm = write('aarch64.json', (p) => {
      p.arches = ['aarch64'];
      p.rules = [];
      delete p.hints;
      delete p.review;
    });
    const run = await runSbx(['run', '--policy', arm, '--', 'true']);
    expect(run.code).toBe(128 + 31);
    expect(run.stderr).toMatch(/^sbx: true did not start: the policy does not admit x86_64 \(its arches: aarch64\)\n$/);
  }, 30_000);

  it('proposed from an empty profile (--allow-empty): propose warns, run fails with the reason', async () => {
    const learned = JSON.parse(readFileSync(join(dir, 'true.profile.json'), 'utf8'));
    learned.syscalls = [];
    for (const executable of learned.executables ?? []) executable.syscalls = {};
    writeFileSync(join(dir, 'empty.profile.json'), JSON.stringify(learned));
    const refused = await runSbx(['propose', '-q', join(dir, 'empty.profile.json'), '-o', join(dir, 'empty.policy.json')]);
    expect(refused.code).toBe(2);
    const propose = await runSbx(['propose', '-q', '--allow-empty', join(dir, 'empty.profile.json'), '-o', join(dir, 'empty.policy.json')]);
    expect(propose.code, propose.stderr).toBe(0);
    expect(propose.stderr).toBe(
      'sbx: warning: this policy cannot start the program it was learned from on x86_64: the policy kills execve, which starting the program needs\n',
    );
    const run = await runSbx(['run', '--policy', join(dir, 'empty.policy.json'), '--', 'true']);
    expect(run.code).toBe(128 + 31);
    expect(run.stderr).toMatch(/the policy kills execve/);
  }, 30_000);

  it('killed later: one line says so and points at --complain', async () => {
    const loop = workload('getppid-loop');
    const profile = join(dir, 'loop.profile.json');
    expect((await runSbx(['learn', '-q', '-o', profile, '--', loop, '3'])).code).toBe(0);
    const loopPolicy = join(dir, 'loop.policy.json');
    expect((await runSbx(['propose', '-q', '--no-complete', profile, '-o', loopPolicy])).code).toBe(0);
    const edited = JSON.parse(readFileSync(loopPolicy, 'utf8')) as PolicyJson;
    edited.rules = edited.rules.filter((r) => r.syscall !== 'getppid');
    writeFileSync(loopPolicy, JSON.stringify(edited));
    const run = await runSbx(['run', '--policy', loopPolicy, '--', loop, '3']);
    expect(run.code).toBe(128 + 31);
    expect(run.stderr).toBe(`sbx: ${loop} was killed by SIGSYS: the policy denied a call; \`--complain\` shows which\n`);
  }, 30_000);
});

/**
 * With nothing on the terminal (stderr is a pipe here) the tracer runs on sbx's main thread
 * (src/ptrace/main-thread.ts): a signal sent to sbx alone while the program sleeps in a syscall
 * (no stop to wake the tracer) must still reach sbx's handlers at once.
 */
describe('a signal to sbx alone while the program sleeps', () => {
  // Each says its pid; the shell then sleeps in a child (NAPPER) or becomes `sleep` (SLEEPER).
  const SLEEPER = ['sh', '-c', 'echo ready $$; sleep 0.1; exec sleep 30'];
  const NAPPER = ['sh', '-c', 'echo ready $$; sleep 1; echo done'];
  /** The program's shell sleeps: it became `sleep`, or waits for its `sleep` child. */
  const asleep = (pid: number): boolean => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const sleeping = / \(sleep\) S /.test(stat);
      return sleeping || readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim() !== '';
    } catch {
      return false;
    }
  };
  let dir: string;
  let policy: string;

  beforeAll(async () => {
    dir = tempDir();
    const profile = join(dir, 'p.json');
    policy = join(dir, 'policy.json');
    expect((await runSbx(['learn', '-q', '-o', profile, '--', 'sh', '-c', 'echo ready; sleep 0.1; exec sleep 0.1'])).code).toBe(0);
    expect((await runSbx(['propose', '-q', profile, '-o', policy])).code).toBe(0);
  }, 30_000);

  const modes: Record<string, (out: string) => string[]> = {
    'learn -q': (out) => ['learn', '-q', '-o', out, '--'],
    run: () => ['run', '--policy', policy, '--'],
    'run --complain -q': (out) => ['run', '--complain', '-q', '--policy', policy, '-o', out, '--'],
  };

  /** sbx on `program`, signalled once the program said "ready" and went to sleep. */
  async function signalWhileAsleep(mode: string, program: string[], signal: NodeJS.Signals) {
    const out = join(dir, `${mode.replace(/\W+/g, '-')}-${signal}.json`);
    const child = spawn(SBX, [...modes[mode]!(out), ...program], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    await waitFor('the program to start', () => /ready \d+\n/.test(stdout));
    const pid = Number(/ready (\d+)/.exec(stdout)![1]);
    await waitFor('the program to sleep', () => asleep(pid));
    const sent = Date.now();
    child.kill(signal);
    const ended = await done;
    return { ...ended, stdout, stderr, afterMs: Date.now() - sent, profileWritten: existsSync(out) };
  }

  it.each(
    Object.keys(modes).flatMap((mode) => [
      [mode, 'SIGTERM', 143],
      [mode, 'SIGHUP', 129],
      // timeout -s ALRM; the main-thread tracer's own tick must not swallow it (main-thread.ts)
      [mode, 'SIGALRM', 142],
      [mode, 'SIGUSR1', 138],
      [mode, 'SIGUSR2', 140],
    ]) as [string, NodeJS.Signals, number][],
  )(
    '%s: %s is passed on at once, sbx exits %i',
    async (mode, signal, code) => {
      const result = await signalWhileAsleep(mode, SLEEPER, signal);
      expect([result.code, result.signal], result.stderr).toEqual([code, null]);
      // The program would sleep 30 s: only a forwarded signal ends it this soon.
      expect(result.afterMs).toBeLessThan(10_000);
      if (mode !== 'run') expect(result.profileWritten).toBe(true);
    },
    30_000,
  );

  // Not `run`: its policy, learned from SLEEPER, does not allow a trap.
  it.each(['learn -q', 'run --complain -q'])(
    '%s: the program handles a forwarded SIGUSR1 as it would bare (a reload)',
    async (mode) => {
      const reloader = ['sh', '-c', "trap 'kill $child; echo reloaded; exit 3' USR1; echo ready $$; sleep 30 & child=$!; wait"];
      const result = await signalWhileAsleep(mode, reloader, 'SIGUSR1');
      expect([result.code, result.signal], result.stderr).toEqual([3, null]);
      expect(result.stdout).toMatch(/^ready \d+\nreloaded\n$/);
    },
    30_000,
  );

  it.each(Object.keys(modes))(
    "%s: SIGINT to sbx alone (not the terminal's Ctrl-C) is not passed on: the program finishes",
    async (mode) => {
      const result = await signalWhileAsleep(mode, NAPPER, 'SIGINT');
      expect([result.code, result.signal], result.stderr).toEqual([0, null]);
      expect(result.stdout).toMatch(/^ready \d+\ndone\n$/);
      if (mode !== 'run') expect(result.profileWritten).toBe(true);
    },
    30_000,
  );
});
