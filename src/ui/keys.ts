/**
 * Key bindings as data: each command lists its keys and one line of help. The same table
 * decides what a key does and prints the help screen, so the two cannot drift apart
 * (gemini-cli's keyBindings.ts does the same).
 */

/** The key flags Ink's useInput reports (only the ones sbx reads). */
export interface KeyFlags {
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly tab?: boolean;
  readonly ctrl?: boolean;
}

/**
 * One name per key press: "up", "down", "pageup", "pagedown", "home", "end", "enter",
 * "escape", "backspace", "tab", "left", "right", "ctrl+c", or the typed text itself ("j", "K").
 */
export function keyName(input: string, key: KeyFlags): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'escape';
  if (key.backspace || key.delete) return 'backspace';
  if (key.tab) return 'tab';
  if (key.ctrl) return `ctrl+${input}`;
  return input;
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
  | 'nav.search'
  | 'rule.allow'
  | 'rule.default'
  | 'rule.errno'
  | 'rule.kill'
  | 'rule.trace'
  | 'rule.log'
  | 'view.groups'
  | 'view.expand'
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
  { command: 'nav.home', keys: ['home'], help: 'first row' },
  { command: 'nav.end', keys: ['end'], help: 'last row' },
  { command: 'nav.search', keys: ['/'], help: 'search syscall names (Enter keeps, Esc clears)' },
  { command: 'rule.allow', keys: ['a'], help: 'allow' },
  { command: 'rule.default', keys: ['d'], help: "no rule: the policy's default action" },
  { command: 'rule.errno', keys: ['e'], help: 'fail with an errno (asks; Enter = EPERM)' },
  { command: 'rule.kill', keys: ['K'], help: 'kill the process' },
  { command: 'rule.trace', keys: ['t'], help: 'trace (notify a tracer; ENOSYS without one)' },
  { command: 'rule.log', keys: ['l'], help: 'allow and log' },
  { command: 'view.groups', keys: ['g'], help: 'group view: one row per category; actions apply to the group' },
  { command: 'view.expand', keys: ['enter'], help: 'group view: open or close the group' },
  { command: 'view.filter', keys: ['f'], help: 'filter: all/observed/completed/candidates/unobserved/rare/changed' },
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

const SHOWN: Readonly<Record<string, string>> = { up: '↑', down: '↓', pageup: 'PgUp', pagedown: 'PgDn', home: 'Home', end: 'End', enter: 'Enter', 'ctrl+c': 'Ctrl+C' };

/** The help screen's lines: "↑ k        previous row". */
export function helpLines<C extends string>(bindings: readonly KeyBinding<C>[]): string[] {
  return bindings.map((b) => `${b.keys.map((k) => SHOWN[k] ?? k).join(' ').padEnd(10)} ${b.help}`);
}

export type LiveCommand = 'prompt.review' | 'prompt.skip';

/** The keys of `sbx learn --tui`'s end prompt ("open sbx review? [y/N]"); anything else is ignored. */
export const LIVE_KEYS: readonly KeyBinding<LiveCommand>[] = [
  { command: 'prompt.review', keys: ['y', 'Y'], help: 'open sbx review on the profile just learned' },
  { command: 'prompt.skip', keys: ['n', 'N', 'enter', 'escape', 'q', 'ctrl+c'], help: 'no review: finish' },
];
