import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { X32_SYSCALL_BIT, type ArchName } from '../src/linux/arch.js';
import { parseSyscallName, syscallName, syscallNameOrNumber, syscallNumber, syscallTable } from '../src/linux/syscalls.js';
import { SYSCALL_KERNELS } from '../src/linux/tables/kernel-versions.js';
import { compareKernels, headerNames, headersTarget, kernelTarget } from '../src/linux/target-syscalls.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TBL_DIR = join(ROOT, 'scripts', 'syscall-tables');
const HEADER_DIR = '/usr/include/x86_64-linux-gnu/asm';
const CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const ARCH_NAMES: readonly ArchName[] = ['x86_64', 'x32', 'i386', 'aarch64'];

/** An independent reading of a .tbl: `<nr> <abi> <name> ...`, '#' comments. */
function tblEntries(file: string): { nr: number; abi: string; name: string }[] {
  const out: { nr: number; abi: string; name: string }[] = [];
  for (const raw of readFileSync(join(TBL_DIR, file), 'utf8').split('\n')) {
    const line = raw.split('#')[0]!.trim();
    if (!line) continue;
    const [nr, abi, name] = line.split(/\s+/);
    out.push({ nr: Number(nr), abi: abi!, name: name! });
  }
  return out;
}

/** Which .tbl entries make up each arch (as the kernel's Makefiles pick them). */
const TBL_OF: Record<ArchName, { file: string; abis: string[]; bit: number }> = {
  x86_64: { file: 'syscall_64.tbl', abis: ['common', '64'], bit: 0 },
  x32: { file: 'syscall_64.tbl', abis: ['common', 'x32'], bit: X32_SYSCALL_BIT },
  i386: { file: 'syscall_32.tbl', abis: ['i386'], bit: 0 },
  aarch64: { file: 'syscall.tbl', abis: ['common', '64', 'renameat', 'newstat', 'rlimit', 'memfd_secret'], bit: 0 },
};

function archTblEntries(arch: ArchName): { nr: number; name: string }[] {
  const { file, abis, bit } = TBL_OF[arch];
  const own = tblEntries(file)
    .filter((e) => abis.includes(e.abi))
    .map((e) => ({ nr: e.nr + bit, name: e.name }));
  if (arch === 'aarch64') return own;
  // Shared numbering (>= 424, Linux 5.1+): the generic table supplies what the x86 copies lack.
  const last = Math.max(...own.map((e) => e.nr - bit).filter((nr) => nr < 512));
  const tail = tblEntries('syscall.tbl')
    .filter((e) => e.abi === 'common' && e.nr >= 424 && e.nr > last)
    .map((e) => ({ nr: e.nr + bit, name: e.name }));
  return [...own, ...tail];
}

/** `#define __NR_name nr` (or `(__X32_SYSCALL_BIT + nr)`) from a uapi unistd header. */
function headerDefines(file: string): Map<string, number> {
  const out = new Map<string, number>();
  const text = readFileSync(join(HEADER_DIR, file), 'utf8');
  for (const m of text.matchAll(/^#define __NR_(\w+)\s+(?:(\d+)|\(__X32_SYSCALL_BIT \+ (\d+)\))\s*$/gm)) {
    out.set(m[1]!, m[2] !== undefined ? Number(m[2]) : X32_SYSCALL_BIT + Number(m[3]));
  }
  return out;
}

/** A header-backed test: runs if the header exists, fails on CI if it does not, skips (visibly) otherwise. */
function headerTest(file: string, arch: ArchName, minDefines: number): void {
  const path = join(HEADER_DIR, file);
  const title = `${file} matches the ${arch} table`;
  if (!existsSync(path)) {
    if (CI) it(title, () => expect.fail(`${path} is missing; install linux-libc-dev`));
    else it.skip(`${title} (${path} missing; install linux-libc-dev)`, () => {});
    return;
  }
  it(title, () => {
    const defines = headerDefines(file);
    expect(defines.size).toBeGreaterThanOrEqual(minDefines);
    const mismatches: string[] = [];
    for (const [name, nr] of defines) {
      if (syscallNumber(arch, name) !== nr) mismatches.push(`${name}: header ${nr}, table ${syscallNumber(arch, name)}`);
      if (syscallName(arch, nr) !== name) mismatches.push(`${nr}: header ${name}, table ${syscallName(arch, nr)}`);
    }
    expect(mismatches).toEqual([]);
  });
}

describe('syscall tables against the installed kernel headers', () => {
  headerTest('unistd_64.h', 'x86_64', 300);
  headerTest('unistd_32.h', 'i386', 380);
  headerTest('unistd_x32.h', 'x32', 300);
});

describe('syscall tables against the .tbl files', () => {
  for (const arch of ARCH_NAMES) {
    it(`${arch} has every entry of ${TBL_OF[arch].file} for its abis plus the shared-number tail, and nothing else`, () => {
      const expected = archTblEntries(arch).sort((a, b) => a.nr - b.nr);
      expect(expected.length).toBeGreaterThan(300);
      expect(syscallTable(arch).map((e) => ({ nr: e.nr, name: e.name }))).toEqual(expected);
    });

    it(`${arch}: the largest entry of its tbl is present`, () => {
      const largest = archTblEntries(arch).reduce((a, b) => (b.nr > a.nr ? b : a));
      expect(syscallName(arch, largest.nr)).toBe(largest.name);
      expect(syscallNumber(arch, largest.name)).toBe(largest.nr);
    });

    it(`${arch}: table sorted by nr, name -> nr -> name round-trips for every entry`, () => {
      const table = syscallTable(arch);
      for (let i = 1; i < table.length; i++) expect(table[i]!.nr).toBeGreaterThan(table[i - 1]!.nr);
      for (const { nr, name } of table) {
        expect(syscallNumber(arch, name)).toBe(nr);
        expect(syscallName(arch, syscallNumber(arch, name)!)).toBe(name);
        expect(syscallNameOrNumber(arch, nr)).toBe(name);
        expect(parseSyscallName(arch, name)).toBe(nr);
      }
    });
  }

  it('knows the last entries of the tables we ship', () => {
    expect(syscallNumber('x86_64', 'mseal')).toBe(462);
    expect(syscallNumber('x32', 'pwritev2')).toBe(X32_SYSCALL_BIT + 547);
    expect(syscallNumber('i386', 'removexattrat')).toBe(466);
    expect(syscallNumber('aarch64', 'listns')).toBe(470);
    // x86 tables end at the shared-number tail, as upstream's syscall_64.tbl does.
    expect(syscallNumber('x86_64', 'listns')).toBe(470);
    expect(syscallNumber('x86_64', 'file_getattr')).toBe(468);
    expect(syscallNumber('i386', 'listns')).toBe(470);
    expect(syscallNumber('x32', 'listns')).toBe(X32_SYSCALL_BIT + 470);
  });
});

describe('well-known numbers', () => {
  it('x86_64', () => {
    expect(syscallNumber('x86_64', 'read')).toBe(0);
    expect(syscallNumber('x86_64', 'execve')).toBe(59);
    expect(syscallNumber('x86_64', 'clone3')).toBe(435);
    expect(syscallNumber('x86_64', 'exit_group')).toBe(231);
    expect(syscallName('x86_64', 59)).toBe('execve');
  });

  it('x32 carries the x32 bit and has its own numbers for the compat calls', () => {
    expect(syscallNumber('x32', 'read')).toBe(X32_SYSCALL_BIT + 0);
    expect(syscallNumber('x32', 'execve')).toBe(X32_SYSCALL_BIT + 520);
    expect(syscallNumber('x32', 'rt_sigaction')).toBe(X32_SYSCALL_BIT + 512);
    expect(syscallName('x32', X32_SYSCALL_BIT + 59)).toBeUndefined(); // 59 is 64-only
    expect(syscallName('x32', X32_SYSCALL_BIT + 435)).toBe('clone3');
  });

  it('i386', () => {
    expect(syscallNumber('i386', 'exit')).toBe(1);
    expect(syscallNumber('i386', 'execve')).toBe(11);
    expect(syscallNumber('i386', 'socketcall')).toBe(102);
    expect(syscallName('i386', 102)).toBe('socketcall');
  });

  it('aarch64', () => {
    const known: [string, number][] = [
      ['read', 63],
      ['write', 64],
      ['openat', 56],
      ['clone', 220],
      ['execve', 221],
      ['exit_group', 94],
      ['clone3', 435],
      ['io_uring_setup', 425],
      ['renameat', 38],
      ['getrlimit', 163],
      ['memfd_secret', 447],
      ['newfstatat', 79],
      ['fstat', 80],
      ['mmap', 222],
    ];
    for (const [name, nr] of known) {
      expect(syscallNumber('aarch64', name), name).toBe(nr);
      expect(syscallName('aarch64', nr), String(nr)).toBe(name);
    }
  });

  it('aarch64 has no legacy calls', () => {
    for (const name of ['open', 'fork', 'stat', 'fcntl64', 'mmap2', 'cacheflush', 'riscv_hwprobe', 'clock_gettime64']) {
      expect(syscallNumber('aarch64', name), name).toBeUndefined();
    }
  });
});

describe('unknown numbers and the syscall_<nr> form', () => {
  it('unknown numbers give syscall_<nr>', () => {
    expect(syscallName('x86_64', 400)).toBeUndefined();
    expect(syscallNameOrNumber('x86_64', 400)).toBe('syscall_400');
    expect(syscallNameOrNumber('x86_64', 999)).toBe('syscall_999');
    expect(syscallNameOrNumber('i386', 222)).toBe('syscall_222');
    expect(syscallNameOrNumber('aarch64', 300)).toBe('syscall_300');
    expect(syscallNameOrNumber('aarch64', 244)).toBe('syscall_244'); // other arches' private range
  });

  it('x32 writes the number without the x32 bit', () => {
    expect(syscallNameOrNumber('x32', X32_SYSCALL_BIT + 59)).toBe('syscall_59');
    expect(syscallNameOrNumber('x32', X32_SYSCALL_BIT + 1000)).toBe('syscall_1000');
    expect(parseSyscallName('x32', 'syscall_59')).toBe(X32_SYSCALL_BIT + 59);
  });

  it('parseSyscallName reads names and syscall_<nr> back', () => {
    expect(parseSyscallName('x86_64', 'openat')).toBe(257);
    expect(parseSyscallName('x86_64', 'syscall_400')).toBe(400);
    expect(parseSyscallName('x86_64', 'syscall_0')).toBe(0);
    expect(parseSyscallName('i386', 'syscall_222')).toBe(222);
    for (const arch of ARCH_NAMES) {
      for (const n of [0, 7, 300, 999, 2047]) {
        const nr = arch === 'x32' ? X32_SYSCALL_BIT + n : n;
        expect(parseSyscallName(arch, syscallNameOrNumber(arch, nr))).toBe(nr);
      }
    }
  });

  it('parseSyscallName rejects what is neither', () => {
    for (const text of [
      '',
      'nosuchcall',
      'OPENAT',
      'syscall_',
      'syscall_-1',
      'syscall_01',
      'syscall_1e3',
      'syscall_4294967296',
      ' read',
      'constructor',
      '__proto__',
    ]) {
      expect(parseSyscallName('x86_64', text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('lookups of odd numbers and names are undefined, not errors', () => {
    for (const nr of [-1, 1.5, NaN, Infinity, 2 ** 40]) {
      expect(syscallName('x86_64', nr)).toBeUndefined();
      expect(syscallName('x32', nr)).toBeUndefined();
    }
    expect(syscallNumber('x86_64', 'toString')).toBeUndefined();
    expect(syscallNumber('x86_64', 'hasOwnProperty')).toBeUndefined();
  });
});

describe('generated tables', () => {
  it('are up to date with scripts/gen-syscall-tables.mjs', () => {
    const out = mkdtempSync(join(tmpdir(), 'sbx-syscall-tables-'));
    try {
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'gen-syscall-tables.mjs'), '--out', out]);
      const generated = readdirSync(out).sort();
      expect(generated).toEqual(['aarch64.ts', 'i386.ts', 'x32.ts', 'x86_64.ts']);
      for (const file of generated) {
        const committed = readFileSync(join(ROOT, 'src', 'linux', 'tables', file), 'utf8');
        expect(committed, `src/linux/tables/${file} is stale; run node scripts/gen-syscall-tables.mjs`).toBe(
          readFileSync(join(out, file), 'utf8'),
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('say where they come from', () => {
    for (const file of readdirSync(join(ROOT, 'src', 'linux', 'tables'))) {
      const head = readFileSync(join(ROOT, 'src', 'linux', 'tables', file), 'utf8').split('\n')[0];
      if (file === 'kernel-versions.ts') expect(head).toBe('// generated by scripts/gen-syscall-kernels.mjs, do not edit');
      else expect(head).toMatch(/^\/\/ generated by scripts\/gen-syscall-tables\.mjs from scripts\/syscall-tables\/\S+\.tbl, do not edit$/);
    }
  });
});

describe('the release each syscall appeared in (--target-kernel)', () => {
  it('covers every syscall of every arch, as a range earliest <= latest', () => {
    for (const arch of ARCH_NAMES)
      for (const { name } of syscallTable(arch)) {
        const range = SYSCALL_KERNELS[arch]?.[name];
        expect(range, `${arch} ${name}`).toBeDefined();
        expect(compareKernels(range![0], range![1]), `${arch} ${name}`).toBeLessThanOrEqual(0);
      }
  });

  it.each([
    ['openat2', '5.6', '5.6'],
    ['clone3', '5.3', '5.3'],
    ['epoll_pwait2', '5.11', '5.11'],
    ['process_mrelease', '5.15', '5.15'],
    ['cachestat', '6.3', '6.12'],
    // syscalls(2) leaves their Kernel column empty and says in a note: added as pread/pwrite in 2.2, renamed in 2.6
    ['pread64', '2.6', '2.6'],
    ['pwrite64', '2.6', '2.6'],
  ])('%s: %s..%s', (name, earliest, latest) => {
    expect(SYSCALL_KERNELS.x86_64![name]).toEqual([earliest, latest]);
  });

  it('a target lacks what came later, and what may have', () => {
    const linux61 = kernelTarget('6.1');
    expect(linux61.lacks('x86_64', 'openat2')).toBeUndefined();
    expect(linux61.lacks('x86_64', 'cachestat')).toBe('added in one of 6.3..6.12');
    expect(kernelTarget('5.10').lacks('x86_64', 'epoll_pwait2')).toBe('added in 5.11');
    expect(kernelTarget('6.12').lacks('x86_64', 'cachestat')).toBeUndefined();
    expect(compareKernels('5.19', '6.1')).toBeLessThan(0);
    expect(compareKernels('6.10', '6.9')).toBeGreaterThan(0);
  });

  it('the installed uapi headers: the names sbx knows that they lack are the newer ones', () => {
    const file = join(HEADER_DIR, 'unistd_64.h');
    if (!existsSync(file)) {
      if (CI) throw new Error(`${file} is missing (linux-libc-dev)`);
      return;
    }
    const inHeaders = headerNames(readFileSync(file, 'utf8'));
    const target = headersTarget(['x86_64']);
    const lacking = syscallTable('x86_64')
      .filter((e) => target.lacks('x86_64', e.name) !== undefined)
      .map((e) => e.name);
    expect(lacking.every((n) => !inHeaders.has(n))).toBe(true);
    expect(inHeaders.has('read') && target.lacks('x86_64', 'read') === undefined).toBe(true);
    // and sbx's table agrees: each may have appeared after the headers' release
    const release = /^Linux (\d+\.\d+)/.exec(target.describe.replace(/^.*\(/, ''))?.[1];
    expect(release).toBeDefined();
    for (const name of lacking) expect(kernelTarget(release!).lacks('x86_64', name), name).toBeDefined();
  });
});
