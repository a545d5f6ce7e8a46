/**
 * Rewrites as small pure passes run to a fixpoint (gVisor pkg/bpf/optimizer.go): each pass
 * says whether it changed its input, and `runPasses` starts over from the first pass after any
 * change, so a later pass always sees what the earlier ones can still simplify. Used for BPF
 * instructions (passes.ts) and for a policy's argument rules (src/policy/compile/rule-passes.ts).
 */

/** One rewrite: the output, and whether it differs from the input. */
export type Pass<T> = (input: T) => [output: T, changed: boolean];

/** Runs `passes` in order, restarting from the first after any change, until none changes anything. */
export function runPasses<T>(passes: readonly Pass<T>[], input: T, limit = 10_000): T {
  let value = input;
  for (let round = 0; round < limit; round++) {
    let changed = false;
    for (const pass of passes) {
      const [out, did] = pass(value);
      if (did) {
        value = out;
        changed = true;
        break;
      }
    }
    if (!changed) return value;
  }
  throw new Error('runPasses: no fixpoint');
}
