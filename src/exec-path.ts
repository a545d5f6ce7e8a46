/** How execvp finds a program: the one PATH walk that command resolution and #! following share. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type ExecutableState = 'ok' | 'missing' | 'not-executable' | 'directory';

/** Whether execve could run `path`, and if not, why. */
export function executableState(path: string): ExecutableState {
  let st: ReturnType<typeof statSync>;
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

/** The paths execvp tries for `name`, in order: the name itself when it has a slash, else each PATH entry (empty = current directory). */
export function pathCandidates(name: string, pathVar: string): string[] {
  return name.includes('/') ? [name] : pathVar.split(delimiter).map((dir) => join(dir || '.', name));
}
