/** Find a command the way a shell's execvp would, before anything is started. */
import { executableState, pathCandidates, type ExecutableState } from '../../exec-path.js';
import { UserError } from '../../io.js';

/** The path execve will get for `name`; exit codes 127 (not found) and 126 (cannot run), like a shell. */
export function resolveCommand(name: string, pathVar = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string {
  const explain = (path: string, state: ExecutableState): never => {
    if (state === 'missing') throw new UserError(`${name}: no such file or directory`, 127);
    throw new UserError(`${path}: ${state === 'directory' ? 'is a directory' : 'permission denied'}`, 126);
  };
  if (name.includes('/')) {
    const state = executableState(name);
    return state === 'ok' ? name : explain(name, state);
  }
  let firstProblem: [string, ExecutableState] | undefined;
  for (const candidate of pathCandidates(name, pathVar)) {
    const state = executableState(candidate);
    if (state === 'ok') return candidate;
    if (state !== 'missing') firstProblem ??= [candidate, state];
  }
  if (firstProblem) return explain(...firstProblem);
  throw new UserError(`${name}: command not found`, 127);
}
