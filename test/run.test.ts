/**
 * `sbx run --policy`: the compiled filter enforced by the real kernel, --complain recording
 * exactly what a policy misses, and the learn → enforce → complain → merge loop converging.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asNobody, PYTHON, profileCounts, readJson, ROOT, runCommand, runSbx, SBX, tempDir, workload } from './helpers.js';
import { INT80, needs } from './machine.js';

interface PolicyJson {
  rules: { syscall: string; action: string }[];
  defaultAction: string;
}

/** learn + propose for `command`; returns the policy path. */
async function policyFor(dir: string, command: string[], extra: string[] = []): Promise<string> {
  const profile = join(dir, 'learned.json');
  const policy = join(dir, 'policy.json');
  expect((await runSbx(['learn', '-q', '-o', profile, '--', ...command])).code).toBe(0);
  const propose = await runSbx(['propose', profile, '-o', policy, ...extra]);
  expect(propose.code, propose.stderr).toBe(0);
  return policy;
}

function editPolicy(path: string, edit: (p: PolicyJson) => void): string {
  const policy = JSON.parse(readFileSync(path, 'utf8')) as PolicyJson;
  edit(policy);
  const out = path.replace(/\.json$/, '-edited.json');
  writeFileSync(out, JSON.stringify(policy));
  return out;
}

describe('sbx run', () => {
  it('enforces a learned policy: the learned workload runs to completion, output intact', async () => {
    const dir = tempDir();
    const policy = await policyFor(dir, ['sh', '-c', 'echo hello; cat /etc/hostname']);
    const run = await runSbx(['run', '--policy', policy, '--', 'sh', '-c', 'echo hello; cat /etc/hostname']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`hello\n${readFileSync('/etc/hostname', 'utf8')}`);
  });

  it.each(['linear', 'tree', 'cache-aware'])(
    'a missing syscall gets the policy default (kill-process → 128+SIGSYS), layout %s',
    async (layout) => {
      const dir = tempDir();
      const loop = workload('getppid-loop');
      const policy = editPolicy(await policyFor(dir, [loop, '3'], ['--no-complete']), (p) => {
        p.rules = p.rules.filter((r) => r.syscall !== 'getppid');
        p.defaultAction = 'kill-process';
      });
      const run = await runSbx(['run', '--policy', policy, '--layout', layout, '--', loop, '3']);
      expect(run.code).toBe(128 + 31);
    },
  );

  it('errno actions fail the call with exactly that errno instead of killing', async () => {
    const dir = tempDir();
    const script = "import os\ntry:\n  os.getcwd(); print('ok')\nexcept OSError as e:\n  print('errno', e.errno)";
    const command = [PYTHON, '-I', '-S', '-c', script];
    const policy = editPolicy(await policyFor(dir, command), (p) => {
      p.rules = p.rules.filter((r) => r.syscall !== 'getcwd');
      p.defaultAction = 'errno(EACCES)';
    });
    const run = await runSbx(['run', '--policy', policy, '--', ...command]);
    expect(run.stdout).toBe('errno 13\n');
    expect(run.code).toBe(0);
  });

  it("stacked with the program's own filter, the kernel lets the newer filter's errno win", async () => {
    const dir = tempDir();
    const ownFilter = workload('own-filter');
    const policy = editPolicy(await policyFor(dir, [ownFilter, '3']), (p) => {
      p.rules = p.rules.filter((r) => r.syscall !== 'getppid');
      p.defaultAction = 'errno(EACCES)';
    });
    // Ours says EACCES, the program's own (installed later) says EPERM: it sees EPERM.
    const run = await runSbx(['run', '--policy', policy, '--', ownFilter, '3']);
    expect(run.stdout).toBe('denied=3\n');
    expect(run.code).toBe(0);
  });

  it('--complain names exactly the missing syscall, and the loop converges', async () => {
    const dir = tempDir();
    // Single-threaded and deterministic: a policy from one run covers every run exactly.
    const command = [workload('getppid-loop'), '8'];
    const policy = editPolicy(await policyFor(dir, command, ['--no-complete']), (p) => {
      p.rules = p.rules.filter((r) => r.syscall !== 'getppid');
    });
    const delta = join(dir, 'delta.json');
    const complain = await runSbx(['run', '--policy', policy, '--complain', '-o', delta, '--', ...command]);
    expect(complain.code, complain.stderr).toBe(0);
    expect(complain.stderr).toMatch(
      /^sbx: 8 call\(s\) of 1 syscall\(s\) would have been denied by .*:\n\s+8\s+getppid\s+\[.*getppid-loop.*\]\n$/,
    );
    const violations = readJson(delta);
    expect([...profileCounts(violations)]).toEqual([['getppid', 8]]);
    // learn → enforce → complain → merge → propose: the new policy lets it run.
    const merged = join(dir, 'merged.json');
    expect((await runSbx(['merge', join(dir, 'learned.json'), delta, '-o', merged])).code).toBe(0);
    const again = join(dir, 'again.json');
    expect((await runSbx(['propose', merged, '-o', again, '--no-complete'])).code).toBe(0);
    expect((await runSbx(['run', '--policy', again, '--', ...command])).code).toBe(0);
  });

  it('--complain records calls of an ABI the policy does not list instead of killing', async (ctx) => {
    needs(ctx, INT80);
    const dir = tempDir();
    const int80 = workload('int80');
    const policy = editPolicy(await policyFor(dir, ['true']), () => {});
    const delta = join(dir, 'delta.json');
    const run = await runSbx(['run', '--policy', policy, '--complain', '-q', '-o', delta, '--', int80, '4']);
    expect(run.code).toBe(0);
    expect(profileCounts(readJson(delta), 'i386').get('getpid')).toBe(4);
  });

  it.each(['clone', 'clone3'])('--complain follows a CLONE_UNTRACED child (%s) and records what the policy would deny it', async (how) => {
    const dir = tempDir();
    const argv = [workload('untraced-child'), how, '5'];
    // The policy allows the clone itself; only the child's getppid would be denied.
    const policy = editPolicy(await policyFor(dir, argv, ['--no-complete']), (p) => {
      p.rules = p.rules.filter((r) => r.syscall !== 'getppid');
    });
    const delta = join(dir, 'delta.json');
    const run = await runSbx(['run', '--policy', policy, '--complain', '-q', '-o', delta, '--', ...argv]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('flags: as given\nchild: exit 7\n');
    const profile = readJson(delta);
    expect([...profileCounts(profile)]).toEqual([['getppid', 5]]);
    expect(profile.notes.some((n) => n.includes('CLONE_UNTRACED'))).toBe(true);
  });

  it('--log lets denied calls run', async () => {
    const dir = tempDir();
    const loop = workload('getppid-loop');
    const policy = editPolicy(await policyFor(dir, [loop, '1'], ['--no-complete']), (p) => {
      p.rules = p.rules.filter((r) => r.syscall !== 'getppid');
    });
    const run = await runSbx(['run', '--policy', policy, '--log', '--', loop, '5']);
    expect(run.code).toBe(0);
  });

  it.each([
    { args: ['run', '--policy', '/nonexistent.json', '--', 'true'], message: /^sbx: cannot read \/nonexistent.json/ },
    { args: ['run', '--policy', 'p.json'], message: /^sbx: no command given/ },
    {
      args: ['run', '--policy', 'p.json', '--complain', '--log', '--', 'true'],
      message: /^sbx: choose one of --complain, --log and --ask/,
    },
    { args: ['run', '--policy', 'p.json', '-o', 'd.json', '--', 'true'], message: /^sbx: -o writes the violations of a --complain run/ },
  ])('bad input: $args', async ({ args, message }) => {
    const run = await runSbx(args);
    expect(run.code).toBe(125);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--complain -o naming the policy: one line, exit 125, nothing run, the policy kept', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'p.json'), readFileSync(join(ROOT, 'samples', 'policies', 'ls.allowlist.json')));
    const before = readFileSync(join(dir, 'p.json'), 'utf8');
    const run = await runSbx(['run', '--policy', 'p.json', '--complain', '-o', 'p.json', '--', 'touch', 'ran'], { cwd: dir });
    expect(run.stderr).toBe('sbx: cannot write p.json: it is the input p.json (give another -o)\n');
    expect(run.code).toBe(125);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    expect(readFileSync(join(dir, 'p.json'), 'utf8')).toBe(before);
  });
});

describe('launch failures are reported with their cause', () => {
  it('a filter the kernel refuses: the seccomp() errno, exit 125, the program never runs', async () => {
    // The built module: its tracer worker is dist/src/ptrace/worker.js, which the TypeScript source has no twin of.
    const built = '../dist/src/learn/session/trace-run.js';
    const { traceProgram } = (await import(built)) as typeof import('../src/learn/session/trace-run.js');
    const marker = join(tempDir(), 'ran');
    // One instruction with an opcode seccomp does not accept (and no RET): EINVAL.
    const invalid = new Uint8Array([0xff, 0xff, 0, 0, 0, 0, 0, 0]);
    const attempt = traceProgram({
      mode: 'seccomp',
      command: ['touch', marker],
      paths: false,
      maxValues: 8,
      pin: false,
      filter: invalid,
    });
    await expect(attempt).rejects.toMatchObject({
      exitCode: 125,
      message: 'the kernel refused the seccomp filter: seccomp(SECCOMP_SET_MODE_FILTER): EINVAL (Invalid argument)',
    });
    expect(existsSync(marker)).toBe(false);
  });
});

describe('unprivileged use', () => {
  it('learn and run work without root: the launcher sets NO_NEW_PRIVS before installing the filter', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o777);
    const profile = join(dir, 'p.json');
    const policy = join(dir, 'policy.json');
    const probe = ['grep', '-c', 'NoNewPrivs:\t1', '/proc/self/status'];
    const [cmd, ...args] = asNobody([SBX, 'learn', '-q', '-o', profile, '--', ...probe]);
    const learn = await runCommand(cmd!, args);
    expect(learn.code, learn.stderr).toBe(0);
    expect((await runSbx(['propose', profile, '-o', policy])).code).toBe(0);
    chmodSync(policy, 0o644);
    const [cmd2, ...args2] = asNobody([SBX, 'run', '--policy', policy, '--', ...probe]);
    const run = await runCommand(cmd2!, args2);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('1\n');
  });
});
