/**
 * Option parsers and output shared by the command files: each turns a bad value into
 * commander's one-line usage error.
 */
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { isArchName, type ArchName } from '../linux/arch.js';
import { UserError, writeFileAtomic } from '../io.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in ${min}..${max}`);
    return n;
  };
}

export function kernelVersion(value: string): string {
  if (!/^\d+\.\d+$/.test(value)) throw new InvalidArgumentError('expected a kernel release as X.Y, e.g. 6.1');
  return value;
}

export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function arches(value: string): ArchName[] {
  const names = list(value);
  const bad = names.find((n) => !isArchName(n));
  if (bad !== undefined) throw new InvalidArgumentError(`unknown arch ${JSON.stringify(bad)} (sbx knows x86_64, x32, i386, aarch64)`);
  return names as ArchName[];
}

/**
 * Write a command's output to stdout. A write that fails (a full disk, an I/O error) is the
 * command failing, never a quiet exit 0; a closed pipe (`| head`) is the reader's choice and
 * stays quiet.
 */
export function writeStdout(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(data, (err) => {
      const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
      if (err && code !== 'EPIPE') reject(new UserError(`cannot write to stdout: ${code ?? err.message}`));
      else resolve();
    });
  });
}

/** Write to `output`, or to stdout when there is none. */
export async function deliver(output: string | undefined, text: string): Promise<void> {
  if (output) writeFileAtomic(output, text);
  else await writeStdout(text);
}

/** A profile or policy as the files sbx writes hold it. */
export function jsonText(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/**
 * Whether a command's ptrace tracer will run on a worker thread, so that it is worth starting
 * first (src/ptrace/main-thread.ts runs it on the main thread otherwise): ask mode waits for
 * answers while the program runs and scenario runs keep timers; the progress line and the live
 * view draw between the tracer's steps. A guess from the options before the program's `--`; a
 * wrong one costs only time (src/learn/session/trace-run.ts starts a worker late, and runCli
 * stops an unused one). The eBPF backend needs no tracer worker.
 */
export function needsTracerWorker(command: string, args: readonly string[]): boolean {
  const end = args.indexOf('--');
  const options = end < 0 ? args : args.slice(0, end);
  const has = (flag: string): boolean => options.some((a) => a === flag || a.startsWith(`${flag}=`));
  if (options.some((a, i) => a === '--backend=ebpf' || (a === '--backend' && options[i + 1] === 'ebpf'))) return false;
  return command === 'validate' || has('--ask') || has('--scenarios');
}
