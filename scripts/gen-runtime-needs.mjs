#!/usr/bin/env node
// Learns what a container runtime itself calls after it loads the container's seccomp filter
// and before it execs the container's command, by tracing the real runtime, and writes it to
// src/policy/emit/runtime-needs.ts (read by `sbx emit -f oci|spo --runtime ...`).
// Needs root, strace, busybox (static) and the runtime (Debian: apt-get install runc crun
// busybox-static strace). Plain Node ESM, no dependencies.
//
//   node scripts/gen-runtime-needs.mjs                  traces runc and crun, rewrites the file
//   node scripts/gen-runtime-needs.mjs --runtime runc   one runtime (the other's data is kept)
//   node scripts/gen-runtime-needs.mjs --runs 10        repeats each scenario (default 5)
//   node scripts/gen-runtime-needs.mjs --print          prints the traced data as JSON, writes nothing
//
// How: a busybox rootfs and `<runtime> spec`'s config.json, with a filter that allows
// everything but acct(2) (so the runtime loads one and nothing it does is refused). Each
// scenario runs under `strace -f`; the thread that loads the filter (prctl(PR_SET_SECCOMP) or
// seccomp(SECCOMP_SET_MODE_FILTER) with a program) is followed until its execve of the
// command: every call it makes in between is a runtime need. Scenarios: `run` and `exec`
// (a process joining a running container, as `kubectl exec` does), each with
// noNewPrivileges true (runtimes load the filter as late as they can) and false (the
// default of Docker and Kubernetes: the filter is loaded before capabilities and ids are
// set, so the runtime needs capset, setuid, ... too). Other threads of the runtime do not
// get the filter (no TSYNC), so their calls do not count.
//
// crun 1.8 refuses a hybrid cgroup v1 + v2 host ("cgroups in hybrid mode not supported");
// there crun runs in a private mount namespace without the v2 mount.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'src', 'policy', 'emit', 'runtime-needs.ts');
const RUNTIMES = ['runc', 'crun'];
const COMMAND = ['/bin/true'];

/** Thrown, not exit()ed, so containers and temp dirs are cleaned up on the way out. */
class GenError extends Error {}

function fail(message) {
  throw new GenError(message);
}

function which(tool) {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function parseArgs(argv) {
  const opts = { runtimes: RUNTIMES, runs: 5, print: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runtime') opts.runtimes = [argv[++i]];
    else if (argv[i] === '--runs') opts.runs = Number(argv[++i]);
    else if (argv[i] === '--print') opts.print = true;
    else fail(`unknown argument ${argv[i]}`);
  }
  if (!opts.runtimes.every((r) => RUNTIMES.includes(r))) fail(`--runtime takes ${RUNTIMES.join(' or ')}`);
  if (!Number.isInteger(opts.runs) || opts.runs < 1) fail('--runs takes a positive integer');
  return opts;
}

/** A bundle: busybox rootfs + the runtime's default config.json, made ours. */
function makeBundle(runtime, dir, nnp, args) {
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'proc', 'dev', 'sys', 'tmp']) mkdirSync(join(rootfs, sub), { recursive: true });
  copyFileSync(which('busybox'), join(rootfs, 'bin', 'busybox'));
  for (const applet of ['sh', 'true', 'sleep']) symlinkSync('busybox', join(rootfs, 'bin', applet));
  execFileSync(runtime, ['spec'], { cwd: dir });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  config.process.terminal = false;
  config.process.args = args;
  config.process.noNewPrivileges = nnp;
  config.linux.seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['acct'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
}

/** crun on a hybrid cgroup host: run it where the cgroup v2 mount is not. */
function runtimeArgv(runtime, argv) {
  const hybrid = runtime === 'crun' && existsSync('/sys/fs/cgroup/unified/cgroup.controllers');
  return hybrid
    ? ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified && exec "$@"', 'sh', ...argv]
    : argv;
}

/** Runs argv; a detached container keeps its stdio, so `detached` gives it none (else we would wait for it). */
function run(argv, what, detached = false) {
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    stdio: ['ignore', detached ? 'ignore' : 'pipe', detached ? 'ignore' : 'pipe'],
    timeout: 60_000,
  });
  if (r.status !== 0) fail(`${what} failed (${r.status ?? r.signal})${detached ? '' : `: ${r.stderr.trim()}`}`);
  return r;
}

const FILTER_LOAD = /^(prctl\(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, \{|seccomp\(SECCOMP_SET_MODE_FILTER, [^,]*, \{)/;

/** The calls of the thread that loaded the filter, from the load to its execve of `command`. */
function callsAfterFilterLoad(trace, command) {
  let tid;
  const calls = [];
  for (const line of trace.split('\n')) {
    const m = /^(\d+) +(.*)$/.exec(line);
    if (!m) continue;
    const [, thread, rest] = m;
    if (tid === undefined) {
      if (FILTER_LOAD.test(rest)) tid = thread;
      continue;
    }
    if (thread !== tid || /^(<\.\.\.|---|\+\+\+)/.test(rest)) continue;
    const name = /^(\w+)\(/.exec(rest)?.[1];
    if (!name) continue;
    calls.push(name);
    if (name === 'execve' && rest.startsWith(`execve("${command}"`)) return calls;
  }
  fail(tid === undefined ? 'no filter load in the trace' : `the filter-loading thread never exec'd ${command}`);
}

function traceOnce(runtime, scenario, nnp, work) {
  const dir = mkdtempSync(join(work, `${runtime}-`));
  const id = `sbx-gen-${process.pid}-${dir.slice(-6)}`;
  const trace = join(dir, 'trace.txt');
  const strace = ['strace', '-f', '-qq', '-o', trace];
  try {
    if (scenario === 'run') {
      makeBundle(runtime, dir, nnp, COMMAND);
      run(runtimeArgv(runtime, [...strace, runtime, 'run', '--bundle', dir, id]), `${runtime} run`);
    } else {
      makeBundle(runtime, dir, nnp, ['/bin/sleep', '60']);
      run(runtimeArgv(runtime, [runtime, 'run', '-d', '--bundle', dir, id]), `${runtime} run -d`, true);
      run(runtimeArgv(runtime, [...strace, runtime, 'exec', ...(nnp ? ['--no-new-privs'] : []), id, ...COMMAND]), `${runtime} exec`);
    }
    return callsAfterFilterLoad(readFileSync(trace, 'utf8'), COMMAND[0]);
  } finally {
    if (scenario === 'exec') {
      const [cmd, ...args] = runtimeArgv(runtime, [runtime, 'delete', '-f', id]);
      spawnSync(cmd, args, { stdio: 'ignore' });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `<runtime> --version`'s first line with the Debian package version, and the Go release it was built with (runc prints "go: go1.19.8"). */
function versionOf(runtime) {
  const text = execFileSync(runtime, ['--version'], { encoding: 'utf8' });
  const first = text.split('\n')[0].trim();
  const deb = spawnSync('dpkg-query', ['-W', '-f', '${Version}', runtime], { encoding: 'utf8' });
  const go = /^go: (go[\d.]+)$/m.exec(text)?.[1];
  return { version: deb.status === 0 ? `${first} (Debian ${deb.stdout.trim()})` : first, ...(go ? { go } : {}) };
}

const SCENARIOS = [
  { scenario: 'run', nnp: true, label: 'run, noNewPrivileges' },
  { scenario: 'run', nnp: false, label: 'run' },
  { scenario: 'exec', nnp: true, label: 'exec, noNewPrivileges' },
  { scenario: 'exec', nnp: false, label: 'exec' },
];

function traceRuntime(runtime, runs, work) {
  for (const tool of ['strace', 'busybox', runtime]) if (!which(tool)) fail(`${tool} is not installed`);
  const seenIn = new Map();
  for (const { scenario, nnp, label } of SCENARIOS)
    for (let i = 0; i < runs; i++)
      for (const name of traceOnce(runtime, scenario, nnp, work)) seenIn.set(name, new Set(seenIn.get(name)).add(label));
  return {
    ...versionOf(runtime),
    arch: process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch,
    syscalls: [...seenIn]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, labels]) => ({ name, scenarios: SCENARIOS.map((s) => s.label).filter((l) => labels.has(l)) })),
  };
}

/** The data already in the file, so one runtime can be regenerated alone. */
function currentData() {
  if (!existsSync(OUT)) return {};
  const m = /^export const RUNTIME_NEEDS[^=]*= (\{[\s\S]*\});$/m.exec(readFileSync(OUT, 'utf8'));
  return m ? JSON.parse(m[1]) : {};
}

function render(data) {
  return `// GENERATED by scripts/gen-runtime-needs.mjs from strace runs of the real runtimes; do not edit.
// Regenerate (root; apt-get install runc crun busybox-static strace): node scripts/gen-runtime-needs.mjs
// Each syscall is one the runtime's own thread made after loading the container's filter and
// before exec'ing the command, with the scenarios it was seen in (see the script's header).

/** A container runtime sbx knows the start-up needs of. */
export type TracedRuntime = ${RUNTIMES.map((r) => `'${r}'`).join(' | ')};

export interface RuntimeNeeds {
  /** \`<runtime> --version\` and the Debian package traced. */
  readonly version: string;
  /** The Go release the runtime was built with, when it is a Go program (its runtime adds calls of its own). */
  readonly go?: string;
  /** The arch the runtime was traced on. */
  readonly arch: string;
  readonly syscalls: readonly { readonly name: string; readonly scenarios: readonly string[] }[];
}

export const RUNTIME_NEEDS: Readonly<Record<TracedRuntime, RuntimeNeeds>> = ${JSON.stringify(data, null, 2)};
`;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) fail('needs root (the runtimes make namespaces and cgroups)');
  const work = mkdtempSync(join(tmpdir(), 'sbx-gen-runtime-'));
  try {
    const data = opts.print ? {} : currentData();
    for (const runtime of opts.runtimes) data[runtime] = traceRuntime(runtime, opts.runs, work);
    if (opts.print) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else {
      const missing = RUNTIMES.filter((r) => !data[r]);
      if (missing.length) fail(`no data for ${missing.join(', ')}: trace them too (--runtime)`);
      writeFileSync(`${OUT}.tmp`, render(Object.fromEntries(RUNTIMES.map((r) => [r, data[r]]))));
      renameSync(`${OUT}.tmp`, OUT);
      process.stdout.write(`wrote ${OUT}\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  if (!(e instanceof GenError)) throw e;
  process.stderr.write(`gen-runtime-needs: ${e.message}\n`);
  process.exitCode = 1;
}
