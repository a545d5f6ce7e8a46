/**
 * The review's full screen, entered before anything heavy loads (Ink, React, the profiles), so
 * a big review shows "loading…" at once instead of a blank terminal. No imports: cheap to load.
 */

/** The escapes that enter the review's full screen (alternate screen, no cursor) and leave it. */
const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';

/**
 * Enter the full screen at once with a "loading…" line, before the profiles are read and the
 * proposal is made (seconds on a big profile); returns what leaves it again.
 */
export function openReviewScreen(stdout: NodeJS.WriteStream, what: string): () => void {
  stdout.write(`${ENTER_SCREEN}sbx review: loading ${what}…`);
  let open = true;
  return () => {
    if (open) stdout.write(LEAVE_SCREEN);
    open = false;
  };
}
