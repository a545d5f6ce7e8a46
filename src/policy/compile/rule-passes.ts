/**
 * Rewrites of a syscall's argument rules before they are rendered, as small pure passes run
 * to a fixpoint (gVisor pkg/bpf/optimizer.go and pkg/seccomp/seccomp_optimizer.go): each pass
 * takes the rules and says whether it changed them; `runPasses` starts over from the first
 * pass after any change, so a later pass always sees what the earlier ones can still simplify.
 *
 * The rules of one (arch, syscall) are an OR of condition sets, each an AND (policy.ts
 * `SyscallDecision.when`). After the passes: no set holds a condition that always holds, no
 * set that can never hold is left, and no set contains another (the larger one adds nothing
 * to the OR). An empty set means "always"; no sets means "never".
 */
import { runPasses, type Pass } from '../../bpf/pass.js';
import { CMP_OPS, conditionsKey, type ArgCondition } from '../policy.js';

/** An OR of AND-ed condition sets. */
export type ConditionSets = readonly (readonly ArgCondition[])[];

/** Whether `c` holds for every argument value (`>= 0`, `<= 2^64-1`, a masked-eq with mask 0). */
export function conditionAlwaysHolds(c: ArgCondition): boolean {
  return CMP_OPS[c.op].alwaysHolds(c);
}

/** Whether `c` holds for no argument value (`< 0`, `> 2^64-1`, a value with bits outside the mask). */
export function conditionNeverHolds(c: ArgCondition): boolean {
  return CMP_OPS[c.op].neverHolds(c);
}

/** Drops conditions that always hold from every set (a set left empty then always holds). */
export const dropConditionsThatAlwaysHold: Pass<ConditionSets> = (sets) => {
  const changed = sets.some((s) => s.some(conditionAlwaysHolds));
  return [changed ? sets.map((s) => s.filter((c) => !conditionAlwaysHolds(c))) : sets, changed];
};

/** Drops sets with a condition that never holds. */
export const dropSetsThatNeverHold: Pass<ConditionSets> = (sets) => {
  const kept = sets.filter((s) => !s.some(conditionNeverHolds));
  return [kept, kept.length !== sets.length];
};

/**
 * Drops a set that contains every condition of another set (A ∨ (A ∧ B) = A); of two equal
 * sets, the later one. An empty set (always) thus removes all others.
 */
export const dropSubsumedSets: Pass<ConditionSets> = (sets) => {
  const keys = sets.map((s) => new Set(s.map((c) => conditionsKey([c]))));
  const subsumed = (i: number): boolean =>
    keys.some((other, j) => j !== i && [...other].every((k) => keys[i]!.has(k)) && (other.size < keys[i]!.size || j < i));
  const kept = sets.filter((_, i) => !subsumed(i));
  return [kept, kept.length !== sets.length];
};

/**
 * The rule passes in order. `dropSetsThatNeverHold` first: it only removes, and what it removes
 * need not be compared by the others. `dropConditionsThatAlwaysHold` before `dropSubsumedSets`,
 * because a set it empties subsumes every other set (the syscall's rule always holds).
 */
export const CONDITION_PASSES: readonly Pass<ConditionSets>[] = [dropSetsThatNeverHold, dropConditionsThatAlwaysHold, dropSubsumedSets];

/** The rules simplified by every pass, to a fixpoint. */
export function simplifyConditionSets(sets: ConditionSets): ConditionSets {
  return runPasses(CONDITION_PASSES, sets);
}
