/**
 * The minijail emitter against minijail's own compiler (test/vendor/minijail/, python3) with
 * constants made by gcc from this machine's uapi headers: every emitted policy compiles for each
 * of its arches, and the compiled filter decides every syscall of the arch (at the interesting
 * argument values of each rule) as the policy does, run on sbx's BPF emulator.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emit } from '../src/policy/emit/minijail.js';
import type { EmitResult } from '../src/policy/emit/shared.js';
import { actionOf, emulate } from '../src/bpf/emulator.js';
import type { Program } from '../src/bpf/program.js';
import { checkPolicy, CMP_OPS, decide, policyDecisions, readPolicy, type Action, type Policy } from '../src/policy/policy.js';
import { archDef, type ArchName } from '../src/linux/arch.js';
import { syscallTable } from '../src/linux/syscalls.js';
import { headersTarget, kernelTarget, type SyscallTarget } from '../src/linux/target-syscalls.js';
import { compileMinijail, type MinijailArch } from './minijail.js';
import { ROOT, runSbx, tempDir } from './helpers.js';

const MINIJAIL_ARCH: Readonly<Partial<Record<ArchName, MinijailArch>>> = { x86_64: 'x86_64', i386: 'x86', aarch64: 'arm64' };
const LINUX_6_1 = kernelTarget('6.1');

/** Emit into a fresh directory (policy + frequency file), as `sbx emit -o` would. */
function emitTo(policy: Policy, name: string, target: SyscallTarget | null = LINUX_6_1): { path: string; result: EmitResult } {
  const dir = tempDir('sbx-minijail-policy-');
  const path = join(dir, `${name}.policy`);
  const result = emit(policy, { source: `${name}.json`, output: path, target: target ?? undefined });
  writeFileSync(path, result.text);
  for (const extra of result.extras ?? []) writeFileSync(extra.path, extra.text);
  return { path, result };
}

function expected(action: Action): string {
  switch (action.kind) {
    case 'errno':
      return `errno ${action.errno}`;
    case 'trace':
      return 'trace 0';
    default:
      return `${action.kind.replace('-', '_')} 0`;
  }
}

/** Every syscall of the arch the target has, at the interesting values of each rule's conditions. */
function mismatches(policy: Policy, arch: ArchName, program: Program, target: SyscallTarget): string[] {
  const word = archDef(arch).wordBits === 32 ? 0xffffffffn : (1n << 64n) - 1n;
  const out: string[] = [];
  for (const { nr, name } of syscallTable(arch)) {
    if (target.lacks(arch, name) !== undefined) continue;
    const argSets: bigint[][] = [[]];
    for (const d of policyDecisions(policy).filter((x) => x.arch === arch && x.nr === nr))
      for (const set of d.when)
        for (const c of set)
          for (const v of CMP_OPS[c.op].interestingValues(c).filter((x) => x <= word)) {
            const args = [0n, 0n, 0n, 0n, 0n, 0n];
            args[c.index] = v;
            argSets.push(args);
            // the other conditions of the set hold too, so an AND is tried both ways
            const all = [...args];
            for (const other of set)
              if (other !== c)
                all[other.index] =
                  CMP_OPS[other.op].interestingValues(other).find((x) => x <= word && CMP_OPS[other.op].test(x, other)) ?? 0n;
            argSets.push(all);
          }
    for (const args of argSets) {
      const want = expected(decide(policy, arch, nr, args));
      const got = actionOf(emulate(program, { nr, arch: archDef(arch).auditArch, instructionPointer: 0n, args }).ret);
      const gotText = `${got.kind} ${got.data}`;
      if (gotText !== want)
        out.push(`${arch} ${name}(${args.map((a) => `0x${a.toString(16)}`).join(', ')}): policy ${want}, minijail ${gotText}`);
    }
  }
  return out;
}

function compileEvery(policy: Policy, name: string, target: SyscallTarget = LINUX_6_1): EmitResult {
  const { path, result } = emitTo(policy, name, target);
  const denylist = result.text.includes('\n@denylist\n');
  for (const arch of policy.arches) {
    const minijailArch = MINIJAIL_ARCH[arch];
    if (!minijailArch) continue;
    const compiled = compileMinijail(path, minijailArch, { denylist });
    expect(compiled.stderr, `${name} for ${minijailArch}:\n${result.text}`).toBe('');
    expect(compiled.ok).toBe(true);
    expect(mismatches(policy, arch, compiled.program!, target), `${name} on ${arch}`).toEqual([]);
  }
  return result;
}

const SAMPLES = ['ls.allowlist', 'sh-loop.denylist', 'dd.allowlist', 'threads.allowlist', 'http-server.allowlist'] as const;

const policy = (draft: object, file = 'hand.json'): Policy => checkPolicy({ format: 'sbx-policy', version: 1, ...draft }, file);

describe("minijail: every emitted policy compiles with minijail's compiler and decides as the policy", () => {
  it.each(SAMPLES)("%s, Linux 6.1 (sbx's table of releases)", (name) => {
    compileEvery(readPolicy(join(ROOT, 'samples', 'policies', `${name}.json`)), name);
  });

  it.each(SAMPLES)("%s, the uapi headers installed here (sbx emit's default)", (name) => {
    compileEvery(readPolicy(join(ROOT, 'samples', 'policies', `${name}.json`)), name, headersTarget(['x86_64', 'i386', 'aarch64']));
  });

  it('a conditional denial in a default-allow policy stays conditional (minijail ignores conditions before a trailing allow)', () => {
    const p = policy({
      arches: ['x86_64'],
      defaultAction: 'allow',
      rules: [
        { syscall: 'sched_setscheduler', action: 'errno(EPERM)', args: [{ index: 1, op: 'ne', value: '5' }] },
        { syscall: 'socket', action: 'kill-process', args: [{ index: 0, op: 'eq', value: '16' }] },
        {
          syscall: 'socket',
          action: 'kill-process',
          args: [
            { index: 0, op: 'eq', value: '17' },
            { index: 1, op: 'masked-eq', mask: '0xf', value: '0x3' },
          ],
        },
        { syscall: 'clone', action: 'trap', args: [{ index: 0, op: 'masked-eq', mask: '0x10000000', value: '0x10000000' }] },
        { syscall: 'mount', action: 'kill-process' },
      ],
    });
    const { text } = compileEvery(p, 'conditional-deny');
    expect(text).toContain('sched_setscheduler: { arg1 == 0x5, return 1 }');
    expect(text).not.toMatch(/, allow \}/);
  });

  it('a denylist of errnos is a @denylist file (compiled with --denylist), conditions included', () => {
    const p = policy({
      arches: ['x86_64', 'i386'],
      defaultAction: 'allow',
      rules: [
        { syscall: 'setpriority', action: 'errno(EPERM)' },
        { syscall: 'sched_setscheduler', action: 'errno(EPERM)', args: [{ index: 1, op: 'ne', value: '5' }] },
        { syscall: 'socket', action: 'errno(EACCES)', args: [{ index: 0, op: 'masked-eq', mask: '0xffffffff', value: '0x10' }] },
        { syscall: 'ioctl', action: 'errno(ENOTTY)', args: [{ index: 1, op: 'eq', value: '0x5412' }] },
        { syscall: 'ioctl', action: 'errno(ENOTTY)', args: [{ index: 1, op: 'gt', value: '0xffffffff00000000' }] },
        // i386 arguments have no high bits: always true there, a real condition on x86_64
        { syscall: 'kill', action: 'errno(EPERM)', args: [{ index: 1, op: 'ne', value: '0xfffffffffffffff7' }] },
      ],
    });
    const { text, warnings } = compileEvery(p, 'denylist');
    expect(text).toContain('\n@denylist\n');
    expect(text).toContain('ioctl[arch=x86_64]: arg1 == 0x5412 || arg1 > ~0xffffffff; return 25');
    expect(text).toContain('ioctl[arch=x86]: arg1 == 0x5412; return 25');
    expect(text).toContain('kill[arch=x86]: return 1');
    expect(warnings.join('\n')).toMatch(/--denylist filter answers calls of another arch with EPERM/);
    // a 64-bit constant that is no complement of a 32-bit one cannot be in a file x86 also reads
    const kill = { syscall: 'kill', action: 'errno(EPERM)', args: [{ index: 1, op: 'eq', value: '0x100000009' }] };
    expect(() => emit(policy({ arches: ['x86_64', 'i386'], defaultAction: 'allow', rules: [kill] }), { source: 'wide.json' })).toThrow(
      /^minijail: 0x100000009 cannot be written in a file that also serves x86 .*; make one policy per arch$/,
    );
    compileEvery(policy({ arches: ['x86_64'], defaultAction: 'allow', rules: [kill] }), 'wide-x86_64');
  });

  it('a default that @default cannot name (errno, log, trace) is listed; conditional rules keep it as their else', () => {
    for (const defaultAction of ['errno(EPERM)', 'log']) {
      const p = policy({
        arches: ['x86_64'],
        defaultAction,
        rules: [
          { syscall: 'read', action: 'allow' },
          { syscall: 'ioctl', action: 'allow', args: [{ index: 1, op: 'eq', value: '0x5401' }] },
          { syscall: 'mount', action: 'kill-process' },
        ],
      });
      compileEvery(p, `default-${defaultAction}`);
    }
  });

  it('several arches: one file, [arch=x86_64|x86|arm64] metadata, compiles for each with its own numbers', () => {
    const p = policy({
      arches: ['x86_64', 'i386', 'aarch64'],
      defaultAction: 'kill-process',
      rules: [
        { syscall: 'read', action: 'allow' },
        { syscall: 'openat', action: 'allow', args: [{ index: 2, op: 'masked-eq', mask: '0x3', value: '0x0' }] },
        { syscall: 'open', action: 'errno(ENOSYS)' },
        { syscall: 'socketcall', action: 'allow' },
        { syscall: 'mmap2', action: 'allow', arches: ['i386'] },
        { syscall: 'exit_group', action: 'allow' },
      ],
    });
    const { text } = compileEvery(p, 'multi');
    expect(text).toContain('read[arch=x86]: allow');
    expect(text).toContain('read[arch=arm64]: allow');
    expect(text).not.toMatch(/arch=(i386|aarch64)/);
  });

  it('x32 has no minijail arch: left out with a warning; a policy of x32 alone is refused', () => {
    const { result } = emitTo(
      policy({ arches: ['x86_64', 'x32'], defaultAction: 'kill-process', rules: [{ syscall: 'read', action: 'allow' }] }),
      'x32',
    );
    expect(result.warnings.join('\n')).toMatch(/minijail: has no x32 arch/);
    expect(() =>
      emit(policy({ arches: ['x32'], defaultAction: 'kill-process', rules: [{ syscall: 'read', action: 'allow' }] }), { source: 'x.json' }),
    ).toThrow(/minijail: has no arch for x32/);
  });

  it('names newer than the target are left out, listed in a comment and a warning; without that minijail refuses the file', () => {
    const p = readPolicy(join(ROOT, 'samples', 'policies', 'sh-loop.denylist.json'));
    const { result } = emitTo(p, 'sh-6.1');
    // sh-loop's denylist kills the qemu groups, so every other syscall is listed as allowed
    expect(result.warnings.join('\n')).toMatch(/cachestat \(added in one of 6\.3\.\.6\.12\)/);
    const all = emitTo(p, 'sh-all', null);
    const compiled = compileMinijail(all.path, 'x86_64');
    expect(compiled.ok).toBe(false);
    expect(compiled.stderr).toMatch(/nonexistent syscall/);
  });
  it('an arch the target says nothing about (no header here) is not checked, and that is said', () => {
    const noArm: SyscallTarget = { describe: 'the uapi headers in /usr/include', lacks: () => undefined, unchecked: ['aarch64'] };
    const p = policy({ arches: ['x86_64', 'aarch64'], defaultAction: 'kill-process', rules: [{ syscall: 'read', action: 'allow' }] });
    expect(emit(p, { source: 'p.json', target: noArm }).warnings).toContain(
      'minijail: nothing in the uapi headers in /usr/include for aarch64: its names are not checked (give --target-kernel)',
    );
  });
});

describe('sbx emit -f minijail (command line)', () => {
  it('--target-kernel names the release; a bad one is a usage error', async () => {
    const dir = tempDir();
    const res = await runSbx([
      'emit',
      '-f',
      'minijail',
      '--target-kernel',
      '5.10',
      join(ROOT, 'samples/policies/sh-loop.denylist.json'),
      '-o',
      join(dir, 'p.policy'),
    ]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/missing from Linux 5\.10 on x86_64 .*quotactl_fd \(added in 5\.14\)/);
    const bad = await runSbx(['emit', '-f', 'minijail', '--target-kernel', 'six', join(ROOT, 'samples/policies/sh-loop.denylist.json')]);
    expect(bad.code).toBe(2); // usage errors exit 2, as every command's bad input
    expect(bad.stderr).toMatch(/expected a kernel release as X\.Y/);
  });
});
