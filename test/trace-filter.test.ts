/** The learning filters decide what they should, checked on the emulator. */
import { describe, expect, it } from 'vitest';
import { archDef, type ArchName } from '../src/linux/arch.js';
import { syscallNumber } from '../src/linux/syscalls.js';
import { traceFilter, CLONE_CHECK_DATA, withCloneCheck } from '../src/ptrace/trace-filter.js';
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

describe('the clone check in front of a policy (run --complain/--ask)', () => {
  const UNTRACED = 0x00800000n;
  const checked = withCloneCheck(traceFilter('exec-only'));
  const run = (arch: ArchName, name: string, flags = 0n) =>
    emulate(checked, { nr: syscallNumber(arch, name)!, arch: archDef(arch).auditArch, instructionPointer: 0n, args: [flags] }).ret >>> 0;
  const CHECK = (0x7ff00000 | CLONE_CHECK_DATA) >>> 0;
  it.each([
    ['x86_64', 'clone', UNTRACED | 17n, CHECK],
    ['x86_64', 'clone', 17n, 0x7fff0000],
    ['x86_64', 'clone3', 0n, CHECK],
    ['x32', 'clone', UNTRACED, CHECK],
    ['i386', 'clone', UNTRACED, CHECK],
    ['i386', 'clone', 0n, 0x7fff0000],
    ['i386', 'clone3', 0n, CHECK],
    ['x86_64', 'execve', UNTRACED, 0x7ff00000],
    ['x86_64', 'read', UNTRACED, 0x7fff0000],
  ] as const)('%s %s flags 0x%s: returns 0x%s', (arch, name, flags, want) => {
    expect(run(arch, name, flags).toString(16)).toBe(want.toString(16));
  });
});
