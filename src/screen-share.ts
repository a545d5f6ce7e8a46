/**
 * The terminal that the progress line (main thread, src/ui/progress.ts) shares with the traced
 * program: the tracer (src/ptrace) sees the program take the terminal over and frees the
 * bottom row at that stop, so both sides write through this lock in the shared control array
 * (src/ptrace/control.ts gives it fields 4..7). A shared helper: the UI and the tracing
 * backend both use it, neither owns it.
 */

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
