/**
 * Label-based construction of seccomp programs, after gVisor's pkg/bpf/program_builder.go:
 * every jump names a label (or `NEXT`), labels are forward only, and `build()` resolves them,
 * so generated code never carries a hand-counted offset.
 *
 * Beyond gVisor: a conditional jump whose target is more than 255 instructions away gets a
 * trampoline inserted right after it (a `JA` with a 32-bit offset, or a copy of the target
 * when that is a RET and the program reads no scratch memory), nearby trampolines to the
 * same target are shared, and shared `RET K` instructions (`returnLabel`) are placed once
 * at the end. The result goes through `compileProgram`, so whatever `build()` returns the
 * kernel accepts.
 */
import {
  BPF_ABS,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_RET,
  BPF_W,
  BpfError,
  MAX_COND_OFFSET,
  bpfClass,
  compileProgram,
  isConditionalJump,
  type DataOffset,
  type Insn,
  type Program,
} from './program.js';

/** Jump target meaning "the instruction right after this jump". */
export const NEXT: unique symbol = Symbol('NEXT');

/** Where a jump goes: a label placed later with `label()`, a `returnLabel()`, or `NEXT`. */
export type Target = string | typeof NEXT;

/** Prefix reserved for labels the builder names itself. */
const RESERVED = '@';

/** One instruction while building; targets are items, so inserting trampolines keeps them right. */
interface Item {
  code: number;
  k: number;
  jt?: Item;
  jf?: Item;
  /** Set on trampolines: the item they stand in for. */
  trampolineFor?: Item;
}

/** A jump waiting for its labels, as written (pc = index among the caller's instructions). */
interface PendingJump {
  readonly pc: number;
  readonly jt: Target;
  readonly jf?: Target;
}

/**
 * Builds a `Program` from instructions and named forward labels.
 *
 * ```ts
 * const b = new ProgramBuilder();
 * b.load(DATA_ARCH).jeq(AUDIT_ARCH_X86_64, NEXT, b.returnLabel(SECCOMP_RET_KILL_PROCESS));
 * b.load(DATA_NR).jeq(39, b.returnLabel(SECCOMP_RET_ALLOW), NEXT);
 * b.ret(SECCOMP_RET_ERRNO | 1);
 * const program = b.build();
 * ```
 */
export class ProgramBuilder {
  readonly #insns: Insn[] = [];
  readonly #jumps = new Map<number, PendingJump>();
  /** label -> every pc where it was placed (more than one is an error at build time). */
  readonly #placed = new Map<string, number[]>();
  /** shared return label -> its RET K value, in order of first request. */
  readonly #returns = new Map<string, number>();

  /** Appends a non-jump instruction (load, ALU, store, MISC, RET). */
  stmt(code: number, k = 0): this {
    if (bpfClass(code) === BPF_JMP) {
      throw new BpfError('builder-opcode', this.#insns.length, 'use jump() or ja() for jump instructions');
    }
    this.#insns.push({ code, jt: 0, jf: 0, k: k >>> 0 });
    return this;
  }

  /** `A = seccomp_data[offset]` (LD|W|ABS). */
  load(offset: DataOffset): this {
    return this.stmt(BPF_LD | BPF_W | BPF_ABS, offset);
  }

  /** `RET k`. */
  ret(k: number): this {
    return this.stmt(BPF_RET | BPF_K, k);
  }

  /** A conditional jump (JEQ/JGT/JGE/JSET with K or X); both branches name targets. */
  jump(code: number, k: number, jt: Target, jf: Target): this {
    if (!isConditionalJump(code)) {
      throw new BpfError('builder-opcode', this.#insns.length, `0x${code.toString(16)} is not a conditional jump`);
    }
    this.#jumps.set(this.#insns.length, { pc: this.#insns.length, jt, jf });
    this.#insns.push({ code, jt: 0, jf: 0, k: k >>> 0 });
    return this;
  }

  /** `if A == k goto jt else goto jf`. */
  jeq(k: number, jt: Target, jf: Target): this {
    return this.jump(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
  }

  /** `if A > k goto jt else goto jf` (unsigned). */
  jgt(k: number, jt: Target, jf: Target): this {
    return this.jump(BPF_JMP | BPF_JGT | BPF_K, k, jt, jf);
  }

  /** `if A >= k goto jt else goto jf` (unsigned). */
  jge(k: number, jt: Target, jf: Target): this {
    return this.jump(BPF_JMP | BPF_JGE | BPF_K, k, jt, jf);
  }

  /** `if A & k goto jt else goto jf`. */
  jset(k: number, jt: Target, jf: Target): this {
    return this.jump(BPF_JMP | BPF_JSET | BPF_K, k, jt, jf);
  }

  /** Unconditional jump (JA, 32-bit offset, so never too far). */
  ja(target: string): this {
    this.#jumps.set(this.#insns.length, { pc: this.#insns.length, jt: target });
    this.#insns.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: 0 });
    return this;
  }

  /** Places `name` at the next instruction. Names starting with '@' are reserved. */
  label(name: string): this {
    if (name.startsWith(RESERVED)) {
      throw new BpfError('builder-opcode', this.#insns.length, `label names starting with '${RESERVED}' are reserved`);
    }
    const at = this.#placed.get(name);
    if (at) at.push(this.#insns.length);
    else this.#placed.set(name, [this.#insns.length]);
    return this;
  }

  /**
   * A label for a shared `RET ret` placed after everything else; asking twice for the same
   * value gives the same label. Emitted only if some jump names it.
   */
  returnLabel(ret: number): string {
    const name = `${RESERVED}ret:0x${(ret >>> 0).toString(16).padStart(8, '0')}`;
    if (!this.#returns.has(name)) this.#returns.set(name, ret >>> 0);
    return name;
  }

  /**
   * Resolves labels, adds trampolines for far conditional jumps, and checks the result with
   * `compileProgram`. Throws a `BpfError`: `builder-label-unresolved` (named, never placed),
   * `builder-label-backward` (placed at or before a jump naming it), `builder-label-unused`
   * (placed, never named), `builder-label-duplicate`, `builder-label-at-end` (placed with no
   * instruction after it), or any checker code. The builder can be built again.
   */
  build(): Program {
    const user = this.#insns;
    const referenced = new Set<string>();
    for (const j of this.#jumps.values()) {
      for (const t of [j.jt, j.jf]) if (typeof t === 'string') referenced.add(t);
    }
    // Placement errors, reported at the first offending label position.
    for (const [name, pcs] of this.#placed) {
      if (pcs.length > 1) throw new BpfError('builder-label-duplicate', pcs[1]!, `label '${name}' placed twice`);
      if (pcs[0]! >= user.length) {
        throw new BpfError('builder-label-at-end', pcs[0]!, `label '${name}' has no instruction after it`);
      }
      if (!referenced.has(name)) throw new BpfError('builder-label-unused', pcs[0]!, `label '${name}' is never jumped to`);
    }

    const items: Item[] = user.map((i) => ({ code: i.code, k: i.k }));
    // Shared returns go after the caller's code, in order of first request.
    const returnItems = new Map<string, Item>();
    for (const [name, ret] of this.#returns) {
      if (!referenced.has(name)) continue;
      const item: Item = { code: BPF_RET | BPF_K, k: ret };
      returnItems.set(name, item);
      items.push(item);
    }
    const resolve = (j: PendingJump, t: Target): Item => {
      if (t === NEXT) {
        if (j.pc + 1 >= user.length) throw new BpfError('jump-range', j.pc, 'NEXT after the last instruction');
        return items[j.pc + 1]!;
      }
      const ret = returnItems.get(t);
      if (ret) return ret;
      const at = this.#placed.get(t)?.[0];
      if (at === undefined) throw new BpfError('builder-label-unresolved', j.pc, `label '${t}' is never placed`);
      if (at <= j.pc) throw new BpfError('builder-label-backward', j.pc, `label '${t}' is placed at ${at}, not after the jump`);
      return items[at]!;
    };
    for (const j of [...this.#jumps.values()].sort((a, b) => a.pc - b.pc)) {
      const item = items[j.pc]!;
      item.jt = resolve(j, j.jt);
      if (j.jf !== undefined) item.jf = resolve(j, j.jf);
    }

    insertTrampolines(items);
    return compileProgram(lower(items));
  }
}

/** The instruction list with jump offsets filled in. */
function lower(items: readonly Item[]): Insn[] {
  const pcOf = new Map(items.map((it, pc) => [it, pc]));
  return items.map((it, pc) => {
    const off = (t: Item | undefined): number => (t ? pcOf.get(t)! - pc - 1 : 0);
    if (it.code === (BPF_JMP | BPF_JA)) return { code: it.code, jt: 0, jf: 0, k: off(it.jt) };
    if (isConditionalJump(it.code)) return { code: it.code, jt: off(it.jt), jf: off(it.jf), k: it.k };
    return { code: it.code, jt: 0, jf: 0, k: it.k };
  });
}

/**
 * Makes every conditional jump reach its targets within 255 instructions. Repeats: take the
 * far conditional jump with the highest pc; point each far branch at a trampoline to the
 * same target already within reach, or insert one right after the jump. Insertions there
 * only lengthen jumps at lower pcs (or this jump's other branch), which later rounds fix, so
 * the loop ends with at most two trampolines per jump.
 *
 * A trampoline to a RET is a copy of that RET (one instruction fewer at run time), unless
 * the program loads scratch memory: check_load_and_stores does not reset its mask after a
 * RET, so an extra RET could make the kernel refuse a later M[] load. A JA is always safe.
 */
function insertTrampolines(items: Item[]): void {
  const readsMemory = items.some((it) => it.code === (BPF_LD | BPF_MEM) || it.code === (BPF_LDX | BPF_MEM));
  const isRet = (it: Item): boolean => bpfClass(it.code) === BPF_RET;
  const limit = 4 * items.length + 16;
  for (let round = 0; ; round++) {
    if (round > limit) throw new Error('insertTrampolines: no fixpoint (builder bug)');
    const pcOf = new Map(items.map((it, pc) => [it, pc]));
    const far = (from: number, to: Item | undefined): boolean => to !== undefined && pcOf.get(to)! - from - 1 > MAX_COND_OFFSET;
    let pc = items.length - 1;
    while (pc >= 0 && !(isConditionalJump(items[pc]!.code) && (far(pc, items[pc]!.jt) || far(pc, items[pc]!.jf)))) pc--;
    if (pc < 0) return;
    const jump = items[pc]!;
    for (const branch of ['jt', 'jf'] as const) {
      const target = jump[branch]!;
      if (!far(pc, target)) continue;
      const final = target.trampolineFor ?? target;
      // Reuse: a trampoline for the same final target, ahead of the jump and within reach.
      let reuse: Item | undefined;
      for (let p = pc + 1; p <= Math.min(items.length - 1, pc + 1 + MAX_COND_OFFSET); p++) {
        const it = items[p]!;
        if (it === final || it.trampolineFor === final) {
          reuse = it;
          break;
        }
      }
      if (reuse) {
        jump[branch] = reuse;
        continue;
      }
      const tramp: Item =
        isRet(final) && !readsMemory
          ? { code: final.code, k: final.k, trampolineFor: final }
          : { code: BPF_JMP | BPF_JA, k: 0, jt: final, trampolineFor: final };
      items.splice(pc + 1, 0, tramp);
      jump[branch] = tramp;
      // Positions after pc moved; recompute before the other branch.
      items.forEach((it, i) => pcOf.set(it, i));
    }
  }
}
