/** Ask mode without a terminal: the prompt's state machine and the policy edit it makes. */
import { describe, expect, it } from 'vitest';
import { askReducer, INITIAL_ASK_STATE, type AskState } from '../src/ui/ask/state.js';
import { allowSyscall } from '../src/policy/edit.js';
import { decide, makePolicy, type PolicyDraft } from '../src/policy/policy.js';

const run = (keys: string[], from: AskState = INITIAL_ASK_STATE) => keys.reduce(askReducer, from);

describe('askReducer', () => {
  it.each([
    { keys: ['o'], want: { kind: 'allow-once' } },
    { keys: ['a'], want: { kind: 'allow-always' } },
    { keys: ['d'], want: { kind: 'deny' } },
    { keys: ['k'], want: { kind: 'kill' } },
    { keys: ['e', 'enter'], want: { kind: 'errno', errno: 1 } },
    { keys: ['e', 'e', 'a', 'c', 'c', 'e', 's', 'enter'], want: { kind: 'errno', errno: 13 } },
    { keys: ['e', '2', '2', 'enter'], want: { kind: 'errno', errno: 22 } },
    { keys: ['e', 'x', 'backspace', 'escape', 'o'], want: { kind: 'allow-once' } },
    { keys: ['x', 'up', 'a'], want: { kind: 'allow-always' } },
  ])('$keys → $want', ({ keys, want }) => {
    expect(run(keys).choice).toEqual(want);
  });

  it('an unknown errno stays in the input with the reason', () => {
    const state = run(['e', 'n', 'o', 'p', 'e', 'enter']);
    expect(state.choice).toBeUndefined();
    expect(state.mode === 'errno' && state.error).toMatch(/NOPE/);
  });

  it('ignores keys after the choice', () => {
    expect(run(['o', 'k']).choice).toEqual({ kind: 'allow-once' });
  });
});

describe('allowSyscall', () => {
  const base: PolicyDraft = {
    arches: ['x86_64', 'i386'],
    defaultAction: { kind: 'kill-process' },
    rules: [
      { syscall: 'read', action: { kind: 'allow' }, provenance: { source: 'observed' } },
      { syscall: 'openat', action: { kind: 'errno', errno: 13 as never }, provenance: { source: 'observed' } },
    ],
  };

  it('adds a hand-set allow rule for that arch only', () => {
    const policy = allowSyscall(makePolicy(base), 'x86_64', 'getppid', 'asked');
    expect(decide(policy, 'x86_64', 110).kind).toBe('allow');
    expect(decide(policy, 'i386', 64).kind).toBe('kill-process');
    expect(policy.rules.find((r) => r.syscall === 'getppid')?.provenance).toEqual({ source: 'hand', note: 'asked' });
  });

  it('replaces the syscall\'s rule on that arch and keeps it for the others', () => {
    const policy = allowSyscall(makePolicy(base), 'x86_64', 'openat', 'asked');
    expect(decide(policy, 'x86_64', 257).kind).toBe('allow');
    expect(decide(policy, 'i386', 295)).toEqual({ kind: 'errno', errno: 13 });
  });

  it('under an allow default, removes the denying rule instead of adding one', () => {
    const policy = allowSyscall(makePolicy({ ...base, defaultAction: { kind: 'allow' }, rules: [base.rules[1]!] }), 'x86_64', 'openat', 'asked');
    expect(decide(policy, 'x86_64', 257).kind).toBe('allow');
    expect(policy.rules.filter((r) => r.syscall === 'openat').every((r) => r.arches?.includes('i386'))).toBe(true);
  });
});
