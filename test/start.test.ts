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
import { Command } from '@commander-js/extra-typings';
import { needsTracerWorker } from '../src/cli/arguments.js';
import { COMMANDS } from '../src/cli/main.js';
import { NODE_VARIABLES_SET_ASIDE } from '../src/linux/inherited.js';
import koffi, { KOFFI_BINARY } from '../src/linux/koffi.js';
import { sourceMappedStack } from '../src/stack.js';
import { requireTool, ROOT, runCommand, SBX, tempDir } from './helpers.js';

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

describe('sbx runs from a symbolic link to bin/sbx', () => {
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
  /** The programs a start executes, by name (strace -f): the link itself (its #! line runs env, then bash), node, and anything bash forks for. */
  const executed = async (file: string) => {
    const trace = join(tempDir('sbx-link-trace-'), 'trace');
    const r = await runCommand(requireTool('strace'), [
      '-f',
      '-qq',
      '-e',
      'trace=execve',
      '-e',
      'status=successful',
      '-o',
      trace,
      file,
      '--version',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(version);
    return [...readFileSync(trace, 'utf8').matchAll(/execve\("([^"]+)"/g)].map((m) => m[1]!.split('/').pop());
  };

  it.for([
    ['node_modules/.bin/sbx, as npm installs a package', 'proj/node_modules/.bin/sbx', '../sbx/bin/sbx', 'proj/node_modules/sbx'],
    ['<prefix>/bin/sbx, as npm install -g does', 'prefix/bin/sbx', '../lib/node_modules/sbx/bin/sbx', 'prefix/lib/node_modules/sbx'],
  ] as const)('%s: found without readlink (a fork and an exec)', async ([, link, target, pkg]) => {
    const dir = tempDir('sbx-link-');
    mkdirSync(join(dir, link, '..'), { recursive: true });
    mkdirSync(join(dir, pkg, '..'), { recursive: true });
    symlinkSync(ROOT, join(dir, pkg));
    symlinkSync(target, join(dir, link));
    expect(await executed(join(dir, link))).toEqual(['sbx', 'bash', 'node']);
  });

  it('any other link, and a link to a link, through readlink', async () => {
    const dir = tempDir('sbx-link-');
    symlinkSync(SBX, join(dir, 'sbx-a'));
    symlinkSync('sbx-a', join(dir, 'sbx'));
    expect(await executed(join(dir, 'sbx'))).toEqual(['sbx', 'bash', 'readlink', 'readlink', 'node']);
  });
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

describe("Node's variables are the program's: sbx's own node starts without them, the program gets them as they were", () => {
  it('bin/sbx sets aside the variables src/linux/inherited.ts puts back', () => {
    const line = readFileSync(SBX, 'utf8').match(/for v in ([A-Z0-9_ ]+); do/);
    expect(line?.[1]?.split(' ')).toEqual([...NODE_VARIABLES_SET_ASIDE]);
  });

  // /usr/bin/env prints the environment in its order; bash sets `_` to the command it runs.
  const environment = (text: string) => text.split('\n').filter((line) => !line.startsWith('_='));
  const withVars = (vars: Record<string, string>) => {
    const { NODE_EXTRA_CA_CERTS: _, NODE_OPTIONS: __, ...rest } = process.env;
    return { ...rest, ...vars };
  };
  it.for([
    // A missing file makes Node warn on stderr as it starts.
    ['NODE_EXTRA_CA_CERTS naming no file', { NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem', AFTER: '1' }],
    ['NODE_EXTRA_CA_CERTS empty', { NODE_EXTRA_CA_CERTS: '', AFTER: '1' }],
    ['NODE_OPTIONS', { NODE_OPTIONS: '--no-warnings', AFTER: '1' }],
    // Node's module loader would log sbx's own requires.
    ['NODE_DEBUG', { NODE_DEBUG: 'module,timer', AFTER: '1' }],
    ['none of them', { AFTER: '1' }],
  ] as const)('%s: the same environment, in its order, and nothing from Node on stderr', async ([, vars]) => {
    const env = withVars(vars);
    const bare = await runCommand('/usr/bin/env', [], { env });
    const learned = await runCommand(SBX, ['learn', '-q', '-o', '/dev/null', '--', '/usr/bin/env'], { env });
    expect(learned.stderr).toBe('');
    expect(learned.code).toBe(0);
    expect(environment(learned.stdout)).toEqual(environment(bare.stdout));
  });

  it('NODE_OPTIONS=--require runs its module in the program only', async () => {
    const dir = tempDir('sbx-node-options-');
    const hook = join(dir, 'hook.cjs');
    writeFileSync(hook, "process.stderr.write(`hook in ${process.argv.length > 1 ? 'a script' : 'node'}\\n`);\n");
    const env = withVars({ NODE_OPTIONS: `--require ${hook}` });
    const learned = await runCommand(SBX, ['learn', '-q', '-o', '/dev/null', '--', process.execPath, '-e', '0'], { env });
    expect(learned.code, learned.stderr).toBe(0);
    expect(learned.stderr).toBe('hook in node\n');
  });

  it("a Node program's IPC channel to its parent (NODE_CHANNEL_FD) is the program's", async () => {
    const parent = `
      const child = require('node:child_process').spawn(process.argv[1], process.argv.slice(2), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.on('message', (m) => console.log('parent got', JSON.stringify(m)));
      child.on('exit', (code) => console.log('exit', code));`;
    const program = [process.execPath, '-e', 'process.send({ hello: 1 }); process.disconnect()'];
    const bare = await runCommand(process.execPath, ['-e', parent, ...program]);
    const learned = await runCommand(process.execPath, ['-e', parent, SBX, 'learn', '-q', '-o', '/dev/null', '--', ...program]);
    expect(bare.stdout).toBe('parent got {"hello":1}\nexit 0\n');
    expect(learned.stdout, learned.stderr).toBe(bare.stdout);
  });
});

it('each command sbx defines alone (the one its command line names) is the one of that name', () => {
  for (const [name, register] of COMMANDS) {
    const program = new Command().enablePositionalOptions();
    register(program);
    expect(program.commands.map((c) => c.name())).toEqual([name]);
  }
});

describe("an internal error's stack points at src/ (the bundle's whitespace is minified; its source map is beside it)", () => {
  const bundleText = readFileSync(BUNDLE, 'latin1');
  /** `file:line:column` (1-based) of the first `text` in the bundle. */
  const bundleFrame = (text: string) => {
    const before = bundleText.slice(0, bundleText.indexOf(text)).split('\n');
    return `${BUNDLE}:${before.length}:${before.at(-1)!.length + 1}`;
  };
  const learnTs = readFileSync(join(ROOT, 'src', 'cli', 'learn.ts'), 'utf8').split('\n');
  const line = learnTs.findIndex((l) => l.includes('export function registerLearnCommand(')) + 1;

  it('a frame in the bundle becomes the place in the source it came from', () => {
    const stack = `Error: boom\n    at registerLearnCommand (${bundleFrame('function registerLearnCommand(')})\n    at node:internal/main:1:1`;
    expect(sourceMappedStack(stack)).toBe(
      `Error: boom\n    at registerLearnCommand (src/cli/learn.ts:${line}:8)\n    at node:internal/main:1:1`,
    );
  });

  it('frames elsewhere, and in a .cjs file without a map, stay as they are', () => {
    const dir = tempDir('sbx-stack-');
    const noMap = join(dir, 'other.cjs');
    writeFileSync(noMap, 'x');
    const stack = `Error: boom\n    at f (${noMap}:1:1)\n    at g (/nonexistent/x.cjs:3:4)\n    at node:fs:12:3`;
    expect(sourceMappedStack(stack)).toBe(stack);
  });
});
