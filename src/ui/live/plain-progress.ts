/**
 * Progress for a terminal that cannot move the cursor (TERM=dumb): no scroll region, no
 * cursor movement, no alternate screen; one plain line on stderr every few seconds, the live
 * view's header line ("sbx learn 4.0s │ 1200 calls/s │ 23 syscalls │ ...").
 */
import { headerLine } from './format.js';
import { initialLiveState, liveReducer, type LiveState } from './state.js';

const EVERY_MS = 2000;

export class PlainProgress {
  private timer: NodeJS.Timeout | undefined;
  private readonly started = performance.now();
  private state: LiveState = initialLiveState({ width: 1000, height: 24 });

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly counts: Float64Array,
    private readonly live: Float64Array,
    private readonly at: { readonly processes: number; readonly threads: number },
    private readonly title: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.line(), EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private line(): void {
    this.state = liveReducer(this.state, {
      type: 'tick',
      now: performance.now() - this.started,
      counts: this.counts,
      processes: this.live[this.at.processes] ?? 0,
      threads: this.live[this.at.threads] ?? 0,
    });
    this.out.write(`${headerLine(this.state, this.title).trimEnd()}\n`);
  }
}
