/**
 * `minijail`: a Minijail seccomp policy file (the language of minijail's tools/parser.py:
 * `name: filter`, `argN op value`, `||`, `&&`, `return ERRNO`, `@default`, `@denylist`,
 * `@frequency`) and its frequency file (`name: calls`), which compile_seccomp_policy.py uses
 * to put hot syscalls first.
 *
 * Minijail has no masked equality; `(arg & mask) == value` becomes `argN in ~(mask & ~value)`
 * (no bit of the mask outside the value is set) plus `argN & bit` for each bit of the value.
 * A default-allow policy is a `@denylist` when every rule returns an errno (that is all
 * minijail denylists can say); otherwise every other syscall of the arch is listed as allowed.
 * Several arches share one file through `[arch=...]` metadata.
 */
import { baseName, allSyscallNames, decisionCalls, headerLines, permits, policyDecisions, type EmitContext, type EmitResult, type SyscallDecision } from './shared.js';
import { formatAction, hex, type Action, type ArgCondition, type Policy } from '../policy.js';


const U64 = (1n << 64n) - 1n;
const U32 = 0xffffffffn;

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

function atoms(c: ArgCondition, word: bigint): string[] {
  const arg = `arg${c.index}`;
  if (c.op !== 'masked-eq') return [`${arg} ${{ eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' }[c.op]} ${hex(c.value & word)}`];
  const clear = c.mask & ~c.value & word;
  const out = clear ? [`${arg} in ${hex(word & ~clear)}`] : [];
  for (let bit = 1n; bit <= c.value; bit <<= 1n) if (c.value & bit) out.push(`${arg} & ${hex(bit)}`);
  return out.length ? out : [`${arg} in ${hex(word)}`];
}

/** The DNF expression of a decision's condition sets. */
function expression(d: SyscallDecision): string {
  const word = d.arch === 'i386' ? U32 : U64;
  return d.when.map((set) => set.flatMap((c) => atoms(c, word)).join(' && ')).join(' || ');
}

function frequencyPath(context: EmitContext): string {
  const base = context.output ?? context.source.replace(/\.json$/, '.policy');
  return base.endsWith('.policy') ? base.replace(/\.policy$/, '.frequency') : `${base}.frequency`;
}

export function emit(policy: Policy, context: EmitContext): EmitResult {
  const warnings: string[] = [];
  const decisions = policyDecisions(policy);
  const multi = policy.arches.length > 1;
  const descriptor = (name: string, arch: string) => (multi ? `${name}[arch=${arch}]` : name);
  const lines = headerLines(policy, context, 'Minijail seccomp policy').map((l) => `# ${l}`);
  const freqPath = frequencyPath(context);
  lines.push(`@frequency ./${baseName(freqPath)}`);

  const permissive = permits(policy.defaultAction);
  const denylist = permissive && policy.defaultAction.kind === 'allow' && decisions.every((d) => d.action.kind === 'errno');
  if (denylist) {
    lines.push('@denylist');
  } else {
    let fallback = policy.defaultAction;
    if (permissive) {
      warnings.push(
        `minijail: a denylist can only return errnos; every other syscall is listed as ${formatAction(policy.defaultAction)} instead, so syscalls newer than sbx's table are killed`,
      );
      fallback = { kind: 'kill-process' };
    } else if (!['kill-process', 'kill-thread', 'trap'].includes(fallback.kind)) {
      warnings.push(`minijail: @default cannot be ${formatAction(fallback)}; using kill-process`);
      fallback = { kind: 'kill-process' };
    }
    lines.push(`@default ${actionToken(fallback)}`);
  }

  for (const d of decisions) {
    const token = actionToken(d.action);
    const head = `${descriptor(d.name, d.arch)}:`;
    if (d.when.length === 0) lines.push(`${head} ${token}`);
    else if (permissive && !denylist) lines.push(`${head} { ${expression(d)}; ${token}, ${actionToken(policy.defaultAction)} }`);
    else lines.push(`${head} ${expression(d)}${d.action.kind === 'allow' ? '' : `; ${token}`}`);
  }
  if (permissive && !denylist) {
    lines.push(`# Every other syscall of ${policy.arches.join(', ')}: ${formatAction(policy.defaultAction)} (the policy's default).`);
    for (const arch of policy.arches) {
      const decided = new Set(decisions.filter((d) => d.arch === arch).map((d) => d.name));
      for (const name of allSyscallNames(arch)) if (!decided.has(name)) lines.push(`${descriptor(name, arch)}: ${actionToken(policy.defaultAction)}`);
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
