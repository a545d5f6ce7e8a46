/** File output that never leaves a half-written file behind, and errors that read as one line. */
import {
  accessSync,
  closeSync,
  constants,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** An error meant for the user: printed as `sbx: <message>` with no stack, exit code attached. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/**
 * A bug in sbx found in another thread (the tracer worker): the message and the stack it had
 * there, so the main thread can print both and ask for a report (exit 70).
 */
export class InternalError extends Error {
  constructor(message: string, stack?: string) {
    super(message);
    if (stack) this.stack = stack;
  }
}

/** Exit with this code and print nothing more: whoever failed already said why. */
export class QuietExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/**
 * Check before running anything that `path` can be written: its directory exists and is
 * writable, the path is not a directory, and it is none of `inputs` (the files the command
 * reads, which the output would replace; compared as files, so another spelling or a symlink
 * counts too). Throws a UserError naming the problem.
 */
export function assertWritable(path: string, inputs: readonly string[] = []): void {
  const input = inputs.find((file) => isSameFile(file, path));
  if (input !== undefined) throw new UserError(`cannot write ${path}: it is the input ${input} (give another -o)`);
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory()) throw new UserError(`${path}: is a directory`);
    if (isSpecial(st)) {
      accessSync(path, constants.W_OK);
      return;
    }
    const dir = dirname(st ? realpathSync(path) : path);
    accessSync(dir, constants.W_OK);
    // A probe file proves it (read-only mounts pass access() for root).
    const probe = join(dir, `.${basename(path)}.sbx-probe-${process.pid}`);
    try {
      closeSync(openSync(probe, 'wx'));
    } catch (err) {
      // The directory is there (access() said so): a file system such as /proc that makes no new files.
      throw new UserError(
        `cannot write ${path}: cannot create a file in ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    unlinkSync(probe); // not rmSync, which loads Node's rimraf (~1 ms at every start)
  } catch (err) {
    if (err instanceof UserError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`cannot write ${path}: ${e.code === 'ENOENT' ? 'no such directory' : (e.code ?? e.message)}`);
  }
}

/** Both paths name one existing regular file. */
function isSameFile(a: string, b: string): boolean {
  const sa = statSync(a, { throwIfNoEntry: false });
  const sb = statSync(b, { throwIfNoEntry: false });
  return sa !== undefined && sb !== undefined && sa.isFile() && sa.dev === sb.dev && sa.ino === sb.ino;
}

/** A device, FIFO or socket (`-o /dev/null`, `-o /dev/stdout`): written in place, never renamed over. */
function isSpecial(st: Stats | undefined): boolean {
  return st !== undefined && !st.isFile() && !st.isDirectory();
}

/** `path` is a device, FIFO or socket: it has no directory of the output's own to put more files in. */
export function isSpecialFile(path: string): boolean {
  return isSpecial(statSync(path, { throwIfNoEntry: false }));
}

/**
 * Write via a temp file in the same directory, then rename: readers see all or nothing. A
 * symlink keeps pointing where it did (the file it names is replaced), and a device or FIFO
 * is written to directly: renaming over /dev/null would replace it with a regular file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (isSpecial(st)) {
    try {
      writeFileSync(path, data);
      return;
    } catch (err) {
      throw new UserError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const target = st ? realpathSync(path) : path;
  const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
  try {
    writeFileSync(temp, data);
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`cannot write ${path}: ${e.code ?? e.message}`);
  }
}
