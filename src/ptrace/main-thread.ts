/**
 * The tracer on the main thread, for runs where nothing else needs it at once (no ask mode, no
 * scenario timers; the progress line and the live view draw between steps): a Node process that boots a
 * worker thread costs more than the whole start-up target of `sbx learn`/`sbx run` (issue 14),
 * so these runs start none.
 *
 * The tracer blocks the main thread in waitpid, while sbx's signal forwarding
 * (src/learn/session/trace-run.ts) runs on the event loop. libuv installs its signal handlers
 * with SA_RESTART; interruptWaitOn() re-installs the same handler without it, so a signal
 * delivered to the main thread while it waits interrupts waitpid (EINTR): the tracer returns,
 * the event loop runs the JS handler (which forwards the signal to the program) and tracing
 * resumes from setImmediate. The kernel gives a signal sent to sbx's pid to the main thread
 * (the thread-group leader) whenever that thread does not block it and is running or has no
 * signal pending (kernel/signal.c complete_signal, wants_signal), so a signal sent while the
 * program sleeps interrupts the wait at once.
 *
 * Two cases are left where a handler runs without interrupting a wait: the signal arrives while
 * the tracer handles a stop (between two waitpids the handler only writes to libuv's pipe), or it
 * lands on another of Node's threads (the main thread had a signal pending already). No call
 * waits for a child and for libuv's pipe at once, and checking the pipe before each waitpid
 * would cost a syscall per stop, so a timer bounds both cases instead: while the tracer runs,
 * TICK_SIGNAL (also without SA_RESTART) interrupts waitpid every TICK_MS and the event loop takes
 * its turn. A signal is forwarded within TICK_MS at worst, and promptly in the common case. The
 * timer runs only during the tracer's own steps (waitpid, ptrace, process_vm_readv, /proc
 * reads), never while the event loop runs, and the program never inherits it (a fork does not,
 * and the launcher is a fork). It is a POSIX timer aimed at the main thread with SIGSTKFLT,
 * which neither the kernel nor anyone else sends: with setitimer's SIGALRM, a SIGALRM sent to
 * sbx (`timeout -s ALRM`) could not be told from the tick and was lost instead of forwarded.
 */
import { constants } from 'node:os';
import { errnoName } from '../linux/constants.js';
import { allocBuffer, errno, gettid, sigaction, timerCreate, timerSettime } from '../linux/libc.js';
import { startTraceSession, type TraceInput, type TraceMessage } from './session.js';

/** glibc's struct sigaction: handler, sa_mask (128 bytes), sa_flags, sa_restorer. */
const SIGACTION_SIZE = 152;
const SA_FLAGS_INDEX = 136 / 4;
const SA_RESTART = 0x10000000;
/** Longest a signal handled between two waits can go unforwarded. */
const TICK_MS = 100;
const TICK_SIGNAL = 'SIGSTKFLT';
const CLOCK_MONOTONIC = 1;
/** struct sigevent: sigev_value (8 bytes), sigev_signo, sigev_notify, then the thread id. */
const SIGEVENT_SIZE = 64;
const SIGEV_THREAD_ID = 4;

const action = allocBuffer(SIGACTION_SIZE);
const timerSpec = allocBuffer(32);
let tickTimer: bigint | undefined;

/**
 * Make the handler libuv installed for `signal` (call after process.on) interrupt the tracer's
 * waitpid instead of letting the kernel restart it.
 */
export function interruptWaitOn(signal: NodeJS.Signals): void {
  const number = constants.signals[signal];
  if (sigaction(number, 0n, action.address) < 0) throw new Error(`sigaction(${signal}) failed: ${errnoName(errno())}`);
  action.i32[SA_FLAGS_INDEX]! &= ~SA_RESTART;
  if (sigaction(number, action.address, 0n) < 0) throw new Error(`sigaction(${signal}) failed: ${errnoName(errno())}`);
}

/** The tick's timer: TICK_SIGNAL to this (the main) thread, created once. */
function tickTimerId(): bigint {
  if (tickTimer !== undefined) return tickTimer;
  const event = allocBuffer(SIGEVENT_SIZE);
  event.i32[2] = constants.signals[TICK_SIGNAL];
  event.i32[3] = SIGEV_THREAD_ID;
  event.i32[4] = gettid();
  const id = allocBuffer(8);
  if (timerCreate(CLOCK_MONOTONIC, event.address, id.address) < 0) throw new Error(`timer_create failed: ${errnoName(errno())}`);
  tickTimer = id.u64[0]!;
  return tickTimer;
}

/** Arm (ms > 0) or disarm (0) the tick that interrupts waitpid. */
function setTick(ms: number): void {
  timerSpec.i64[0] = timerSpec.i64[2] = BigInt(Math.floor(ms / 1000)); // interval, value: seconds
  timerSpec.i64[1] = timerSpec.i64[3] = BigInt((ms % 1000) * 1_000_000); // nanoseconds
  if (timerSettime(tickTimerId(), 0, timerSpec.address, 0n) < 0) throw new Error(`timer_settime failed: ${errnoName(errno())}`);
}

function tick(): void {
  // Only here to interrupt waitpid: the event loop's turn is the point.
}

/**
 * Listen for the tick once, for good. A tick that fired during the last step is still in libuv's
 * queue when tracing ends, and is dispatched after: with no listener of ours left, signal-exit
 * (loaded by Ink, hooking SIGSTKFLT among others) would take it for a fatal signal and re-raise
 * it, killing sbx at the review prompt.
 */
function listenForTicks(): void {
  if (process.listeners(TICK_SIGNAL).includes(tick)) return;
  process.on(TICK_SIGNAL, tick);
  interruptWaitOn(TICK_SIGNAL);
}

/**
 * Trace `input` on this thread, posting the same messages the worker posts; resolves once the
 * last one is posted. Between steps the event loop runs (signal handlers, timers).
 */
export function traceOnMainThread(input: TraceInput, post: (message: TraceMessage) => void): Promise<void> {
  const step = startTraceSession({ ...input, config: { ...input.config, interruptible: true } }, post);
  listenForTicks();
  return new Promise((resolve) => {
    const next = () => {
      setTick(TICK_MS);
      let done: boolean;
      try {
        done = step();
      } finally {
        setTick(0);
      }
      if (!done) return setImmediate(next);
      resolve();
    };
    setImmediate(next);
  });
}
