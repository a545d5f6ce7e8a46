/**
 * `sbx run --ask`: each call the policy would deny stops in the tracer and the terminal asks
 * what to do; "allow always" answers become rules, saved when the program ends.
 */
import { decide, formatAction, policyText, type Action, type Policy } from '../policy/policy.js';
import { allowSyscall } from '../policy/edit.js';
import { writeFileAtomic } from '../io.js';
import type { AskAnswer, AskQuestion } from '../ptrace/control.js';
import { askOnTerminal } from '../ui/ask/run-ask.js';
import type { AskChoice } from '../ui/ask/state.js';
import { colorEnabled } from '../ui/review/run-review.js';

const ENOSYS = 38;

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

function toAnswer(choice: AskChoice, action: Action): AskAnswer {
  switch (choice.kind) {
    case 'allow-once':
      return { kind: 'allow' };
    case 'allow-always':
      return { kind: 'allow-always' };
    case 'errno':
      return { kind: 'errno', errno: choice.errno };
    case 'kill':
      return { kind: 'kill' };
    case 'deny':
      return denyAs(action);
  }
}

/** One ask session: answers questions on the terminal and keeps the policy edits. */
export function startAskSession(policy: Policy, policyFile: string) {
  let edited = policy;
  let changed = false;
  const onAsk = async (q: AskQuestion): Promise<AskAnswer> => {
    const action = decide(policy, q.arch, q.nr, q.args.map((a) => BigInt(a)));
    const choice = await askOnTerminal(
      { policyFile, syscall: q.name, arch: q.arch, decoded: q.decoded, exe: q.exe, pid: q.pid, asked: q.asked, policyAction: formatAction(action) },
      { stdin: process.stdin, stdout: process.stderr, color: colorEnabled() },
    );
    if (choice.kind === 'allow-always') {
      edited = allowSyscall(edited, q.arch, q.name, 'allowed always when asked in sbx run --ask');
      changed = true;
    }
    return toAnswer(choice, action);
  };
  return {
    onAsk,
    /** Write the policy if an answer changed it. */
    save(file: string): void {
      if (!changed) return;
      writeFileAtomic(file, policyText(edited));
      process.stderr.write(`sbx: saved ${file} with the syscalls allowed always\n`);
    },
  };
}
