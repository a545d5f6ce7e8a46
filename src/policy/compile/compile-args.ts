/**
 * 64-bit argument comparisons as classic BPF on 32-bit words, the way libseccomp renders
 * SCMP_CMP_* (src/gen_bpf.c): seccomp_data holds each argument as two little-endian u32
 * words, so a comparison decides on the high word where it can and reads the low word only
 * when the high words are equal.
 *
 * A condition first becomes a short list of `CondStep`s whose jumps name `match`,
 * `mismatch` or `next` (the following step); `checkCondSteps` proves every path ends at
 * match or mismatch, and only then are the steps written into a `ProgramBuilder`. So a
 * renderer bug throws here, at compile time, not in the kernel.
 */
import { describeCondition, type ArgCondition } from '../policy.js';
import { NEXT, type ProgramBuilder, type Target } from '../../bpf/builder.js';
import { BPF_ALU, BPF_AND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_K, argHi, argLo, type DataOffset } from '../../bpf/program.js';

/** Where a comparison step goes. */
export type Exit = 'match' | 'mismatch' | 'next';

/** One step of a rendered condition. */
export type CondStep =
  | { readonly op: 'load'; readonly offset: DataOffset }
  | { readonly op: 'and'; readonly k: number }
  | { readonly op: 'jeq' | 'jgt' | 'jge'; readonly k: number; readonly t: Exit; readonly f: Exit };

const U32 = 0xffffffff;
const hiOf = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);
const loOf = (v: bigint): number => Number(v & 0xffffffffn);
const swap = (e: Exit): Exit => (e === 'match' ? 'mismatch' : e === 'mismatch' ? 'match' : e);

/** Steps with match and mismatch exchanged (the negation of the condition). */
function negate(steps: CondStep[]): CondStep[] {
  return steps.map((s) => (s.op === 'load' || s.op === 'and' ? s : { ...s, t: swap(s.t), f: swap(s.f) }));
}

/** arg == v. */
function equal(index: number, v: bigint): CondStep[] {
  return [
    { op: 'load', offset: argHi(index) },
    { op: 'jeq', k: hiOf(v), t: 'next', f: 'mismatch' },
    { op: 'load', offset: argLo(index) },
    { op: 'jeq', k: loOf(v), t: 'match', f: 'mismatch' },
  ];
}

/**
 * arg > v (`strict`) or arg >= v, unsigned: decide on the high word unless it equals v's,
 * then on the low word. Words at their limits drop the comparison that cannot go one way.
 */
function greater(index: number, v: bigint, strict: boolean): CondStep[] {
  const hi = hiOf(v);
  const lo = loOf(v);
  const loDecides = strict ? lo !== U32 : lo !== 0;
  if (!loDecides) {
    // arg > hi:ffffffff  <=>  arg.hi > hi;   arg >= hi:00000000  <=>  arg.hi >= hi.
    return [
      { op: 'load', offset: argHi(index) },
      { op: strict ? 'jgt' : 'jge', k: hi, t: 'match', f: 'mismatch' },
    ];
  }
  const steps: CondStep[] = [{ op: 'load', offset: argHi(index) }];
  if (hi === U32) steps.push({ op: 'jeq', k: hi, t: 'next', f: 'mismatch' });
  else if (hi === 0) steps.push({ op: 'jgt', k: 0, t: 'match', f: 'next' });
  else steps.push({ op: 'jgt', k: hi, t: 'match', f: 'next' }, { op: 'jeq', k: hi, t: 'next', f: 'mismatch' });
  steps.push({ op: 'load', offset: argLo(index) }, { op: strict ? 'jgt' : 'jge', k: lo, t: 'match', f: 'mismatch' });
  return steps;
}

/** (arg & mask) == v, word by word; a word the mask leaves out is not read. */
function maskedEqual(index: number, mask: bigint, v: bigint): CondStep[] {
  const steps: CondStep[] = [];
  const words = [
    { offset: argHi(index), m: hiOf(mask), k: hiOf(v) },
    { offset: argLo(index), m: loOf(mask), k: loOf(v) },
  ].filter((w) => w.m !== 0);
  words.forEach((w, i) => {
    steps.push({ op: 'load', offset: w.offset });
    if (w.m !== U32) steps.push({ op: 'and', k: w.m });
    steps.push({ op: 'jeq', k: w.k, t: i === words.length - 1 ? 'match' : 'next', f: 'mismatch' });
  });
  return steps;
}

/** The steps that decide `c` (a condition that always or never holds must be simplified away first). */
export function conditionSteps(c: ArgCondition): CondStep[] {
  switch (c.op) {
    case 'eq':
      return equal(c.index, c.value);
    case 'ne':
      return negate(equal(c.index, c.value));
    case 'gt':
      return greater(c.index, c.value, true);
    case 'ge':
      return greater(c.index, c.value, false);
    case 'lt':
      return negate(greater(c.index, c.value, false));
    case 'le':
      return negate(greater(c.index, c.value, true));
    case 'masked-eq':
      return maskedEqual(c.index, c.mask, c.value);
    default:
      return assertNever(c);
  }
}

/**
 * Throws unless the steps are a well-formed decision: at least one jump, the last step a jump
 * with no `next` exit (nothing falls out of the condition), and no statement after it.
 */
export function checkCondSteps(steps: readonly CondStep[], what: string): void {
  const last = steps[steps.length - 1];
  if (!last || last.op === 'load' || last.op === 'and') throw new Error(`${what}: rendering does not end in a jump`);
  if (last.t === 'next' || last.f === 'next') throw new Error(`${what}: rendering falls out of its last jump`);
  if (!steps.some((s) => s.op !== 'load' && s.op !== 'and' && (s.t === 'match' || s.f === 'match'))) {
    throw new Error(`${what}: rendering never matches`);
  }
}

const JUMP_CODE = { jeq: BPF_JMP | BPF_JEQ | BPF_K, jgt: BPF_JMP | BPF_JGT | BPF_K, jge: BPF_JMP | BPF_JGE | BPF_K } as const;

/**
 * Writes `c` into `b`: every path ends by jumping to `onMatch` or `onMismatch`, or, when
 * `onMatch` is `NEXT`, by continuing after the condition. `fresh()` names a label for that
 * continuation when a jump other than the last needs it.
 */
export function renderCondition(b: ProgramBuilder, c: ArgCondition, onMatch: Target, onMismatch: Target, fresh: () => string): void {
  const steps = conditionSteps(c);
  checkCondSteps(steps, describeCondition(c));
  const lastJump = steps.length - 1;
  const needsLabel =
    onMatch === NEXT && steps.some((s, i) => i < lastJump && s.op !== 'load' && s.op !== 'and' && (s.t === 'match' || s.f === 'match'));
  const after = needsLabel ? fresh() : undefined;
  const target = (e: Exit, i: number): Target => {
    if (e === 'next') return NEXT;
    if (e === 'mismatch') return onMismatch;
    if (onMatch !== NEXT) return onMatch;
    return i === lastJump ? NEXT : after!;
  };
  steps.forEach((s, i) => {
    if (s.op === 'load') b.load(s.offset);
    else if (s.op === 'and') b.stmt(BPF_ALU | BPF_AND | BPF_K, s.k);
    else b.jump(JUMP_CODE[s.op], s.k, target(s.t, i), target(s.f, i));
  });
  if (after) b.label(after);
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}
