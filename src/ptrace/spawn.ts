/**
 * Starting the traced program without child_process (libuv's SIGCHLD reaper would collect
 * ptrace stops): posix_spawn the generated launcher (native-launcher.ts), which waits on fd 3
 * until the tracer has seized it, then installs the trace filter and execs the target.
 */
import {
  allocBuffer,
  close,
  pipe2,
  posixSpawnp,
  sigemptyset,
  spawnAttrDestroy,
  spawnAttrInit,
  spawnAttrSetFlags,
  spawnAttrSetSigDefault,
  spawnAttrSetSigMask,
  spawnFileActionsAddDup2,
  spawnFileActionsDestroy,
  spawnFileActionsInit,
  strerror,
  errno,
  write,
} from './libc.js';
import { readlinkSync } from 'node:fs';
import { SIG } from './constants.js';
import { materializeLauncher } from './native-launcher.js';

const POSIX_SPAWN_SETSIGDEF = 4;
const POSIX_SPAWN_SETSIGMASK = 8;
const O_CLOEXEC = 0o2000000;
/** The launcher blocks reading this fd until the tracer says go. */
const GO_FD = 3;

/** Add a signal to a glibc sigset_t in memory (bit signo-1). */
function sigaddset(set: Uint8Array, signo: number): void {
  set[(signo - 1) >> 3]! |= 1 << ((signo - 1) & 7);
}

/** A spawned launcher, blocked until `release()`. */
export interface Launched {
  readonly pid: number;
  /** What /proc/PID/exe of the launcher reads as, to tell its own exec from the target's. */
  readonly exe: string;
  /** Let the launcher proceed (call after PTRACE_SEIZE); closing without a byte makes it exit 125. */
  release(go: boolean): void;
}

/** Where the launched program's standard streams go. */
export interface LaunchStdio {
  /** An open fd that becomes the program's stdout and stderr (sbx learn --tracee-output). */
  readonly output?: number;
  /** An open fd that becomes the program's stdin (sbx learn --scenarios: a scenario's stdin file). */
  readonly input?: number;
}

/**
 * Spawn the launcher for `path` with argv `argv` (argv[0] as the program will see it); it
 * waits on fd 3 until `release()`. Stdio and signals as `spawnProgram` sets them.
 */
export function spawnLauncher(
  filter: Uint8Array,
  path: string,
  argv: readonly string[],
  stdio: LaunchStdio = {},
  /** The program's environment; default: sbx's own. */
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Launched {
  const launcher = materializeLauncher(filter);
  const fds = allocBuffer(8);
  if (pipe2(fds.address, O_CLOEXEC) !== 0) throw new Error(`pipe2 failed: ${strerror(errno())}`);
  const [readEnd, writeEnd] = [fds.i32[0]!, fds.i32[1]!];
  try {
    const pid = spawnProgram(launcher, [launcher, path, ...argv], stdio, environment, [[readEnd, GO_FD]], 'the launcher');
    return {
      pid,
      exe: readlinkSync(launcher),
      release(go: boolean) {
        if (go) write(writeEnd, fds.address, 1);
        close(writeEnd);
      },
    };
  } finally {
    close(readEnd);
  }
}

/**
 * posix_spawnp `file` with `argv` (argv[0] included) and returns its pid. Stdio 0-2 are
 * inherited (Node marks them close-on-exec; dup2(fd, fd) clears that), or 1 and 2 are
 * `stdio.output` and 0 is `stdio.input` when given; `dups` are further dup2(from, to) pairs;
 * SIGPIPE/SIGXFSZ go back to default (Node ignores them and "ignored" survives exec), and the
 * signal mask is emptied. Used by both backends (eBPF: src/ebpf/session.ts starts the program itself).
 */
export function spawnProgram(
  file: string,
  argv: readonly string[],
  stdio: LaunchStdio,
  environment: Readonly<Record<string, string | undefined>>,
  dups: readonly (readonly [from: number, to: number])[],
  what: string,
): number {
  const fileActions = allocBuffer(256);
  const attr = allocBuffer(512);
  const sigdefault = allocBuffer(128);
  const sigmask = allocBuffer(128);
  spawnFileActionsInit(fileActions.address);
  spawnAttrInit(attr.address);
  try {
    for (const fd of [0, 1, 2]) spawnFileActionsAddDup2(fileActions.address, fd > 0 ? (stdio.output ?? fd) : (stdio.input ?? fd), fd);
    for (const [from, to] of dups) spawnFileActionsAddDup2(fileActions.address, from, to);
    sigemptyset(sigdefault.address);
    sigaddset(sigdefault.bytes, SIG.SIGPIPE);
    sigaddset(sigdefault.bytes, SIG.SIGXFSZ);
    sigemptyset(sigmask.address);
    spawnAttrSetSigDefault(attr.address, sigdefault.address);
    spawnAttrSetSigMask(attr.address, sigmask.address);
    spawnAttrSetFlags(attr.address, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    const env = Object.entries(environment)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    const pid = [0];
    const rc = posixSpawnp(pid, file, fileActions.address, attr.address, [...argv, null], [...env, null]);
    if (rc !== 0) throw new Error(`cannot start ${what}: ${strerror(rc)}`);
    return pid[0]!;
  } finally {
    spawnFileActionsDestroy(fileActions.address);
    spawnAttrDestroy(attr.address);
  }
}
