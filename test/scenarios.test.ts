/**
 * Scenario suites with real processes: `sbx learn --scenarios` (stdin files, env, drivers,
 * repeat, timeouts, a missing binary), `--cross-validate`, `sbx validate`, suites stopped by a
 * signal or by SIGKILL, and bad scenario files reported as one line with the file and JSON pointer.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../src/profile/types.js';
import { PYTHON, readJson, runSbx, tempDir, workload, processEnded, SBX, waitFor } from './helpers.js';

interface ValidateReport {
  format: string;
  scenarios: { name: string; runs: { exit: string }[]; denied: { syscall: string; calls: number; executables: string[] }[] }[];
}

function write(dir: string, name: string, data: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof data === 'string' ? data : JSON.stringify(data, null, 2));
  return path;
}

function suite(scenarios: unknown[]): unknown {
  return { format: 'sbx-scenarios', version: 1, scenarios };
}

function perRunOf(profile: Profile, name: string): readonly number[] | undefined {
  return profile.syscalls.find((s) => s.arch === 'x86_64' && s.name === name)?.perRun;
}

describe('sbx learn --scenarios', () => {
  const dir = tempDir('sbx-scenarios-');
  let loop: string;
  let learned: Awaited<ReturnType<typeof runSbx>>;

  beforeAll(async () => {
    loop = workload('getppid-loop');
    write(dir, 'input.txt', 'line one\nline two\n');
    // The driver proves it ran alongside: it writes the pid it was given, its env, its ignored
    // signals and its parent; it leaves a child running in its process group.
    const driver = write(
      dir,
      'driver.sh',
      '#!/bin/sh\necho "$SBX_SCENARIO_PID $GREETING $(sed -n "s/^SigIgn:\\t//p" /proc/$$/status) $(cat /proc/$PPID/comm)" > driver.out\nsleep 300 &\necho $! > leftover.pid\n',
    );
    chmodSync(driver, 0o755);
    write(
      dir,
      'suite.json',
      suite([
        { name: 'list', command: ['ls', '/'], repeat: 2 },
        { name: 'cat-stdin', command: ['cat'], stdin: 'input.txt' },
        { name: 'loop', command: [loop, '5'], env: { GREETING: 'hi' }, driver: ['./driver.sh'] },
      ]),
    );
    learned = await runSbx([
      'learn',
      '--no-progress',
      '--scenarios',
      join(dir, 'suite.json'),
      '-o',
      join(dir, 'merged.json'),
      '--cross-validate',
    ]);
  });

  it('runs each scenario (repeat times), keeps each profile and merges them with the scenario names and per-run columns', () => {
    expect(learned.code, learned.stderr).toBe(0);
    const merged = readJson(join(dir, 'merged.json'));
    expect(merged.runs.map((r) => r.scenario)).toEqual(['list', 'list', 'cat-stdin', 'loop']);
    expect(merged.runs[3]!.command).toEqual([loop, '5']);
    // getppid-loop 5 makes exactly 5 getppid calls; nothing else in the suite calls it.
    expect(perRunOf(merged, 'getppid')).toEqual([0, 0, 0, 5]);
    expect(
      perRunOf(merged, 'getdents64')!
        .slice(0, 2)
        .every((n) => n > 0),
    ).toBe(true);
    for (const kept of ['list.1', 'list.2', 'cat-stdin.1', 'loop.1']) {
      const profile = readJson(join(dir, `${kept}.profile.json`));
      expect(profile.runs).toHaveLength(1);
      expect(profile.runs[0]!.scenario).toBe(kept.split('.')[0]);
    }
  });

  it('feeds the stdin file to the program and runs the driver with the pid and the scenario env', () => {
    expect(learned.stdout).toContain('line one\nline two\n');
    const [pid, greeting, ignored, parent] = readFileSync(join(dir, 'driver.out'), 'utf8').trim().split(' ');
    expect(Number(pid)).toBeGreaterThan(1);
    expect(greeting).toBe('hi');
    // The signal dispositions every program sbx starts gets: nothing ignored (SIGINT and SIGQUIT
    // included, which a background job of sh would ignore; SIGPIPE, which Node ignores).
    expect(ignored).toBe('0000000000000000');
    // Not sbx's child (the tracer reaps every child of sbx): the helper sh, in a session of its own.
    expect(parent).toBe('sh');
  });

  it('kills what the driver left running in its process group once the run is over', async () => {
    const leftover = Number(readFileSync(join(dir, 'leftover.pid'), 'utf8'));
    await waitFor("the driver's leftover sleep to be killed", () => processEnded(leftover), 5_000);
  });

  it('prints the coverage table: syscall × scenarios, and what only one scenario needs', () => {
    expect(learned.stderr).toMatch(/coverage: \d+ syscalls over 3 scenarios, 4 runs/);
    expect(learned.stderr).toMatch(/^syscall +runs +list +cat-stdin +loop$/m);
    expect(learned.stderr).toMatch(/^getppid +1\/4 +- +- +1\/1$/m);
    expect(learned.stderr).toMatch(/^getdents64 +2\/4 +2\/2 +- +-$/m);
    expect(learned.stderr).toMatch(/^ {2}only loop: .*\bgetppid\b/m);
  });

  it('--cross-validate: the policy learned without the loop scenario misses getppid', () => {
    const line = learned.stderr.split('\n').find((l) => /^ {2}loop +misses/.test(l));
    expect(line, learned.stderr).toMatch(/getppid \(5 calls, 1 of 1 runs\)/);
    const others = learned.stderr.split('\n').filter((l) => /^ {2}(list|cat-stdin) /.test(l));
    expect(others).toHaveLength(2);
    for (const l of others) expect(l).not.toMatch(/getppid/);
    // The tier table: per held-out scenario, how many of the syscalls no other scenario made each tier flags.
    expect(learned.stderr).toMatch(
      /^flagged before the fact .*: family completion \| static hints, executables \| static hints, \+ libraries$/m,
    );
    expect(learned.stderr).toMatch(/^ {4}loop +\d+\/\d+ +\d+\/\d+ +\d+\/\d+$/m);
    expect(learned.stderr).toMatch(/^ {4}total +\d+\/\d+ .*%\)$/m);
  });

  it('sbx validate: exit 0 on a policy proposed from the same suite, exit 1 naming getppid on a held-out loop scenario', async () => {
    const policy = join(dir, 'policy.json');
    expect((await runSbx(['propose', '-q', join(dir, 'merged.json'), '-o', policy])).code).toBe(0);
    const same = await runSbx(['validate', '--no-progress', policy, '--scenarios', join(dir, 'suite.json')]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toContain('all 3 scenarios ran without a call');

    const partial = join(dir, 'partial.json');
    const proposed = await runSbx([
      'propose',
      '-q',
      join(dir, 'list.1.profile.json'),
      join(dir, 'cat-stdin.1.profile.json'),
      '-o',
      partial,
    ]);
    expect(proposed.code, proposed.stderr).toBe(0);
    write(dir, 'held-out.json', suite([{ name: 'held-loop', command: [loop, '7'] }]));
    const report = join(dir, 'report.json');
    const held = await runSbx(['validate', '--no-progress', partial, '--scenarios', join(dir, 'held-out.json'), '-o', report]);
    expect(held.code, held.stderr).toBe(1);
    expect(held.stderr).toMatch(/^ +7 +getppid +\[.*getppid-loop/m);
    const json = readJson<ValidateReport>(report);
    expect(json.format).toBe('sbx-validate');
    expect(json.scenarios[0]!.runs[0]!.exit).toBe('exited 0');
    expect(json.scenarios[0]!.denied.map((d) => d.syscall)).toEqual(['getppid']);
    expect(json.scenarios[0]!.denied[0]!.calls).toBe(7);
    expect(json.scenarios[0]!.denied[0]!.executables).toEqual([loop]);
  });
});

describe('scenario runs that go wrong', () => {
  it('a scenario past its timeout is killed and reported, a missing binary is reported, the others still run (exit 1)', async () => {
    const dir = tempDir('sbx-scenarios-');
    write(
      dir,
      'suite.json',
      suite([
        { name: 'hang', command: ['sh', '-c', 'sleep 30'], timeout: 0.5 },
        { name: 'missing', command: ['./no-such-program'] },
        { name: 'fine', command: ['true'] },
      ]),
    );
    const started = Date.now();
    const run = await runSbx(['learn', '--no-progress', '-q', '--scenarios', join(dir, 'suite.json'), '-o', join(dir, 'm.json')]);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/scenario hang run 1\/1: killed after its 0.5 s timeout \(killed by SIGKILL\)/);
    expect(run.stderr).toMatch(/scenario missing run 1\/1: not run: \.\/no-such-program: no such file or directory/);
    expect(run.stderr).toMatch(/scenario fine run 1\/1: exited 0/);
    const merged = readJson(join(dir, 'm.json'));
    expect(merged.runs.map((r) => r.scenario)).toEqual(['hang', 'fine']);
    expect(merged.notes).toContain('scenario hang: killed after its 0.5 s timeout');
    expect(existsSync(join(dir, 'missing.1.profile.json'))).toBe(false);
  });

  it('a driver talks to the program over a socket; --repeat overrides, --keep-dir keeps the runs; a failing driver is reported', async () => {
    const dir = tempDir('sbx-scenarios-');
    // The program: a TCP server on a free port that answers one request and exits.
    const server = [
      'import socket, os',
      's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)',
      'open("port.tmp", "w").write(str(s.getsockname()[1])); os.rename("port.tmp", "port")',
      'c, _ = s.accept(); c.sendall(b"got " + c.recv(100)); c.close()',
    ].join('\n');
    const client = [
      'import socket, os, sys, time',
      'while not os.path.exists("port"): time.sleep(0.01)',
      'c = socket.create_connection(("127.0.0.1", int(open("port").read())))',
      'c.sendall(os.environ["SBX_SCENARIO_PID"].encode()); print(c.recv(100).decode(), file=open("reply", "w"))',
    ].join('\n');
    write(dir, 'client.py', client);
    write(dir, 'fail.sh', '#!/bin/sh\nexit 3\n');
    chmodSync(join(dir, 'fail.sh'), 0o755);
    write(
      dir,
      'suite.json',
      suite([
        { name: 'server', command: [PYTHON, '-c', server], driver: [PYTHON, 'client.py'], timeout: 30 },
        { name: 'bad-driver', command: ['true'], driver: ['./fail.sh'] },
      ]),
    );
    const keep = join(dir, 'kept');
    const run = await runSbx([
      'learn',
      '--no-progress',
      '-q',
      '--scenarios',
      join(dir, 'suite.json'),
      '-o',
      join(dir, 'm.json'),
      '--repeat',
      '1',
      '--keep-dir',
      keep,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const pid = readFileSync(join(dir, 'reply'), 'utf8').trim().replace(/^got /, '');
    expect(Number(pid)).toBeGreaterThan(1);
    const server1 = readJson(join(keep, 'server.1.profile.json'));
    const names = new Set(server1.syscalls.map((s) => s.name));
    for (const call of ['socket', 'bind', 'listen', 'accept4', 'sendto']) expect(names, call).toContain(call);
    expect(existsSync(join(keep, 'bad-driver.1.profile.json'))).toBe(true);
    expect(run.stderr).toMatch(/scenario bad-driver run 1\/1: exited 0, \d+ calls of \d+ syscalls, driver exited 3/);
    expect(readJson(join(dir, 'm.json')).runs.map((r) => r.scenario)).toEqual(['server', 'bad-driver']);
  });

  it('sbx validate: a scenario that cannot start is reported (exit 125 when nothing else is found); a timeout still gives its denials', async () => {
    const dir = tempDir('sbx-scenarios-');
    const loop = workload('getppid-loop');
    const learned = await runSbx(['learn', '-q', '--no-progress', '-o', join(dir, 'true.json'), '--', 'true']);
    expect(learned.code, learned.stderr).toBe(0);
    expect((await runSbx(['propose', '-q', join(dir, 'true.json'), '-o', join(dir, 'p.json')])).code).toBe(0);
    write(dir, 'missing.json', suite([{ name: 'missing', command: ['./nope'] }]));
    const missing = await runSbx(['validate', '--no-progress', join(dir, 'p.json'), '--scenarios', join(dir, 'missing.json')]);
    expect(missing.code, missing.stderr).toBe(125);
    expect(missing.stderr).toMatch(/scenario missing \(\.\/nope: no such file or directory\)/);
    // getppid-loop with a huge count runs past its timeout; what it did until then is reported.
    write(dir, 'slow.json', suite([{ name: 'slow', command: [loop, '100000000000'], timeout: 0.5 }]));
    const slow = await runSbx([
      'validate',
      '--no-progress',
      join(dir, 'p.json'),
      '--scenarios',
      join(dir, 'slow.json'),
      '-o',
      join(dir, 'r.json'),
    ]);
    expect(slow.code, slow.stderr).toBe(1);
    const report = readJson<ValidateReport & { scenarios: { runs: { timedOut: boolean }[] }[] }>(join(dir, 'r.json'));
    expect(report.scenarios[0]!.runs[0]!.timedOut).toBe(true);
    expect(report.scenarios[0]!.denied.map((d) => d.syscall)).toContain('getppid');
  });

  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{"format":', /^sbx: .*bad\.json: \/: not valid JSON/],
    ['wrong format', { format: 'sbx-profile', version: 1, scenarios: [] }, /^sbx: .*bad\.json: \/format: not an sbx scenario file/],
    ['no scenarios', suite([]), /^sbx: .*bad\.json: \/scenarios: a scenario file needs at least one scenario$/],
    ['command not a list', suite([{ name: 'a', command: 'ls /' }]), /^sbx: .*bad\.json: \/scenarios\/0\/command: expected an array$/],
    ['empty command', suite([{ name: 'a', command: [] }]), /^sbx: .*bad\.json: \/scenarios\/0\/command: expected at least one word/],
    [
      'duplicate name',
      suite([
        { name: 'a', command: ['true'] },
        { name: 'a', command: ['true'] },
      ]),
      /^sbx: .*bad\.json: \/scenarios\/1\/name: "a" is also the name of \/scenarios\/0$/,
    ],
    ['bad name', suite([{ name: 'a/b', command: ['true'] }]), /^sbx: .*bad\.json: \/scenarios\/0\/name: "a\/b": use letters/],
    [
      'negative timeout',
      suite([{ name: 'a', command: ['true'], timeout: -1 }]),
      /^sbx: .*bad\.json: \/scenarios\/0\/timeout: expected a positive number$/,
    ],
    [
      'fractional repeat',
      suite([{ name: 'a', command: ['true'], repeat: 1.5 }]),
      /^sbx: .*bad\.json: \/scenarios\/0\/repeat: expected a positive integer$/,
    ],
    [
      'missing stdin',
      suite([{ name: 'a', command: ['true'], stdin: 'nope.txt' }]),
      /^sbx: .*bad\.json: \/scenarios\/0\/stdin: .*nope\.txt: no such file$/,
    ],
    [
      'env value',
      suite([{ name: 'a', command: ['true'], env: { A: 1 } }]),
      /^sbx: .*bad\.json: \/scenarios\/0\/env\/A: expected a string$/,
    ],
    ['unknown field', suite([{ name: 'a', command: ['true'], stdn: 'x' }]), /^sbx: .*bad\.json: \/scenarios\/0\/stdn: unknown field/],
  ];
  it.each(bad)('bad scenario file (%s): one line with the file and JSON pointer, exit 125, nothing run', async (_, data, message) => {
    const dir = tempDir('sbx-scenarios-');
    const file = write(dir, 'bad.json', data);
    const run = await runSbx(['learn', '--scenarios', file, '-o', join(dir, 'm.json')]);
    expect(run.code).toBe(125);
    expect(run.stderr.trimEnd()).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'm.json'))).toBe(false);
  });

  it.each([
    { name: 'the policy', output: 'p.json' },
    { name: 'the scenario file', output: 'suite.json' },
  ])('sbx validate -o naming $name: one line, exit 125, nothing run, the input kept', async ({ output }) => {
    const dir = tempDir('sbx-scenarios-');
    write(dir, 'suite.json', suite([{ name: 'touch', command: ['touch', 'ran'] }]));
    write(dir, 'p.json', { format: 'sbx-policy', version: 1, arches: ['x86_64'], defaultAction: 'allow', rules: [] });
    const before = readFileSync(join(dir, output), 'utf8');
    const run = await runSbx(['validate', 'p.json', '--scenarios', 'suite.json', '-o', output], { cwd: dir });
    expect(run.stderr).toBe(`sbx: cannot write ${output}: it is the input ${output} (give another -o)\n`);
    expect(run.code).toBe(125);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    expect(readFileSync(join(dir, output), 'utf8')).toBe(before);
  });
});

/**
 * A suite whose second scenario runs until stopped: its program and its driver (and the driver's
 * own child) write their pids, so the test knows when it is under way and what must end.
 */
function stoppableSuite(): { dir: string; tmp: string; pids: () => number[] | undefined } {
  const dir = tempDir('sbx-scenarios-');
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  write(dir, 'driver.sh', '#!/bin/sh\nsleep 300 &\necho "$$ $!" > driver.tmp && mv driver.tmp driver.pids\nwait\n');
  chmodSync(join(dir, 'driver.sh'), 0o755);
  write(
    dir,
    'suite.json',
    suite([
      { name: 'first', command: ['true'] },
      {
        name: 'long',
        command: ['sh', '-c', 'echo $$ > program.tmp && mv program.tmp program.pid && exec sleep 300'],
        driver: ['./driver.sh'],
      },
      { name: 'last', command: ['true'] },
    ]),
  );
  const pids = () => {
    if (!existsSync(join(dir, 'driver.pids')) || !existsSync(join(dir, 'program.pid'))) return undefined;
    return [join(dir, 'driver.pids'), join(dir, 'program.pid')].flatMap((f) => readFileSync(f, 'utf8').trim().split(' ').map(Number));
  };
  return { dir, tmp, pids };
}

/** Start sbx (TMPDIR private to it) and wait until the long scenario's program and driver run. */
async function startStoppable(args: (dir: string) => string[]) {
  const s = stoppableSuite();
  const child = spawn(SBX, args(s.dir), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: s.tmp } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const pids = await waitFor('the long scenario and its driver to start', s.pids);
  return { ...s, child, ended, pids, stderr: () => stderr };
}

describe('stopping a scenario suite', () => {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  it.each(signals)(
    'learn --scenarios, %s: the program and the driver group are killed, no later run, nothing claims completeness, sbx ends by the signal',
    async (signal) => {
      const run = await startStoppable((dir) => [
        'learn',
        '--no-progress',
        '-q',
        '--scenarios',
        join(dir, 'suite.json'),
        '-o',
        join(dir, 'm.json'),
      ]);
      run.child.kill(signal);
      const { code, signal: endedBy } = await run.ended;
      // Ended by the signal itself: a shell reports 128+n and a loop running sbx stops.
      expect({ code, endedBy }, run.stderr()).toEqual({ code: null, endedBy: signal });
      expect(run.stderr()).toMatch(
        new RegExp(
          `^sbx: interrupted by ${signal} during scenario long run 1/1 \\(its program and driver were killed, its profile not kept\\); 1 of 3 runs finished \\(kept: .*first\\.1\\.profile\\.json\\); .*m\\.json was not written$`,
          'm',
        ),
      );
      expect(run.stderr()).not.toMatch(/scenario last/);
      expect(existsSync(join(run.dir, 'first.1.profile.json'))).toBe(true);
      for (const missing of ['long.1.profile.json', 'last.1.profile.json', 'm.json'])
        expect(existsSync(join(run.dir, missing)), missing).toBe(false);
      // Program, driver and the driver's child: all ended by the time sbx has.
      expect(run.pids.filter((pid) => !processEnded(pid))).toEqual([]);
      expect(readdirSync(run.tmp)).toEqual([]);
    },
  );

  it('sbx validate, SIGTERM: the run is killed and no report is written', async () => {
    const dir = tempDir('sbx-scenarios-');
    expect((await runSbx(['learn', '-q', '--no-progress', '-o', join(dir, 'sh.json'), '--', 'sh', '-c', 'true'])).code).toBe(0);
    expect((await runSbx(['propose', '-q', join(dir, 'sh.json'), '-o', join(dir, 'p.json')])).code).toBe(0);
    const run = await startStoppable((suiteDir) => [
      'validate',
      '--no-progress',
      join(dir, 'p.json'),
      '--scenarios',
      join(suiteDir, 'suite.json'),
      '-o',
      join(suiteDir, 'report.json'),
    ]);
    run.child.kill('SIGTERM');
    const { code, signal } = await run.ended;
    expect({ code, signal }, run.stderr()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(run.stderr()).toMatch(
      /^sbx: interrupted by SIGTERM during scenario long run 1\/1 \(its program and driver were killed\); 1 of 3 scenarios validated; .*report\.json was not written$/m,
    );
    expect(existsSync(join(run.dir, 'report.json'))).toBe(false);
    expect(run.pids.filter((pid) => !processEnded(pid))).toEqual([]);
    expect(readdirSync(run.tmp)).toEqual([]);
  });

  it('a SIGKILLed sbx leaves neither the program nor the driver and its children running, nor temp folders', async () => {
    const run = await startStoppable((dir) => [
      'learn',
      '--no-progress',
      '-q',
      '--scenarios',
      join(dir, 'suite.json'),
      '-o',
      join(dir, 'm.json'),
    ]);
    run.child.kill('SIGKILL');
    expect((await run.ended).signal).toBe('SIGKILL');
    // Nothing of sbx is left to clean up after itself: the kernel ends them (PTRACE_O_EXITKILL, the driver's lifeline).
    await waitFor('the program, the driver and its child to end', () => run.pids.every(processEnded), 10_000);
    expect(readdirSync(run.tmp)).toEqual([]);
    expect(existsSync(join(run.dir, 'm.json'))).toBe(false);
  });
});
