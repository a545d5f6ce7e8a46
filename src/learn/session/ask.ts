/**
 * `sbx run --ask`: each call the policy would deny stops in the tracer and the terminal asks
 * what to do. Answers become rules, saved when the program ends: "allow always" for exactly the
 * asked case (the call's request, option, family...: the argument `propose --args` limits),
 * `A` for every value, and deny/errno answers too, so a later run is not asked again.
 */
import {
  decide,
  formatAction,
  policyText,
  type Action,
  type Policy,
  CMP_OPS,
  errnoLabel,
  type ArgCondition,
  type ArgIndex,
  type Errno,
} from '../../policy/policy.js';
import { allowSyscall, addAnswerRule, answeredBefore } from '../../policy/edit.js';
import { TIGHTEN } from '../propose/tighten.js';
import { writeFileAtomic } from '../../io.js';
import type { ExitStatus } from '../../profile/types.js';
import type { AskAnswer, AskQuestion } from '../../ptrace/control.js';
import { argDecoders } from '../../linux/decode/index.js';

/** What the person decided. */
export type AskChoice =
  | { readonly kind: 'allow-once' | 'allow-always' | 'allow-any' | 'deny' | 'kill' | 'quit' }
  | { readonly kind: 'errno'; readonly errno: number };

/** What the prompt shows about the stopped call (plain data: the UI never imports the tracer). */
export interface AskView {
  readonly policyFile: string;
  readonly syscall: string;
  readonly arch: string;
  readonly decoded: string;
  readonly exe: string;
  readonly pid: number;
  readonly asked: number;
  /** The policy's action for this call, as `formatAction` writes it. */
  readonly policyAction: string;
  /** The case "allow always" adds ("request == FIONREAD"), when the syscall has such an argument. */
  readonly exactCase?: string;
  /** What `A` allows instead ("any ioctl request"). */
  readonly anyValue?: string;
}

/** Asks the person one question (sbx run passes src/ui/ask's terminal prompt). */
export type AskPerson = (view: AskView) => Promise<AskChoice>;

const ENOSYS = 38;
const EINTR = 4;
/** How a process killed by a seccomp kill-process action ends: by SIGSYS, exit 128 + 31. */
const KILLED_BY_SECCOMP = 128 + 31;

/** What "deny" does for a call the policy sends to `action` (a trace action without a tracer fails with ENOSYS). */
function denyAs(action: Action): AskAnswer {
  switch (action.kind) {
    case 'errno':
      return { kind: 'errno', errno: action.errno };
    case 'trap':
      return { kind: 'trap' };
    case 'kill-process':
    case 'kill-thread':
      return { kind: 'kill' };
    default:
      return { kind: 'errno', errno: ENOSYS };
  }
}

/** The asked case: the call's value of the argument `propose --args` tightens, as a condition and as words. */
export function exactCase(
  q: Pick<AskQuestion, 'arch' | 'name' | 'args'>,
): { condition: ArgCondition; text: string; any: string } | undefined {
  const row = TIGHTEN.find((t) => t.syscall === q.name);
  if (!row) return undefined;
  const raw = BigInt(q.args[row.index] ?? '0');
  const decoder = argDecoders(q.arch, q.name).find((d) => d.index === row.index);
  const value = row.width === 32 ? raw & 0xffffffffn : raw;
  const label = decoder ? decoder.format(value) : `0x${value.toString(16)}`;
  const index = row.index as ArgIndex;
  const condition: ArgCondition =
    row.width === 32 ? { index, op: 'masked-eq', mask: 0xffffffffn, value, label } : { index, op: 'eq', value, label };
  return { condition, text: `${decoder?.name ?? `arg${row.index}`} == ${label}`, any: `any ${row.what}` };
}

/** One ask session: puts each question to `ask` and keeps the policy edits. */
export function startAskSession(policy: Policy, policyFile: string, ask: AskPerson) {
  let edited = policy;
  let changed = false;
  let killedAsPolicy = false;
  /** Answers the policy cannot hold (it keeps one action per syscall): kept for this run. */
  const runOnly: { arch: string; name: string; condition?: ArgCondition; action: Action }[] = [];
  const answer = (action: Action): AskAnswer => {
    if (action.kind === 'allow' || action.kind === 'log') return { kind: 'allow' };
    if (action.kind === 'kill-process') killedAsPolicy = true;
    return denyAs(action);
  };
  const onAsk = async (q: AskQuestion): Promise<AskAnswer> => {
    const args = q.args.map((a) => BigInt(a));
    // answered before (this run, or a run that saved the answer): no question
    const before =
      answeredBefore(edited, q.arch, q.name, args) ??
      runOnly.find(
        (a) =>
          a.arch === q.arch &&
          a.name === q.name &&
          (!a.condition || CMP_OPS[a.condition.op].test(args[a.condition.index] ?? 0n, a.condition)),
      )?.action;
    if (before) return answer(before);
    const action = decide(policy, q.arch, q.nr, args);
    const exact = exactCase(q);
    const choice = await ask({
      policyFile,
      syscall: q.name,
      arch: q.arch,
      decoded: q.decoded,
      exe: q.exe,
      pid: q.pid,
      asked: q.asked,
      policyAction: formatAction(action),
      ...(exact ? { exactCase: exact.text, anyValue: exact.any } : {}),
    });
    const keep = (a: Action, condition: ArgCondition | undefined, words: string) => {
      try {
        edited = addAnswerRule(edited, q.arch, q.name, a, condition, `${words} when asked in sbx run --ask`);
        changed = true;
        process.stderr.write(`sbx: saved as a rule: ${q.name} ${words}\n`);
      } catch (err) {
        runOnly.push({ arch: q.arch, name: q.name, ...(condition ? { condition } : {}), action: a });
        process.stderr.write(
          `sbx: kept for this run only, not saved: ${(err as Error).message.replace(/^.*?: \/rules\/\d+\/\w+: /, '')}\n`,
        );
      }
    };
    switch (choice.kind) {
      case 'allow-once':
        return { kind: 'allow' };
      case 'allow-always':
        if (exact) {
          keep({ kind: 'allow' }, exact.condition, `allowed for ${exact.text}`);
          return { kind: 'allow' };
        }
        edited = allowSyscall(edited, q.arch, q.name, 'allowed always when asked in sbx run --ask');
        changed = true;
        return { kind: 'allow-always' };
      case 'allow-any':
        edited = allowSyscall(edited, q.arch, q.name, `allowed always, ${exact?.any ?? 'any value'}, when asked in sbx run --ask`);
        changed = true;
        return { kind: 'allow-always' };
      case 'deny':
        keep(action, exact?.condition, `denied (${formatAction(action)})${exact ? ` for ${exact.text}` : ''}`);
        return answer(action);
      case 'errno':
        keep(
          { kind: 'errno', errno: choice.errno as Errno },
          exact?.condition,
          `failed with ${errnoLabel(choice.errno as Errno)}${exact ? ` for ${exact.text}` : ''}`,
        );
        return { kind: 'errno', errno: choice.errno };
      case 'kill':
        return { kind: 'kill' };
      case 'quit':
        // as Ctrl-C on a terminal would: SIGINT, delivered when the interrupted call returns
        try {
          process.kill(q.pid, 'SIGINT');
        } catch {
          // already gone
        }
        return { kind: 'errno', errno: EINTR };
    }
  };
  return {
    onAsk,
    /** Write the policy if an answer changed it. */
    save(file: string): void {
      if (!changed) return;
      writeFileAtomic(file, policyText(edited));
      process.stderr.write(`sbx: saved ${file} with the answers as rules\n`);
    },
    /** 159 when a "deny" under kill-process ended the program (as enforcement would), else undefined. */
    deniedExitCode(exit: ExitStatus): number | undefined {
      return killedAsPolicy && exit.kind === 'signaled' && exit.signal === 'SIGKILL' ? KILLED_BY_SECCOMP : undefined;
    },
  };
}
