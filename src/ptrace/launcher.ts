/**
 * The launcher: spawned by the tracer with posix_spawnp (never child_process, whose libuv
 * reaper steals ptrace stops). It waits until the tracer has seized it, sets
 * PR_SET_NO_NEW_PRIVS, installs the trace filter and execve's the target.
 *
 * argv: <filter hex> <resolved path> <argv0> [args...]
 * Nothing it does between installing the filter and execve is counted: the tracer starts
 * counting at this process's exec event.
 */
import { readFileSync } from 'node:fs';
import {
  allocBuffer,
  errno,
  execve,
  exitNow,
  fcntl,
  prctl,
  sigemptyset,
  signalDisposition,
  sigprocmask,
  strerror,
  syscall4,
} from './libc.js';
import { F_GETFD, F_GETFL, F_SETFD, F_SETFL, O_NONBLOCK, PR_SET_NO_NEW_PRIVS, SECCOMP_SET_MODE_FILTER, SIG, SIG_SETMASK } from './constants.js';

const SYS_SECCOMP: Record<string, number> = { x64: 317, arm64: 277 };
const TRACER_WAIT_MS = 10_000;

function fail(message: string, code: number): never {
  process.stderr.write(`sbx: ${message}\n`);
  return exitNow(code);
}

function waitForTracer(): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + TRACER_WAIT_MS;
  for (;;) {
    const status = readFileSync('/proc/self/status', 'latin1');
    const match = /^TracerPid:\s*(\d+)/m.exec(status);
    if (match && match[1] !== '0') return;
    if (Date.now() > deadline) fail('launcher: the tracer never attached', 125);
    Atomics.wait(sleeper, 0, 0, 1);
  }
}

/** Undo what Node did to the inherited process state, so the target starts as a shell would start it. */
function resetProcessState(): void {
  for (const fd of [0, 1, 2]) {
    const fdFlags = fcntl(fd, F_GETFD, 0);
    if (fdFlags >= 0) fcntl(fd, F_SETFD, fdFlags & ~1);
    const flFlags = fcntl(fd, F_GETFL, 0);
    if (flFlags >= 0 && flFlags & O_NONBLOCK) fcntl(fd, F_SETFL, flFlags & ~O_NONBLOCK);
  }
  // Node ignores SIGPIPE/SIGXFSZ and "ignored" survives exec: `yes | head -1` would never end.
  // Other dispositions are left as sbx inherited them, as a shell would.
  for (const sig of [SIG.SIGPIPE, SIG.SIGXFSZ]) signalDisposition(sig, 0);
  const empty = allocBuffer(128);
  sigemptyset(empty.address);
  sigprocmask(SIG_SETMASK, empty.address, 0);
}

function installFilter(hex: string): void {
  const filter = Buffer.from(hex, 'hex');
  const insns = allocBuffer(filter.length + 8);
  insns.bytes.set(filter);
  const prog = allocBuffer(16);
  prog.u64[0] = BigInt(filter.length / 8); // unsigned short len, padded
  prog.u64[1] = insns.address;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) !== 0) fail(`launcher: prctl(PR_SET_NO_NEW_PRIVS): ${strerror(errno())}`, 125);
  const nr = SYS_SECCOMP[process.arch];
  if (nr === undefined) fail(`launcher: unsupported machine ${process.arch}`, 125);
  if (syscall4(nr, SECCOMP_SET_MODE_FILTER, 0, prog.address, 0) !== 0)
    fail(`launcher: seccomp(SECCOMP_SET_MODE_FILTER): ${strerror(errno())}`, 125);
}

function main(): void {
  const [filterHex, path, ...argv] = process.argv.slice(2);
  if (!filterHex || !path || argv.length === 0) fail('launcher: bad arguments', 125);
  waitForTracer();
  resetProcessState();
  const envp = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
  installFilter(filterHex);
  execve(path, [...argv, null], [...envp, null]);
  const err = errno();
  fail(`${argv[0]}: ${strerror(err)}`, err === 2 ? 127 : 126);
}

main();
