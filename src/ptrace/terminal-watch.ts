/**
 * Keeps the progress line off a terminal the program has taken over: the tracer sees the
 * program switch to the alternate screen (`\e[?1049h`, `\e[?1047h`, `\e[?47h` written to the
 * terminal) or to non-canonical mode (ioctl TCSETS* clearing ICANON), and a task's group-stop.
 * Taking over releases the line at the call's stop, before the call runs; giving back lets the
 * progress line return after the call. Only writes to sbx's own terminal are read, and only
 * their first 4 KiB.
 */
import { fstatSync, statSync, writeSync } from 'node:fs';
import {
  CONTROL_SCREEN_HIDE,
  CONTROL_SCREEN_PINNED,
  CONTROL_SCREEN_ROWS,
  HIDE_ALT_SCREEN,
  HIDE_RAW,
  HIDE_STOPPED,
  lockScreen,
  releaseSequence,
  unlockScreen,
} from '../screen-share.js';
import type { TraceeMemory } from '../profile/recorder.js';

const TCSETS = [0x5402, 0x5403, 0x5404, 0x402c542b, 0x402c542c, 0x402c542d];
const ICANON = 0x2;
/** termios.c_lflag: after c_iflag, c_oflag, c_cflag (u32 each), also in termios2. */
const LFLAG_OFFSET = 12;
const ALT_SCREEN = /\x1b\[\?(?:1049|1047|47)([hl])/g;
const READ_LIMIT = 4096;

export class TerminalWatch {
  /** Whether fd of a process is sbx's terminal, by tgid * 2^16 + fd (larger fds are not cached). */
  private readonly isTerminalFd = new Map<number, boolean>();
  private stoppedTasks = 0;

  private constructor(
    private readonly control: Int32Array,
    private readonly memory: TraceeMemory,
    private readonly terminal: number,
  ) {}

  /** A watch on sbx's stderr terminal; undefined when stderr is not a terminal. */
  static onStderr(control: Int32Array, memory: TraceeMemory): TerminalWatch | undefined {
    const stat = fstatSync(2);
    return stat.isCharacterDevice() ? new TerminalWatch(control, memory, stat.rdev) : undefined;
  }

  /**
   * write(fd, buf, len): hides the line now if it enters the alternate screen; returns the
   * HIDE_* bits to clear once the call has run (it leaves), else 0.
   */
  onWrite(tid: number, tgid: number, fd: number, address: bigint, length: number): number {
    if (length < 6 || !this.isTerminal(tid, tgid, fd)) return 0;
    const bytes = this.memory.readBytes(tid, address, Math.min(length, READ_LIMIT));
    // Plain text (no ESC) is the common case: no string is made of it.
    if (!bytes || bytes.indexOf(0x1b) < 0) return 0;
    return this.onOutput(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1'));
  }

  /** writev(fd, iov, n) of a 64-bit process: the first 4 KiB of its buffers. */
  onWritev(tid: number, tgid: number, fd: number, iov: bigint, count: number): number {
    if (count <= 0 || !this.isTerminal(tid, tgid, fd)) return 0;
    const vectors = this.memory.readBytes(tid, iov, Math.min(count, 8) * 16);
    if (!vectors) return 0;
    const view = new DataView(vectors.buffer, vectors.byteOffset, vectors.length);
    let text = '';
    for (let at = 0; at + 16 <= vectors.length && text.length < READ_LIMIT; at += 16) {
      const length = Number(view.getBigUint64(at + 8, true));
      if (length === 0) continue;
      const bytes = this.memory.readBytes(tid, view.getBigUint64(at, true), Math.min(length, READ_LIMIT - text.length));
      if (!bytes) break;
      text += Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    }
    return text.length >= 6 ? this.onOutput(text) : 0;
  }

  /** ioctl(fd, TCSETS*, termios): non-canonical hides the line now; canonical again returns HIDE_RAW. */
  onIoctl(tid: number, tgid: number, fd: number, request: number, address: bigint): number {
    if (!TCSETS.includes(request) || !this.isTerminal(tid, tgid, fd)) return 0;
    const bytes = this.memory.readBytes(tid, address, LFLAG_OFFSET + 4);
    if (!bytes || bytes.length < LFLAG_OFFSET + 4) return 0;
    const lflag = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(LFLAG_OFFSET, true);
    if (lflag & ICANON) return HIDE_RAW;
    this.hide(HIDE_RAW);
    return 0;
  }

  /** The fd may now be another file (close, dup2, dup3; every fd from `fd` up for close_range). */
  forgetFd(tgid: number, fd: number, upwards = false): void {
    if (!upwards) this.isTerminalFd.delete(tgid * 0x10000 + fd);
    else
      for (const key of this.isTerminalFd.keys())
        if (Math.floor(key / 0x10000) === tgid && key % 0x10000 >= fd) this.isTerminalFd.delete(key);
  }

  /** The process exec'd or ended: its close-on-exec fds are gone, its numbers may be reused. */
  forgetProcess(tgid: number): void {
    this.forgetFd(tgid, 0, true);
  }

  /** A task entered (true) or left (false) a group-stop. */
  groupStop(entered: boolean): void {
    this.stoppedTasks += entered ? 1 : -1;
    if (entered && this.stoppedTasks === 1) this.hide(HIDE_STOPPED);
    else if (!entered && this.stoppedTasks === 0) this.show(HIDE_STOPPED);
  }

  /** The call that gave the terminal back has run: the line may return. */
  show(bits: number): void {
    Atomics.and(this.control, CONTROL_SCREEN_HIDE, ~bits);
  }

  /** The program takes the terminal: flag it, and release the line before the call runs. */
  private hide(bits: number): void {
    Atomics.or(this.control, CONTROL_SCREEN_HIDE, bits);
    lockScreen(this.control, true);
    try {
      if (!Atomics.load(this.control, CONTROL_SCREEN_PINNED)) return;
      writeAll(releaseSequence(Atomics.load(this.control, CONTROL_SCREEN_ROWS)));
      Atomics.store(this.control, CONTROL_SCREEN_PINNED, 0);
    } finally {
      unlockScreen(this.control);
    }
  }

  /** Bits to clear after the call when it leaves the alternate screen (the last switch wins). */
  private onOutput(text: string): number {
    let last: string | undefined;
    for (const match of text.matchAll(ALT_SCREEN)) last = match[1];
    if (last === 'h') this.hide(HIDE_ALT_SCREEN);
    return last === 'l' ? HIDE_ALT_SCREEN : 0;
  }

  private isTerminal(tid: number, tgid: number, fd: number): boolean {
    if (fd < 0) return false;
    const key = fd < 0x10000 ? tgid * 0x10000 + fd : -1;
    const known = this.isTerminalFd.get(key);
    if (known !== undefined) return known;
    let answer = false;
    try {
      const stat = statSync(`/proc/${tid}/fd/${fd}`);
      answer = stat.isCharacterDevice() && stat.rdev === this.terminal;
    } catch {
      // not open (the call will fail) or not ours to see
    }
    if (key >= 0) this.isTerminalFd.set(key, answer);
    return answer;
  }
}

/** One write of the whole sequence to sbx's stderr (retried while the terminal is full). */
function writeAll(text: string): void {
  const bytes = Buffer.from(text);
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(2, bytes, done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
