/** Find a command the way a shell's execvp would, before anything is started. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { UserError } from '../io.js';

function isExecutableFile(path: string): 'ok' | 'missing' | 'not-executable' | 'directory' {
  let st;
  try {
    st = statSync(path, { throwIfNoEntry: false });
  } catch {
    return 'missing'; // a PATH directory we may not search (EACCES, ENOTDIR): execvp skips it too
  }
  if (!st) return 'missing';
  if (st.isDirectory()) return 'directory';
  try {
    accessSync(path, constants.X_OK);
    return 'ok';
  } catch {
    return 'not-executable';
  }
}

/** The path execve will get for `name`; exit codes 127 (not found) and 126 (cannot run), like a shell. */
export function resolveCommand(name: string, pathVar = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string {
  const explain = (path: string, state: ReturnType<typeof isExecutableFile>): never => {
    if (state === 'missing') throw new UserError(`${name}: no such file or directory`, 127);
    throw new UserError(`${path}: ${state === 'directory' ? 'is a directory' : 'permission denied'}`, 126);
  };
  if (name.includes('/')) {
    const state = isExecutableFile(name);
    return state === 'ok' ? name : explain(name, state);
  }
  let firstProblem: [string, ReturnType<typeof isExecutableFile>] | undefined;
  for (const dir of pathVar.split(delimiter)) {
    const candidate = join(dir || '.', name);
    const state = isExecutableFile(candidate);
    if (state === 'ok') return candidate;
    if (state !== 'missing') firstProblem ??= [candidate, state];
  }
  if (firstProblem) return explain(...firstProblem);
  throw new UserError(`${name}: command not found`, 127);
}
