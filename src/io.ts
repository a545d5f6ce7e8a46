/** File output that never leaves a half-written file behind, and errors that read as one line. */
import { accessSync, closeSync, constants, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** Exit with this code and print nothing more: whoever failed already said why. */
export class QuietExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/**
 * Check before running anything that `path` can be written: its directory exists and is
 * writable, and the path is not a directory. Throws a UserError naming the problem.
 */
export function assertWritable(path: string): void {
  const dir = dirname(path);
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`${path}: is a directory`);
    accessSync(dir, constants.W_OK);
    // A probe file proves it (read-only mounts pass access() for root).
    const probe = join(dir, `.${basename(path)}.sbx-probe-${process.pid}`);
    closeSync(openSync(probe, 'wx'));
    rmSync(probe);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`cannot write ${path}: ${e.code === 'ENOENT' ? 'no such directory' : (e.code ?? e.message)}`);
  }
}

/** Write via a temp file in the same directory, then rename: readers see all or nothing. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`cannot write ${path}: ${e.code ?? e.message}`);
  }
}
