/**
 * The static-hints ELF reader against binutils and ld.so: imports with versions match
 * `readelf --dyn-syms` and `nm -D`, library resolution matches `ldd`, on real binaries and on
 * tiny ones linked here (i386 and x86_64, DT_HASH and DT_GNU_HASH, RPATH and RUNPATH). Bad
 * input is always a one-line ElfError, never a RangeError.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ElfError, parseShebang, readElf, readShebang, resolveShebangProgram, type ElfFile } from '../src/learn/hints/elf.js';
import { readLdCache, resolveLibraries } from '../src/learn/hints/libraries.js';
import { nmDynamic, requireTool, tempDir } from './helpers.js';

const dir = tempDir('sbx-elf-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(file: string, args: readonly string[], cwd?: string): string {
  const out = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 256 << 20, cwd });
  if (out.error) throw out.error;
  if (out.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${out.stderr}`);
  return out.stdout;
}

interface RefSymbols {
  /** `name` or `name@VERSION`, weak ones prefixed with `w `, in symbol order. */
  readonly imports: string[];
  readonly exports: number;
  /** Undefined TLS symbols (not imports here, but nm lists them). */
  readonly tls: string[];
}

/** Undefined FUNC/NOTYPE/OBJECT and defined non-local symbols, as readelf sees .dynsym. */
function readelfSymbols(path: string): RefSymbols {
  requireTool('readelf');
  const imports: string[] = [];
  const tls: string[] = [];
  let exports = 0;
  for (const line of run('readelf', ['--dyn-syms', '-W', path]).split('\n')) {
    const m = /^\s*\d+:\s+[0-9a-f]+\s+\S+\s+(\w+)\s+(\w+)\s+\w+\s+(\w+)\s*(\S*)/.exec(line);
    if (!m) continue;
    const [, type, bind, ndx, name] = m as unknown as [string, string, string, string, string];
    if (ndx !== 'UND') {
      if (bind !== 'LOCAL') exports++;
    } else if (['FUNC', 'NOTYPE', 'OBJECT'].includes(type) && name !== '') {
      imports.push(`${bind === 'WEAK' ? 'w ' : ''}${name}`);
    } else if (type === 'TLS') {
      tls.push(name);
    }
  }
  return { imports, exports, tls };
}

/** `nm -D --undefined-only` names (with @version), TLS included: nm does not print types. */
const nmUndefined = (path: string): string[] => nmDynamic(path, 'undefined');

const importKey = (elf: ElfFile): string[] => elf.imports.map((i) => `${i.weak ? 'w ' : ''}${i.name}${i.version ? `@${i.version}` : ''}`);

function expectSymbolsMatchBinutils(elf: ElfFile): void {
  const ref = readelfSymbols(elf.path);
  expect(importKey(elf)).toEqual(ref.imports);
  expect(elf.exports).toBe(ref.exports);
  // nm agrees too, once the undefined TLS symbols (not imports) are added.
  const ours = elf.imports.map((i) => `${i.name}${i.version ? `@${i.version}` : ''}`);
  expect([...ours, ...ref.tls].sort()).toEqual(nmUndefined(elf.path).sort());
}

interface LddEntry {
  readonly name?: string;
  readonly path?: string;
}

/**
 * `ldd` lines without linux-vdso: `name => path`, `name => not found`, or the loader's bare
 * path. With `exec`, the program itself runs with LD_TRACE_LOADED_OBJECTS=1 (ld.so prints the
 * same list and exits before the program starts): unlike ldd, which runs ld.so on the path
 * given, this takes $ORIGIN from the program's real path, as a real exec does.
 */
function ldd(path: string, exec = false): LddEntry[] {
  requireTool('ldd');
  const entries: LddEntry[] = [];
  const out = exec ? spawnSync(path, [], { encoding: 'utf8', env: { LD_TRACE_LOADED_OBJECTS: '1' } }).stdout : run('ldd', [path]);
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+) => (?:(\S+) \(0x[0-9a-f]+\)|not found)\s*$/.exec(line);
    if (m) entries.push({ name: m[1]!, path: m[2] });
    else if (/^\s*\/\S+ \(0x/.test(line)) entries.push({ path: line.trim().split(' ')[0]! });
  }
  return entries;
}

/** resolveLibraries agrees with ldd: same libraries in the same order, same misses. */
function expectLikeLdd(exe: ElfFile, options?: Parameters<typeof resolveLibraries>[1], exec = false): void {
  const ours = resolveLibraries(exe, options);
  const ref = ldd(exe.path, exec);
  expect(ref.length).toBeGreaterThan(0);
  // ldd always prints the loader; ours lists it only when some object needs it.
  const loader = ref.find((e) => e.name === undefined);
  const oursFound = ours.libraries.filter((l) => l.path !== exe.interpreter).map((l) => `${l.name} => ${l.path}`);
  expect(oursFound).toEqual(ref.filter((e) => e.name !== undefined && e.path !== undefined).map((e) => `${e.name} => ${e.path}`));
  expect(ours.missing.map((m) => m.name)).toEqual(ref.filter((e) => e.name !== undefined && e.path === undefined).map((e) => e.name));
  const ownLoader = ours.libraries.filter((l) => l.path === exe.interpreter);
  expect(ownLoader.length).toBeLessThanOrEqual(1);
  if (ownLoader[0]) expect(ownLoader[0].path).toBe(loader?.path);
  // Each soname once.
  const sonames = ours.libraries.map((l) => l.elf.soname ?? l.name);
  expect(new Set(sonames).size).toBe(sonames.length);
}

describe('readElf on this machine', () => {
  it('/bin/ls: interpreter, DT_NEEDED and every import with its version, as readelf and nm see them', () => {
    const ls = readElf('/bin/ls');
    expect(ls).toMatchObject({ machine: 'x86_64', bits: 64, type: 'dyn', interpreter: '/lib64/ld-linux-x86-64.so.2', isStatic: false });
    expect(ls.needed).toContain('libc.so.6');
    expect(ls.imports.map((i) => i.name)).toEqual(expect.arrayContaining(['opendir', 'readdir', 'closedir']));
    expect(ls.imports.find((i) => i.name === 'opendir')).toEqual({
      name: 'opendir',
      version: 'GLIBC_2.2.5',
      library: 'libc.so.6',
      weak: false,
    });
    expect(ls.imports.find((i) => i.name === '_ITM_deregisterTMCloneTable')).toEqual({ name: '_ITM_deregisterTMCloneTable', weak: true });
    expectSymbolsMatchBinutils(ls);
    // Every versioned import names a library the program needs.
    for (const imp of ls.imports) if (imp.library) expect(ls.needed).toContain(imp.library);
  });

  it('the node binary: large, C++ imports (libstdc++ versions), as readelf and nm see them', () => {
    const node = readElf(process.execPath);
    expect(node.isStatic).toBe(false);
    expect(node.imports.length).toBeGreaterThan(300);
    expect(node.imports.some((i) => i.version?.startsWith('GLIBCXX_') && i.library === 'libstdc++.so.6')).toBe(true);
    expectSymbolsMatchBinutils(node);
  });

  it('a static busybox has no PT_DYNAMIC, so no imports', () => {
    requireTool('busybox');
    const busybox = readElf('/bin/busybox');
    expect(busybox).toMatchObject({ machine: 'x86_64', type: 'exec', isStatic: true, needed: [], imports: [], exports: 0 });
    expect(busybox.interpreter).toBeUndefined();
  });

  it('libc.so.6: soname, thousands of exports, needs the loader', () => {
    const libc = resolveLibraries(readElf('/bin/ls')).libraries.find((l) => l.name === 'libc.so.6');
    expect(libc).toBeDefined();
    const elf = readElf(libc!.path);
    expect(elf).toMatchObject({ soname: 'libc.so.6', type: 'dyn', isStatic: false });
    expect(elf.exports).toBeGreaterThan(1000);
    expect(elf.needed).toContain('ld-linux-x86-64.so.2');
    expectSymbolsMatchBinutils(elf);
  });
});

describe('resolveLibraries', () => {
  it.each([
    ['/bin/ls', {}],
    [process.execPath, {}],
    ['/bin/ls', { cacheFile: join(dir, 'no-such-cache') }], // no cache: the default directories find the same files
    [process.execPath, { cacheFile: '/bin/ls' }], // not a cache: skipped the same way
  ])('%s %j matches ldd', (path, options) => {
    expectLikeLdd(readElf(path), options);
  });

  it('the loader is the interpreter path, listed once (libc needs it by soname)', () => {
    const { libraries, missing } = resolveLibraries(readElf('/bin/ls'));
    expect(missing).toEqual([]);
    expect(libraries.filter((l) => l.name === 'ld-linux-x86-64.so.2')).toEqual([
      expect.objectContaining({ path: '/lib64/ld-linux-x86-64.so.2' }),
    ]);
    expect(libraries[0]).toMatchObject({ neededBy: '/bin/ls' });
  });

  it('reads /etc/ld.so.cache like ldconfig -p', () => {
    const entries = readLdCache('/etc/ld.so.cache');
    expect(entries).toBeDefined();
    const ldconfig = run('/sbin/ldconfig', ['-p'])
      .split('\n')
      .flatMap((l) => {
        const m = /^\s+(\S+) \(([^)]*)\) => (\S+)$/.exec(l);
        return m ? [`${m[1]} ${m[3]}`] : [];
      });
    expect(entries!.map((e) => `${e.name} ${e.path}`)).toEqual(ldconfig);
    expect(entries!.find((e) => e.name === 'libc.so.6')?.flags).toBe(0x0303);
  });
});

// ---- Tiny binaries linked here: ELF32, DT_HASH, run paths ------------------------------------

interface Fixture {
  readonly exe: string;
  readonly libv: string;
  readonly libw: string;
}

const ASM = {
  x86_64: {
    as: '--64',
    ld: 'elf_x86_64',
    loader: '/lib64/ld-linux-x86-64.so.2',
    call: (f: string) => `call ${f}@PLT`,
    exit: 'mov $60, %eax\n xor %edi, %edi\n syscall',
  },
  i386: {
    as: '--32',
    ld: 'elf_i386',
    loader: '/lib/ld-linux.so.2',
    call: (f: string) => `call ${f}`,
    exit: 'mov $1, %eax\n xor %ebx, %ebx\n int $0x80',
  },
} as const;

/**
 * exe (run path `$ORIGIN/lib`) → lib/libv.so.1 (foo@V_1, bar@V_2, data object obj) → lib/libw.so.1 (w1@W_1).
 * libv has no run path of its own: it finds libw only through an inherited DT_RPATH.
 */
function linkFixture(arch: keyof typeof ASM, hash: 'gnu' | 'sysv', tags: 'rpath' | 'runpath'): Fixture {
  requireTool('as');
  requireTool('ld');
  const a = ASM[arch];
  const root = join(dir, `${arch}-${hash}-${tags}`);
  const lib = join(root, 'lib');
  mkdirSync(lib, { recursive: true });
  const src = (name: string, text: string): string => {
    writeFileSync(join(root, `${name}.s`), text);
    run('as', [a.as, '-o', join(root, `${name}.o`), join(root, `${name}.s`)]);
    return join(root, `${name}.o`);
  };
  const shared = (name: string, soname: string, map: string, objects: string[], extra: string[] = []): string => {
    writeFileSync(join(root, `${name}.map`), map);
    const out = join(lib, soname);
    run('ld', [
      '-m',
      a.ld,
      '-shared',
      `--hash-style=${hash}`,
      '-soname',
      soname,
      '--version-script',
      join(root, `${name}.map`),
      '-o',
      out,
      ...objects,
      ...extra,
    ]);
    return out;
  };
  const fn = (name: string) => `.globl ${name}\n.type ${name},@function\n${name}: ret\n`;
  const libw = shared('w', 'libw.so.1', 'W_1 { global: w1; local: *; };', [src('w', `.text\n${fn('w1')}`)]);
  const libv = shared(
    'v',
    'libv.so.1',
    'V_1 { global: foo; obj; local: *; };\nV_2 { global: bar; } V_1;',
    [
      src(
        'v',
        `.text\n${fn('foo')}${fn('bar')}\ncall_w: ${a.call('w1')}\n.data\n.globl obj\n.type obj,@object\n.size obj,4\nobj: .long 1\n`,
      ),
    ],
    [libw],
  );
  const exeObj = src('exe', `.text\n.globl _start\n_start:\n ${a.call('foo')}\n ${a.call('bar')}\n ${a.exit}\n`);
  const exe = join(root, 'exe');
  const dtags = tags === 'runpath' ? '--enable-new-dtags' : '--disable-new-dtags';
  run('ld', [
    '-m',
    a.ld,
    '-pie',
    `--hash-style=${hash}`,
    dtags,
    '-rpath',
    '$ORIGIN/lib',
    '-rpath-link',
    lib,
    '-dynamic-linker',
    a.loader,
    '-o',
    exe,
    exeObj,
    libv,
  ]);
  return { exe, libv, libw };
}

describe('tiny binaries linked here', () => {
  const rows = (['x86_64', 'i386'] as const).flatMap((arch) => (['gnu', 'sysv'] as const).map((hash) => ({ arch, hash })));

  it.each(rows)('$arch with DT_$hash hash: imports, versions, exports as readelf sees them', ({ arch, hash }) => {
    const f = linkFixture(arch, hash, 'runpath');
    const exe = readElf(f.exe);
    expect(exe).toMatchObject({
      machine: arch,
      bits: arch === 'i386' ? 32 : 64,
      type: 'dyn',
      interpreter: ASM[arch].loader,
      needed: ['libv.so.1'],
      runpath: ['$ORIGIN/lib'],
      usesRunpath: true,
    });
    expect(exe.imports).toEqual(
      expect.arrayContaining([
        { name: 'foo', version: 'V_1', library: 'libv.so.1', weak: false },
        { name: 'bar', version: 'V_2', library: 'libv.so.1', weak: false },
      ]),
    );
    expectSymbolsMatchBinutils(exe);
    const libv = readElf(f.libv);
    expect(libv).toMatchObject({
      soname: 'libv.so.1',
      needed: ['libw.so.1'],
      runpath: [],
      imports: [{ name: 'w1', version: 'W_1', library: 'libw.so.1', weak: false }],
    });
    expectSymbolsMatchBinutils(libv);
  });

  it('i386: DT_RUNPATH finds libv, but libv cannot inherit it to find libw', () => {
    const f = linkFixture('i386', 'gnu', 'runpath');
    const { libraries, missing } = resolveLibraries(readElf(f.exe));
    expect(libraries.map((l) => [l.name, l.path, l.neededBy])).toEqual([['libv.so.1', f.libv, f.exe]]);
    expect(missing).toEqual([{ name: 'libw.so.1', neededBy: f.libv }]);
  });

  it('i386: DT_RPATH is inherited, so libw is found too; an x86_64 libw in the way is skipped', () => {
    const f = linkFixture('i386', 'gnu', 'rpath');
    const other = linkFixture('x86_64', 'gnu', 'rpath');
    const searchDir = join(dir, 'wrong-class');
    mkdirSync(searchDir, { recursive: true });
    copyFileSync(other.libw, join(searchDir, 'libw.so.1'));
    const { libraries, missing } = resolveLibraries(readElf(f.exe), { searchPath: [searchDir] });
    expect(libraries.map((l) => [l.name, l.path, l.neededBy])).toEqual([
      ['libv.so.1', f.libv, f.exe],
      ['libw.so.1', f.libw, f.libv],
    ]);
    expect(missing).toEqual([]);
  });

  it.each(['rpath', 'runpath'] as const)('x86_64 %s with $ORIGIN matches ldd (found and not found)', (tags) => {
    expectLikeLdd(readElf(linkFixture('x86_64', 'gnu', tags).exe));
  });

  it("a symlinked program: $ORIGIN is the real directory, as when it is exec'd", () => {
    const f = linkFixture('x86_64', 'gnu', 'rpath');
    const link = join(dir, 'symlinked-exe');
    symlinkSync(f.exe, link);
    const { libraries } = resolveLibraries(readElf(link));
    expect(libraries.map((l) => l.path)).toEqual([f.libv, f.libw]);
    expectLikeLdd(readElf(link), {}, true);
  });
});

// ---- #! scripts -----------------------------------------------------------------------------

describe('#! scripts', () => {
  it.each([
    { name: 'plain', text: '#!/bin/sh\necho hi\n', want: { interpreter: '/bin/sh' } },
    { name: 'env', text: '#!/usr/bin/env python3\nprint(1)\n', want: { interpreter: '/usr/bin/env', arg: 'python3' } },
    {
      name: 'spaces around, one argument with spaces',
      text: '#!  /usr/bin/perl  -w -T \t\n',
      want: { interpreter: '/usr/bin/perl', arg: '-w -T' },
    },
    { name: 'tab separator', text: '#!/bin/bash\t-e\n', want: { interpreter: '/bin/bash', arg: '-e' } },
    { name: 'no newline', text: '#!/bin/sh', want: { interpreter: '/bin/sh' } },
    { name: 'CR stays part of the name, as in the kernel', text: '#!/bin/sh\r\n', want: { interpreter: '/bin/sh\r' } },
    {
      name: 'only the first 255 bytes count',
      text: `#!/bin/sh ${'x'.repeat(300)}\n`,
      want: { interpreter: '/bin/sh', arg: 'x'.repeat(255 - 10) },
    },
    { name: 'interpreter cut off by the limit', text: `#!/${'d'.repeat(300)}\n`, want: undefined },
    { name: 'no interpreter', text: '#!   \n', want: undefined },
    { name: 'not a script', text: 'echo hi\n', want: undefined },
    { name: 'empty', text: '', want: undefined },
  ])('$name', ({ text, want }) => {
    expect(parseShebang(Buffer.from(text))).toEqual(want);
  });

  it('reads a script file, and follows env on a given PATH like command -v', () => {
    const sh = join(dir, 'script.sh');
    writeFileSync(sh, '#!/bin/sh\necho hi\n');
    expect(readShebang(sh)).toEqual({ interpreter: '/bin/sh' });
    expect(readShebang('/bin/ls')).toBeUndefined();
    const py = join(dir, 'script.py');
    writeFileSync(py, '#!/usr/bin/env python3\nprint(1)\n');
    const shebang = readShebang(py)!;
    const PATH = '/usr/local/bin:/usr/bin:/bin';
    const expected = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8', env: { PATH } }).stdout.trim();
    expect(expected).not.toBe('');
    expect(resolveShebangProgram(shebang, PATH)).toBe(expected);
    expect(resolveShebangProgram({ interpreter: '/bin/sh' }, PATH)).toBe('/bin/sh');
    expect(resolveShebangProgram({ interpreter: '/usr/bin/env', arg: '-S LC_ALL=C python3 -u' }, '/a:/b', (p) => p === '/b/python3')).toBe(
      '/b/python3',
    );
    expect(resolveShebangProgram({ interpreter: '/usr/bin/env', arg: 'nosuchprogram' }, PATH)).toBeUndefined();
    expect(resolveShebangProgram({ interpreter: '/usr/bin/env' }, PATH)).toBeUndefined();
  });
});

// ---- Bad input ------------------------------------------------------------------------------

describe('bad input is a one-line ElfError naming the file', () => {
  const ls = readFileSync('/bin/ls');
  let n = 0;
  const write = (bytes: Uint8Array | string): string => {
    const path = join(dir, `bad-${process.pid}-${n++}`);
    writeFileSync(path, bytes);
    return path;
  };
  const errorOf = (path: string): ElfError => {
    try {
      readElf(path);
    } catch (err) {
      expect(err).toBeInstanceOf(ElfError);
      expect((err as Error).message).not.toContain('\n');
      expect((err as Error).message.startsWith(`${path}: `)).toBe(true);
      return err as ElfError;
    }
    throw new Error(`${path} was read without error`);
  };
  const patched = (at: number, bytes: Buffer): Buffer => {
    const copy = Buffer.from(ls);
    bytes.copy(copy, at);
    return copy;
  };
  const u64 = (n: bigint): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return b;
  };

  it.each([
    { name: 'a text file', bytes: () => 'hello world\n', want: /: not an ELF file$/ },
    { name: 'an empty file', bytes: () => '', want: /: not an ELF file$/ },
    { name: 'a shell script', bytes: () => '#!/bin/sh\n', want: /: not an ELF file$/ },
    { name: 'the first 10 bytes of ls', bytes: () => ls.subarray(0, 10), want: /: truncated ELF header$/ },
    { name: 'the first 40 bytes of ls', bytes: () => ls.subarray(0, 40), want: /: truncated ELF header$/ },
    {
      name: 'the first 100 bytes of ls',
      bytes: () => ls.subarray(0, 100),
      want: /program headers .* past the end of the file \(100 bytes\): truncated or corrupt$/,
    },
    {
      name: 'the first 5000 bytes of ls',
      bytes: () => ls.subarray(0, 5000),
      want: /PT_DYNAMIC .* past the end of the file \(5000 bytes\): truncated or corrupt$/,
    },
    {
      name: 'a corrupt e_phoff',
      bytes: () => patched(32, u64(0x7fff_0000n)),
      want: /program headers \(offset 0x7fff0000, 728 bytes\) lies past the end/,
    },
    { name: 'an e_phoff beyond 2^53', bytes: () => patched(32, u64(0xffff_ffff_ffff_fff0n)), want: /program headers .* lies past the end/ },
    { name: 'big-endian', bytes: () => patched(5, Buffer.from([2])), want: /: big-endian ELF is not supported$/ },
    { name: 'an unknown class', bytes: () => patched(4, Buffer.from([3])), want: /: unsupported ELF class 3$/ },
  ])('$name', ({ bytes, want }) => {
    expect(errorOf(write(bytes())).message).toMatch(want);
  });

  it('a directory, a missing file', () => {
    expect(errorOf(dir).message).toBe(`${dir}: is a directory`);
    expect(errorOf(join(dir, 'nope')).message).toBe(`${join(dir, 'nope')}: cannot read (ENOENT)`);
  });

  it('every truncation of a small binary and random corruption of its headers: ElfError or a result, nothing else', () => {
    const exe = readFileSync(linkFixture('x86_64', 'gnu', 'runpath').exe);
    const path = join(dir, `fuzz-${process.pid}`);
    const attempt = (bytes: Uint8Array): void => {
      writeFileSync(path, bytes);
      try {
        readElf(path);
      } catch (err) {
        if (!(err instanceof ElfError)) throw new Error(`not an ElfError: ${(err as Error).stack}`);
      }
    };
    for (let len = 0; len < exe.length; len += 7) attempt(exe.subarray(0, len));
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 500; i++) {
      const copy = Buffer.from(exe);
      for (let k = 0, flips = 1 + random(4); k < flips; k++) copy[random(Math.min(copy.length, 4096))] = random(256);
      attempt(copy);
    }
  });
});
