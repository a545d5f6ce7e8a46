/**
 * How sbx starts (bin/sbx → bin/start.cjs → dist/bundle/sbx.cjs with its V8 code cache →
 * src/cli/start.ts): the cache `npm run build` wrote fits this node and bundle, sbx starts
 * without it or with one that does not fit, and bash's record of what sbx was started with
 * stays true (SIGQUIT ignored or not on entry); koffi loads straight from its binary.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { needsTracerWorker } from '../src/cli/arguments.js';
import koffi, { KOFFI_BINARY } from '../src/linux/koffi.js';
import { ROOT, runCommand, SBX, tempDir } from './helpers.js';

const BUNDLE = join(ROOT, 'dist', 'bundle', 'sbx.cjs');

describe('needsTracerWorker: a worker only where sbx asks while the program runs or runs scenarios', () => {
  const rows: [string, string[], boolean][] = [
    ['learn', ['-q', '--', 'true'], false],
    ['learn', ['--', 'true'], false],
    ['learn', ['--tui', '--', 'true'], false],
    ['learn', ['--scenarios', 's.json'], true],
    ['learn', ['--backend', 'ebpf', '--scenarios', 's.json'], false],
    ['learn', ['--backend=ebpf', '--', 'true'], false],
    ['learn', ['--', 'prog', '--ask'], false],
    ['run', ['--policy', 'p.json', '--', 'true'], false],
    ['run', ['--policy', 'p.json', '--complain', '--', 'true'], false],
    ['run', ['--policy', 'p.json', '--ask', '--', 'true'], true],
    ['validate', ['s.json'], true],
  ];
  it.for(rows)('%s %j → %s', ([command, args, expected]) => {
    expect(needsTracerWorker(command, args)).toBe(expected);
  });
});

it("koffi is its prebuilt binary, loaded without koffi's loader, of the version koffi's package says", () => {
  const require = createRequire(import.meta.url);
  const binary = require(KOFFI_BINARY) as typeof koffi;
  expect(koffi).toBe(binary);
  const koffiPackage = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'koffi', 'package.json'), 'utf8')) as { version: string };
  expect(koffi.version).toBe(koffiPackage.version);
});

describe('the code cache', () => {
  it('that the build wrote fits this node and this bundle', () => {
    // As bin/start.cjs compiles the bundle.
    const script = new Script(readFileSync(BUNDLE, 'latin1'), { filename: BUNDLE, cachedData: readFileSync(`${BUNDLE}.cache`) });
    expect(script.cachedDataRejected).toBe(false);
  });

  /** A copy of bin/ and dist/bundle/ whose cache is `cache` (undefined: none). */
  function copyWithCache(cache: Buffer | undefined): string {
    const dir = tempDir('sbx-start-');
    cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    mkdirSync(join(dir, 'dist'));
    cpSync(join(ROOT, 'dist', 'bundle'), join(dir, 'dist', 'bundle'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const cacheFile = join(dir, 'dist', 'bundle', 'sbx.cjs.cache');
    if (cache) writeFileSync(cacheFile, cache);
    else rmSync(cacheFile);
    return dir;
  }

  it.for([
    ['without a cache', undefined],
    ['with a cache that does not fit', Buffer.alloc(4096, 0x5a)],
  ] as const)('sbx starts %s, compiling its bundle', async ([, cache]) => {
    const dir = copyWithCache(cache);
    const out = join(dir, 'true.profile.json');
    const learn = await runCommand(join(dir, 'bin', 'sbx'), ['learn', '-q', '-o', out, '--', 'true']);
    expect(learn.code, learn.stderr).toBe(0);
    expect(learn.stderr).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/"execve"/);
  });
});

it('`node bin/sbx` loads the bundle itself', async () => {
  const version = await runCommand(process.execPath, [SBX, '--version']);
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});

describe('SIGQUIT as sbx was started with it (bash ignores it itself)', () => {
  const sigIgn = "sh -c 'grep SigIgn /proc/self/status'";
  it.for(['ignored', 'default'] as const)('%s on entry: the program sees the same as bare', async (disposition) => {
    const start = (command: string) =>
      runCommand('python3', [
        '-c',
        `import os, signal, sys; signal.signal(signal.SIGQUIT, signal.SIG_${disposition === 'ignored' ? 'IGN' : 'DFL'}); os.execvp(sys.argv[1], sys.argv[1:])`,
        'sh',
        '-c',
        command,
      ]);
    const bare = await start(sigIgn);
    const learned = await start(`${SBX} learn -q -o /dev/null -- ${sigIgn}`);
    expect(learned.code, learned.stderr).toBe(0);
    expect(learned.stdout).toBe(bare.stdout);
    const quitIgnored = (BigInt(`0x${bare.stdout.split(/\s+/)[1]}`) >> 2n) & 1n;
    expect(quitIgnored).toBe(disposition === 'ignored' ? 1n : 0n);
  });
});

it('sbx runs from a symbolic link to bin/sbx (node_modules/.bin/sbx)', async () => {
  const dir = tempDir('sbx-link-');
  symlinkSync(SBX, join(dir, 'sbx'));
  const version = await runCommand(join(dir, 'sbx'), ['--version']);
  expect(version.code, version.stderr).toBe(0);
  expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
});

it('without its bundle, sbx says so in one line and exits 125 where it runs a program (70 otherwise)', async () => {
  const dir = tempDir('sbx-unbuilt-');
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  for (const [args, code] of [
    [['learn', '--', 'true'], 125],
    [['report', 'x.json'], 70],
  ] as const) {
    const result = await runCommand(join(dir, 'bin', 'sbx'), [...args]);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(/^sbx: cannot start: .*run npm run build\)\n$/);
  }
});

describe('NODE_EXTRA_CA_CERTS: kept from sbx’s own node (it makes Node parse a CA bundle at start), given back to the program', () => {
  // /usr/bin/env prints the environment in its order; a missing file would make Node warn on stderr.
  const rows: [string, Record<string, string>][] = [
    ['set to a file that is not there', { NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem', AFTER: '1' }],
    ['set empty', { NODE_EXTRA_CA_CERTS: '', AFTER: '1' }],
    ['unset', { AFTER: '1' }],
  ];
  it.for(rows)('%s', async ([, vars]) => {
    const { NODE_EXTRA_CA_CERTS: _, ...rest } = process.env;
    const env = { ...rest, ...vars };
    const bare = await runCommand('/usr/bin/env', [], { env });
    const learned = await runCommand(SBX, ['learn', '-q', '-o', '/dev/null', '--', '/usr/bin/env'], { env });
    expect(learned.stderr).toBe('');
    expect(learned.code).toBe(0);
    // bash sets `_` to the command it runs: the only line that may differ.
    const lines = (text: string) => text.split('\n').filter((line) => !line.startsWith('_='));
    expect(lines(learned.stdout)).toEqual(lines(bare.stdout));
  });
});
