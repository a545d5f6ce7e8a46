/**
 * Live progress on a terminal while tracing: one status line pinned to the bottom row with a
 * scroll region, so the traced program's own output scrolls above it and never mixes with it.
 */
import type { WriteStream } from 'node:tty';
import { hostArch } from '../linux/arch.js';
import { syscallNameOrNumber } from '../linux/syscalls.js';
import { LIVE_PROCESSES, LIVE_THREADS, slotArch, slotNr } from '../profile/slots.js';

/** "read" or "i386:read". */
export function describeSlot(slot: number): string {
  const arch = slotArch(slot);
  const name = syscallNameOrNumber(arch, slotNr(slot));
  return arch === hostArch() ? name : `${arch}:${name}`;
}

const REFRESH_MS = 200;

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
  ) {}

  start(): void {
    this.rows = this.out.rows;
    // Reserve the last row: scrolling happens in rows 1..N-1.
    this.out.write(`\n\x1b7\x1b[1;${this.rows - 1}r\x1b8\x1b[1A`);
    this.timer = setInterval(() => this.draw(), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.out.write(`\x1b7\x1b[r\x1b[${this.rows};1H\x1b[2K\x1b8`);
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
