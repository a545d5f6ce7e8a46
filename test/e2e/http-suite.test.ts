/**
 * End to end: the http.server scenario suite (samples/http-server/, docs/http-suite.md) run for
 * real through `sbx learn --scenarios --cross-validate`, once per scenario (about 4 s here).
 *
 * Debian's /usr/bin/python3.11 -m http.server is traced in 12 scenarios; the curl drivers check
 * every answer and exit non-zero on a wrong one, which sbx reports on its run line ("driver
 * exited 1"). Checked: every scenario ran, exited as expected (port-in-use exits 1 by itself,
 * the others 0 after SIGINT), no driver problem and no timeout; each variation did what it says
 * (CGI forks and execs, IPv6 opens an AF_INET6 socket, ...); cross-validation names the CGI
 * scenario as needing what no other scenario shows (wait4 and a fork from the CGI path).
 *
 * Needs curl and /usr/bin/python3.11 (.ci/run installs curl): missing means the suite FAILS under
 * CI and is skipped with the reason elsewhere. Needs ports 18710-18721 free: a taken port fails
 * with its number (the drivers also check that the traced python is the process listening).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../src/profile/types.js';
import { ROOT, profileCounts, readJson, runSbx, tempDir, type RunResult } from '../helpers.js';

const SAMPLE = join(ROOT, 'samples', 'http-server');
const SCENARIOS = join(SAMPLE, 'http.scenarios.json');
const PYTHON = '/usr/bin/python3.11';
const CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

interface ScenarioFile {
  scenarios: { name: string; env?: Record<string, string>; command: string[] }[];
}
const suite = JSON.parse(readFileSync(SCENARIOS, 'utf8')) as ScenarioFile;
const NAMES = suite.scenarios.map((s) => s.name);
const PORTS = suite.scenarios.map((s) => Number(s.env?.PORT));

/** Why the suite cannot run here, or undefined. */
function missingTools(): string | undefined {
  const problems: string[] = [];
  if (!spawnSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).stdout.trim()) problems.push('curl (apt-get install curl)');
  if (!existsSync(PYTHON)) problems.push(`${PYTHON} (apt-get install python3.11)`);
  return problems.length ? `the http.server suite needs ${problems.join(' and ')}; .ci/run installs curl` : undefined;
}

/** Can we listen on this port (IPv4 loopback, and IPv6 loopback when there is one)? */
function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The run line sbx prints for each scenario run: "sbx: scenario NAME run 1/1: <outcome> → <file>". */
function runLine(stderr: string, name: string): string | undefined {
  return stderr.split('\n').find((l) => l.startsWith(`sbx: scenario ${name} run 1/1: `));
}

/** The cross-validation section of sbx's stderr: one line per held-out scenario. */
function crossValidation(stderr: string): Map<string, string> {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => l.startsWith('cross-validation'));
  const out = new Map<string, string>();
  if (start < 0) return out;
  for (const line of lines.slice(start + 1)) {
    const m = /^\s+(\S+)\s+(covered|misses)\b(.*)$/.exec(line);
    if (m && NAMES.includes(m[1]!)) out.set(m[1]!, `${m[2]}${m[3]}`);
  }
  return out;
}

const skipReason = missingTools();
if (skipReason && CI) throw new Error(`CI is set, refusing to skip: ${skipReason}`);

describe.skipIf(!!skipReason)('http.server scenario suite (samples/http-server)', () => {
  const dir = tempDir('sbx-http-suite-');
  const merged = join(dir, 'http.merged.profile.json');
  let learned: RunResult;
  const profile = (name: string) => readJson<Profile>(join(dir, `${name}.1.profile.json`));

  beforeAll(async () => {
    const busy: number[] = [];
    for (const port of PORTS) if (!(await portFree(port, '127.0.0.1')) || !(await portFree(port, '::1'))) busy.push(port);
    if (busy.length) throw new Error(`ports taken, the suite needs them free: ${busy.join(', ')}`);
    learned = await runSbx([
      'learn',
      '--scenarios',
      SCENARIOS,
      '--repeat',
      '1',
      '-o',
      merged,
      '--keep-dir',
      dir,
      '--cross-validate',
      '--no-progress',
    ]);
  }, 120_000);

  it('has a base scenario first and at least 8 variations, each on its own port', () => {
    expect(NAMES[0]).toBe('base');
    expect(NAMES.length).toBeGreaterThanOrEqual(9);
    expect(new Set(PORTS).size).toBe(PORTS.length);
    for (const port of PORTS) expect(port >= 18000 && port <= 18999, `port ${port}`).toBe(true);
    for (const s of suite.scenarios) expect(s.command[0], s.name).toBe(PYTHON);
  });

  it('runs every scenario to its end: expected exit, no driver problem, no timeout', () => {
    expect(learned.stderr).not.toMatch(/not run:/);
    for (const name of NAMES) {
      const line = runLine(learned.stderr, name);
      expect(line, `${name}: no run line in\n${learned.stderr}`).toBeDefined();
      // A driver that found a wrong answer exits 1: sbx adds "driver exited 1" to the run line.
      expect(line, name).not.toMatch(/driver|killed|timeout/);
      expect(line, name).toMatch(name === 'port-in-use' ? /: exited 1, / : /: exited 0, /);
      expect(learned.stderr, name).toContain(`driver ${name}: ok`);
      expect(learned.stderr, name).not.toContain(`driver ${name}: FAIL`);
      expect(profile(name).runs.map((r) => r.scenario)).toEqual([name]);
    }
    expect(learned.code, learned.stderr).toBe(0);
    expect(readJson<Profile>(merged).runs).toHaveLength(NAMES.length);
  });

  it('each variation takes the code path it is named after', () => {
    const counts = new Map(NAMES.map((n) => [n, profileCounts(profile(n))]));
    const c = (name: string, syscall: string) => counts.get(name)?.get(syscall) ?? 0;
    const socketFamilies = (name: string) =>
      profile(name)
        .syscalls.find((s) => s.arch === 'x86_64' && s.name === 'socket')
        ?.args?.find((a) => a.name === 'domain')
        ?.values.map((v) => v.label) ?? [];
    // base: accepts a connection in a request thread, python is the only executable
    expect(c('base', 'accept4')).toBeGreaterThan(0);
    expect(c('base', 'clone3')).toBeGreaterThan(0);
    expect(c('base', 'wait4')).toBe(0);
    // CGI: the handler forks, the child execs the script (and the script execs head), parent waits
    expect(c('cgi', 'clone') + c('cgi', 'vfork')).toBeGreaterThan(0);
    expect(c('cgi', 'wait4')).toBeGreaterThan(0);
    expect(c('cgi', 'execve')).toBeGreaterThan(c('base', 'execve'));
    expect(profile('cgi').executables.map((e) => e.path)).toContainEqual(expect.stringMatching(/cgi-bin\/echo\.sh$/));
    // IPv6: the listening socket is AF_INET6
    expect(socketFamilies('ipv6')).toContain('AF_INET6');
    expect(socketFamilies('base')).not.toContain('AF_INET6');
    // concurrency: more request threads than base
    expect(c('concurrent', 'clone3')).toBeGreaterThan(c('base', 'clone3'));
    // large file: a read/sendall loop, no sendfile(2); many more writes to the socket than base
    expect(c('large-file', 'sendfile')).toBe(0);
    expect(c('large-file', 'sendto')).toBeGreaterThan(c('base', 'sendto') + 100);
    // port in use: bind fails, python never accepts nor starts a request thread
    expect(c('port-in-use', 'bind')).toBeGreaterThan(0);
    expect(c('port-in-use', 'accept4')).toBe(0);
    expect(c('port-in-use', 'clone3')).toBe(0);
  });

  it('cross-validation names the CGI scenario as needing what no other scenario shows', () => {
    const cv = crossValidation(learned.stderr);
    expect([...cv.keys()].sort(), learned.stderr).toEqual([...NAMES].sort());
    const cgi = cv.get('cgi');
    expect(cgi, learned.stderr).toMatch(/^misses /);
    expect(cgi).toMatch(/\bwait4\b/);
    expect(cgi).toMatch(/\b(clone|vfork|fork)\b/);
    // the base scenario's syscalls are all shown by the other runs too (they all start the same way)
    expect(cv.get('base')).toMatch(/^covered/);
  });
});
