/**
 * Starting the traced program without child_process (libuv's SIGCHLD reaper would collect
 * ptrace stops): posix_spawn the generated launcher (native-launcher.ts), which waits on fd 3
 * until the tracer has seized it, then installs the trace filter and execs the target.
 * Helpers sbx starts beside a traced program (scenario drivers) go the same way, in a new session.
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
  fcntl,
  spawnFileActionsAddChdir,
  write,
} from './libc.js';
import { readlinkSync } from 'node:fs';
import { SIG } from './constants.js';
import { materializeLauncher } from './native-launcher.js';

const POSIX_SPAWN_SETSIGDEF = 4;
const POSIX_SPAWN_SETSIGMASK = 8;
const POSIX_SPAWN_SETSID = 0x80;
const O_CLOEXEC = 0o2000000;
const F_DUPFD_CLOEXEC = 1030;
/** The launcher blocks reading this fd until the tracer says go. */
const GO_FD = 3;

/** Add a signal to a glibc sigset_t in memory (bit signo-1). */
function sigaddset(set: Uint8Array, signo: number): void {
  set[(signo - 1) >> 3]! |= 1 << ((signo - 1) & 7);
}

/**
 * glibc's own signals (SIGCANCEL, SIGSETXID): its posix_spawn sets them to SIG_IGN in the child
 * unless told to default them, and "ignored" would survive the exec (a shell starts programs
 * with them at default).
 */
const GLIBC_INTERNAL_SIGNALS = [32, 33];

/**
 * The signal state of every program sbx starts: SIGPIPE/SIGXFSZ back to default (Node ignores
 * them and "ignored" survives exec), glibc's internal signals at default, and an empty mask.
 * Returns the posix_spawn flags it needs.
 */
function setProgramSignals(attr: bigint): number {
  const sigdefault = allocBuffer(128);
  const sigmask = allocBuffer(128);
  sigemptyset(sigdefault.address);
  for (const signal of [SIG.SIGPIPE, SIG.SIGXFSZ, ...GLIBC_INTERNAL_SIGNALS]) sigaddset(sigdefault.bytes, signal);
  sigemptyset(sigmask.address);
  spawnAttrSetSigDefault(attr, sigdefault.address);
  spawnAttrSetSigMask(attr, sigmask.address);
  return POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
}

/** `KEY=value` strings for posix_spawn's envp. */
function environmentStrings(environment: Readonly<Record<string, string | undefined>>): (string | null)[] {
  return [
    ...Object.entries(environment)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`),
    null,
  ];
}

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
 * Spawn the launcher for `path` with argv `argv` (argv[0] as the program will see it).
 * Stdio 0-2 are inherited (Node marks them close-on-exec; dup2(fd, fd) clears that), or 1 and 2
 * are `stdio.output` and 0 is `stdio.input` when given,
 * SIGPIPE/SIGXFSZ go back to default (Node ignores them and "ignored" survives exec), and
 * the signal mask is emptied.
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
  const [readEnd, writeEnd] = cloexecPipe();
  const fileActions = allocBuffer(256);
  const attr = allocBuffer(512);
  spawnFileActionsInit(fileActions.address);
  spawnAttrInit(attr.address);
  try {
    for (const fd of [0, 1, 2]) spawnFileActionsAddDup2(fileActions.address, fd > 0 ? (stdio.output ?? fd) : (stdio.input ?? fd), fd);
    spawnFileActionsAddDup2(fileActions.address, readEnd, GO_FD);
    spawnAttrSetFlags(attr.address, setProgramSignals(attr.address));
    const pid = [0];
    const rc = posixSpawnp(pid, launcher, fileActions.address, attr.address, [launcher, path, ...argv, null], environmentStrings(environment));
    if (rc !== 0) throw new Error(`cannot start the launcher: ${strerror(rc)}`);
    return {
      pid: pid[0]!,
      exe: readlinkSync(launcher),
      release(go: boolean) {
        if (go) write(writeEnd, GO_BYTE.address, 1);
        close(writeEnd);
      },
    };
  } finally {
    close(readEnd);
    spawnFileActionsDestroy(fileActions.address);
    spawnAttrDestroy(attr.address);
  }
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
 * `cwd`, with the signal state of every program sbx starts. Returns its pid; throws the errno
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
    spawnAttrSetFlags(attr.address, setProgramSignals(attr.address) | POSIX_SPAWN_SETSID);
    const pid = [0];
    const rc = posixSpawnp(pid, argv[0], fileActions.address, attr.address, [...argv, null], environmentStrings(options.env));
    if (rc !== 0) throw new Error(strerror(rc));
    return pid[0]!;
  } finally {
    for (const fd of moved) close(fd);
    spawnFileActionsDestroy(fileActions.address);
    spawnAttrDestroy(attr.address);
  }
}
