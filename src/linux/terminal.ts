/**
 * Terminal checks that cost nothing at start-up. Node's own (`tty.isatty`, a stream's `isTTY`)
 * load node:tty, which brings net and Node's stream classes with it (~4 ms, a tenth of what
 * `sbx run` adds to Node's own start): isatty(3) comes from libc, which sbx loads anyway where
 * it asks (it traces), and sbx's stderr becomes a stream only once it is known to be a
 * terminal (or when sbx writes to it).
 */
import type { WriteStream } from 'node:tty';
import { isatty as libcIsatty } from './libc.js';

/** isatty(3) on `fd`. */
export function isatty(fd: number): boolean {
  return libcIsatty(fd) === 1;
}

/** sbx's stderr when it is a terminal (a tty.WriteStream, with rows and columns), else undefined. */
export function terminalStderr(): WriteStream | undefined {
  return isatty(2) ? (process.stderr as WriteStream) : undefined;
}
