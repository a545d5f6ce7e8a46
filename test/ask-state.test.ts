/** Ask mode without a terminal: the prompt's state machine and the policy edit it makes. */
import { describe, expect, it } from 'vitest';
import { askReducer, INITIAL_ASK_STATE, type AskState, describeChoice } from '../src/ui/ask/state.js';
import { allowSyscall, addAnswerRule, answeredBefore } from '../src/policy/edit.js';
import { decide, makePolicy, type PolicyDraft, errnoLabel, type Errno } from '../src/policy/policy.js';
import { exactCase } from '../src/learn/session/ask.js';

const run = (keys: string[], from: AskState = INITIAL_ASK_STATE) => keys.reduce((s, k) => askReducer(s, k), from);

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

  it("replaces the syscall's rule on that arch and keeps it for the others", () => {
    const policy = allowSyscall(makePolicy(base), 'x86_64', 'openat', 'asked');
    expect(decide(policy, 'x86_64', 257).kind).toBe('allow');
    expect(decide(policy, 'i386', 295)).toEqual({ kind: 'errno', errno: 13 });
  });

  it('under an allow default, removes the denying rule instead of adding one', () => {
    const policy = allowSyscall(
      makePolicy({ ...base, defaultAction: { kind: 'allow' }, rules: [base.rules[1]!] }),
      'x86_64',
      'openat',
      'asked',
    );
    expect(decide(policy, 'x86_64', 257).kind).toBe('allow');
    expect(policy.rules.filter((r) => r.syscall === 'openat').every((r) => r.arches?.includes('i386'))).toBe(true);
  });
});

describe('issue 15: answers as exact as the rules', () => {
  it('a allows the asked case, A any value (only when there is a case), q and Ctrl+C stop the program', () => {
    expect(run(['A']).choice).toEqual({ kind: 'allow-any' });
    expect(['A'].reduce((s, k) => askReducer(s, k, false), INITIAL_ASK_STATE).choice).toEqual({ kind: 'allow-always' });
    expect(run(['q']).choice).toEqual({ kind: 'quit' });
    expect(run(['ctrl+c']).choice).toEqual({ kind: 'quit' });
    expect(run(['e', 'ctrl+c']).choice).toEqual({ kind: 'quit' });
  });

  it('the record line names errnos and the exact case', () => {
    expect(describeChoice({ kind: 'errno', errno: 13 }, 'kill-process', undefined, (n) => errnoLabel(n as Errno))).toBe(
      'failed with EACCES',
    );
    expect(describeChoice({ kind: 'allow-always' }, 'kill-process', 'request == FIONREAD')).toBe(
      'allowed always when request == FIONREAD (rule added)',
    );
  });

  it('the exact case of an ioctl is its request; the rule added allows that request only, and is found again', () => {
    const exact = exactCase({ arch: 'x86_64', name: 'ioctl', args: ['0x0', '0x541b', '0x0', '0x0', '0x0', '0x0'] })!;
    expect(exact.text).toBe('request == FIONREAD');
    expect(exact.condition).toMatchObject({ index: 1, op: 'masked-eq', mask: 0xffffffffn, value: 0x541bn });
    expect(exactCase({ arch: 'x86_64', name: 'getppid', args: [] })).toBeUndefined();
    const policy = makePolicy({ arches: ['x86_64'], defaultAction: { kind: 'kill-process' }, rules: [] } as PolicyDraft, 'p');
    const edited = addAnswerRule(policy, 'x86_64', 'ioctl', { kind: 'allow' }, exact.condition, 'allowed for request == FIONREAD');
    const nr = 16; // ioctl on x86_64
    expect(decide(edited, 'x86_64', nr, [0n, 0x541bn])).toEqual({ kind: 'allow' });
    expect(decide(edited, 'x86_64', nr, [0n, 0x5401n])).toEqual({ kind: 'kill-process' });
    expect(answeredBefore(edited, 'x86_64', 'ioctl', [0n, 0x541bn])).toEqual({ kind: 'allow' });
    expect(answeredBefore(edited, 'x86_64', 'ioctl', [0n, 0x5401n])).toBeUndefined();
  });
});
