/** The learning filters decide what they should, checked on the emulator. */
import { describe, expect, it } from 'vitest';
import { archDef, type ArchName } from '../src/linux/arch.js';
import { syscallNumber } from '../src/linux/syscalls.js';
import { traceFilter } from '../src/ptrace/trace-filter.js';
import { actionOf, emulate } from '../src/bpf/emulator.js';

const decide = (kind: 'all' | 'exec-only', arch: ArchName | number, name: string | number) => {
  const auditArch = typeof arch === 'number' ? arch : archDef(arch).auditArch;
  const nr = typeof name === 'number' ? name : syscallNumber(arch as ArchName, name)!;
  return actionOf(emulate(traceFilter(kind), { nr, arch: auditArch, instructionPointer: 0n, args: [] }).ret).kind;
};

describe('trace filters', () => {
  it.each([
    ['x86_64', 'read'],
    ['i386', 'getpid'],
    ['x32', 'read'],
  ] as const)('seccomp mode traces every call: %s %s', (arch, name) => {
    expect(decide('all', arch, name)).toBe('trace');
  });

  it.each([
    ['x86_64', 'execve', 'trace'],
    ['x86_64', 'execveat', 'trace'],
    ['x86_64', 'read', 'allow'],
    ['x32', 'execve', 'trace'],
    ['x32', 'read', 'allow'],
    ['i386', 'execve', 'trace'],
    ['i386', 'getpid', 'allow'],
  ] as const)('syscall mode traces only the exec family: %s %s → %s', (arch, name, want) => {
    expect(decide('exec-only', arch, name)).toBe(want);
  });

  it('an arch without a table always traces', () => {
    expect(decide('exec-only', 0x40000028 /* AUDIT_ARCH_ARM */, 11)).toBe('trace');
  });
});
