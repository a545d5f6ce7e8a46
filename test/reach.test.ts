/**
 * Static hints follow the code: test/workloads/call-graph.c has a known call graph, built
 * here with the code generators' variants (PIE and not, -fno-plt, IBT, stripped so only
 * .eh_frame bounds the functions). An import only counts when code that can run reaches it,
 * and each candidate names the shortest call chain.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { staticHints } from '../src/learn/hints/index.js';
import { codeGraph } from '../src/learn/hints/code-graph.js';
import { ElfError } from '../src/learn/hints/elf.js';
import type { Profile } from '../src/profile/types.js';
import type { Candidate } from '../src/policy/policy.js';
import { requireTool, ROOT, tempDir } from './helpers.js';

const SOURCE = join(ROOT, 'test', 'workloads', 'call-graph.c');
let dir: string;

beforeAll(() => {
  dir = tempDir('sbx-reach-');
  // Each test run builds its call graphs afresh, into its own cache.
  process.env.XDG_CACHE_HOME = join(dir, 'cache');
});

function build(name: string, flags: readonly string[]): string {
  requireTool('gcc');
  const out = join(dir, name);
  const r = spawnSync('gcc', [...flags, '-o', out, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${flags.join(' ')}: ${r.stderr}`);
  return out;
}

/** Hints for a profile whose only executable is `path` and which observed nothing. */
function hintsFor(path: string): { candidates: readonly Candidate[]; find: (syscall: string) => Candidate | undefined } {
  const profile = { executables: [{ path }], syscalls: [], runs: [] } as unknown as Profile;
  const { candidates } = staticHints(profile, ['x86_64']);
  return { candidates, find: (syscall) => candidates.find((c) => c.syscall === syscall) };
}

const VARIANTS: [string, string[]][] = [
  ['pie', ['-O2']],
  ['no-plt', ['-O2', '-fno-plt']],
  ['no-pie', ['-O0', '-no-pie']],
  ['ibt', ['-O2', '-fcf-protection=full']],
  ['stripped', ['-O2', '-s']],
];

describe.each(VARIANTS)('call-graph.c built %s', (name, flags) => {
  let program: string;
  beforeAll(() => {
    program = build(name, flags);
  });

  it('fork, called only from a function nothing reaches, is not evidence', () => {
    const { candidates } = hintsFor(program);
    // The shell the program starts forks; the program's own code never reaches its fork.
    expect(candidates.flatMap((c) => c.evidence).filter((e) => /\bfork@/.test(e) && !e.includes('exec /bin/sh'))).toEqual([]);
  });

  it("a function whose address is taken stays reachable: signal()'s handler, a table in data", () => {
    const { find } = hintsFor(program);
    expect(find('mlockall')).toMatchObject({ tier: 'main' });
    expect(find('chroot')).toMatchObject({ tier: 'main' });
    if (name !== 'stripped') {
      expect(find('mlockall')!.evidence[0]).toBe(`${name}: main → on_signal → mlockall@GLIBC_2.2.5`);
      expect(find('chroot')!.evidence[0]).toMatch(new RegExp(`^${name}: \\(pointer in data\\) enter_root → chroot@GLIBC_2\\.2\\.5$`));
    } else {
      expect(find('mlockall')!.evidence[0]).toMatch(/^stripped: main → fn@0x[0-9a-f]+ → mlockall@GLIBC_2\.2\.5$/);
    }
  });

  it('system() reachable: /bin/sh runs, and what the shell reaches counts with the chain through it', () => {
    requireTool('sh');
    const { find } = hintsFor(program);
    // dash (or bash) reaches umask for its builtin; the program itself never calls it.
    const umask = find('umask');
    expect(umask?.tier).toBe('main');
    expect(umask!.evidence[0]).toMatch(new RegExp(`^${name}: main → system: exec /bin/sh → (dash|bash): .*umask@GLIBC_2\\.2\\.5$`));
  });
});

describe('a shell path nothing reaches', () => {
  it('"/bin/sh" and execl() only in an unreachable function: neither the shell nor execl counts', () => {
    const program = build('unreachable-shell', ['-O2', '-DSHELL_UNREACHABLE']);
    const { candidates, find } = hintsFor(program);
    // The string is in the file and points at a program, but no reachable code uses it.
    expect(codeGraph(program).strings.map(([, path]) => path)).toContain('/bin/sh');
    expect(candidates.flatMap((c) => c.evidence).filter((e) => e.includes('exec /bin/sh'))).toEqual([]);
    expect(candidates.flatMap((c) => c.evidence).filter((e) => e.includes('execl@'))).toEqual([]);
    expect(find('umask')).toBeUndefined();
    expect(find('clone')).toBeUndefined();
    expect(find('mlockall')?.tier).toBe('main');
  });
});

describe('code that cannot be analysed', () => {
  it('a file whose section headers are gone: every import counts, after the chain that ran it, with why', () => {
    const program = build('no-sections', ['-O2']);
    const image = readFileSync(program);
    image.fill(0, 0x28, 0x30); // e_shoff = 0: the loader does not need section headers
    const broken = join(dir, 'no-sections-broken');
    writeFileSync(broken, image, { mode: 0o755 });
    const { find } = hintsFor(broken);
    // fork is imported: unanalysed, it counts (nothing is silently lost), and the evidence says why.
    expect(find('clone')?.tier).toBe('main');
    expect(find('clone')!.evidence.some((e) => /no-sections-broken imports fork@GLIBC_2\.2\.5 \(.*no section headers/.test(e))).toBe(true);
  });

  it('bytes that are not an ELF file are an ElfError, never a RangeError', () => {
    const junk = join(dir, 'junk');
    writeFileSync(junk, Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01'), Buffer.alloc(80, 0xff)]));
    expect(() => codeGraph(junk)).toThrow(ElfError);
  });
});

describe('the call graph cache', () => {
  it('is keyed by content: a copy of a file reads the cached graph, identical to a fresh build', () => {
    const program = build('cached', ['-O2']);
    const first = codeGraph(program);
    const copy = build('cached-copy', ['-O2']);
    expect(codeGraph(copy)).toBe(first);
  });
});
