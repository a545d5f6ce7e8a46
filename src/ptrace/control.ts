/**
 * How the main thread and the tracer worker talk without messages the tracer would have to
 * wait for: a shared Int32Array. The tracer blocks on it (Atomics.wait) only in ask mode,
 * while the program is stopped at a call the policy would deny.
 */
import type { ArchName } from '../linux/arch.js';

/** Non-zero: stop requested (detach under --pid). */
export const CONTROL_STOP = 0;
/** Set to 1 by the main thread when an answer is in ANSWER_KIND / ANSWER_ERRNO. */
export const CONTROL_ANSWER_READY = 1;
export const CONTROL_ANSWER_KIND = 2;
export const CONTROL_ANSWER_ERRNO = 3;
/**
 * The terminal the progress line shares with the program: whoever writes to it (the progress
 * line on the main thread, the tracer releasing the line at a stop) holds SCREEN_LOCK.
 */
export const CONTROL_SCREEN_LOCK = 4;
/** 1 while the progress line holds the bottom row (scroll region set). */
export const CONTROL_SCREEN_PINNED = 5;
/** The terminal's rows when the line was pinned. */
export const CONTROL_SCREEN_ROWS = 6;
/** Why the line must stay off now: HIDE_* bits. */
export const CONTROL_SCREEN_HIDE = 7;
export const CONTROL_FIELDS = 8;

/** The program put the terminal in non-canonical ("raw") mode. */
export const HIDE_RAW = 1;
/** The program switched to the alternate screen. */
export const HIDE_ALT_SCREEN = 2;
/** A traced task is in a group-stop (SIGTSTP, SIGSTOP, ...). */
export const HIDE_STOPPED = 4;
/** sbx itself is being stopped (Ctrl-Z). */
export const HIDE_SUSPENDED = 8;

/** Take the terminal; `wait`: until the other side is done (it only ever holds it for one write). */
export function lockScreen(control: Int32Array, wait: boolean): boolean {
  while (Atomics.compareExchange(control, CONTROL_SCREEN_LOCK, 0, 1) !== 0) {
    if (!wait) return false;
    Atomics.wait(control, CONTROL_SCREEN_LOCK, 1, 5);
  }
  return true;
}

export function unlockScreen(control: Int32Array): void {
  Atomics.store(control, CONTROL_SCREEN_LOCK, 0);
  Atomics.notify(control, CONTROL_SCREEN_LOCK);
}

/** Reserve the bottom row: scrolling happens in rows 1..rows-1 (the cursor stays where it was). */
export function pinSequence(rows: number): string {
  return `\n\x1b7\x1b[1;${rows - 1}r\x1b8\x1b[1A`;
}

/** Give the bottom row back: whole-screen scroll region, the status row cleared, cursor kept. */
export function releaseSequence(rows: number): string {
  return `\x1b7\x1b[r\x1b[${rows};1H\x1b[2K\x1b8`;
}

/** A call the policy would deny, stopped in the tracer until someone answers. */
export interface AskQuestion {
  readonly pid: number;
  readonly arch: ArchName;
  readonly nr: number;
  readonly name: string;
  /** The six argument registers, as the policy's conditions see them. */
  readonly args: readonly string[];
  /** The arguments that matter, decoded: "flags=O_RDONLY|O_CLOEXEC". */
  readonly decoded: string;
  readonly exe: string;
  /** How often this syscall was asked about before (in this run). */
  readonly asked: number;
}

export type AskAnswer =
  | { readonly kind: 'allow' }
  | { readonly kind: 'allow-always' }
  | { readonly kind: 'errno'; readonly errno: number }
  | { readonly kind: 'trap' }
  | { readonly kind: 'kill' };

const KINDS = ['allow', 'allow-always', 'errno', 'trap', 'kill'] as const;

/** Main thread: hand the tracer its answer and wake it. */
export function postAnswer(control: Int32Array, answer: AskAnswer): void {
  Atomics.store(control, CONTROL_ANSWER_KIND, KINDS.indexOf(answer.kind));
  Atomics.store(control, CONTROL_ANSWER_ERRNO, answer.kind === 'errno' ? answer.errno : 0);
  Atomics.store(control, CONTROL_ANSWER_READY, 1);
  Atomics.notify(control, CONTROL_ANSWER_READY);
}

/** Tracer thread: ask (through `send`) and block until the answer is posted. */
export function awaitAnswer(control: Int32Array, send: () => void): AskAnswer {
  Atomics.store(control, CONTROL_ANSWER_READY, 0);
  send();
  Atomics.wait(control, CONTROL_ANSWER_READY, 0);
  const kind = KINDS[Atomics.load(control, CONTROL_ANSWER_KIND)] ?? 'allow';
  return kind === 'errno' ? { kind, errno: Atomics.load(control, CONTROL_ANSWER_ERRNO) } : { kind };
}

/**
 * Wake a tracer blocked in waitpid(-1) from another thread: the exit of a short-lived child
 * is an event it sees. Spawned with posix_spawn, not child_process, so libuv never waits for
 * a child the tracer reaps. koffi loads only when this is needed.
 */
export async function wakeTracer(): Promise<void> {
  const { posixSpawnp } = await import('./libc.js');
  posixSpawnp([0], 'true', 0n, 0n, ['true', null], [null]);
}
