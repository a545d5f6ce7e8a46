/**
 * What sbx shows on its terminal while it traces a program: the live view (`learn --tui`),
 * the progress line, plain progress lines (TERM=dumb), or nothing. The commands pass this to
 * the session (src/learn/session/trace-run.ts), which knows nothing of terminals; the views
 * load only when they are shown.
 */
import type { TraceFeed, TraceView, TraceViewFor } from '../learn/session/trace-run.js';
import { LIVE_PROCESSES, LIVE_THREADS } from '../profile/slots.js';
import { isatty, terminalStderr } from '../linux/terminal.js';
import { loadTerminalUi } from './load-ui.js';

/** Whether the live view can run here; says on stderr why not when it cannot. */
async function canShowLiveView(): Promise<boolean> {
  const { MIN_ROWS } = await import('./live/state.js');
  if (process.env.TERM === 'dumb') {
    process.stderr.write(
      'sbx: --tui needs a terminal that can move the cursor (TERM is dumb): plain progress lines instead, no live view\n',
    );
    return false;
  }
  // isatty(0), not process.stdin: a stdin stream would set O_NONBLOCK on a pipe the program shares.
  const term = terminalStderr();
  if (term && isatty(0) && term.rows >= MIN_ROWS) return true;
  process.stderr.write(`sbx: --tui needs a terminal (stdin and stderr, at least ${MIN_ROWS} rows): plain progress instead, no live view\n`);
  return false;
}

/** The live view over the feed, started once the program runs; at the end it asks whether to open review. */
function liveView(
  feed: TraceFeed,
  [{ startLiveView }, { describeSlot }]: [typeof import('./live/run-live.js'), typeof import('./progress.js')],
): TraceView {
  let handle: import('./live/run-live.js').LiveViewHandle | undefined;
  return {
    start() {
      const term = terminalStderr();
      if (term)
        handle = startLiveView({
          term,
          stdin: process.stdin,
          counts: feed.counts,
          live: feed.live,
          processesAt: LIVE_PROCESSES,
          threadsAt: LIVE_THREADS,
          nameOf: describeSlot,
          title: feed.title,
        });
    },
    finish: async (ended) => (handle ? (await handle.finish(ended)) === 'review' : undefined),
    stop: () => handle?.stop(),
  };
}

/**
 * The view a run asks for (`tui`: the live view; `progress`: the progress line), as far as
 * sbx's terminal allows. Without a terminal there is nothing to show; `--tui` without one
 * says so and falls back to progress.
 */
export function traceView(wanted: { readonly tui?: boolean; readonly progress: boolean }): TraceViewFor {
  return async ({ seesEveryCall, outputRedirected }) => {
    // The live view (Ink, React, the syscall tables) loads before the tracer starts (its first messages must find the listener).
    const liveModules =
      wanted.tui && (await canShowLiveView())
        ? await Promise.all([loadTerminalUi(() => import('./live/run-live.js')), import('./progress.js')])
        : undefined;
    // The live view redraws on a timer and reads keys only once the program has ended.
    if (liveModules) return { watchTerminal: false, sharesMainThread: true, open: async (feed) => liveView(feed, liveModules) };
    // The line must never draw over a program that takes the terminal over. The tracer sees that
    // when it stops at every call; under a policy's filter (run --complain) it stops only at
    // denials, so the line is left out whenever the program's stdin or stdout is a terminal.
    const term = terminalStderr();
    const showProgress =
      wanted.progress &&
      term !== undefined &&
      (term.rows > 2 || process.env.TERM === 'dumb') &&
      // isatty(0), not process.stdin: a stdin stream would set O_NONBLOCK on a pipe the program shares.
      (seesEveryCall || (!isatty(0) && (!isatty(1) || outputRedirected)));
    if (!showProgress) return undefined;
    return {
      watchTerminal: true,
      // Drawn on a timer, no keys: between the tracer's steps on the main thread.
      sharesMainThread: true,
      // The progress view (and the syscall tables it names calls with) loads only on a terminal;
      // one that cannot move the cursor (TERM=dumb) gets plain lines.
      open: async (feed) =>
        process.env.TERM === 'dumb'
          ? new (await import('./live/plain-progress.js')).PlainProgress(
              term,
              feed.counts,
              feed.live,
              { processes: LIVE_PROCESSES, threads: LIVE_THREADS },
              feed.title,
            )
          : new (await import('./progress.js')).ProgressLine(term, feed.counts, feed.live, feed.control),
    };
  };
}
