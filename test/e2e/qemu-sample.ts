/**
 * The QEMU sample (samples/qemu) for end-to-end tests: paths, building it when missing, and a
 * runner that keeps QEMU's console off the test runner's stdin.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sampleDir = join(repo, 'samples', 'qemu');
export const buildSh = join(sampleDir, 'build.sh');
export const bootSh = join(sampleDir, 'boot.sh');
export const buildDir = join(sampleDir, 'build');
export const sbxBin = join(repo, 'bin', 'sbx');

export const MARKER = 'SBX-GUEST-OK';
export const BUILD_TIMEOUT_MS = 15 * 60_000;
/** One boot takes ~5 s with TCG; leave room for a slow tracer and a loaded machine. */
export const RUN_TIMEOUT_MS = 150_000;
export const TEST_TIMEOUT_MS = 2 * RUN_TIMEOUT_MS + 30_000;

// ---------------------------------------------------------------------------------------------
// process helpers

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    // stdin is /dev/null: QEMU's -nographic console would otherwise read the test runner's stdin.
    const child = spawn(cmd, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - started,
      });
    });
  });
}

export function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function buildMissing(): string[] {
  const missing: string[] = [];
  for (const f of ['vmlinuz', 'initramfs.cpio.gz']) {
    if (!existsSync(join(buildDir, f))) missing.push(`samples/qemu/build/${f}`);
  }
  for (const cmd of ['qemu-system-x86_64', 'strace']) {
    if (!onPath(cmd)) missing.push(cmd);
  }
  return missing;
}

export function tail(s: string, lines = 40): string {
  return s.split('\n').slice(-lines).join('\n');
}

export function describeRun(what: string, r: RunResult): string {
  return `${what}: exit ${r.code ?? `signal ${r.signal}`} after ${r.ms} ms\n--- stdout (tail) ---\n${tail(r.stdout)}\n--- stderr (tail) ---\n${tail(r.stderr)}`;
}

/**
 * Build the sample if it is missing. Returns why it is unavailable, or undefined when ready;
 * under CI an unavailable sample is an error, never a skip.
 */
export async function ensureQemuSample(): Promise<string | undefined> {
  let missing = buildMissing();
  let detail = '';
  if (missing.length > 0) {
    try {
      const r = await run('bash', [buildSh], BUILD_TIMEOUT_MS - 30_000);
      if (r.code !== 0) detail = `\n${describeRun('samples/qemu/build.sh', r)}`;
    } catch (e) {
      detail = `\nbash samples/qemu/build.sh could not start: ${String(e)}`;
    }
    missing = buildMissing();
  }
  if (missing.length === 0) return undefined;
  const problem = `QEMU sample unavailable (missing: ${missing.join(', ')}); samples/qemu/build.sh needs Debian 12, root and apt mirrors${detail}`;
  if (process.env.CI) throw new Error(`CI is set, refusing to skip: ${problem}`);
  return problem;
}

/** The kernel release the sample guest boots (its marker line names it). */
export function sampleKernelVersion(): string {
  return readFileSync(join(buildDir, 'kernel.version'), 'utf8').trim();
}
