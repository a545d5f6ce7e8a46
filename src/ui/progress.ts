/**
 * Live progress on a terminal while tracing: one status line pinned to the bottom row with a
 * scroll region, so the traced program's own output scrolls above it and never mixes with it.
 */
import { readFileSync } from 'node:fs';
import type { WriteStream } from 'node:tty';
import { hostArch, namedCallKey } from '../linux/arch.js';
import { syscallNameOrNumber } from '../linux/syscalls.js';
import { LIVE_PROCESSES, LIVE_THREADS, slotArch, slotNr } from '../profile/slots.js';
import {
  CONTROL_SCREEN_HIDE,
  CONTROL_SCREEN_PINNED,
  CONTROL_SCREEN_ROWS,
  HIDE_SUSPENDED,
  lockScreen,
  pinSequence,
  releaseSequence,
  unlockScreen,
} from '../screen-share.js';

/** "read" or "i386:read". */
export function describeSlot(slot: number): string {
  const arch = slotArch(slot);
  const name = syscallNameOrNumber(arch, slotNr(slot));
  return arch === hostArch() ? name : namedCallKey(arch, name);
}

const REFRESH_MS = 200;

/** Whether sbx is in its terminal's foreground process group (not after `bg`). */
function inForeground(): boolean {
  try {
    const fields = readFileSync('/proc/self/stat', 'latin1').split(') ')[1]!.split(' ');
    return fields[2] === fields[5]; // pgrp === tpgid
  } catch {
    return true;
  }
}

/**
 * The line gives the bottom row back whenever the program takes the terminal over (the tracer
 * flags raw mode, the alternate screen and group-stops in the shared control array and releases
 * the line itself before such a call runs), while sbx is stopped (Ctrl-Z) or in the background,
 * and takes it again at the next refresh after that ends.
 */
export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  private readonly started = performance.now();
  private lastTotal = 0;
  private lastTime = this.started;
  private rows = 0;

  constructor(
    private readonly out: WriteStream,
    private readonly counts: Float64Array,
    private readonly live: Float64Array,
    private readonly control: Int32Array,
  ) {}

  start(): void {
    this.rows = this.out.rows;
    Atomics.store(this.control, CONTROL_SCREEN_ROWS, this.rows);
    this.withTerminal(() => this.pin());
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.withTerminal(() => this.release());
  }

  /** sbx is about to stop (SIGTSTP): give the row back now; `resume` on SIGCONT. */
  suspend(): void {
    Atomics.or(this.control, CONTROL_SCREEN_HIDE, HIDE_SUSPENDED);
    this.withTerminal(() => this.release());
  }

  resume(): void {
    Atomics.and(this.control, CONTROL_SCREEN_HIDE, ~HIDE_SUSPENDED);
  }

  private refresh(): void {
    // The tracer holds the terminal only while it writes a release: skip this refresh then.
    if (!lockScreen(this.control, false)) return;
    try {
      if (Atomics.load(this.control, CONTROL_SCREEN_HIDE) || !inForeground()) return this.release();
      this.pin();
      this.draw();
    } finally {
      unlockScreen(this.control);
    }
  }

  private withTerminal(write: () => void): void {
    lockScreen(this.control, true);
    try {
      write();
    } finally {
      unlockScreen(this.control);
    }
  }

  private pin(): void {
    if (Atomics.load(this.control, CONTROL_SCREEN_PINNED)) return;
    this.out.write(pinSequence(this.rows));
    Atomics.store(this.control, CONTROL_SCREEN_PINNED, 1);
  }

  private release(): void {
    if (!Atomics.load(this.control, CONTROL_SCREEN_PINNED)) return;
    this.out.write(releaseSequence(this.rows));
    Atomics.store(this.control, CONTROL_SCREEN_PINNED, 0);
  }

  private draw(): void {
    const now = performance.now();
    let total = 0;
    let distinct = 0;
    const top: [number, number][] = [];
    this.counts.forEach((n, slot) => {
      if (!n) return;
      total += n;
      distinct++;
      top.push([slot, n]);
    });
    top.sort((a, b) => b[1] - a[1]);
    const rate = ((total - this.lastTotal) * 1000) / (now - this.lastTime);
    this.lastTotal = total;
    this.lastTime = now;
    const names = top
      .slice(0, 5)
      .map(([slot, n]) => `${describeSlot(slot)} ${n}`)
      .join(' ');
    const elapsed = ((now - this.started) / 1000).toFixed(1);
    const line = `sbx ${elapsed}s ${Math.round(rate)}/s ${total} calls ${distinct} syscalls ${this.live[LIVE_PROCESSES]} proc ${this.live[LIVE_THREADS]} thr | ${names}`;
    this.out.write(`\x1b7\x1b[${this.rows};1H\x1b[2K\x1b[7m${line.slice(0, this.out.columns - 1)}\x1b[0m\x1b8`);
  }
}
