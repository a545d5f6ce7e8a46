/** Shared test plumbing: run the built CLI, compile workloads, read strace -c. */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Profile } from '../src/profile/types.js';
import { expect } from 'vitest';
import { writeFileAtomic } from '../src/io.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The real Python interpreter, not a pyenv shim that forks a shell. */
export const PYTHON = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
export const SBX = join(ROOT, 'bin', 'sbx');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run bin/sbx (tests may use child_process; sbx itself never does for tracees). */
export function runSbx(args: readonly string[], options: SpawnOptions & { input?: string } = {}): Promise<RunResult> {
  return runCommand(SBX, args, options);
}

export function runCommand(file: string, args: readonly string[], options: SpawnOptions & { input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** A tool the test needs: missing means a loud failure (CI installs them; see .ci/run). */
export function requireTool(name: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${name} is required for this test (apt-get install ${name}); .ci/run installs it`);
  return found;
}

/** `nm -D` symbols of an ELF file, defined or undefined, as nm prints them (`open@GLIBC_2.2.5`, `read@@GLIBC_2.2.5`). */
export function nmDynamic(path: string, which: 'defined' | 'undefined'): string[] {
  requireTool('nm');
  const out = spawnSync('nm', ['-D', `--${which}-only`, path], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (out.status !== 0) throw new Error(`nm -D ${path} failed: ${out.stderr}`);
  return out.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/).at(-1) ?? '')
    .filter((s) => s !== '');
}

/** argv run as user nobody when the tests run as root (CI), unchanged otherwise. */
export function asNobody(argv: readonly string[]): string[] {
  return process.getuid?.() === 0
    ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'env', 'HOME=/tmp', ...argv]
    : [...argv];
}

export function tempDir(prefix = 'sbx-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Compile test/workloads/<name>.c once per content hash; returns the binary path. */
export function workload(name: string): string {
  requireTool('gcc');
  const source = join(ROOT, 'test', 'workloads', `${name}.c`);
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'sbx-workloads');
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, `${name}-${hash}`);
  if (!existsSync(binary)) {
    // Test files run in parallel: each compiles to its own temp name, then renames atomically.
    const temp = `${binary}.${process.pid}.tmp`;
    const out = spawnSync('gcc', ['-O1', '-pthread', '-o', temp, source], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`gcc ${name}.c failed: ${out.stderr}`);
    renameSync(temp, binary);
  }
  return binary;
}

export function readJson<T = Profile>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Calls per syscall name (native arch) from a profile. */
export function profileCounts(profile: Profile, arch = 'x86_64'): Map<string, number> {
  return new Map(profile.syscalls.filter((s) => s.arch === arch).map((s) => [s.name, s.count]));
}

export interface StraceSummary {
  /** Calls per syscall, 64-bit table. */
  native: Map<string, number>;
  /** Errors per syscall, 64-bit table. */
  errors: Map<string, number>;
  /** Calls per syscall, 32-bit table. */
  compat: Map<string, number>;
}

/** Parse `strace -f -c` output: the 64-bit table, and the 32-bit one strace prints separately. */
export function parseStraceSummary(text: string): StraceSummary {
  const native = new Map<string, number>();
  const errors = new Map<string, number>();
  const compat = new Map<string, number>();
  let table = native;
  for (const line of text.split('\n')) {
    if (/32 bit mode/.test(line)) table = compat;
    if (/x32 mode/.test(line)) table = new Map();
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\w+)\s*$/.exec(line);
    if (!m || m[3] === 'total') continue;
    table.set(m[3]!, Number(m[1]));
    if (table === native && m[2]) errors.set(m[3]!, Number(m[2]));
  }
  return { native, errors, compat };
}

/** Run a command under `strace -f -c` and return its summary. */
export function straceCounts(command: readonly string[]): StraceSummary {
  requireTool('strace');
  const dir = tempDir('sbx-strace-');
  const out = join(dir, 'summary');
  // Same stdio as runSbx gives the traced program (pipes), so programs that probe their stdio behave alike.
  const run = spawnSync('strace', ['-f', '-c', '-o', out, '--', ...command], { input: '', encoding: 'utf8' });
  if (run.error) throw run.error;
  return parseStraceSummary(readFileSync(out, 'utf8'));
}

/**
 * Poll `probe` until it returns something other than undefined/false; throws naming `what`
 * after `timeoutMs`. Tests wait for the condition they need, never for a fixed time.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Whether a process has ended (gone, or a zombie nobody has reaped yet). */
export function processEnded(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * Compare `text` with the golden file at `path`. UPDATE_GOLDEN=1 rewrites it; a missing golden
 * file fails (never written on the fly: a test that writes its own answer cannot fail).
 */
export function expectGolden(path: string, text: string): void {
  const shown = relative(ROOT, path);
  if (process.env.UPDATE_GOLDEN) writeFileAtomic(path, text);
  if (!existsSync(path)) throw new Error(`golden file ${shown} is missing (UPDATE_GOLDEN=1 writes it; review and commit it)`);
  expect(text, `golden file ${shown} (UPDATE_GOLDEN=1 to rewrite)`).toBe(readFileSync(path, 'utf8'));
}
