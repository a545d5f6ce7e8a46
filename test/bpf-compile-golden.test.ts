/**
 * The compiled filters, byte for byte, against digests recorded before planTree shared the
 * subproblems of peel orders that agree on an interval and skipped splits by a lower bound:
 * those only save work, so every filter must stay the one it was. Rows: the sample policies,
 * and seeded policies shaped like proposals (allowlists of 5..80 syscalls with call counts,
 * some errno and argument rules, denylists), every layout.
 * The digests were written by this file run on the compiler before the change (commit 419cf30).
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { syscallTable } from '../src/linux/syscalls.js';
import { checkPolicy, readPolicy, type Policy } from '../src/policy/policy.js';
import { compilePolicy, LAYOUTS } from '../src/policy/compile/compile.js';
import { formatRaw } from '../src/bpf/disasm.js';
import { mulberry32 } from './bpf-live-helpers.js';

const SAMPLES = new URL('../samples/policies/', import.meta.url);

/** A proposal-like policy: `count` syscalls of x86_64 (and i386 when `compat`), most allowed, with call counts. */
function proposalLike(seed: number): Policy {
  const rand = mulberry32(seed);
  const count = 5 + Math.floor(rand() * 76);
  const denylist = rand() < 0.2;
  const compat = rand() < 0.2;
  const names = syscallTable('x86_64').map((e) => e.name);
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(names[Math.floor(rand() * names.length)]!);
  const rules = [...chosen].map((syscall) => {
    const roll = rand();
    const action = denylist ? (roll < 0.7 ? 'kill-process' : 'errno(EPERM)') : roll < 0.85 ? 'allow' : roll < 0.95 ? 'errno(EPERM)' : 'log';
    const calls = rand() < 0.25 ? 0 : Math.floor(rand() ** 3 * 5000);
    const args = !denylist && rand() < 0.08 ? [{ index: 1, op: 'eq', value: Math.floor(rand() * 8) }] : undefined;
    return { syscall, action, ...(args ? { args } : {}), observed: { calls, runs: [0] } };
  });
  return checkPolicy(
    {
      format: 'sbx-policy',
      version: 1,
      arches: compat ? ['x86_64', 'i386'] : ['x86_64'],
      defaultAction: denylist ? 'allow' : 'kill-process',
      rules,
    },
    `proposal-like-${seed}.json`,
  );
}

const ROWS: readonly [string, () => Policy][] = [
  ...readdirSync(SAMPLES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f): [string, () => Policy] => [f, () => readPolicy(new URL(f, SAMPLES).pathname)]),
  ...Array.from({ length: 24 }, (_, i): [string, () => Policy] => [`proposal-like-${i + 1}`, () => proposalLike(i + 1)]),
];

describe('compiled filters are byte-identical to those before the planner speed-ups', () => {
  it('every row, every layout', async () => {
    const digests: Record<string, string> = {};
    for (const [name, policy] of ROWS) {
      const p = policy();
      for (const layout of LAYOUTS)
        digests[`${name} ${layout}`] = createHash('sha256')
          .update(formatRaw(compilePolicy(p, { layout })))
          .digest('hex')
          .slice(0, 16);
    }
    await expect(`${JSON.stringify(digests, null, 1)}\n`).toMatchFileSnapshot('./golden/bpf-compile.json');
  });
});
