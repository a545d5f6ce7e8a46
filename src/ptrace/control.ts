/**
 * How the main thread and the tracer worker talk without messages the tracer would have to
 * wait for: a shared Int32Array. The tracer blocks on it (Atomics.wait) only in ask mode,
 * while the program is stopped at a call the policy would deny.
 */
import type { ArchName } from '../linux/arch.js';
import { CONTROL_SCREEN_HIDE } from '../screen-share.js';

/** Non-zero: stop requested (detach under --pid). */
export const CONTROL_STOP = 0;
/** Set to 1 by the main thread when an answer is in ANSWER_KIND / ANSWER_ERRNO. */
export const CONTROL_ANSWER_READY = 1;
export const CONTROL_ANSWER_KIND = 2;
export const CONTROL_ANSWER_ERRNO = 3;
/** Fields 4..7 are the terminal's (src/screen-share.ts). */
export const CONTROL_FIELDS = CONTROL_SCREEN_HIDE + 1;

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
  const { posixSpawnp } = await import('../linux/libc.js');
  posixSpawnp([0], 'true', 0n, 0n, ['true', null], [null]);
}
