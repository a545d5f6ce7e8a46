/**
 * Which syscalls the kernel's seccomp action cache (Linux >= 5.11) will allow without
 * running the filter at all.
 *
 * When a filter is attached, kernel/seccomp.c `seccomp_cache_prepare_bitmap` walks every
 * syscall number of the native (and compat) arch and asks `seccomp_is_const_allow` whether
 * the filter returns SECCOMP_RET_ALLOW for that (arch, nr) whatever the other seccomp_data
 * fields hold. The bits it sets let `seccomp_run_filters` return ALLOW straight away. Such
 * syscalls cost nothing per call, so a layout that keeps hot allowed syscalls decidable
 * from nr and arch alone is cheaper than its instruction count suggests.
 *
 * This is a line-by-line port of `seccomp_is_const_allow`. Notes on the kernel's side:
 *  - It reads `sfilter->prog->orig_prog`, the instructions as loaded, before
 *    seccomp_check_filter rewrites `LD|W|LEN`; so a LEN load is "unknown insn" here, as there.
 *  - The abstract machine has one register; only nr/arch loads, JEQ/JGE/JGT/JSET with K, JA,
 *    `ALU AND K` and `RET K` are understood; anything else (X, scratch memory, other ALU,
 *    RET A, loads of args or instruction_pointer) means "not cacheable".
 *  - Only `RET SECCOMP_RET_ALLOW` exactly (data 0) counts; `ALLOW|1` does not.
 *  - The register starts at 0, as `reg_value` does.
 *  - With several filters stacked the bitmap is the AND over all of them (each new filter
 *    starts from a copy of the previous bitmap): intersect the sets.
 *  - The bitmap covers 0 <= nr < NR_syscalls of the kernel's native arch (and its compat
 *    arch, e.g. i386 on x86_64); other numbers, including x32's (with the 0x40000000 bit),
 *    are never cached. Pass only numbers the running kernel's table has.
 *  - Newer kernels also let uretprobe (x86_64 nr 335), and later uprobe (336), through
 *    without consulting the filter (`seccomp_uprobe_exception`); that is a property of the
 *    kernel, not of the filter, and is not reported here.
 *
 * Verify against a live kernel with /proc/<pid>/seccomp_cache, which exists only with
 * CONFIG_SECCOMP_CACHE_DEBUG (lines `x86_64 39 ALLOW` / `x86_64 40 FILTER`).
 */
import type { AuditArch } from '../linux/arch.js';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_RET,
  BPF_W,
  DATA_ARCH,
  DATA_NR,
  SECCOMP_RET_ALLOW,
  type Program,
} from './program.js';

/**
 * Port of kernel/seccomp.c `seccomp_is_const_allow(fprog, sd)` with sd = {nr, arch}: true
 * when the filter returns exactly SECCOMP_RET_ALLOW for this (arch, nr) no matter what the
 * arguments and instruction pointer are, as far as the kernel's one-register emulation can
 * tell.
 */
export function isConstAllow(program: Program, arch: AuditArch, nr: number): boolean {
  const insns = program.instructions;
  let regValue = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, jt, jf, k } = insns[pc]!;
    switch (code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (k === DATA_NR) regValue = nr >>> 0;
        else if (k === DATA_ARCH) regValue = arch >>> 0;
        else return false; // can't optimize (non-constant value load)
        break;
      case BPF_RET | BPF_K:
        // reached return with constant values only, check allow
        return k === SECCOMP_RET_ALLOW;
      case BPF_JMP | BPF_JA:
        pc += k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
      case BPF_JMP | BPF_JGE | BPF_K:
      case BPF_JMP | BPF_JGT | BPF_K:
      case BPF_JMP | BPF_JSET | BPF_K: {
        let opRes: boolean;
        switch (code & 0xf0) {
          case BPF_JEQ:
            opRes = regValue === k;
            break;
          case BPF_JGE:
            opRes = regValue >= k;
            break;
          case BPF_JGT:
            opRes = regValue > k;
            break;
          default: // BPF_JSET
            opRes = (regValue & k) !== 0;
        }
        pc += opRes ? jt : jf;
        break;
      }
      case BPF_ALU | BPF_AND | BPF_K:
        regValue = (regValue & k) >>> 0;
        break;
      default:
        return false; // can't optimize (unknown insn)
    }
  }
  // ran off the end of the filter?! (impossible for a checked program; the kernel WARNs)
  return false;
}

/**
 * The numbers among `nrs` that the kernel's action cache marks always-allowed for `arch`
 * (kernel/seccomp.c seccomp_cache_prepare_bitmap, one filter). See the module comment for
 * what "cacheable" does and does not cover.
 */
export function cacheableAllows(program: Program, arch: AuditArch, nrs: Iterable<number>): Set<number> {
  const out = new Set<number>();
  for (const nr of nrs) if (isConstAllow(program, arch, nr)) out.add(nr);
  return out;
}
