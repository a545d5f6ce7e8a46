/**
 * minijail's own policy compiler (test/vendor/minijail/, run with python3) and the
 * constants.json it needs, made with gcc from the uapi headers installed here (minijail makes
 * it the same way from its build's headers). Tests only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileProgram, type Insn, type Program } from '../src/bpf/program.js';
import { PYTHON, ROOT, requireTool, tempDir } from './helpers.js';

export type MinijailArch = 'x86_64' | 'x86' | 'arm64';

const COMPILER = join(ROOT, 'test', 'vendor', 'minijail', 'compile_seccomp_policy.py');

/** The header and defines that give each arch's __NR_* (arm64's asm/unistd.h wants these of the generic table). */
const HEADERS: Readonly<
  Record<MinijailArch, { readonly include: string; readonly defines: readonly string[]; readonly arch: number; readonly bits: number }>
> = {
  x86_64: { include: 'asm/unistd_64.h', defines: [], arch: 0xc000003e, bits: 64 },
  x86: { include: 'asm/unistd_32.h', defines: [], arch: 0x40000003, bits: 32 },
  arm64: {
    include: 'asm-generic/unistd.h',
    defines: [
      '__ARCH_WANT_RENAMEAT',
      '__ARCH_WANT_NEW_STAT',
      '__ARCH_WANT_SET_GET_RLIMIT',
      '__ARCH_WANT_SYS_CLONE3',
      '__ARCH_WANT_MEMFD_SECRET',
    ],
    arch: 0xc00000b7,
    bits: 64,
  },
};

const cache = new Map<MinijailArch, string>();

function gcc(args: readonly string[], input?: string): string {
  const out = spawnSync('gcc', args, { encoding: 'utf8', input });
  if (out.status !== 0) throw new Error(`gcc ${args.join(' ')} failed: ${out.stderr}`);
  return out.stdout;
}

/** Values of macros, by compiling and running a program that prints them (they may be expressions). */
function macroValues(includes: readonly string[], defines: readonly string[], names: readonly string[]): Map<string, number> {
  const dir = tempDir('sbx-minijail-constants-');
  const source = [
    ...defines.map((d) => `#define ${d}`),
    ...includes.map((h) => `#include <${h}>`),
    '#include <stdio.h>',
    'int main(void) {',
    ...names.map((n) => `\tprintf("%s %ld\\n", "${n}", (long)(${n}));`),
    '\treturn 0;',
    '}',
  ].join('\n');
  writeFileSync(join(dir, 'c.c'), source);
  gcc(['-o', join(dir, 'c'), join(dir, 'c.c')]);
  const run = spawnSync(join(dir, 'c'), { encoding: 'utf8' });
  return new Map(
    run.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string])
      .map(([n, v]) => [n, Number(v)]),
  );
}

/** constants.json for one arch (cached per test process). */
export function minijailConstants(arch: MinijailArch): string {
  const cached = cache.get(arch);
  if (cached) return cached;
  requireTool('gcc');
  const h = HEADERS[arch];
  const macros = (include: string, defines: readonly string[]) =>
    gcc(['-E', '-dM', ...defines.map((d) => `-D${d}`), '-'], `#include <${include}>\n`).split('\n');
  const nrNames = macros(h.include, h.defines)
    .map((l) => /^#define (__NR_[a-z0-9_]+) /.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && n !== '__NR_syscalls' && n !== '__NR_arch_specific_syscall');
  const errnoNames = macros('errno.h', [])
    .map((l) => /^#define (E[A-Z0-9]+) /.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
  const syscalls = macroValues([h.include], h.defines, nrNames);
  const errnos = macroValues(['errno.h'], [], errnoNames);
  const json = {
    arch_nr: h.arch,
    arch_name: arch,
    bits: h.bits,
    syscalls: Object.fromEntries([...syscalls].map(([n, v]) => [n.slice('__NR_'.length), v])),
    constants: Object.fromEntries(errnos),
  };
  const file = join(tempDir('sbx-minijail-'), `constants-${arch}.json`);
  writeFileSync(file, JSON.stringify(json));
  cache.set(arch, file);
  return file;
}

export interface MinijailCompile {
  readonly ok: boolean;
  readonly stderr: string;
  /** The compiled filter, when it compiled. */
  readonly program?: Program;
}

/** Compile `policy` with minijail's compile_seccomp_policy.py for `arch`. */
export function compileMinijail(policy: string, arch: MinijailArch, options: { denylist?: boolean } = {}): MinijailCompile {
  if (!existsSync(COMPILER)) throw new Error(`${COMPILER} is missing`);
  const out = join(tempDir('sbx-minijail-out-'), 'filter.bpf');
  const flags = options.denylist ? ['--denylist'] : ['--use-kill-process'];
  const run = spawnSync(PYTHON, [COMPILER, '--arch-json', minijailConstants(arch), ...flags, policy, out], { encoding: 'utf8' });
  if (run.status !== 0) return { ok: false, stderr: `${run.stdout}${run.stderr}` };
  const bytes = readFileSync(out);
  const insns: Insn[] = [];
  for (let i = 0; i < bytes.length; i += 8)
    insns.push({ code: bytes.readUInt16LE(i), jt: bytes.readUInt8(i + 2), jf: bytes.readUInt8(i + 3), k: bytes.readUInt32LE(i + 4) });
  return { ok: true, stderr: run.stderr, program: compileProgram(insns) };
}

/** The audit arch of a minijail arch (what the compiled filter checks). */
export function minijailAuditArch(arch: MinijailArch): number {
  return HEADERS[arch].arch;
}
