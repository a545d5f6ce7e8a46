/**
 * What this machine's kernel and hypervisor can do, probed once per test file. A test that
 * needs a capability the machine lacks skips with the probe's reason, CI included; a missing
 * tool is not a missing capability and still fails loudly (requireTool).
 * Like `existsSync('/proc/self/seccomp_cache')` for the action cache, each probe asks the real
 * kernel, never a version number.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import { loadPrograms } from '../src/ebpf/load.js';
import { requireTool, workload } from './helpers.js';

/** Whether the machine can do something, and if not, why (the skip note). */
export interface Capability {
  readonly can: boolean;
  readonly reason: string;
}

/** Makes INT80 answer "cannot", to show the suite then skips cleanly (the real answer cannot be forced). */
export const ASSUME_NO_INT80 = 'SBX_TEST_ASSUME_NO_INT80';

/** A static i386 program that exits 0 at once: the kernel runs it only with IA32 emulation on. */
function canRunI386(): boolean {
  requireTool('as');
  requireTool('ld');
  const dir = join(tmpdir(), 'sbx-workloads');
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, 'exit0-i386');
  if (!existsSync(binary)) {
    // Test files run in parallel: each builds under its own temp name, then renames atomically.
    const temp = mkdtempSync(join(dir, 'exit0-i386-'));
    writeFileSync(join(temp, 'exit0.s'), '.globl _start\n_start:\n mov $1, %eax\n xor %ebx, %ebx\n int $0x80\n');
    for (const [tool, args] of [
      ['as', ['--32', '-o', 'exit0.o', 'exit0.s']],
      ['ld', ['-m', 'elf_i386', '-static', '-o', 'exit0', 'exit0.o']],
    ] as const) {
      const out = spawnSync(tool, args, { encoding: 'utf8', cwd: temp });
      if (out.status !== 0) throw new Error(`${tool} for the i386 probe failed: ${out.stderr}`);
    }
    renameSync(join(temp, 'exit0'), binary);
    rmSync(temp, { recursive: true });
  }
  // Where the kernel refuses it (ENOEXEC), exec falls back to `sh binary`, which fails: only exit 0 means it ran.
  return spawnSync(binary).status === 0;
}

/**
 * `int $0x80` from a 64-bit process (test/workloads/int80.c: the i386 ABI's getpid). Some
 * hypervisors refuse it, and kernels with IA32 emulation disabled send SIGSEGV instead of
 * running the call; the reason says which, from whether an i386 binary runs at all.
 */
function probeInt80(): Capability {
  if (process.arch !== 'x64') return { can: false, reason: 'int $0x80 is the i386 ABI of x86 machines' };
  if (process.env[ASSUME_NO_INT80] === '1')
    return { can: false, reason: `${ASSUME_NO_INT80}=1: assuming this machine refuses int $0x80 from a 64-bit process` };
  const run = spawnSync(workload('int80'), ['1']);
  if (run.status === 0) return { can: true, reason: '' };
  if (run.signal === 'SIGSEGV' || run.signal === 'SIGILL')
    return {
      can: false,
      reason: `this machine refuses int $0x80 from a 64-bit process (${run.signal}); ${
        canRunI386() ? 'i386 binaries do run, so the hypervisor refuses it' : 'i386 binaries cannot run either: IA32 emulation is disabled'
      }`,
    };
  throw new Error(`int $0x80 probe: test/workloads/int80 ended with ${run.signal ?? `exit ${run.status}`} ${run.stderr}`);
}

/** Whether a 64-bit process can make i386 syscalls through `int $0x80`. */
export const INT80 = probeInt80();

let ebpf: Capability | undefined;

/**
 * Whether sbx can load and attach its eBPF programs here (root, or CAP_BPF + CAP_PERFMON +
 * CAP_DAC_READ_SEARCH; tracefs; BTF), by loading them. Probed on first use, not on import:
 * while attached they run on every syscall of the host.
 */
export function ebpfCapability(): Capability {
  if (ebpf) return ebpf;
  try {
    loadPrograms({ kind: 'follow' }, 1024).close();
    ebpf = { can: true, reason: '' };
  } catch (err) {
    ebpf = { can: false, reason: `sbx cannot load its eBPF programs here: ${(err as Error).message.split('\n')[0]}` };
  }
  return ebpf;
}

/** Skip the running test, with the reason, where the machine lacks `capability`. */
export function needs(ctx: TestContext, capability: Capability): void {
  ctx.skip(!capability.can, capability.reason);
}
