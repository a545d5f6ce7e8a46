/** Policy model v1: what it accepts, what it refuses (with the spot), and what it decides. */
import { describe, expect, it } from 'vitest';
import {
  CMP_OPS,
  checkPolicy,
  decide,
  formatAction,
  makePolicy,
  parseAction,
  policyDecisions,
  policyToJson,
  type ArgCondition,
  type Policy,
} from '../src/policy/policy.js';
import { syscallNumber } from '../src/linux/syscalls.js';

const base = { format: 'sbx-policy', version: 1, arches: ['x86_64'], defaultAction: 'kill-process' };
const policy = (rules: unknown[], extra: Record<string, unknown> = {}) => ({ ...base, ...extra, rules });
const nr = (name: string) => syscallNumber('x86_64', name)!;

describe('bad input names the file, the JSON pointer and the problem', () => {
  it.each([
    {
      name: 'unknown syscall, with suggestions',
      data: policy([{ syscall: 'raed', action: 'allow' }]),
      message: 'p.json: /rules/0/syscall: unknown syscall "raed" on x86_64 (did you mean read?)',
    },
    {
      name: 'syscall missing on a listed arch',
      data: policy([{ syscall: 'open', arches: ['aarch64'], action: 'allow' }], { arches: ['x86_64', 'aarch64'] }),
      message: 'p.json: /rules/0/syscall: aarch64 has no syscall "open"',
    },
    {
      name: 'invalid errno name',
      data: policy([{ syscall: 'read', action: 'errno(EFOO)' }]),
      message: 'p.json: /rules/0/action: unknown errno "EFOO"',
    },
    {
      name: 'errno out of range',
      data: policy([{ syscall: 'read', action: 'errno(5000)' }]),
      message: 'p.json: /rules/0/action: errno 5000 is out of range 0..4095',
    },
    {
      name: 'errno without a value',
      data: policy([{ syscall: 'read', action: 'errno' }]),
      message: 'p.json: /rules/0/action: errno needs a value: errno(EPERM) or errno(1)',
    },
    {
      name: 'priority out of range',
      data: policy([{ syscall: 'read', action: 'allow', priority: 256 }]),
      message: 'p.json: /rules/0/priority: 256 is out of range 0..255',
    },
    {
      name: 'negative priority',
      data: policy([{ syscall: 'read', action: 'allow', priority: -1 }]),
      message: 'p.json: /rules/0/priority: -1 is out of range 0..255',
    },
    {
      name: 'two unconditional rules with different actions',
      data: policy([
        { syscall: 'read', action: 'allow' },
        { syscall: 'write', action: 'allow' },
        { syscall: 'read', action: 'errno(EPERM)' },
      ]),
      message: 'p.json: /rules/2: conflicts with /rules/0 (allow vs errno(EPERM)): both decide every call to read on x86_64',
    },
    {
      name: 'duplicate rule',
      data: policy([
        { syscall: 'read', action: 'allow' },
        { syscall: 'read', action: 'allow' },
      ]),
      message: 'p.json: /rules/1: repeats /rules/0: both decide every call to read on x86_64',
    },
    {
      name: 'unconditional and conditional rule for one syscall',
      data: policy([
        { syscall: 'socket', action: 'allow' },
        { syscall: 'socket', action: 'allow', args: [{ index: 0, op: 'eq', value: '0x2' }] },
      ]),
      message:
        'p.json: /rules/1: conflicts with /rules/0: one decides every call to socket on x86_64, the other only some (put the conditions on every rule for socket, or drop them)',
    },
    {
      name: 'conditional rules with different actions',
      data: policy([
        { syscall: 'socket', action: 'allow', args: [{ index: 0, op: 'eq', value: '0x2' }] },
        { syscall: 'socket', action: 'errno(EPERM)', args: [{ index: 0, op: 'eq', value: '0x10' }] },
      ]),
      message:
        'p.json: /rules/1/action: conflicts with /rules/0: rules for socket on x86_64 say allow and errno(EPERM); sbx keeps one action per syscall so every backend agrees',
    },
    {
      name: 'different priorities for one syscall',
      data: policy([
        { syscall: 'socket', action: 'allow', priority: 3, args: [{ index: 0, op: 'eq', value: '0x2' }] },
        { syscall: 'socket', action: 'allow', priority: 4, args: [{ index: 0, op: 'eq', value: '0xa' }] },
      ]),
      message:
        'p.json: /rules/1/priority: conflicts with /rules/0: socket on x86_64 has priority 3 there and 4 here (priority is per syscall)',
    },
    {
      name: 'rule action equal to the default',
      data: policy([{ syscall: 'read', action: 'kill-process' }]),
      message: 'p.json: /rules/0/action: kill-process is the default action: the rule changes nothing (libseccomp refuses such rules)',
    },
    {
      name: 'same argument compared twice in one rule',
      data: policy([
        {
          syscall: 'socket',
          action: 'allow',
          args: [
            { index: 0, op: 'ge', value: '1' },
            { index: 0, op: 'le', value: '2' },
          ],
        },
      ]),
      message:
        'p.json: /rules/0/args/1/index: argument 0 is already compared in /rules/0/args/0; libseccomp compares each argument once per rule (use two rules for an OR)',
    },
    {
      name: 'argument index out of range',
      data: policy([{ syscall: 'read', action: 'allow', args: [{ index: 6, op: 'eq', value: '0' }] }]),
      message: 'p.json: /rules/0/args/0/index: 6 is out of range 0..5',
    },
    {
      name: 'masked value with bits outside the mask',
      data: policy([{ syscall: 'clone', action: 'allow', args: [{ index: 0, op: 'masked-eq', mask: '0xff', value: '0x100' }] }]),
      message: 'p.json: /rules/0/args/0/value: 0x100 has bits outside the mask 0xff: the comparison can never hold',
    },
    {
      name: 'masked-eq without a mask',
      data: policy([{ syscall: 'clone', action: 'allow', args: [{ index: 0, op: 'masked-eq', value: '0x1' }] }]),
      message: 'p.json: /rules/0/args/0: masked-eq needs a mask',
    },
    {
      name: 'value over 64 bits',
      data: policy([{ syscall: 'read', action: 'allow', args: [{ index: 0, op: 'eq', value: '0x10000000000000000' }] }]),
      message: 'p.json: /rules/0/args/0/value: 0x10000000000000000 does not fit in 64 bits',
    },
    {
      name: 'unknown comparison',
      data: policy([{ syscall: 'read', action: 'allow', args: [{ index: 0, op: '~=', value: '1' }] }]),
      message: 'p.json: /rules/0/args/0/op: unknown comparison "~=" (expected one of eq, ne, lt, le, gt, ge, masked-eq)',
    },
    {
      name: 'unknown arch',
      data: { ...policy([]), arches: ['sparc'] },
      message: 'p.json: /arches/0: unknown arch "sparc" (sbx knows x86_64, x32, i386, aarch64)',
    },
    {
      name: 'rule arch outside the policy',
      data: policy([{ syscall: 'read', arches: ['i386'], action: 'allow' }]),
      message: "p.json: /rules/0/arches/0: i386 is not one of the policy's arches (x86_64)",
    },
    {
      name: 'unknown action',
      data: policy([{ syscall: 'read', action: 'deny' }]),
      message:
        'p.json: /rules/0/action: unknown action "deny" (expected one of kill-process, kill-thread, trap, log, allow, errno(E...), trace(N))',
    },
    {
      name: 'misspelled field',
      data: policy([{ syscall: 'read', action: 'allow', prority: 3 }]),
      message:
        'p.json: /rules/0/prority: unknown field (expected one of syscall, arches, action, args, priority, provenance, observed, reason)',
    },
    {
      name: 'observed run out of range',
      data: policy([{ syscall: 'read', action: 'allow', observed: { calls: 3, runs: [1] } }], { runs: [{ command: ['ls'], calls: 9 }] }),
      message: 'p.json: /rules/0/observed/runs/0: 1 is out of range 0..0',
    },
    {
      name: 'a profile given where a policy belongs',
      data: { format: 'sbx-profile', version: 1 },
      message:
        'p.json: /format: not an sbx policy (expected format "sbx-policy", got "sbx-profile") (this is a profile: make a policy with sbx propose)',
    },
  ])('$name', ({ data, message }) => {
    expect(() => checkPolicy(data, 'p.json')).toThrow(message);
  });
});

describe('actions', () => {
  it.each(['allow', 'log', 'trap', 'kill-thread', 'kill-process', 'errno(EPERM)', 'errno(ENOSYS)', 'trace(7)'])(
    '%s round-trips',
    (text) => {
      const action = parseAction(text);
      expect(typeof action).toBe('object');
      expect(formatAction(action as Exclude<typeof action, string>)).toBe(text);
    },
  );

  it('errno numbers print by name', () => {
    expect(formatAction(parseAction('errno(1)') as never)).toBe('errno(EPERM)');
  });
});

describe('conditions', () => {
  const cond = (c: Partial<ArgCondition> & Pick<ArgCondition, 'op'>): ArgCondition => ({ index: 0, value: 0n, ...c }) as ArgCondition;
  it.each([
    { c: cond({ op: 'eq', value: 2n }), arg: 2n, want: true },
    { c: cond({ op: 'eq', value: 2n }), arg: 3n, want: false },
    { c: cond({ op: 'ne', value: 2n }), arg: 3n, want: true },
    { c: cond({ op: 'lt', value: 2n }), arg: 1n, want: true },
    { c: cond({ op: 'le', value: 2n }), arg: 2n, want: true },
    { c: cond({ op: 'gt', value: 2n }), arg: 2n, want: false },
    { c: cond({ op: 'ge', value: 2n }), arg: 2n, want: true },
    { c: cond({ op: 'gt', value: 2n }), arg: (1n << 64n) - 1n, want: true },
    { c: { index: 0, op: 'masked-eq', mask: 0x10000000n, value: 0n }, arg: 0x3d0f00n, want: true },
    { c: { index: 0, op: 'masked-eq', mask: 0x10000000n, value: 0n }, arg: 0x10000000n, want: false },
  ] as { c: ArgCondition; arg: bigint; want: boolean }[])('$c.op against $arg → $want', ({ c, arg, want }) => {
    expect(CMP_OPS[c.op].test(arg, c)).toBe(want);
  });
});

describe('decide: the reference semantics', () => {
  const p: Policy = checkPolicy(
    policy(
      [
        { syscall: 'read', action: 'allow', priority: 255 },
        { syscall: 'clone3', action: 'errno(ENOSYS)' },
        { syscall: 'socket', action: 'allow', args: [{ index: 0, op: 'eq', value: '0x1' }] },
        { syscall: 'socket', action: 'allow', args: [{ index: 0, op: 'eq', value: '0x2' }] },
        { syscall: 'clone', action: 'allow', args: [{ index: 0, op: 'masked-eq', mask: '0x10000000', value: '0x0' }] },
      ],
      { defaultAction: 'errno(EPERM)' },
    ),
    'p.json',
  );

  it.each([
    { call: 'read', args: [], want: 'allow' },
    { call: 'write', args: [], want: 'errno(EPERM)' },
    { call: 'clone3', args: [], want: 'errno(ENOSYS)' },
    { call: 'socket', args: [1n], want: 'allow' },
    { call: 'socket', args: [2n], want: 'allow' },
    { call: 'socket', args: [16n], want: 'errno(EPERM)' },
    { call: 'clone', args: [0x3d0f00n], want: 'allow' },
    { call: 'clone', args: [0x10000000n | 0x11n], want: 'errno(EPERM)' },
  ])('$call($args) → $want', ({ call, args, want }) => {
    expect(formatAction(decide(p, 'x86_64', nr(call), args))).toBe(want);
  });

  it('a foreign arch is killed', () => {
    expect(decide(p, 'i386', 3).kind).toBe('kill-process');
  });

  it('decisions group rules per syscall, highest priority first', () => {
    const ds = policyDecisions(p);
    expect(ds[0]!.name).toBe('read');
    expect(ds.find((d) => d.name === 'socket')!.when).toHaveLength(2);
  });
});

describe('JSON round trip', () => {
  it('checkPolicy(policyToJson(p)) is p, and makePolicy checks drafts the same way', () => {
    const data = policy(
      [
        {
          syscall: 'clone',
          action: 'allow',
          priority: 9,
          args: [{ index: 0, op: 'masked-eq', mask: '0xffffffffffffffff', value: '0x3d0f00', label: 'CLONE_VM|...' }],
          provenance: { source: 'observed' },
          observed: { calls: 4, runs: [0] },
          reason: 'seen',
        },
        { syscall: 'read', action: 'allow', provenance: { source: 'family', family: 'x', from: ['write'] } },
      ],
      { runs: [{ command: ['x'], calls: 10 }], review: [{ kind: 'rare', severity: 'info', syscall: 'clone', message: 'm' }] },
    );
    const p = checkPolicy(data, 'p.json');
    expect(policyToJson(p)).toEqual(data);
    expect(() => makePolicy({ ...p, rules: [...p.rules, p.rules[0]!] })).toThrow('<generated policy>: /rules/2: repeats /rules/0');
  });

  it('a rule without provenance was set by hand', () => {
    expect(checkPolicy(policy([{ syscall: 'read', action: 'allow' }]), 'p.json').rules[0]!.provenance).toEqual({ source: 'hand' });
  });
});
