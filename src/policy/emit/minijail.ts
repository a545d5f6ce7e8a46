/**
 * `minijail`: a Minijail seccomp policy file (the language of minijail's tools/parser.py:
 * `name: filter`, `argN op value`, `||`, `&&`, `return ERRNO`, `@default`, `@denylist`,
 * `@frequency`) and its frequency file (`name: calls`), which compile_seccomp_policy.py uses
 * to put hot syscalls first. Checked by compiling with minijail's own compiler
 * (test/vendor/minijail/, test/emit-minijail.test.ts).
 *
 * What minijail's compiler does that shapes the output:
 *  - A name its constants (the target kernel's headers) lack is "nonexistent syscall": names the
 *    context's target lacks are left out, listed in a comment and a warning.
 *  - A statement whose last action is `allow` compiles to an unconditional allow, whatever comes
 *    before it (compiler.py: `if not denylist and false_action == Allow: return`). So "deny
 *    when C, else allow" is written `{ NOT C, action }`: allow when NOT C, else the action.
 *  - Arches are named x86_64, x86 and arm64; there is no x32.
 *  - No masked equality: `(arg & mask) == value` becomes `argN in ~(mask & ~value)` (no bit of the
 *    mask outside the value is set) plus `argN & bit` for each bit of the value.
 * A default-allow policy is a `@denylist` when every rule returns an errno (that is all
 * minijail denylists can say); otherwise every other syscall of the arch is listed with the
 * default's action. Several arches share one file through `[arch=...]` metadata.
 */
import type { ArchName } from '../../linux/arch.js';
import {
  allSyscallNames,
  baseName,
  decisionCalls,
  headerLines,
  lackedNames,
  policyDecisions,
  refuse,
  type EmitContext,
  type EmitResult,
  type SyscallDecision,
} from './shared.js';
import { formatAction, hex, type Action, type ArgCondition, type Policy } from '../policy.js';

const U64 = (1n << 64n) - 1n;
const U32 = 0xffffffffn;

/** minijail's arch_name per arch (tools/generate_constants_json.py); x32 has none. */
const MINIJAIL_ARCH: Readonly<Partial<Record<ArchName, string>>> = { x86_64: 'x86_64', i386: 'x86', aarch64: 'arm64' };

/** Actions a minijail `@default` can take (parser.py `_parse_default_action`). */
const DEFAULT_KINDS: readonly Action['kind'][] = ['kill-process', 'kill-thread', 'trap'];

/** minijail's token for an action. */
function actionToken(action: Action): string {
  switch (action.kind) {
    case 'errno':
      return `return ${action.errno}`;
    case 'trace':
      return 'trace';
    default:
      return action.kind;
  }
}

type Op = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&' | 'in';
/** One comparison as minijail writes it: `&` is "some bit of value set", `in` "no bit outside value set". */
interface Atom {
  readonly arg: number;
  readonly op: Op;
  readonly value: bigint;
}
/** OR of ANDs, as minijail's argument expressions are. */
type Dnf = readonly (readonly Atom[])[];

const CMP_OP: Readonly<Record<Exclude<ArgCondition['op'], 'masked-eq'>, Op>> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };

function atoms(c: ArgCondition, word: bigint): Atom[] {
  if (c.op !== 'masked-eq') return [{ arg: c.index, op: CMP_OP[c.op], value: c.value & word }];
  const clear = c.mask & ~c.value & word;
  const out: Atom[] = clear ? [{ arg: c.index, op: 'in', value: word & ~clear }] : [];
  for (let bit = 1n; bit <= c.value; bit <<= 1n) if (c.value & bit) out.push({ arg: c.index, op: '&', value: bit });
  return out.length ? out : [{ arg: c.index, op: 'in', value: word }];
}

const NEGATED: Readonly<Record<Op, Op>> = { '==': '!=', '!=': '==', '<': '>=', '>=': '<', '<=': '>', '>': '<=', '&': 'in', in: '&' };

function negateAtom(a: Atom, word: bigint): Atom {
  // NOT (some bit of v set) == no bit outside ~v set, and the other way round.
  const value = a.op === '&' || a.op === 'in' ? word & ~a.value : a.value;
  return { arg: a.arg, op: NEGATED[a.op], value };
}

/** Largest NOT(expression) written out before giving up (it multiplies out to DNF). */
const MAX_NEGATED_CLAUSES = 1024;

/** NOT of a DNF, multiplied out into DNF again (De Morgan). */
function negate(dnf: Dnf, word: bigint, what: string): Dnf {
  let out: Atom[][] = [[]];
  for (const clause of dnf) {
    out = out.flatMap((partial) => clause.map((a) => [...partial, negateAtom(a, word)]));
    if (out.length > MAX_NEGATED_CLAUSES)
      refuse(
        `minijail: ${what}: the negation of its conditions has over ${MAX_NEGATED_CLAUSES} clauses; minijail cannot say "else allow" otherwise`,
      );
  }
  return out;
}

/**
 * A constant as minijail reads it in every arch of the file. The parser checks each constant
 * against the word of the arch it compiles for, even in statements for other arches, so in a
 * file that also serves x86 a 64-bit value is written as the complement of a 32-bit one
 * (`~0x3`: the parser complements within each arch's word).
 */
function constant(value: bigint, word: bigint, with32: boolean): string {
  if (value <= U32 || !with32) return hex(value);
  const complement = ~value & word;
  if (complement <= U32) return `~${hex(complement)}`;
  return refuse(
    `minijail: ${hex(value)} cannot be written in a file that also serves x86 (minijail's parser checks every constant against x86's 32-bit word, even in x86_64 statements); make one policy per arch`,
  );
}

function render(dnf: Dnf, word: bigint, with32: boolean): string {
  return dnf.map((clause) => clause.map((a) => `arg${a.arg} ${a.op} ${constant(a.value, word, with32)}`).join(' && ')).join(' || ');
}

/**
 * A 32-bit arch's arguments have no high bits (the kernel zero-extends them), so a comparison
 * with a wider constant is decided already: `true` (always holds), `false` (never), else the
 * condition itself. minijail would truncate the constant instead, changing the meaning.
 */
function onWord32(c: ArgCondition): ArgCondition | boolean {
  const wide = c.value > U32;
  switch (c.op) {
    case 'eq':
    case 'gt':
    case 'ge':
      return wide ? false : c;
    case 'ne':
    case 'lt':
    case 'le':
      return wide ? true : c;
    case 'masked-eq':
      return wide ? false : { ...c, mask: c.mask & U32 };
  }
}

/** The decision as its arch sees it: on i386 conditions settled by the word width drop out; undefined when it never applies. */
function onItsWord(d: SyscallDecision): SyscallDecision | undefined {
  if (d.arch !== 'i386' || d.when.length === 0) return d;
  const sets: ArgCondition[][] = [];
  for (const set of d.when) {
    const settled = set.map(onWord32);
    if (settled.includes(false)) continue;
    const open = settled.filter((c): c is ArgCondition => typeof c !== 'boolean');
    if (open.length === 0) return { ...d, when: [] };
    sets.push(open);
  }
  return sets.length ? { ...d, when: sets } : undefined;
}

function decisionDnf(d: SyscallDecision): Dnf {
  const word = d.arch === 'i386' ? U32 : U64;
  return d.when.map((set) => set.flatMap((c) => atoms(c, word)));
}

/** "uretprobe (added in one of 6.3..6.12), cachestat (...)". */
function whyList(names: ReadonlyMap<string, string>): string {
  return [...names].map(([name, why]) => `${name} (${why})`).join(', ');
}

function frequencyPath(context: EmitContext): string {
  const base = context.output ?? context.source.replace(/\.json$/, '.policy');
  return base.endsWith('.policy') ? base.replace(/\.policy$/, '.frequency') : `${base}.frequency`;
}

/** How the file says "every other syscall". */
type Mode =
  /** `@denylist`: every statement returns an errno, anything else is allowed. */
  | { readonly kind: 'denylist' }
  /** `@default <action>`: the policy's default is one minijail can name. */
  | { readonly kind: 'default' }
  /** Every other syscall the target knows is listed with the default's action; `@default kill-process` catches newer ones. */
  | { readonly kind: 'listed'; readonly token: string };

function modeOf(policy: Policy, decisions: readonly SyscallDecision[]): Mode {
  const d = policy.defaultAction;
  if (d.kind === 'allow' && decisions.every((x) => x.action.kind === 'errno')) return { kind: 'denylist' };
  if (DEFAULT_KINDS.includes(d.kind)) return { kind: 'default' };
  return { kind: 'listed', token: actionToken(d) };
}

/** The filter of one statement, meaning in minijail exactly what the decision means. */
function filterText(d: SyscallDecision, mode: Mode, with32: boolean): string {
  const token = actionToken(d.action);
  if (d.when.length === 0) return token;
  const word = d.arch === 'i386' ? U32 : U64;
  const dnf = decisionDnf(d);
  const when = (action: string) => (action === 'allow' ? render(dnf, word, with32) : `${render(dnf, word, with32)}; ${action}`);
  if (mode.kind !== 'listed') return when(token);
  // A trailing `allow` would make minijail ignore the conditions: turn the statement round.
  if (mode.token === 'allow') return `{ ${render(negate(dnf, word, d.name), word, with32)}, ${token} }`;
  return `{ ${when(token)}, ${mode.token} }`;
}

export function emit(policy: Policy, context: EmitContext): EmitResult {
  const warnings: string[] = [];
  const arches = policy.arches.filter((a) => MINIJAIL_ARCH[a] !== undefined);
  if (arches.length === 0) refuse(`minijail: has no arch for ${policy.arches.join(', ')} (it knows x86_64, x86 and arm64)`);
  const multi = arches.length > 1;
  const descriptor = (name: string, arch: ArchName) => (multi ? `${name}[arch=${MINIJAIL_ARCH[arch]}]` : name);
  const all = policyDecisions(policy).flatMap((d) => (MINIJAIL_ARCH[d.arch] !== undefined ? (onItsWord(d) ?? []) : []));
  const mode = modeOf(policy, all);
  const lines = headerLines(policy, context, 'Minijail seccomp policy').map((l) => `# ${l}`);
  lines.push(
    mode.kind === 'denylist'
      ? '# Compile with: compile_seccomp_policy.py --denylist (minijail then returns EPERM for calls of another arch).'
      : '# Compile with: compile_seccomp_policy.py --use-kill-process (calls of another arch then kill the process, as the policy says).',
  );
  if (policy.arches.includes('x32'))
    warnings.push(
      `minijail: has no x32 arch; the policy's x32 rules are left out and x32 calls reach the x86_64 filter as unlisted numbers (${mode.kind === 'denylist' ? 'allowed by a denylist' : 'the @default action'})`,
    );
  if (mode.kind === 'denylist')
    warnings.push(
      'minijail: a --denylist filter answers calls of another arch with EPERM and lets x32 calls through, where the policy kills them',
    );

  const unchecked = arches.filter((a) => context.target?.unchecked?.includes(a));
  if (unchecked.length)
    warnings.push(
      `minijail: nothing in ${context.target!.describe} for ${unchecked.join(', ')}: its names are not checked (give --target-kernel)`,
    );
  // Names the target lacks: left out, said in the file and on stderr.
  const lacked = new Map<ArchName, Map<string, string>>();
  for (const arch of arches)
    lacked.set(
      arch,
      lackedNames(
        context,
        arch,
        all.filter((d) => d.arch === arch).map((d) => d.name),
      ),
    );
  const decisions = all.filter((d) => !lacked.get(d.arch)!.has(d.name));
  for (const [arch, names] of lacked) {
    if (names.size === 0) continue;
    const list = whyList(names);
    const effect = {
      denylist: 'they are not denied',
      default: `they get the default, ${formatAction(policy.defaultAction)}`,
      listed: 'on a newer kernel they are killed, by @default kill-process',
    }[mode.kind];
    lines.push(`# Left out on ${arch}, missing from ${context.target!.describe} (${effect}): ${list}`);
    warnings.push(`minijail: left out ${names.size} syscall(s) missing from ${context.target!.describe} on ${arch} (${effect}): ${list}`);
  }

  const freqPath = frequencyPath(context);
  lines.push(`@frequency ./${baseName(freqPath)}`);
  if (mode.kind === 'denylist') lines.push('@denylist');
  else lines.push(`@default ${mode.kind === 'default' ? actionToken(policy.defaultAction) : 'kill-process'}`);
  if (mode.kind === 'listed')
    warnings.push(
      `minijail: @default cannot be ${formatAction(policy.defaultAction)}; every other syscall in ${context.target?.describe ?? "sbx's table"} is listed as ${formatAction(policy.defaultAction)} instead, so newer syscalls are killed`,
    );
  for (const d of decisions) {
    if (d.action.kind === 'trace' && d.action.data !== 0)
      warnings.push(`minijail: ${d.name}: trace carries no data in minijail; trace(${d.action.data}) becomes trace(0)`);
    lines.push(`${descriptor(d.name, d.arch)}: ${filterText(d, mode, arches.includes('i386'))}`);
  }
  if (mode.kind === 'listed') {
    lines.push(`# Every other syscall of ${arches.join(', ')}: ${formatAction(policy.defaultAction)} (the policy's default).`);
    for (const arch of arches) {
      const decided = new Set(all.filter((d) => d.arch === arch).map((d) => d.name));
      const rest = allSyscallNames(arch).filter((n) => !decided.has(n));
      const lacking = lackedNames(context, arch, rest);
      for (const name of rest) if (!lacking.has(name)) lines.push(`${descriptor(name, arch)}: ${mode.token}`);
      if (lacking.size) {
        const list = whyList(lacking);
        lines.push(
          `# Not listed on ${arch}, missing from ${context.target!.describe} (on a newer kernel they are killed, by @default kill-process): ${list}`,
        );
        warnings.push(
          `minijail: ${lacking.size} syscall(s) missing from ${context.target!.describe} on ${arch} are not listed as ${formatAction(policy.defaultAction)} (on a newer kernel they are killed): ${list}`,
        );
      }
    }
  }

  const freq = decisions
    .map((d) => ({ d, calls: decisionCalls(d) }))
    .filter(({ calls }) => calls > 0)
    .sort((a, b) => b.calls - a.calls || a.d.nr - b.d.nr)
    .map(({ d, calls }) => `${descriptor(d.name, d.arch)}: ${calls}`);
  const frequency = `# Calls per syscall in the traced runs, for compile_seccomp_policy.py (hot ones first).\n${freq.join('\n')}\n`;
  return {
    text: `${lines.join('\n')}\n`,
    extras: [{ path: freqPath, text: frequency, what: 'minijail frequency file' }],
    warnings,
  };
}
