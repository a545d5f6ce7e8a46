/**
 * One eBPF learning session: load the programs, start following (a command sbx starts, a
 * running process tree, or a cgroup), write snapshots, stop, and build the profile.
 *
 * Starting a command without a race: sbx's own thread is put in the traced map as SPAWNER
 * for the moment of posix_spawn, so the fork tracepoint follows the child before it runs one
 * instruction. The child is the ptrace backend's launcher with no filter (src/linux/spawn.ts),
 * which gives the program back what sbx was started with: LAUNCHING until it is the launcher,
 * then PENDING (nothing counted) until its execve of the program, which counts, as strace counts
 * from the execve on. No seccomp filter, no NO_NEW_PRIVS, no tracer: the program runs as it
 * would bare.
 *
 * Shared with the ptrace backend: src/linux/spawn.ts (spawnLauncher), src/linux/native-launcher.ts
 * (NO_FILTER) and src/linux/libc.ts (waitpid, prctl). Nothing else of src/ptrace.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { hostname, release } from 'node:os';
import type { ExitStatus, Profile, RunInfo } from '../profile/types.js';
import { allocBuffer, errno, prctl, strerror, waitpid } from '../linux/libc.js';
import { NO_FILTER } from '../linux/native-launcher.js';
import { spawnLauncher, type LaunchStdio } from '../linux/spawn.js';
import { formatListing } from './asm.js';
import { BPF_NOEXIST, closeFd, enableRunTimeStats, mapIo, programStats, remove, update } from './kernel.js';
import { signalName } from './linux.js';
import { loadPrograms, type Loaded } from './load.js';
import { ENTRY_UNTIMED, EXE_NONE, GLOBAL, TaskFlag, type Scope } from './programs.js';
import { profileOf, TableReader, type KernelTables } from './to-profile.js';

/** What to learn. */
export type EbpfTarget =
  | { readonly kind: 'command'; readonly path: string; readonly argv: readonly string[]; readonly stdio?: LaunchStdio }
  | { readonly kind: 'pid'; readonly pid: number }
  | { readonly kind: 'cgroup'; readonly path: string; readonly id: bigint; readonly level: number; readonly label: readonly string[] };

export interface EbpfSessionOptions {
  readonly target: EbpfTarget;
  readonly maxValues: number;
  /** Distinct (syscall, argument, value) entries the kernel keeps. */
  readonly argValues: number;
  /** --paths: record path and socket address arguments through a ring buffer of this many bytes. */
  readonly pathBuffer?: number;
  /** Stop after this many seconds (the program runs on). */
  readonly durationS?: number;
  /** Call `onSnapshot` with the profile so far every this many seconds. */
  readonly snapshotEveryS?: number;
  readonly onSnapshot?: (profile: Profile) => void;
  /** Print the listing of every loaded program here before following. */
  readonly dumpBpf?: (text: string) => void;
  /** Called once the target is followed (for a line on stderr). */
  readonly onFollowing?: () => void;
  /** Time every program run (BPF_ENABLE_STATS) and report the cost per run. */
  readonly measureCost?: boolean;
  readonly notes: readonly string[];
}

export interface EbpfSessionResult {
  readonly profile: Profile;
  readonly exit: ExitStatus;
  readonly loadMs: number;
  /** The command sbx started never ran (its execve failed, or it died before): why. No profile is to be written. */
  readonly launchFailure?: string;
  /** With measureCost: every program's runs and ns per run while learning. */
  readonly cost?: readonly { readonly program: string; readonly runs: number; readonly nsPerRun: number }[];
}

const WNOHANG = 1;
const POLL_MS = 20;
/** prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap): the caps sbx needs must not leak into the program. */
const PR_CAP_AMBIENT = 47;
const PR_CAP_AMBIENT_LOWER = 3;
const CAPS_SBX_NEEDS = { CAP_DAC_READ_SEARCH: 2, CAP_SYS_ADMIN: 21, CAP_PERFMON: 38, CAP_BPF: 39 };

/** Why a session stopped early (signals, --duration). */
type StopReason = 'duration' | 'interrupted';

function exitStatusOf(status: number): ExitStatus {
  const signal = status & 0x7f;
  if (signal === 0) return { kind: 'exited', code: (status >> 8) & 0xff };
  return { kind: 'signaled', signal: signalName(signal), number: signal, core: (status & 0x80) !== 0 };
}

/** Threads of a process now. */
function tasksOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/** Put sbx's own thread in the traced map for the duration of `spawn` (see the file comment). */
function spawnFollowed<T>(loaded: Loaded, spawn: () => T): T {
  const io = mapIo(loaded.maps.traced);
  io.key.u32[0] = process.pid; // the main thread, which makes the posix_spawn call
  io.value.u32[0] = EXE_NONE;
  io.value.u32[1] = TaskFlag.SPAWNER;
  io.value.u64[1] = 0n;
  update(loaded.maps.traced, io);
  try {
    return spawn();
  } finally {
    remove(loaded.maps.traced, io);
  }
}

/** Register a running process's threads (repeated until no new thread appears). */
function followRunning(loaded: Loaded, reader: TableReader, pid: number): { threads: number } {
  if (!existsSync(`/proc/${pid}`)) throw new Error(`no process with pid ${pid}`);
  const io = mapIo(loaded.maps.traced);
  const followed = new Set<number>();
  for (let pass = 0; pass < 5; pass++) {
    const fresh = tasksOf(pid).filter((tid) => !followed.has(tid));
    if (fresh.length === 0) break;
    for (const tid of fresh) {
      io.key.u32[0] = tid;
      io.value.u32[0] = EXE_NONE;
      io.value.u32[1] = 0;
      io.value.u64[1] = ENTRY_UNTIMED;
      reader.addGlobal(GLOBAL.LIVE, 1n);
      try {
        update(loaded.maps.traced, io, BPF_NOEXIST);
      } catch {
        reader.addGlobal(GLOBAL.LIVE, -1n);
        continue;
      }
      // Gone before it was registered: its exit was never seen.
      if (!existsSync(`/proc/${pid}/task/${tid}`) && remove(loaded.maps.traced, io)) reader.addGlobal(GLOBAL.LIVE, -1n);
      else followed.add(tid);
    }
  }
  if (followed.size === 0) throw new Error(`no process with pid ${pid}`);
  return { threads: followed.size };
}

function lowerAmbientCaps(): void {
  if (process.getuid?.() === 0) return; // root: the program would run as root bare, with every capability
  for (const cap of Object.values(CAPS_SBX_NEEDS)) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0, 0);
}

/** Run one eBPF learning session to the end. */
export async function learnWithEbpf(options: EbpfSessionOptions): Promise<EbpfSessionResult> {
  const { target } = options;
  const scope: Scope = target.kind === 'cgroup' ? { kind: 'cgroup', id: target.id, level: target.level } : { kind: 'follow' };
  const statsFd = options.measureCost ? enableRunTimeStats() : undefined;
  const loaded = loadPrograms(scope, options.argValues, options.pathBuffer);
  const start = new Date();
  let stop: StopReason | undefined;
  const onSignal = () => (stop = 'interrupted');
  // A program sbx starts gets Ctrl-C from the terminal itself; sbx learns until the tree is gone.
  // Otherwise Ctrl-C, SIGTERM and SIGHUP end learning and the profile is written.
  const signals: NodeJS.Signals[] = target.kind === 'command' ? ['SIGINT', 'SIGQUIT'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  const ignore = () => {};
  for (const s of signals) process.on(s, target.kind === 'command' ? ignore : onSignal);
  // SIGTERM/SIGHUP to sbx reach a program sbx started, as under the ptrace backend.
  let childPid = 0;
  const forward = (signal: NodeJS.Signals) => () => childPid && process.kill(childPid, signal);
  const forwarded: [NodeJS.Signals, () => void][] =
    target.kind === 'command'
      ? [
          ['SIGTERM', forward('SIGTERM')],
          ['SIGHUP', forward('SIGHUP')],
        ]
      : [];
  for (const [s, handler] of forwarded) process.on(s, handler);
  try {
    if (options.dumpBpf) options.dumpBpf(loaded.programs.map(({ program }) => formatListing(program)).join('\n\n') + '\n');
    const reader = new TableReader(loaded.maps, options.maxValues);
    let attachedThreads = 0;
    let exit: ExitStatus = { kind: 'detached' };
    if (target.kind === 'command') {
      lowerAmbientCaps();
      const launched = spawnFollowed(loaded, () => spawnLauncher(NO_FILTER, target.path, target.argv, target.stdio ?? {}));
      launched.release(true);
      childPid = launched.pid;
    } else if (target.kind === 'pid') {
      attachedThreads = followRunning(loaded, reader, target.pid).threads;
    }
    options.onFollowing?.();
    const command = target.kind === 'command' ? target.argv : target.kind === 'pid' ? ['--pid', String(target.pid)] : target.label;
    const run = (): Omit<RunInfo, 'calls' | 'processes' | 'threads'> => ({
      command,
      ...(target.kind === 'pid' ? { attachedPid: target.pid } : {}),
      mode: 'syscall',
      backend: 'ebpf',
      ...(target.kind === 'cgroup' ? { cgroup: target.path } : {}),
      kernel: release(),
      hostname: hostname(),
      start: start.toISOString(),
      end: new Date().toISOString(),
      exit,
    });
    const profileNow = (tables: KernelTables, notes: readonly string[] = []) =>
      profileOf(target.kind === 'pid' ? withAttached(tables, attachedThreads) : tables, {
        run: run(),
        notes: [...options.notes, ...notes],
        maxValues: options.maxValues,
        argCapacity: loaded.maps.args.maxEntries,
      });
    const deadline = options.durationS !== undefined ? Date.now() + options.durationS * 1000 : Infinity;
    let nextSnapshot = options.snapshotEveryS !== undefined ? Date.now() + options.snapshotEveryS * 1000 : Infinity;
    const status = allocBuffer(8);
    let reaped = childPid === 0;
    for (;;) {
      if (!reaped) {
        const rc = waitpid(childPid, status.address, WNOHANG);
        if (rc === childPid) {
          reaped = true;
          exit = exitStatusOf(status.i32[0]!);
        } else if (rc < 0) throw new Error(`waitpid: ${strerror(errno())}`);
      }
      if (target.kind !== 'cgroup' && reaped && reader.live() <= 0n) break;
      if (stop) break;
      if (Date.now() >= deadline) {
        stop = 'duration';
        break;
      }
      if (Date.now() >= nextSnapshot && options.onSnapshot) {
        options.onSnapshot(profileNow(reader.read()));
        nextSnapshot = Date.now() + options.snapshotEveryS! * 1000;
      }
      reader.drainPaths();
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const tables = reader.read();
    // The program's exec names an executable; without one the launcher exited or died first.
    const launchFailure =
      target.kind === 'command' && exit.kind !== 'detached' && tables.exes.size === 0
        ? describeLaunchFailure(tables, exit, target.argv[0] ?? target.path)
        : undefined;
    const cost =
      statsFd !== undefined
        ? loaded.programs.map(({ program, fd }) => {
            const { runTimeNs, runCount } = programStats(fd);
            return { program: program.name, runs: Number(runCount), nsPerRun: runCount ? Number(runTimeNs) / Number(runCount) : 0 };
          })
        : undefined;
    const stoppedNote =
      stop === 'duration'
        ? [`learning stopped after --duration ${options.durationS} s; the program ran on`]
        : stop === 'interrupted'
          ? ['learning stopped by a signal (Ctrl-C); the program ran on']
          : [];
    const profile = profileNow(tables, stoppedNote);
    return { profile, exit, loadMs: loaded.loadMs, ...(launchFailure ? { launchFailure } : {}), ...(cost ? { cost } : {}) };
  } finally {
    for (const s of signals) process.removeAllListeners(s);
    for (const [s, handler] of forwarded) process.off(s, handler);
    loaded.close();
    if (statsFd !== undefined) closeFd(statsFd);
  }
}

/** Why the launcher did not run the program, in the ptrace backend's words. */
function describeLaunchFailure(tables: KernelTables, exit: Exclude<ExitStatus, { kind: 'detached' }>, argv0: string): string {
  // The launcher counts only its execve, so any error it left is that execve's.
  const failed = tables.errors[0];
  if (failed) return `${argv0}: ${strerror(failed.key)}`;
  return exit.kind === 'signaled'
    ? `killed by ${exit.signal} before the program started`
    : `the launcher exited ${exit.code} before the program started`;
}

/** The attached process and its threads ran before the kernel could count their start. */
function withAttached(tables: KernelTables, threads: number): KernelTables {
  const globals = tables.globals.slice();
  globals[GLOBAL.PROCESSES]! += 1n;
  globals[GLOBAL.THREADS]! += BigInt(threads);
  return { ...tables, globals };
}

/** The cgroup v2 directory for `path`: its id (inode) and depth below the cgroup2 mount. */
export function cgroupTarget(path: string, label: readonly string[]): Extract<EbpfTarget, { kind: 'cgroup' }> {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[f.indexOf('-') + 1] === 'cgroup2')
    .map((f) => f[4]!);
  let real: string;
  try {
    real = realpathSync(path);
    if (!statSync(real).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new Error(`${path}: not a cgroup directory`);
  }
  const mount = mounts.filter((m) => real === m || real.startsWith(`${m}/`)).sort((a, b) => b.length - a.length)[0];
  if (!mount) throw new Error(`${path}: not in a cgroup v2 hierarchy (mounted at ${mounts.join(', ') || 'nowhere'})`);
  const level = real === mount ? 0 : real.slice(mount.length + 1).split('/').length;
  return { kind: 'cgroup', path: real, id: statSync(real, { bigint: true }).ino, level, label };
}
