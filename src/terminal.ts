/**
 * Terminal checks that cost nothing at start-up. node:tty brings net and Node's stream classes
 * with it (~3.5 ms, a tenth of what `sbx run` adds to Node's own start), and a run whose stderr
 * is no terminal never needs it: it loads on first use, which, where stderr is a terminal, its
 * stream has done already.
 */
import type { WriteStream } from 'node:tty';

/** isatty(3) on `fd`. */
export function isatty(fd: number): boolean {
  return process.getBuiltinModule('node:tty').isatty(fd);
}

/** sbx's stderr when it is a terminal (a tty.WriteStream, with rows and columns), else undefined. */
export function terminalStderr(): WriteStream | undefined {
  return process.stderr.isTTY ? (process.stderr as WriteStream) : undefined;
}
