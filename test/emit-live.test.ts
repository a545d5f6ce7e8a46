/**
 * The libseccomp wrapper under the real kernel: it runs each learned workload to completion
 * under the policy proposed from its profile, and it stops a syscall outside the policy with
 * the policy's action (kill-process: SIGSYS; errno: the call fails). End to end: learn a real
 * program, propose an allowlist and a denylist, run it again under each: no violation.
 * Needs gcc and libseccomp-dev; without them these tests fail, they never skip.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, requireTool, runCommand, runSbx, tempDir, workload } from './helpers.js';
import { INT80, needs, type Capability } from './machine.js';

/** The real interpreter, not a pyenv shim that forks a shell. */
const PYTHON = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

function requireLibseccomp(): void {
  requireTool('gcc');
  if (!existsSync('/usr/include/seccomp.h'))
    throw new Error('libseccomp-dev is required for this test (apt-get install libseccomp-dev); .ci/run installs it');
}

async function sbx(args: string[], cwd = ROOT): Promise<void> {
  const res = await runSbx(args, { cwd });
  if (res.code !== 0) throw new Error(`sbx ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
}

/** sbx emit -f libseccomp-c, then gcc: the wrapper binary for a policy file. */
async function wrapperFor(policy: string): Promise<string> {
  requireLibseccomp();
  const dir = tempDir('sbx-wrapper-');
  const source = join(dir, 'filter.c');
  await sbx(['emit', '-f', 'libseccomp-c', policy, '-o', source]);
  const out = spawnSync('gcc', ['-O1', '-Wall', '-Werror', '-o', join(dir, 'sandbox'), source, '-lseccomp'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`gcc failed: ${out.stderr}`);
  return join(dir, 'sandbox');
}

async function learnAndPropose(command: string[], proposeArgs: string[]): Promise<string> {
  const dir = tempDir('sbx-e2e-');
  await sbx(['learn', '-q', '--no-progress', '-o', join(dir, 'profile.json'), '--', ...command]);
  await sbx(['propose', '-q', ...proposeArgs, join(dir, 'profile.json'), '-o', join(dir, 'policy.json')]);
  return join(dir, 'policy.json');
}

const SH_LOOP = 'for i in 1 2 3 4 5; do /bin/true; echo "$i" >/dev/null; done';

describe('the wrapper runs each learned sample workload to completion under its policy', () => {
  it.each([
    { policy: 'ls.allowlist', label: 'ls -la /', command: () => ['ls', '-la', '/'] },
    {
      policy: 'dd.allowlist',
      label: 'dd bs=4k count=1024',
      command: () => ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=4k', 'count=1024', 'status=none'],
    },
    {
      policy: 'dd.allowlist',
      label: 'dd bs=512 count=16 (prints its statistics)',
      command: () => ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=512', 'count=16'],
      stderr: /^16\+0 records in\n16\+0 records out\n8192 bytes/,
    },
    { policy: 'sh-loop.denylist', label: 'sh -c loop', command: () => ['sh', '-c', SH_LOOP] },
    { policy: 'threads.allowlist', label: 'threads 4 1000', command: () => [workload('threads'), '4', '1000'] },
  ])('$policy: $label', async ({ policy, command, stderr }) => {
    const wrapper = await wrapperFor(join(ROOT, 'samples', 'policies', `${policy}.json`));
    const res = await runCommand(wrapper, command());
    if (stderr) expect(res.stderr).toMatch(stderr);
    else expect(res.stderr).toBe('');
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
  });

  it('http-server.allowlist: python3 -m http.server answers a request and stops on Ctrl-C', async () => {
    const wrapper = await wrapperFor(join(ROOT, 'samples', 'policies', 'http-server.allowlist.json'));
    const www = tempDir('sbx-www-');
    writeFileSync(join(www, 'index.html'), 'hello from the sandbox\n');
    const port = 20000 + (process.pid % 10000);
    const child = spawn(wrapper, [PYTHON, '-m', 'http.server', String(port), '--bind', '127.0.0.1'], {
      cwd: www,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    const get = () =>
      new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
    let body: string | undefined;
    for (let i = 0; i < 100 && body === undefined; i++)
      body = await get().catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)));
    child.kill('SIGINT');
    const { code, signal } = await exited;
    expect(body).toBe('hello from the sandbox\n');
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(stderr).toContain('"GET / HTTP/1.1" 200');
  });
});

/** A program that makes one extra syscall on request, so the test knows what the policy has not seen. */
const PROBE = `#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "ok";
	unsigned int cpu;
	long r = 0;
	if (strcmp(what, "getcpu") == 0)
		r = syscall(SYS_getcpu, &cpu, NULL, NULL);
	else if (strcmp(what, "setpriority") == 0)
		r = syscall(SYS_setpriority, PRIO_PROCESS, 0, 0);
	else if (strcmp(what, "mount") == 0)
		r = syscall(SYS_mount, "none", "/nonexistent-sbx", "tmpfs", 0UL, NULL);
	printf("%s %ld %d\\n", what, r, r < 0 ? errno : 0);
	return 0;
}
`;

function probe(): string {
  requireTool('gcc');
  const dir = join(tempDir('sbx-probe-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'probe.c'), PROBE);
  const out = spawnSync('gcc', ['-O1', '-o', join(dir, 'probe'), join(dir, 'probe.c')], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`gcc probe.c failed: ${out.stderr}`);
  return join(dir, 'probe');
}

describe('a syscall outside the policy gets the chosen action', () => {
  const EPERM = 1;

  it.each([
    { name: 'allowlist, default kill-process: getcpu kills the process with SIGSYS', propose: [], run: 'getcpu', signal: 'SIGSYS' },
    {
      name: 'allowlist, --default errno(EPERM): getcpu fails with EPERM',
      propose: ['--default', 'errno(EPERM)'],
      run: 'getcpu',
      stdout: `getcpu -1 ${EPERM}\n`,
    },
    {
      name: 'allowlist, smart action: setpriority fails with EPERM even with a kill default',
      propose: [],
      run: 'setpriority',
      stdout: `setpriority -1 ${EPERM}\n`,
    },
    { name: 'denylist: mount (qemu:default) kills the process', propose: ['--strategy', 'denylist'], run: 'mount', signal: 'SIGSYS' },
    { name: 'denylist: getcpu is not denied', propose: ['--strategy', 'denylist'], run: 'getcpu', stdout: 'getcpu 0 0\n' },
    { name: 'allowlist: the learned path runs', propose: [], run: 'ok', stdout: 'ok 0 0\n' },
  ])('$name', async ({ propose, run, signal, stdout }) => {
    const program = probe();
    const wrapper = await wrapperFor(await learnAndPropose([program, 'ok'], propose));
    const res = await runCommand(wrapper, [program, run]);
    if (signal) {
      expect(res.signal).toBe(signal);
    } else {
      expect(res.signal).toBeNull();
      expect(res.code).toBe(0);
      expect(res.stdout).toBe(stdout);
    }
  });
});

describe('end to end on real programs: learn, propose, run under the wrapper again', () => {
  it.for<{ name: string; command: () => string[]; needs?: Capability }>([
    { name: 'sh fork/exec loop', command: () => ['sh', '-c', SH_LOOP] },
    { name: 'ls -la /', command: () => ['ls', '-la', '/'] },
    { name: 'python3 stat loop', command: () => [PYTHON, '-c', "import os\nfor _ in range(50): os.stat('/')"] },
    { name: 'int $0x80 from a 64-bit process (one filter for x86_64 and i386)', command: () => [workload('int80'), '10'], needs: INT80 },
  ])('$name: allowlist (with --args) and denylist, no violation', async ({ command, needs: capability }, ctx) => {
    if (capability) needs(ctx, capability);
    for (const args of [['--args'], ['--strategy', 'denylist']]) {
      const wrapper = await wrapperFor(await learnAndPropose(command(), args));
      const res = await runCommand(wrapper, command());
      expect(res.stderr, args.join(' ')).toBe('');
      expect(res.signal, args.join(' ')).toBeNull();
      expect(res.code, args.join(' ')).toBe(0);
    }
  });
});

/** Loads the filter, then a second thread makes an x32 call (getpid | __X32_SYSCALL_BIT); main waits for it. */
const X32_THREAD = `#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int LOAD(void);

static void *x32_call(void *unused)
{
	(void)unused;
	syscall(SYS_getpid | 0x40000000);
	return NULL;
}

int main(void)
{
	pthread_t thread;
	int rc = LOAD();
	if (rc < 0) {
		fprintf(stderr, "cannot load the filter: %s\\n", strerror(-rc));
		return 126;
	}
	pthread_create(&thread, NULL, x32_call, NULL);
	pthread_join(thread, NULL);
	printf("the process survived\\n");
	return 0;
}
`;

describe('a foreign-ABI call (x32 on x86_64) from a second thread kills the whole process, as sbx run does', () => {
  it.each([
    { format: 'libseccomp-c', load: 'sbx_load_filter', define: ['-DSBX_NO_MAIN'] },
    { format: 'qemu-c', load: 'seccomp_start', define: [] },
  ])('$format', async ({ format, load, define }) => {
    requireLibseccomp();
    const dir = tempDir('sbx-badarch-');
    // default allow: only the arch check can stop the call
    writeFileSync(
      join(dir, 'policy.json'),
      JSON.stringify({
        format: 'sbx-policy',
        version: 1,
        arches: ['x86_64'],
        defaultAction: 'allow',
        rules: [{ syscall: 'mount', action: 'kill-process' }],
      }),
    );
    await sbx(['emit', '-f', format, join(dir, 'policy.json'), '-o', join(dir, 'filter.c')]);
    writeFileSync(join(dir, 'main.c'), X32_THREAD.replaceAll('LOAD', load));
    const out = spawnSync(
      'gcc',
      ['-O1', ...define, '-o', join(dir, 'prog'), join(dir, 'main.c'), join(dir, 'filter.c'), '-lseccomp', '-pthread'],
      { encoding: 'utf8' },
    );
    if (out.status !== 0) throw new Error(`gcc failed: ${out.stderr}`);
    const res = await runCommand(join(dir, 'prog'), []);
    expect(res.stdout).toBe('');
    expect(res.signal).toBe('SIGSYS');
  });
});
