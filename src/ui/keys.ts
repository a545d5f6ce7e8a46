/**
 * Key bindings as data: each command lists its keys and one line of help. The same table
 * decides what a key does and prints the help screen, so the two cannot drift apart
 * (gemini-cli's keyBindings.ts does the same).
 */

/** CSI and SS3 final bytes of the keys sbx reads (ESC [ A, ESC O A, ...). */
const FINAL_KEYS: Readonly<Record<string, string>> = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end', Z: 'shift+tab' };
/** ESC [ n ~ keys (vt220 and rxvt numbering). */
const TILDE_KEYS: Readonly<Record<string, string>> = {
  '1': 'home',
  '7': 'home',
  '4': 'end',
  '8': 'end',
  '5': 'pageup',
  '6': 'pagedown',
  '3': 'delete',
  '2': 'insert',
};
/** Control characters with names of their own. */
const CONTROL_KEYS: Readonly<Record<string, string>> = {
  '\r': 'enter',
  '\n': 'enter',
  '\t': 'tab',
  '\x7f': 'backspace',
  '\b': 'backspace',
};

/**
 * Every key press in a chunk of terminal input, in order, by name: the typed text ("j", "K"),
 * or "up", "down", "left", "right", "pageup", "pagedown", "home", "end", "enter", "escape",
 * "backspace", "delete", "tab", "ctrl+d", "meta+x". A chunk holds several keys when a person types
 * fast or the terminal delivers keys together (`tmux send-keys jjjjj` is one write); Ink 6's
 * useInput would hand such a run over as one string, and a key table matching single keys
 * would lose all of it. Escape sequences whose keys sbx does not read become "unknown".
 */
export function parseKeys(chunk: string): string[] {
  const keys: string[] = [];
  let i = 0;
  while (i < chunk.length) {
    const ch = chunk[i]!;
    if (ch === '\x1b') {
      const next = chunk[i + 1];
      if (next === '[' || next === 'O') {
        // CSI: parameter and intermediate bytes, then one final byte; SS3: one final byte
        let end = i + 2;
        if (next === '[') while (end < chunk.length && /[\x20-\x3f[]/.test(chunk[end]!) && !(chunk[end] === '[' && end > i + 2)) end++;
        const final = chunk[end];
        if (final === undefined) {
          keys.push('escape');
          i += 1;
          continue;
        }
        const params = chunk.slice(i + 2, end).split(';')[0]!;
        keys.push(final === '~' ? (TILDE_KEYS[params] ?? 'unknown') : (FINAL_KEYS[final] ?? 'unknown'));
        i = end + 1;
        continue;
      }
      if (next === undefined || next === '\x1b') {
        keys.push('escape');
        i += 1;
        continue;
      }
      // Alt+key: the terminal sends ESC before the key
      const [key = 'unknown'] = parseKeys(String.fromCodePoint(chunk.codePointAt(i + 1)!));
      keys.push(`meta+${key}`);
      i += 1 + String.fromCodePoint(chunk.codePointAt(i + 1)!).length;
      continue;
    }
    const code = chunk.codePointAt(i)!;
    const text = String.fromCodePoint(code);
    i += text.length;
    if (CONTROL_KEYS[text]) keys.push(CONTROL_KEYS[text]);
    // Ctrl+A .. Ctrl+Z arrive as 1..26
    else if (code >= 1 && code <= 26) keys.push(`ctrl+${String.fromCharCode(code + 96)}`);
    else if (code >= 32) keys.push(text);
  }
  return keys;
}

/** A command, the keys that run it, and what the help screen says about it. */
export interface KeyBinding<C extends string> {
  readonly command: C;
  readonly keys: readonly string[];
  readonly help: string;
}

export type ReviewCommand =
  | 'nav.up'
  | 'nav.down'
  | 'nav.pageUp'
  | 'nav.pageDown'
  | 'nav.home'
  | 'nav.end'
  | 'nav.halfDown'
  | 'nav.halfUp'
  | 'nav.search'
  | 'rule.allow'
  | 'rule.default'
  | 'rule.errno'
  | 'rule.kill'
  | 'rule.trace'
  | 'rule.log'
  | 'view.groups'
  | 'view.details'
  | 'view.filter'
  | 'edit.undo'
  | 'file.save'
  | 'app.quit'
  | 'app.help'
  | 'app.report';

/** `sbx review`'s keys; also its help screen, in this order. */
export const REVIEW_KEYS: readonly KeyBinding<ReviewCommand>[] = [
  { command: 'nav.up', keys: ['up', 'k'], help: 'previous row' },
  { command: 'nav.down', keys: ['down', 'j'], help: 'next row' },
  { command: 'nav.pageUp', keys: ['pageup'], help: 'page up' },
  { command: 'nav.pageDown', keys: ['pagedown'], help: 'page down' },
  { command: 'nav.halfDown', keys: ['ctrl+d'], help: 'half a page down' },
  { command: 'nav.halfUp', keys: ['ctrl+u'], help: 'half a page up' },
  { command: 'nav.home', keys: ['home'], help: 'first row' },
  { command: 'nav.end', keys: ['end', 'G'], help: 'last row (g is the group view, not the top)' },
  { command: 'nav.search', keys: ['/'], help: 'search syscall names (Enter keeps, Esc clears)' },
  { command: 'rule.allow', keys: ['a'], help: 'allow' },
  { command: 'rule.default', keys: ['d'], help: "no rule: the policy's default action" },
  { command: 'rule.errno', keys: ['e'], help: 'fail with an errno (asks; Enter = EPERM)' },
  { command: 'rule.kill', keys: ['K'], help: 'kill the process' },
  { command: 'rule.trace', keys: ['t'], help: 'trace (notify a tracer; ENOSYS without one)' },
  { command: 'rule.log', keys: ['l'], help: 'allow and log' },
  { command: 'view.groups', keys: ['g'], help: 'group view: one row per category; actions apply to the group' },
  {
    command: 'view.details',
    keys: ['enter'],
    help: 'all the details of the syscall, full screen (j/k scroll, Esc back); on a group: open or close it',
  },
  {
    command: 'view.filter',
    keys: ['f'],
    help: 'filter: all/observed/completed/candidates/unobserved/rare/changed (the title counts the rows it shows)',
  },
  { command: 'edit.undo', keys: ['u'], help: 'undo the last change' },
  { command: 'file.save', keys: ['s'], help: 'save the policy' },
  { command: 'app.quit', keys: ['q', 'ctrl+c'], help: 'quit (asks when changes are unsaved; Ctrl+C twice: no save)' },
  { command: 'app.help', keys: ['?'], help: 'this help' },
  { command: 'app.report', keys: ['i'], help: 'fidelity report: candidates, held-out misses' },
];

/** Key name → command, for a table of bindings. */
export function keyMap<C extends string>(bindings: readonly KeyBinding<C>[]): ReadonlyMap<string, C> {
  const map = new Map<string, C>();
  for (const b of bindings) for (const k of b.keys) map.set(k, b.command);
  return map;
}

const SHOWN: Readonly<Record<string, string>> = {
  up: '↑',
  down: '↓',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  enter: 'Enter',
  'ctrl+c': 'Ctrl+C',
  'ctrl+d': 'Ctrl+D',
  'ctrl+u': 'Ctrl+U',
};

/** The help screen's lines: "↑ k        previous row". */
export function helpLines<C extends string>(bindings: readonly KeyBinding<C>[]): string[] {
  return bindings.map(
    (b) =>
      `${b.keys
        .map((k) => SHOWN[k] ?? k)
        .join(' ')
        .padEnd(10)} ${b.help}`,
  );
}

export type LiveCommand = 'prompt.review' | 'prompt.skip' | 'list.down' | 'list.up' | 'list.pageDown' | 'list.pageUp';

/**
 * The keys of `sbx learn --tui` once the program has exited (before, the keyboard is the
 * program's): scroll the list, answer "open sbx review? [y/N]"; anything else is ignored.
 */
export const LIVE_KEYS: readonly KeyBinding<LiveCommand>[] = [
  { command: 'list.down', keys: ['j', 'down'], help: 'scroll the list down' },
  { command: 'list.up', keys: ['k', 'up'], help: 'scroll the list up' },
  { command: 'list.pageDown', keys: ['pagedown', ' '], help: 'scroll a page down' },
  { command: 'list.pageUp', keys: ['pageup'], help: 'scroll a page up' },
  { command: 'prompt.review', keys: ['y', 'Y'], help: 'open sbx review on the profile just learned' },
  { command: 'prompt.skip', keys: ['n', 'N', 'enter', 'escape', 'q', 'ctrl+c'], help: 'no review: finish' },
];
