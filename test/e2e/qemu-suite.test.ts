/**
 * End to end: part of the QEMU scenario suite (samples/qemu/qemu.scenarios.json, docs/qemu-suite.md)
 * through `sbx learn --scenarios`, for real: the virtio disk, the virtio-net guest fetching a file
 * from the driver's HTTP server, and QMP (driver quits QEMU). Each must exit 0 and its guest must
 * print its step markers; each profile must show the syscalls the scenario is there for.
 *
 * samples/qemu/build.sh runs every time (about 2 s when everything is there): it rebuilds the
 * initramfs with the guest steps and makes the disk images the disk scenario writes to. When the
 * sample cannot be built or QEMU/python3 are missing: under CI (process.env.CI set) the test FAILS;
 * elsewhere it is skipped with the reason.
 *
 * Scenario programs write to sbx's stdout (the disk and net guests' console is QEMU's stdio); the
 * QMP scenario's guest console goes to build/run/qmp.console (-serial file:), which its driver
 * waits on before it talks QMP.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../src/profile/types.js';
import { BUILD_TIMEOUT_MS, buildDir, buildSh, describeRun, onPath, run, sampleDir, sbxBin, type RunResult } from './qemu-sample.js';

const SCENARIOS = ['disk-virtio', 'net', 'qmp'] as const;
/** Three TCG boots of ~5-10 s each under the tracer, plus a loaded machine. */
const LEARN_TIMEOUT_MS = 240_000;

interface ScenarioSpec {
  name: string;
  command: string[];
  cwd?: string;
  stdin?: string;
  [key: string]: unknown;
}

/** The suite's scenarios by name, with cwd and stdin made absolute so the file can live elsewhere. */
function subset(names: readonly string[]): { format: string; version: number; scenarios: ScenarioSpec[] } {
  const file = join(sampleDir, 'qemu.scenarios.json');
  const suite = JSON.parse(readFileSync(file, 'utf8')) as { format: string; version: number; scenarios: ScenarioSpec[] };
  const scenarios = names.map((n) => {
    const s = suite.scenarios.find((x) => x.name === n);
    if (!s) throw new Error(`${file} has no scenario ${n}`);
    const copy: ScenarioSpec = { ...s, cwd: resolve(sampleDir, s.cwd ?? '.') };
    if (s.stdin !== undefined) copy.stdin = resolve(sampleDir, s.stdin);
    delete copy.repeat;
    return copy;
  });
  return { format: suite.format, version: suite.version, scenarios };
}

async function ensureSuiteSample(): Promise<string | undefined> {
  const missing = ['qemu-system-x86_64', 'python3'].filter((c) => !onPath(c));
  let detail = '';
  try {
    const r = await run('bash', [buildSh], BUILD_TIMEOUT_MS - 30_000);
    if (r.code !== 0) detail = `\n${describeRun('samples/qemu/build.sh', r)}`;
  } catch (e) {
    detail = `\nbash samples/qemu/build.sh could not start: ${String(e)}`;
  }
  for (const f of ['vmlinuz', 'initramfs.cpio.gz', 'disk/disk.raw', 'www/payload.bin']) {
    if (!existsSync(join(buildDir, f))) missing.push(`samples/qemu/build/${f}`);
  }
  if (missing.length === 0 && detail === '') return undefined;
  const problem = `QEMU scenario suite unavailable (missing: ${missing.join(', ') || '-'}); samples/qemu/build.sh needs Debian 12, root and apt mirrors${detail}`;
  if (process.env.CI) throw new Error(`CI is set, refusing to skip: ${problem}`);
  return problem;
}

describe('QEMU scenario suite (samples/qemu/qemu.scenarios.json)', () => {
  let problem: string | undefined;
  let tmp = '';
  let learn: RunResult | undefined;
  const qmpConsole = join(buildDir, 'run', 'qmp.console');

  beforeAll(async () => {
    problem = await ensureSuiteSample();
    if (problem) return;
    tmp = mkdtempSync(join(tmpdir(), 'sbx-qemu-suite-'));
    writeFileSync(join(tmp, 'suite.json'), `${JSON.stringify(subset(SCENARIOS), null, 2)}\n`);
    rmSync(qmpConsole, { force: true }); // a console left by an earlier run must not pass for this one
    learn = await run(
      sbxBin,
      [
        'learn',
        '--no-progress',
        '--scenarios',
        join(tmp, 'suite.json'),
        '--repeat',
        '1',
        '-o',
        join(tmp, 'merged.json'),
        '--keep-dir',
        tmp,
      ],
      LEARN_TIMEOUT_MS,
    );
  }, BUILD_TIMEOUT_MS + LEARN_TIMEOUT_MS);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  function profileOf(name: string): Profile {
    const file = join(tmp, `${name}.1.profile.json`);
    expect(existsSync(file), `no kept profile ${file}\n${describeRun('sbx learn --scenarios', learn!)}`).toBe(true);
    return JSON.parse(readFileSync(file, 'utf8')) as Profile;
  }

  function expectCalls(profile: Profile, names: readonly string[], what: string): void {
    const seen = new Set(profile.syscalls.map((s) => s.name));
    const lacking = names.filter((n) => !seen.has(n));
    expect(lacking, `${what}: profile lacks ${lacking.join(', ')}`).toEqual([]);
  }

  it('every scenario run exits 0 with no driver trouble, and the profiles are merged', ({ skip }) => {
    if (problem) skip(problem);
    const r = learn!;
    expect(r.code, describeRun('sbx learn --scenarios', r)).toBe(0);
    for (const name of SCENARIOS) {
      const line = r.stderr.split('\n').find((l) => l.startsWith(`sbx: scenario ${name} run 1/1: `));
      expect(line, `no run line for ${name}\n${describeRun('sbx learn --scenarios', r)}`).toBeDefined();
      expect(line, describeRun('sbx learn --scenarios', r)).toMatch(/: exited 0, \d+ calls of \d+ syscalls → /);
      expect(line).not.toMatch(/driver|killed/);
      expect(profileOf(name).runs.map((run) => run.scenario)).toEqual([name]);
    }
    const merged = JSON.parse(readFileSync(join(tmp, 'merged.json'), 'utf8')) as Profile;
    expect(merged.runs.map((run) => run.scenario)).toEqual([...SCENARIOS]);
  });

  it('disk-virtio: the guest wrote, flushed and read back its virtio disk', ({ skip }) => {
    if (problem) skip(problem);
    expect(learn!.stdout, describeRun('sbx learn --scenarios', learn!)).toMatch(/sbx: \/dev\/vda: wrote, flushed and read back 4 MiB/);
    expect(learn!.stdout).toContain('SBX-STEP-OK disk');
    expect(learn!.stdout).not.toContain('SBX-STEP-FAIL');
    // QEMU's default aio=threads: vectored I/O from the thread pool, flushes as fdatasync.
    expectCalls(profileOf('disk-virtio'), ['pwritev', 'preadv', 'fdatasync'], 'disk-virtio');
  });

  it('net: the guest got a DHCP lease and fetched the payload from the driver', ({ skip }) => {
    if (problem) skip(problem);
    const out = learn!.stdout;
    expect(out, describeRun('sbx learn --scenarios', learn!)).toContain('sbx: dhcp lease 10.0.2.15/255.255.255.0 router 10.0.2.2 on eth0');
    expect(out).toMatch(/sbx: fetched http:\/\/10\.0\.2\.2:\d+\/payload\.bin \(1048576 bytes, sha256 ok\)/);
    expect(out).toContain('SBX-STEP-OK net');
    expect(learn!.stderr).toContain('driver serve_http.py: payload.bin fetched 1 time(s)');
    // Slirp turns the guest's TCP connection into a host socket and its DHCP/ARP into datagrams.
    expectCalls(profileOf('net'), ['socket', 'connect', 'recvfrom', 'sendto'], 'net');
  });

  it('qmp: the guest held, the driver queried QEMU over QMP and quit it', ({ skip }) => {
    if (problem) skip(problem);
    expect(existsSync(qmpConsole), `no ${qmpConsole}`).toBe(true);
    const console = readFileSync(qmpConsole, 'utf8');
    expect(console).toContain('SBX-STEP-OK hold');
    expect(console).toMatch(/SBX-GUEST-OK kernel=\S+ machine=x86_64/);
    expect(console, 'the guest ran out its hold instead of being quit over QMP').not.toContain('SBX-HOLD limit reached');
    expect(learn!.stderr).toMatch(/driver qmp\.py: status running, \d+ block device\(s\), 1 vCPU\(s\), info mtree \d+ lines; quit/);
    expectCalls(profileOf('qmp'), ['socket', 'bind', 'listen', 'accept4', 'recvmsg', 'sendmsg'], 'qmp');
  });

  it('the guest console of the two stdio scenarios shows two good markers', ({ skip }) => {
    if (problem) skip(problem);
    const markers = learn!.stdout.split(/\r?\n/).filter((l) => /SBX-GUEST-(OK|FAIL)/.test(l));
    expect(markers.length, describeRun('sbx learn --scenarios', learn!)).toBe(2);
    for (const m of markers) expect(m).toMatch(/SBX-GUEST-OK kernel=\S+ machine=x86_64$/);
  });
});
