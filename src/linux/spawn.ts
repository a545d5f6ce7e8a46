/**
 * Starting the traced program without child_process (libuv's SIGCHLD reaper would collect
 * ptrace stops): posix_spawn the generated launcher (native-launcher.ts), which waits on a
 * pipe until the tracer has seized it, restores what sbx was started with, then installs the
 * trace filter and execs the target. The eBPF backend starts its program through the same
 * launcher with no filter, so both backends give the program the same world.
 * Helpers sbx starts beside a traced program (scenario drivers) go the same way, in a new session.
 */
import {
  allocBuffer,
  close,
  type NativeBuffer,
  pipe2,
  posixSpawnp,
  prlimit,
  sigemptyset,
  spawnAttrDestroy,
  spawnAttrInit,
  spawnAttrSetFlags,
  spawnAttrSetSigDefault,
  spawnAttrSetSigMask,
  spawnFileActionsAddClose,
  spawnFileActionsAddDup2,
  spawnFileActionsDestroy,
  spawnFileActionsInit,
  strerror,
  errno,
  fcntl,
  spawnFileActionsAddChdir,
  write,
} from './libc.js';
import { UserError } from '../io.js';
import { readlinkSync } from 'node:fs';
import { type LauncherFilter, materializeLauncher } from './native-launcher.js';
import type { Inherited } from './inherited.js';

const POSIX_SPAWN_SETSIGDEF = 4;
const POSIX_SPAWN_SETSIGMASK = 8;
const POSIX_SPAWN_SETSID = 0x80;
const O_CLOEXEC = 0o2000000;
const F_DUPFD_CLOEXEC = 1030;
const SIGNALS = 64;

/** A pipe whose ends close on exec: [read end, write end]. */
export function cloexecPipe(): [number, number] {
  const fds = allocBuffer(8);
  if (pipe2(fds.address, O_CLOEXEC) !== 0) throw new Error(`pipe2 failed: ${strerror(errno())}`);
  return [fds.i32[0]!, fds.i32[1]!];
}

/** The byte that lets a launcher go (its value does not matter). */
const GO_BYTE = allocBuffer(8);

/** A spawned launcher, blocked until `release()`. */
export interface Launched {
  readonly pid: number;
  /** What /proc/PID/exe of the launcher reads as, to tell its own exec from the target's. */
  readonly exe: string;
  /** Let the launcher proceed (after PTRACE_SEIZE); closing without a byte makes it exit 125. */
  release(go: boolean): void;
}

/** Where the launched program's standard streams go. */
export interface LaunchStdio {
  /** An open fd that becomes the program's stdout and stderr (sbx learn --tracee-output). */
  readonly output?: number;
  /** An open fd that becomes the program's stdin (sbx learn --scenarios: a scenario's stdin file). */
  readonly input?: number;
  /**
   * What sbx was started with (inherited.ts): fds 0-2 (where not replaced above) are those
   * descriptions with those flags, or closed; the mask and the ignored signals are those.
   * Without it the program gets sbx's fds 0-2 as they are, an empty mask and no ignored signal.
   */
  readonly inherited?: Inherited;
}

/** A sigset_t (128 bytes) holding the signals of `bits` (bit n-1 = signal n). */
function sigset(bits: bigint): NativeBuffer {
  const set = allocBuffer(128);
  sigemptyset(set.address);
  for (let signo = 1; signo <= SIGNALS; signo++)
    if ((bits >> BigInt(signo - 1)) & 1n) set.bytes[(signo - 1) >> 3]! |= 1 << ((signo - 1) & 7);
  return set;
}

/**
 * `NAME=value` strings; with `names` (the environment sbx was started with), those names in that
 * order and no other (bash adds SHLVL and PWD when it runs bin/sbx).
 */
function environmentList(environment: Readonly<Record<string, string | undefined>>, names: readonly string[] | undefined): string[] {
  return (names ?? Object.keys(environment))
    .filter((name) => environment[name] !== undefined)
    .map((name) => `${name}=${environment[name]}`);
}

const RLIMIT_NOFILE = 7;

/** Give the launcher (blocked, not yet the program) the soft limit of open files sbx was started with. */
function restoreOpenFilesLimit(pid: number, soft: bigint): void {
  const limit = allocBuffer(16);
  if (prlimit(pid, RLIMIT_NOFILE, 0, limit.address) !== 0) return;
  const hard = limit.u64[1]!;
  limit.u64[0] = soft < hard ? soft : hard;
  prlimit(pid, RLIMIT_NOFILE, limit.address, 0);
}

/**
 * Spawn the launcher for `path` with argv `argv` (argv[0] as the program will see it), to install
 * `filter` (NO_FILTER: none, and no no_new_privs) once released.
 * fds 0-2 are `stdio.input`/`stdio.output`, else as sbx was started (`stdio.inherited`), else
 * sbx's own (Node marks them close-on-exec; dup2(fd, fd) clears that). Every other fd sbx was
 * given stays where it is, and the environment keeps the order sbx got it in. The open files
 * limit is set back to what sbx was started with before the launcher is released. Every signal not ignored where sbx started goes back to default
 * (Node ignores SIGPIPE and SIGXFSZ and "ignored" survives exec); the launcher ignores the
 * others again, and the mask is the one sbx was started with.
 */
export function spawnLauncher(
  filter: LauncherFilter,
  path: string,
  argv: readonly string[],
  stdio: LaunchStdio = {},
  /** The program's environment; default: sbx's own. */
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Launched {
  // The read end keeps its number in the launcher: a number sbx has not open, so no fd of the user's.
  const [readEnd, writeEnd] = cloexecPipe();
  const origin = stdio.inherited;
  const stdioFlags: [number, number, number] = [-1, -1, -1];
  const fileActions = allocBuffer(256);
  const attr = allocBuffer(512);
  spawnFileActionsInit(fileActions.address);
  spawnAttrInit(attr.address);
  try {
    for (const fd of [0, 1, 2]) {
      const replacement = fd === 0 ? stdio.input : stdio.output;
      const kept = origin?.stdio[fd];
      if (replacement !== undefined) spawnFileActionsAddDup2(fileActions.address, replacement, fd);
      else if (kept === null) spawnFileActionsAddClose(fileActions.address, fd);
      else if (kept) {
        spawnFileActionsAddDup2(fileActions.address, kept.fd, fd);
        stdioFlags[fd] = kept.flags;
      } else spawnFileActionsAddDup2(fileActions.address, fd, fd);
    }
    // dup2(fd, fd) clears close-on-exec in the child only: sbx keeps them for itself as Node made them.
    for (const fd of origin?.openFds ?? []) spawnFileActionsAddDup2(fileActions.address, fd, fd);
    spawnFileActionsAddDup2(fileActions.address, readEnd, readEnd);
    const ignored = origin?.ignored ?? 0n;
    const launcher = materializeLauncher(filter, { goFd: readEnd, stdioFlags, ignored });
    spawnAttrSetSigDefault(attr.address, sigset(~ignored & ((1n << BigInt(SIGNALS)) - 1n)).address);
    spawnAttrSetSigMask(attr.address, sigset(origin?.blocked ?? 0n).address);
    spawnAttrSetFlags(attr.address, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    const env = environmentList(environment, environment === process.env ? origin?.envOrder : undefined);
    const pid = [0];
    const rc = posixSpawnp(pid, launcher, fileActions.address, attr.address, [launcher, path, ...argv, null], [...env, null]);
    if (rc !== 0) throw new UserError(`cannot start the launcher: ${strerror(rc)}`, 125);
    if (origin?.nofile !== undefined) restoreOpenFilesLimit(pid[0]!, origin.nofile);
    return {
      pid: pid[0]!,
      exe: readlinkSync(launcher),
      release(go: boolean) {
        if (go) write(writeEnd, GO_BYTE.address, 1);
        close(writeEnd);
      },
    };
  } finally {
    spawnFileActionsDestroy(fileActions.address);
    spawnAttrDestroy(attr.address);
  }
}

/**
 * Every signal at default and an empty mask, as a shell starts a program (Node ignores SIGPIPE
 * and SIGXFSZ, and "ignored" survives exec). Returns the posix_spawn flags that apply it.
 */
function signalsAsAShellStarts(attr: bigint): number {
  spawnAttrSetSigDefault(attr, sigset((1n << BigInt(SIGNALS)) - 1n).address);
  spawnAttrSetSigMask(attr, sigset(0n).address);
  return POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
}

/** How `spawnInNewSession` starts its program. */
export interface SessionSpawn {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** [an open fd of sbx, the fd number it gets in the child (above 2)]; sbx's fds 0-2 are inherited. */
  readonly fds: readonly (readonly [from: number, to: number])[];
}

/**
 * posix_spawnp `argv` in a new session (its own process group, no controlling terminal), in
 * `cwd`, with every signal at default and an empty mask. Returns its pid; throws the errno
 * text when it cannot start. The caller reaps it: it is a child of sbx, so the tracer's
 * waitpid(-1) may do that too.
 */
export function spawnInNewSession(argv: readonly [string, ...string[]], options: SessionSpawn): number {
  const fileActions = allocBuffer(256);
  const attr = allocBuffer(512);
  // A source fd that is also a target would be overwritten by an earlier dup2: move it out of the way.
  const highest = Math.max(2, ...options.fds.map(([, to]) => to));
  const moved: number[] = [];
  const sources = options.fds.map(([from]) => {
    if (from > highest) return from;
    const high = fcntl(from, F_DUPFD_CLOEXEC, highest + 1);
    if (high < 0) throw new Error(`fcntl(F_DUPFD_CLOEXEC): ${strerror(errno())}`);
    moved.push(high);
    return high;
  });
  spawnFileActionsInit(fileActions.address);
  spawnAttrInit(attr.address);
  try {
    // Node marks its stdio close-on-exec; dup2(fd, fd) clears that.
    for (const fd of [0, 1, 2]) spawnFileActionsAddDup2(fileActions.address, fd, fd);
    options.fds.forEach(([, to], i) => spawnFileActionsAddDup2(fileActions.address, sources[i]!, to));
    spawnFileActionsAddChdir(fileActions.address, options.cwd);
    spawnAttrSetFlags(attr.address, signalsAsAShellStarts(attr.address) | POSIX_SPAWN_SETSID);
    const pid = [0];
    const rc = posixSpawnp(
      pid,
      argv[0],
      fileActions.address,
      attr.address,
      [...argv, null],
      [...environmentList(options.env, undefined), null],
    );
    if (rc !== 0) throw new Error(strerror(rc));
    return pid[0]!;
  } finally {
    for (const fd of moved) close(fd);
    spawnFileActionsDestroy(fileActions.address);
    spawnAttrDestroy(attr.address);
  }
}
