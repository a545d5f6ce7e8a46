/**
 * Static hints end to end on a workload that knows its answer: two-paths imports socket, bind,
 * listen, fallocate and unlink whichever path runs, so a run without arguments leaves exactly
 * those as candidates imported by the executable, and the held-out runs that take the other
 * paths need exactly them. Then the candidates are enforced for real with sbx run.
 */
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJson, requireTool, runSbx, tempDir, workload } from './helpers.js';
import { staticHints } from '../src/learn/hints/index.js';
import { checkPolicy, policyToJson, type Policy } from '../src/policy/policy.js';
import type { Profile } from '../src/profile/types.js';

const OTHER_PATHS = ['bind', 'fallocate', 'listen', 'socket', 'unlink'];

let dir: string;
let program: string;
let base: string;

async function learn(name: string, args: string[]): Promise<string> {
  const out = join(dir, `${name}.profile.json`);
  const r = await runSbx(['learn', '-q', '-o', out, '--', program, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

beforeAll(async () => {
  dir = tempDir('sbx-hints-');
  program = workload('two-paths');
  base = await learn('base', []);
}, 60_000);

describe('candidates from the executable', () => {
  it('names what the run did not do, with the import as evidence, and catches every held-out miss', async () => {
    const held = [await learn('listen', ['listen']), await learn('file', ['file'])];
    const out = join(dir, 'policy.json');
    const r = await runSbx(['propose', base, '-o', out, '--held-out', ...held]);
    expect(r.code, r.stderr).toBe(0);
    const policy = readJson<ReturnType<typeof policyToJson> & Policy>(out);
    const main = policy.hints!.candidates.filter((c) => c.tier === 'main').map((c) => c.syscall);
    expect(main).toEqual(expect.arrayContaining(OTHER_PATHS));
    const bind = policy.hints!.candidates.find((c) => c.syscall === 'bind')!;
    expect(bind.evidence[0]).toMatch(/^two-paths-[0-9a-f]+: main → bind@GLIBC_2\.2\.5$/);
    expect(policy.heldOut!.misses.map((m) => m.syscall).sort()).toEqual(OTHER_PATHS);
    expect(policy.heldOut!.misses.find((m) => m.syscall === 'fallocate')!.from).toEqual([held[1]]);
    // Listed for review, never allowed by default.
    expect(policy.rules.filter((rule) => rule.provenance.source === 'hint')).toEqual([]);
    expect(r.stderr).toMatch(/static hints, executables +5\/5 100\.0% +proposing +\d+ unobserved/);
    expect(r.stderr).toMatch(/ranked: the first \d+ candidates \(1\.5× the misses, --candidates \d+\) flag 5\/5 100\.0%/);
    expect(r.stderr).toMatch(/this policy allows 0 of the 5/);
  }, 60_000);

  it('--candidates main allows them, and the path the learning run never took then runs under enforcement', async () => {
    const allowed = join(dir, 'main.json');
    const strict = join(dir, 'none.json');
    expect((await runSbx(['propose', '-q', base, '-o', allowed, '--candidates', 'main'])).code).toBe(0);
    expect((await runSbx(['propose', '-q', base, '-o', strict])).code).toBe(0);
    const rules = readJson<Policy>(allowed).rules.filter((rule) => rule.provenance.source === 'hint');
    expect(rules.map((rule) => rule.syscall)).toEqual(expect.arrayContaining(OTHER_PATHS));
    expect(rules.find((rule) => rule.syscall === 'listen')!.reason).toMatch(/^not observed; reachable: two-paths-\w+: main → listen@GLIBC/);
    const ok = await runSbx(['run', '--policy', allowed, '--', program, 'listen']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('done\n');
    const killed = await runSbx(['run', '--policy', strict, '--', program, 'listen']);
    expect(killed.code).toBe(128 + 31); // SIGSYS at socket()
  }, 60_000);

  it('--candidates N allows the first N candidates in rank order, and no others', async () => {
    const out = join(dir, 'first3.json');
    expect((await runSbx(['propose', '-q', base, '-o', out, '--candidates', '3'])).code).toBe(0);
    const policy = readJson<Policy>(out);
    const first = policy.hints!.candidates.slice(0, 3).map((c) => c.syscall);
    const allowed = policy.rules.filter((rule) => rule.provenance.source === 'hint').map((rule) => rule.syscall);
    expect(allowed.length).toBeGreaterThan(0);
    expect(first).toEqual(expect.arrayContaining(allowed));
  });

  it('--no-hints leaves them out; --candidates without hints is a one-line error', async () => {
    const out = join(dir, 'nohints.json');
    expect((await runSbx(['propose', '-q', '--no-hints', base, '-o', out])).code).toBe(0);
    expect(readJson<Policy>(out).hints).toBeUndefined();
    const bad = await runSbx(['propose', '--no-hints', '--candidates', 'all', base]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toBe('sbx: --candidates all needs the static hints that --no-hints turns off\n');
  });

  it.each([
    // usage errors (commander's): exit 2 like other bad input, the error and a pointer to --help
    [
      ['--candidates', 'some'],
      2,
      /^error: option '--candidates <which>' argument 'some' is invalid\. expected none, main, all or a number of candidates\n\(run with --help for usage\)\n$/,
    ],
    [['--held-out', '/no/such.json'], 2, /^sbx: cannot read \/no\/such\.json: ENOENT\n$/],
  ])('bad input %j: one error, exit %i, nothing written', async (args, code, message) => {
    const out = join(dir, 'never.json');
    const r = await runSbx(['propose', base, '-o', out, ...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });
});

describe('modules the program opened', () => {
  it("with --paths, a dlopen()ed module counts as a library: python's mmap module imports msync", async () => {
    const python = requireTool('python3.11');
    const run = async (paths: string[]) => {
      const out = join(dir, `mmap${paths.length}.json`);
      expect((await runSbx(['learn', '-q', ...paths, '-o', out, '--', python, '-c', 'import mmap'])).code).toBe(0);
      return staticHints(readJson(out), ['x86_64']).candidates.find((c) => c.syscall === 'msync');
    };
    // Without the opened paths, nothing the interpreter or its DT_NEEDED libraries import reaches msync.
    expect(await run([])).toBeUndefined();
    const msync = await run(['--paths']);
    expect(msync).toMatchObject({ tier: 'library', evidence: ['mmap.cpython-311-x86_64-linux-gnu.so imports msync@GLIBC_2.2.5'] });
  }, 60_000);
});

describe('executables the hints cannot read', () => {
  const withExecutables = (paths: string[]): Profile => {
    const profile = readJson(base);
    return { ...profile, executables: paths.map((path) => ({ ...profile.executables[0]!, path })) };
  };

  it('a static binary: no imports, so what it can call is unknown (said, not guessed)', () => {
    const hints = staticHints(withExecutables(['/bin/busybox']), ['x86_64']);
    expect(hints.candidates).toEqual([]);
    expect(hints.unknown).toEqual(['/bin/busybox: statically linked, no imports to read: what it can call is unknown']);
  });

  it('a binary that is gone: named, and the others still give hints', () => {
    const hints = staticHints(withExecutables(['/no/such/program', program]), ['x86_64']);
    expect(hints.unknown).toEqual(['/no/such/program: not on this machine (hints read the files the runs used)']);
    expect(hints.candidates.map((c) => c.syscall)).toEqual(expect.arrayContaining(OTHER_PATHS));
  });

  it('a script is followed to its #! interpreter, through env', () => {
    const script = join(dir, 'hello.sh');
    writeFileSync(script, '#!/usr/bin/env sh\necho hi\n');
    chmodSync(script, 0o755);
    const hints = staticHints(withExecutables([script]), ['x86_64']);
    expect(hints.unknown).toEqual([]);
    // The shell imports kill for its builtin; a two-paths run never made it.
    const kill = hints.candidates.find((c) => c.syscall === 'kill');
    expect(kill?.tier).toBe('main');
    expect(kill?.evidence[0]).toMatch(/^(dash|bash): .* → kill@GLIBC_2\.2\.5$/);
  });

  it('a file that is neither ELF nor a script', () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'just text\n');
    const hints = staticHints(withExecutables([text]), ['x86_64']);
    expect(hints.unknown).toHaveLength(1);
    expect(hints.unknown[0]).toMatch(/notes\.txt.*not an ELF file/);
  });

  it('a binary of an arch without a syscall table is named', () => {
    // An x86_64 ELF with e_machine patched to SPARC (2).
    const odd = join(dir, 'odd-machine');
    copyFileSync(program, odd);
    const image = readFileSync(odd);
    image.writeUInt16LE(2, 18);
    writeFileSync(odd, image);
    const hints = staticHints(withExecutables([odd]), ['x86_64']);
    expect(hints.unknown[0]).toMatch(/odd-machine: .* binary, an arch sbx has no syscall table for/);
  });
});

describe('the policy keeps hints and held-out results', () => {
  const policyWith = (extra: Record<string, unknown>) => ({
    format: 'sbx-policy',
    version: 1,
    arches: ['x86_64'],
    defaultAction: 'kill-process',
    rules: [{ syscall: 'read', action: 'allow', provenance: { source: 'observed' } }],
    ...extra,
  });
  const hints = {
    candidates: [{ arch: 'x86_64', syscall: 'bind', tier: 'main', imports: 1, evidence: ['x imports bind@GLIBC_2.2.5'] }],
    anySyscall: [],
    unknown: [],
  };

  it('round-trips candidates, held-out misses and hint provenance', () => {
    const data = policyWith({
      hints,
      heldOut: { sources: ['qmp'], syscalls: 3, misses: [{ arch: 'x86_64', syscall: 'bind', calls: 2, from: ['qmp'] }] },
      rules: [
        { syscall: 'read', action: 'allow', provenance: { source: 'observed' } },
        { syscall: 'bind', action: 'allow', provenance: { source: 'hint', tier: 'main' } },
      ],
    });
    const policy = checkPolicy(data, 'p.json');
    expect(JSON.parse(JSON.stringify(policyToJson(policy)))).toEqual(data);
  });

  it.each([
    [
      { hints: { ...hints, candidates: [{ ...hints.candidates[0], tier: 'maybe' }] } },
      'p.json: /hints/candidates/0/tier: unknown tier "maybe" (expected main or library)',
    ],
    [
      { hints: { ...hints, candidates: [{ ...hints.candidates[0], syscall: 'bnid' }] } },
      'p.json: /hints/candidates/0/syscall: x86_64 has no syscall "bnid"',
    ],
    [{ hints: { ...hints, extra: 1 } }, 'p.json: /hints/extra: unknown field (expected one of candidates, anySyscall, unknown)'],
    [
      { heldOut: { sources: [], syscalls: 1, misses: [{ arch: 'i386', syscall: 'read', calls: 1, from: [] }] } },
      "p.json: /heldOut/misses/0/arch: i386 is not one of the policy's arches (x86_64)",
    ],
    [
      { rules: [{ syscall: 'read', action: 'allow', provenance: { source: 'hint' } }] },
      'p.json: /rules/0/provenance/tier: expected a string',
    ],
  ])('refuses bad hints at their spot (%#)', (extra, message) => {
    expect(() => checkPolicy(policyWith(extra), 'p.json')).toThrow(message);
  });
});
