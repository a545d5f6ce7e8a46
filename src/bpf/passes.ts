/**
 * Rewrites of a finished program, as small pure passes run to a fixpoint (gVisor
 * pkg/bpf/optimizer.go): each takes the instructions and says whether it changed them;
 * `optimizeProgram` runs them with `runPasses` and checks the result again with
 * `compileProgram`. A pass only ever removes instructions, so no jump grows past 255.
 */
import {
  BPF_ABS,
  BPF_JA,
  BPF_JMP,
  BPF_LD,
  BPF_LDX,
  BPF_MISC,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_W,
  bpfClass,
  compileProgram,
  isConditionalJump,
  type Insn,
  type Program,
} from './program.js';
import { runPasses, type Pass } from './pass.js';

/** What A holds on entry to an instruction: a seccomp_data word (its offset), or unknown. */
const UNKNOWN = -1;

/** Where control can go after `insns[pc]`. */
function successors(insns: readonly Insn[], pc: number): number[] {
  const { code, jt, jf, k } = insns[pc]!;
  if (bpfClass(code) === BPF_RET) return [];
  if (code === (BPF_JMP | BPF_JA)) return [pc + 1 + k];
  if (isConditionalJump(code)) return [pc + 1 + jt, pc + 1 + jf];
  return [pc + 1];
}

/** Whether an instruction leaves A as it found it. */
function keepsA(code: number): boolean {
  const cls = bpfClass(code);
  return cls === BPF_JMP || cls === BPF_LDX || cls === BPF_ST || cls === BPF_STX || code === (BPF_MISC | BPF_TAX);
}

/**
 * The instructions without those at `drop` (which must not be jumps or the last RET); every
 * jump is re-aimed at what followed its old target.
 */
export function removeInstructions(insns: readonly Insn[], drop: ReadonlySet<number>): Insn[] {
  const newPc = new Int32Array(insns.length + 1);
  let next = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    newPc[pc] = next;
    if (!drop.has(pc)) next++;
  }
  newPc[insns.length] = next;
  const out: Insn[] = [];
  insns.forEach((insn, pc) => {
    if (drop.has(pc)) return;
    const at = newPc[pc]!;
    const to = (target: number): number => newPc[target]! - at - 1;
    if (insn.code === (BPF_JMP | BPF_JA)) out.push({ ...insn, k: to(pc + 1 + insn.k) });
    else if (isConditionalJump(insn.code)) out.push({ ...insn, jt: to(pc + 1 + insn.jt), jf: to(pc + 1 + insn.jf) });
    else out.push(insn);
  });
  return out;
}

/**
 * Drops `ld [k]` where every path in already has word k in A: an argument block re-reading
 * the word the failed comparison before it read (`ioctl` request in {0x5401, 0x5413}: one
 * load, two compares). Jumps only go forward, so one sweep in order sees every predecessor.
 */
export const removeRedundantLoads: Pass<readonly Insn[]> = (insns) => {
  const entry = new Int32Array(insns.length).fill(-2); // -2: not reached yet
  entry[0] = UNKNOWN;
  const drop = new Set<number>();
  insns.forEach((insn, pc) => {
    const a = entry[pc]! === -2 ? UNKNOWN : entry[pc]!;
    let out = UNKNOWN;
    if (insn.code === (BPF_LD | BPF_W | BPF_ABS)) {
      if (a === insn.k) drop.add(pc);
      out = insn.k;
    } else if (keepsA(insn.code)) out = a;
    for (const s of successors(insns, pc)) entry[s] = entry[s]! === -2 || entry[s]! === out ? out : UNKNOWN;
  });
  return drop.size ? [removeInstructions(insns, drop), true] : [insns, false];
};

/** The program passes in order (one so far). */
export const BPF_PASSES: readonly Pass<readonly Insn[]>[] = [removeRedundantLoads];

/** `program` rewritten by every pass to a fixpoint, and checked again. */
export function optimizeProgram(program: Program, passes: readonly Pass<readonly Insn[]>[] = BPF_PASSES): Program {
  const out = runPasses(passes, program.instructions);
  return out === program.instructions ? program : compileProgram(out);
}
