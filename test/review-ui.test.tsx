/** sbx review's Ink skin, driven with real key sequences through ink-testing-library's stdin. */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { cleanup, render } from 'ink-testing-library';
import chalk from 'chalk';
import { readProfile } from '../src/profile/profile.js';
import { propose } from '../src/learn/propose/index.js';
import { readPolicy, type PolicyDraft } from '../src/policy/policy.js';
import { buildReviewData } from '../src/ui/review/data.js';
import { ReviewApp } from '../src/ui/review/review-app.js';
import { colorEnabled, savePolicy } from '../src/ui/review/run-review.js';
import { initialReviewState, type ReviewState } from '../src/ui/review/state.js';
import { ROOT, tempDir, waitFor } from './helpers.js';

const FILE = join(ROOT, 'samples', 'profiles', 'dd.profile.json');
const profile = readProfile(FILE);
const data = buildReviewData(profile, propose([{ file: FILE, profile }]), 'dd.profile.json');

const KEY = {
  up: '\x1b[A',
  down: '\x1b[B',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  home: '\x1b[H',
  end: '\x1b[F',
  enter: '\r',
  escape: '\x1b',
  backspace: '\x7f',
};

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

interface Session {
  frame(): string;
  until(done: () => boolean): Promise<void>;
  press(...keys: string[]): Promise<string>;
  /** What an effect after a key draws later (a save): wait for the frame that shows it. */
  showing(pattern: RegExp): Promise<string>;
  saves: PolicyDraft[];
  exited(): ReviewState | undefined;
}

async function open(options: { color?: boolean; save?: (draft: PolicyDraft) => string } = {}): Promise<Session> {
  const saves: PolicyDraft[] = [];
  let final: ReviewState | undefined;
  const app = render(
    <ReviewApp
      initial={initialReviewState(data, { width: 100, height: 24 })}
      color={options.color ?? false}
      followTerminal={false}
      save={(draft) => {
        saves.push(draft);
        return options.save ? options.save(draft) : 'policy.json';
      }}
      onExit={(s) => {
        final = s;
      }}
    />,
  );
  // Ink draws, then starts reading keys in an effect: the first key must not come before that.
  await waitFor('review to draw and read keys', () => app.frames.length > 0 && app.stdin.listenerCount('readable') > 0, 10_000, 5);
  return {
    frame: () => app.lastFrame() ?? '',
    async press(...keys: string[]) {
      for (const k of keys) {
        // wait for the redraw this key causes (a key that changes nothing draws nothing: 1 s at most)
        const before = app.frames.length;
        app.stdin.write(k);
        for (let waited = 0; app.frames.length === before && waited < 1000; waited += 5) await tick(5);
      }
      return app.lastFrame() ?? '';
    },
    showing: (pattern: RegExp) =>
      waitFor(`a frame showing ${pattern}`, () => pattern.test(app.lastFrame() ?? '') && (app.lastFrame() ?? ''), 10_000, 5),
    async until(done: () => boolean) {
      await waitFor('the review to end', done, 10_000, 10);
    },
    saves,
    exited: () => final,
  };
}

/** The table line of the selected row. */
function selectedLine(frame: string): string {
  return frame.split('\n').find((l) => l.startsWith('>')) ?? '';
}

afterEach(() => cleanup());

describe('sbx review keys (ink-testing-library)', () => {
  it('draws the ranked table, the details pane and the hint line', async () => {
    const s = await open();
    const lines = s.frame().split('\n');
    expect(lines[0]).toMatch(/^sbx review dd.profile.json │ filter all │ 0 changed │ 23 syscalls, 2168 calls │ default kill-process/);
    expect(lines[1]).toMatch(/syscall +calls +count +share +cum +prio action +tags/);
    expect(lines[2]).toMatch(/^> +read +█+ +1027 +47.4% +47.4% +255 allow +@basic-io/);
    expect(s.frame()).toMatch(/── read \(x86_64\) · allow · observed · first seen #8/);
    expect(s.frame()).toMatch(/why: observed 1027 calls, seen in 1 of 1 runs/);
    expect(s.frame()).toMatch(/used by: \/usr\/bin\/dd 1027 calls/);
    expect(lines.length).toBe(23);
  });

  it('↓ j ↑ k PgDn PgUp End Home move the selection', async () => {
    const s = await open();
    expect(selectedLine(await s.press(KEY.down))).toMatch(/^> +write /);
    expect(selectedLine(await s.press('j'))).toMatch(/^> +openat /);
    expect(selectedLine(await s.press(KEY.up))).toMatch(/^> +write /);
    expect(selectedLine(await s.press('k'))).toMatch(/^> +read /);
    const pageDown = selectedLine(await s.press(KEY.pageDown));
    expect(pageDown).toMatch(new RegExp(`^> .?.?${data.infos[12]!.name} `));
    expect(selectedLine(await s.press(KEY.pageUp))).toMatch(/^> +read /);
    const end = selectedLine(await s.press(KEY.end));
    expect(end).toMatch(new RegExp(`^> .?.?${data.infos[data.infos.length - 1]!.name} `));
    expect(selectedLine(await s.press(KEY.home))).toMatch(/^> +read /);
  });

  it('/ searches: typing narrows the table, Esc clears', async () => {
    const s = await open();
    let f = await s.press('/', 'm', 'm');
    expect(f).toMatch(/^\/mm█/m);
    expect(selectedLine(f)).toMatch(/^> +mmap /);
    expect(f).not.toMatch(/^ +read /m);
    f = await s.press(KEY.backspace, 'p', 'r', KEY.enter);
    expect(f).toMatch(/filter all \/mpr/);
    expect(selectedLine(f)).toMatch(/^> +mprotect /);
    f = await s.press('/', KEY.escape);
    expect(f).toMatch(/filter all │/);
    expect(f).toMatch(/^ +read /m);
  });

  it('a d e K t l set actions; changed rows get "*"', async () => {
    const s = await open();
    expect(selectedLine(await s.press('K'))).toMatch(/^>\* +read .* kill-process /);
    expect(selectedLine(await s.press('a'))).toMatch(/^> +read .* allow /);
    expect(selectedLine(await s.press('j', 't'))).toMatch(/^>\* +write .* trace\(0\) /);
    expect(selectedLine(await s.press('j', 'l'))).toMatch(/^>\* +openat .* log /);
    let f = await s.press('j', 'e');
    expect(f).toMatch(/errno for close \(Enter = EPERM\): █/);
    f = await s.press(KEY.enter);
    expect(selectedLine(f)).toMatch(/^>\* +close .* errno\(EPERM\) /);
    f = await s.press('j', 'e', 'E', 'N', 'O', 'S', 'Y', 'S', KEY.enter);
    expect(selectedLine(f)).toMatch(/^>\* +mmap .* errno\(ENOSYS\) /);
    f = await s.press('j', 'd');
    expect(selectedLine(f)).toMatch(/^>\* +newfstatat .* kill-process /);
    expect(f).toMatch(/why: no rule: the default action \(kill-process\)/);
    expect(f).toMatch(/proposed: allow, observed: observed 17 calls/);
    expect(f).toMatch(/5 changed, 5 unsaved/);
  });

  it('u undoes the last change', async () => {
    const s = await open();
    await s.press('K', 'j', 'l');
    let f = await s.press('u');
    // the cursor goes back to where the undone change was made
    expect(selectedLine(f)).toMatch(/^> +write .* allow /);
    expect(f).toMatch(/^ \* +read .* kill-process/m);
    f = await s.press('u');
    expect(selectedLine(f)).toMatch(/^> +read .* allow/);
    expect(f).toMatch(/0 changed │/);
  });

  it('g shows groups, Enter opens one, an action on a group sets all its members', async () => {
    const s = await open();
    let f = await s.press('g');
    expect(selectedLine(f)).toMatch(/^> +▸ @basic-io \(\d+\) .* allow/);
    f = await s.press('l');
    expect(selectedLine(f)).toMatch(/@basic-io .* log/);
    f = await s.press(KEY.enter);
    expect(f).toMatch(/▾ @basic-io/);
    expect(f).toMatch(/^ \* +read .* log /m);
    f = await s.press('g');
    expect(selectedLine(f)).toMatch(/^>\* +read .* log/);
  });

  it('f cycles the filters', async () => {
    const s = await open();
    await s.press('K');
    for (const name of ['observed', 'completed', 'candidates', 'unobserved', 'rare', 'changed'])
      expect(await s.press('f')).toMatch(new RegExp(`│ (filter )?${name} │`));
    const f = s.frame();
    expect(f).toMatch(/^>\* +read .* kill-process/m);
    expect(f.split('\n').filter((l) => /^[ >][ *][ !?] *\w/.test(l) && / kill-process | allow /.test(l))).toHaveLength(1);
    expect(await s.press('f')).toMatch(/filter all │/);
  });

  it('? shows the help built from the key table; any key closes it', async () => {
    const s = await open();
    let f = await s.press('?');
    expect(f).toMatch(/keys \(Esc closes; j\/k scroll\) · s saves to policy.json/);
    expect(f).toMatch(/↑ k +previous row/);
    expect(f).toMatch(/K +kill the process/);
    f = await s.press('x');
    expect(f).toMatch(/^> +read /m);
  });

  it('s saves through the save callback; the written policy validates and has the change', async () => {
    const out = join(tempDir('sbx-review-ui-'), 'policy.json');
    const s = await open({ save: (draft) => savePolicy(out, draft) });
    await s.press('j', 'e', KEY.enter, 's');
    const f = await s.showing(/saved .*policy.json/);
    expect(f).toMatch(/1 changed │/);
    expect(f).not.toMatch(/unsaved/);
    const saved = readPolicy(out);
    expect(saved.rules.find((r) => r.syscall === 'write')).toMatchObject({
      action: { kind: 'errno', errno: 1 },
      provenance: { source: 'hand' },
    });
    await s.press('q');
    await s.until(() => s.exited() !== undefined);
    expect(s.exited()?.savedTo).toBe(out);
  });

  it('a failed save says why and keeps the changes unsaved', async () => {
    const s = await open({
      save: () => {
        throw new Error('cannot write /nope/policy.json: ENOENT');
      },
    });
    await s.press('K', 's');
    const f = await s.showing(/not saved: cannot write \/nope\/policy.json: ENOENT/);
    expect(f).toMatch(/1 changed, 1 unsaved/);
  });

  it('q with unsaved changes asks; n stays, s saves and quits', async () => {
    const s = await open();
    let f = await s.press('K', 'q');
    expect(f).toMatch(/1 unsaved change\(s\). s: save to policy.json and quit · y: quit without saving · n: stay/);
    expect(s.exited()).toBeUndefined();
    f = await s.press('n');
    expect(f).toMatch(/not quitting/);
    await s.press('q', 's');
    await s.until(() => s.exited() !== undefined);
    expect(s.saves).toHaveLength(1);
    expect(s.exited()).toMatchObject({ savedTo: 'policy.json' });
  });

  it('q with unsaved changes, then y, quits without saving', async () => {
    const s = await open();
    await s.press('K', 'q', 'y');
    await s.until(() => s.exited() !== undefined);
    expect(s.saves).toHaveLength(0);
    expect(s.exited()).toBeDefined();
  });

  it('q quits at once when nothing changed', async () => {
    const s = await open();
    await s.press('q');
    await s.until(() => s.exited() !== undefined);
    expect(s.exited()).toBeDefined();
  });

  it('Ctrl+C asks when changes are unsaved; a second Ctrl+C quits without saving', async () => {
    const s = await open();
    expect(await s.press('K', '\x03')).toMatch(/1 unsaved change\(s\)/);
    await s.press('\x03');
    await s.until(() => s.exited() !== undefined);
    expect(s.saves).toHaveLength(0);
    expect(s.exited()).toBeDefined();
  });

  it('colours only without NO_COLOR', async () => {
    const plain = await open({ color: false });
    expect(plain.frame()).not.toMatch(/\x1b\[/);
    cleanup();
    // chalk (Ink's) finds no colour support in a test runner; pretend a colour terminal
    const level = chalk.level;
    chalk.level = 1;
    try {
      const colored = await open({ color: true });
      expect(colored.frame()).toMatch(/\x1b\[32mallow/);
      expect(colored.frame()).toMatch(/\x1b\[7m/);
    } finally {
      chalk.level = level;
    }
    expect(colorEnabled({ NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({})).toBe(true);
  });

  it('the sample files exist', () => {
    expect(existsSync(FILE)).toBe(true);
  });
});
