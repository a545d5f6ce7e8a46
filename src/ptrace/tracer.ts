/**
 * The ptrace loop. Runs entirely on one thread (ptrace is per thread): spawns the launcher
 * or seizes an existing process, then waits for stops and feeds the recorder.
 *
 * Stops per syscall:
 *  - seccomp mode: one PTRACE_EVENT_SECCOMP stop (the launcher's filter returns TRACE).
 *  - syscall mode / --pid: PTRACE_SYSCALL entry + exit stops (errors, time).
 *  - a process that installed its own seccomp filter (seccomp mode): entry, seccomp, exit.
 *    Its filter's ERRNO/KILL/TRAP outrank our TRACE, so a denied call shows as an entry stop
 *    with no seccomp stop before its exit: that is how denials are seen and attributed.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { ARCHES, archOfSyscall, hostAbis, hostArch, type ArchName } from '../linux/arch.js';
import * as K from '../linux/constants.js';
import { allocBuffer, errno, kill, processVmReadv, ptrace, schedGetcpu, schedSetaffinity, strerror, waitpid } from '../linux/libc.js';
import { spawnLauncher } from '../linux/spawn.js';
import type { Inherited } from '../linux/inherited.js';
import { CONTROL_STOP, type AskAnswer, type AskQuestion } from './control.js';
import { argDecoders } from '../linux/decode/index.js';
import { syscallName, syscallNumber } from '../linux/syscalls.js';
import { traceFilter, CLONE_CHECK_DATA } from './trace-filter.js';
import { formatRaw, parseRaw } from '../bpf/disasm.js';
import { UserError } from '../io.js';
import { diagnosePtraceFailure } from './diagnose.js';
import { SyscallInfo } from './syscall-info.js';
import { dumpedCore, exitCode, isStopped, ptraceEvent, stopSignal, termSignal } from './wait-status.js';
import type { Recorder, ExecStats, TraceeMemory } from '../profile/recorder.js';
import { slotNr, slotOf, SLOT_COUNT } from '../profile/slots.js';
import type { ExitStatus, TraceMode } from '../profile/types.js';
import { actionOf, emulate } from '../bpf/emulator.js';
import type { Program } from '../bpf/program.js';
import { TerminalWatch } from './terminal-watch.js';

export type TraceTarget = { readonly path: string; readonly argv: readonly string[] } | { readonly pid: number };

export interface TraceConfig {
  readonly mode: TraceMode;
  readonly target: TraceTarget;
  readonly pin: boolean;
  /**
   * The filter the launcher installs instead of the learning filter (raw sock_filter bytes):
   * `sbx run` enforces a policy with it, and complain mode counts the calls it sends to TRACE.
   */
  readonly filter?: Uint8Array;
  /**
   * Enforce only (sbx run): follow the launcher until the target is exec'd (to report a
   * refused filter or a failed exec), then detach, so the program runs exactly as in
   * production (a `trace` action gets ENOSYS) and sbx only passes its exit status through.
   */
  readonly enforceOnly?: boolean;
  /** Ask mode (sbx run --ask): every seccomp stop is a call the policy would deny; ask what to do. */
  readonly ask?: boolean;
  /**
   * `filter` is this policy behind `withCloneCheck` (run --complain/--ask): a stop with
   * CLONE_CHECK_DATA is a clone to follow, and a violation only if this policy traces it too.
   */
  readonly cloneCheckedPolicy?: Uint8Array;
  /**
   * The progress line is on sbx's terminal: watch the program take the terminal over (alternate
   * screen, raw mode, group-stops) so the line is released first (terminal-watch.ts).
   */
  readonly watchTerminal?: boolean;
  /** An open fd that becomes the program's stdout and stderr (sbx learn --tracee-output). */
  readonly output?: number;
  /** An open fd that becomes the program's stdin (a scenario's stdin file). */
  readonly input?: number;
  /** The program's whole environment instead of sbx's (scenario runs). */
  readonly env?: Readonly<Record<string, string>>;
  /** What sbx was started with (fds 0-2, signal mask, ignored signals), passed on to the program. */
  readonly inherited?: Inherited;
  /**
   * The tracer runs on the main thread (src/ptrace/main-thread.ts): a waitpid interrupted by a
   * signal returns to the event loop, whose handlers forward the signal, instead of waiting on.
   */
  readonly interruptible?: boolean;
}

export interface TraceOutcome {
  readonly exit: ExitStatus;
  /** The launcher exited without exec'ing the target; nothing was traced. */
  readonly launchFailed: boolean;
  /** The execve error, when that was why ("prog: Exec format error"), or the signal that killed the launcher. */
  readonly launchError?: string;
  /** The launcher's call a signal killed it in ("execve": a filter that kills execve). */
  readonly launchKilledIn?: string;
  readonly mainPid: number;
  readonly notes: string[];
}

const ARCH_INDEX = new Map(ARCHES.map((a, i) => [a.name, i]));
const IDX_X86_64 = ARCH_INDEX.get('x86_64')!;

/** Index into ARCHES of a (seccomp_data.arch, nr) pair; -1 for an arch without a table. */
function archIndexOf(auditArch: number, nr: number): number {
  const arch = archOfSyscall(auditArch, nr);
  return arch === undefined ? -1 : ARCH_INDEX.get(arch)!;
}

// What a slot means to the tracer itself (not to the recorder).
const SPECIAL_EXEC = 1;
const SPECIAL_EXECVEAT = 2;
const SPECIAL_SECCOMP = 4;
const SPECIAL_PRCTL = 8;
const SPECIAL_CLONE = 16;
const SPECIAL_CLONE3 = 32;
// Only while the terminal is watched:
const SPECIAL_WRITE = 64;
const SPECIAL_WRITEV = 128;
const SPECIAL_IOCTL = 256;
const SPECIAL_FD_GONE = 512;
const SPECIAL_FDS_GONE = 1024;
const SPECIAL_FD_REPLACED = 2048;
const SPECIAL_TERMINAL = SPECIAL_WRITE | SPECIAL_WRITEV | SPECIAL_IOCTL | SPECIAL_FD_GONE | SPECIAL_FDS_GONE | SPECIAL_FD_REPLACED;

function specialSlots(watchTerminal: boolean): Uint16Array {
  const flags = new Uint16Array(SLOT_COUNT);
  const mark: [string, number][] = [
    ['execve', SPECIAL_EXEC],
    ['execveat', SPECIAL_EXECVEAT],
    ['seccomp', SPECIAL_SECCOMP],
    ['prctl', SPECIAL_PRCTL],
    ['clone', SPECIAL_CLONE],
    ['clone3', SPECIAL_CLONE3],
  ];
  if (watchTerminal)
    mark.push(
      ['write', SPECIAL_WRITE],
      ['writev', SPECIAL_WRITEV],
      ['ioctl', SPECIAL_IOCTL],
      ['close', SPECIAL_FD_GONE],
      ['close_range', SPECIAL_FDS_GONE],
      ['dup2', SPECIAL_FD_REPLACED],
      ['dup3', SPECIAL_FD_REPLACED],
    );
  // A tracee can only make calls of the ABIs this machine runs: no other table is built.
  for (const abi of hostAbis()) {
    const i = ARCH_INDEX.get(abi)!;
    for (const [name, flag] of mark) {
      const nr = syscallNumber(abi, name);
      if (nr !== undefined) flags[slotOf(i, nr)]! |= flag;
    }
  }
  return flags;
}

/**
 * Which filters decide a task's calls, so where sbx counts them:
 *  - trace-filter: only sbx's; a call is counted at its seccomp stop (syscall mode: its entry stop).
 *  - switch-at-next-stop: a sibling installed a filter with TSYNC; the next stop is counted and
 *    the task becomes own-filter (a stop rather than an interrupt: that would restart a blocked call).
 *  - own-filter: the process installed its own seccomp filter; calls are counted at entry, before
 *    that filter runs, and a seccomp stop only says sbx's filter was reached.
 */
type FilterMode = 'trace-filter' | 'switch-at-next-stop' | 'own-filter';

/**
 * The last counted call, from its counting stop until its exit stop (a task resumed with
 * PTRACE_CONT has none: the call stays here until the next one is counted).
 */
type CallInFlight =
  | { readonly kind: 'idle' }
  | {
      readonly kind: 'in-call';
      readonly slot: number;
      /** When the entry stop came (syscall mode only: the exit stop times the call). */
      readonly entryTime: number;
      /** The call reached sbx's filter (a seccomp stop), so the program's own filter let it through. */
      passedFilter: boolean;
    };

const IDLE: CallInFlight = { kind: 'idle' };

/** The launcher's syscall in flight (-1: none yet): its failure is reported with its errno. */
interface LauncherRole {
  readonly kind: 'launcher';
  call: number;
}

/**
 * Counting begins at the launcher's execve of the target; the launcher's own threads never count.
 *  - launcher: sbx's launcher setting the target up, followed call by call, counting nothing.
 *  - launching: its execve of the target was counted and has not yet completed (a failure is
 *    the launch's failure, reported with `call`'s errno).
 *  - target: counted (the target, its children, an attached process).
 *  - launcher-thread: a task the launcher started before its exec: never counted.
 */
type TaskRole =
  | LauncherRole
  | { readonly kind: 'launching'; readonly call: number }
  | { readonly kind: 'target' }
  | { readonly kind: 'launcher-thread' };

const TARGET: TaskRole = { kind: 'target' };

/** Whether a task's calls are counted. */
function counted(role: TaskRole): boolean {
  return role.kind === 'launching' || role.kind === 'target';
}

class Task {
  filter: FilterMode = 'trace-filter';
  /** A seccomp()/prctl() filter install is in flight; its exit stop tells whether it took effect. */
  pendingFilter: 'thread' | 'process' | undefined;
  call: CallInFlight = IDLE;
  /**
   * The last call that returned to an exit stop and may have been refused by the program's own
   * filter: reclassified to TRAP if a seccomp SIGSYS follows, to KILL if the task then dies of
   * SIGSYS. `recorded` is what was recorded at the exit stop (seccomp mode), if anything.
   */
  suspect: { readonly slot: number; readonly recorded: string | undefined } | undefined;
  pendingExecPath: string | undefined;
  /**
   * A clone flags word sbx changed (CLONE_UNTRACED cleared) to put back as the program wrote
   * it: in the parent at the call's exit stop, in the new child at its first stop.
   */
  restore: ArgumentRestore | undefined;
  /** HIDE_* bits to clear once the call in flight has run (it gave the terminal back). */
  screenAfterCall = 0;
  /** In a group-stop (SIGTSTP, SIGSTOP, ...), until its next other stop. */
  groupStopped = false;

  constructor(
    public tid: number,
    public tgid: number,
    public role: TaskRole,
    public exe: ExecStats,
  ) {}
}

/** process_vm_readv over two reusable iovecs and a 4 KiB bounce buffer. */
export class RemoteMemory implements TraceeMemory {
  private readonly iov = allocBuffer(32);
  private readonly data = allocBuffer(4096);

  readBytes(tid: number, address: bigint, length: number): Uint8Array | undefined {
    const n = this.read(tid, address, Math.min(length, 4096));
    return n > 0 ? this.data.bytes.slice(0, n) : undefined;
  }

  /** A NUL-terminated string, read page by page so a string ending near unmapped memory still reads. */
  readString(tid: number, address: bigint): string | undefined {
    const max = 4096;
    let text = '';
    let at = address;
    while (text.length < max) {
      const chunk = 4096 - Number(at % 4096n);
      const n = this.read(tid, at, chunk);
      if (n <= 0) return text.length ? text : undefined;
      const bytes = this.data.bytes.subarray(0, n);
      const nul = bytes.indexOf(0);
      text += Buffer.from(bytes.subarray(0, nul < 0 ? n : nul)).toString('utf8');
      if (nul >= 0) return text;
      at += BigInt(n);
    }
    return `${text}…`;
  }

  private read(tid: number, address: bigint, length: number): number {
    const v = this.iov.u64;
    v[0] = this.data.address;
    v[1] = BigInt(length);
    v[2] = address;
    v[3] = BigInt(length);
    return processVmReadv(tid, this.iov.address, 1, this.iov.address + 16n, 1, 0);
  }
}

/** Where a changed clone flags word lives, and the value the program gave. */
type ArgumentRestore =
  | { readonly kind: 'register'; readonly offset: number; readonly value: bigint }
  | { readonly kind: 'memory'; readonly address: bigint; readonly value: bigint };

const STOP_SIGNALS = new Set([K.SIG.SIGSTOP, K.SIG.SIGTSTP, K.SIG.SIGTTIN, K.SIG.SIGTTOU]);

export class Tracer {
  private readonly tasks = new Map<number, Task>();
  /** Stops from pids whose parent's fork/clone event has not arrived yet. */
  private readonly parked = new Set<number>();
  private readonly status = allocBuffer(8);
  private readonly info = allocBuffer(K.SYSCALL_INFO_SIZE + 8);
  private readonly call = new SyscallInfo(this.info);
  private readonly message = allocBuffer(8);
  private readonly siginfo = allocBuffer(128);
  private readonly special: Uint16Array;
  private readonly terminal: TerminalWatch | undefined;
  private readonly cloneCheckedPolicy: Program | undefined;
  private readonly memory = new RemoteMemory();
  private readonly syscallStops: boolean;
  private readonly notes: string[] = [];
  private mainPid = 0;
  private exit: ExitStatus | undefined;
  private detaching = false;
  private launchFailed = false;
  /** Ask mode: syscalls answered "allow always", and how often each was asked. */
  private readonly alwaysAllowed = new Set<number>();
  private readonly asked = new Map<number, number>();
  /** Why the launcher's execve of the target failed, when it did. */
  private launchError: string | undefined;
  /** The call the launcher was in when a signal killed it (a filter that kills execve). */
  private launchKilledIn: string | undefined;
  /** /proc/PID/exe of the launcher before it execs the target. */
  private launcherPath = '';
  /** clone/clone3 calls that asked for CLONE_UNTRACED: followed anyway, or not (why). */
  private untracedFollowed = 0;
  private readonly untracedLost: string[] = [];

  constructor(
    private readonly config: TraceConfig,
    private readonly recorder: Recorder,
    private readonly control: Int32Array,
    private readonly onStarted: (pid: number) => void,
    /** Blocks until the question is answered (ask mode only). */
    private readonly asker?: (question: AskQuestion) => AskAnswer,
  ) {
    this.syscallStops = config.mode === 'syscall' || 'pid' in config.target;
    this.terminal = config.watchTerminal ? TerminalWatch.onStderr(control, this.memory) : undefined;
    this.special = specialSlots(this.terminal !== undefined);
    this.cloneCheckedPolicy = config.cloneCheckedPolicy && parseRaw(config.cloneCheckedPolicy);
  }

  /** Launch the program (or attach to it); then trace() follows it. */
  start(): void {
    if (this.config.pin) this.pinToCurrentCpu(0);
    if ('pid' in this.config.target) this.attach(this.config.target.pid);
    else this.launch(this.config.target.path, this.config.target.argv);
    this.onStarted(this.mainPid);
  }

  /**
   * Follow the program until it is done (the outcome) or, with `interruptible`, until a signal
   * interrupts waitpid (undefined: let the event loop run its handlers, then call again).
   */
  trace(): TraceOutcome | undefined {
    if (!this.loop()) return undefined;
    this.noteUntracedChildren();
    return {
      exit: this.exit ?? { kind: 'detached' },
      launchFailed: this.launchFailed,
      ...(this.launchError ? { launchError: this.launchError } : {}),
      ...(this.launchKilledIn ? { launchKilledIn: this.launchKilledIn } : {}),
      mainPid: this.mainPid,
      notes: this.notes,
    };
  }

  private pinToCurrentCpu(pid: number): void {
    const cpu = schedGetcpu();
    const mask = allocBuffer(128);
    mask.bytes[cpu >> 3] = 1 << (cpu & 7);
    schedSetaffinity(pid, 128, mask.address);
    if (pid === 0) this.cpu = cpu;
  }
  private cpu = -1;

  private launch(path: string, argv: readonly string[]): void {
    const filter = this.config.filter ?? formatRaw(traceFilter(this.config.mode === 'seccomp' ? 'all' : 'exec-only'));
    const launched = spawnLauncher(
      filter,
      path,
      argv,
      { output: this.config.output, input: this.config.input, inherited: this.config.inherited },
      this.config.env,
    );
    const pid = launched.pid;
    this.mainPid = pid;
    this.launcherPath = launched.exe;
    if (this.config.pin && this.cpu >= 0) this.pinToCurrentCpu(pid);
    const options =
      K.PTRACE_O_TRACESYSGOOD |
      K.PTRACE_O_TRACEFORK |
      K.PTRACE_O_TRACEVFORK |
      K.PTRACE_O_TRACECLONE |
      K.PTRACE_O_TRACEEXEC |
      K.PTRACE_O_TRACESECCOMP |
      K.PTRACE_O_EXITKILL;
    if (
      ptrace(
        K.PTRACE_SEIZE,
        pid,
        0,
        this.config.enforceOnly ? K.PTRACE_O_TRACESYSGOOD | K.PTRACE_O_TRACEEXEC | K.PTRACE_O_EXITKILL : options,
      ) < 0
    ) {
      const err = errno();
      launched.release(false); // the launcher exits 125 without running the target
      throw new UserError(diagnosePtraceFailure(err, pid, false), 125);
    }
    // Stop it (it waits on the pipe) so its setup syscalls are followed from the first one:
    // a refused filter or a failed execve is reported with its errno.
    ptrace(K.PTRACE_INTERRUPT, pid, 0, 0);
    // The launcher counts nothing until it becomes the target, whose stats it points at already.
    this.tasks.set(pid, new Task(pid, pid, { kind: 'launcher', call: -1 }, this.recorder.executable(path)));
    launched.release(true);
  }

  /** Seize every thread of a running process (re-listing until no new thread appears). */
  private attach(pid: number): void {
    this.mainPid = pid;
    const options = K.PTRACE_O_TRACESYSGOOD | K.PTRACE_O_TRACEFORK | K.PTRACE_O_TRACEVFORK | K.PTRACE_O_TRACECLONE | K.PTRACE_O_TRACEEXEC;
    const exe = this.recorder.executable(safeReadlink(`/proc/${pid}/exe`) ?? `(pid ${pid})`);
    this.recorder.processAttached(exe);
    let found = true;
    while (found) {
      found = false;
      let tids: string[];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        throw new UserError(`no process with pid ${pid}`, 125);
      }
      for (const name of tids) {
        const tid = Number(name);
        if (this.tasks.has(tid)) continue;
        if (ptrace(K.PTRACE_SEIZE, tid, 0, options) < 0) {
          const err = errno();
          if (err === K.ERRNO.ESRCH) continue; // thread already gone
          throw new UserError(diagnosePtraceFailure(err, tid, true), 125);
        }
        ptrace(K.PTRACE_INTERRUPT, tid, 0, 0);
        const task = new Task(tid, pid, TARGET, exe);
        // A filter installed before the attach still refuses calls: watch for its TRAP and KILL.
        task.filter = hasSeccompFilter(tid) ? 'own-filter' : 'trace-filter';
        if (task.filter === 'own-filter')
          this.noteFilterUnseen('the attached process runs under a seccomp filter of its own', 'an attach cannot attribute them');
        this.tasks.set(tid, task);
        this.recorder.taskStarted(exe, tid === pid);
        found = true;
      }
    }
    this.notes.push(`attached to running pid ${pid}: syscalls made before the attach are not counted`);
  }

  private resume(task: Task, sig: number): void {
    const request = this.wantsStops(task) ? K.PTRACE_SYSCALL : K.PTRACE_CONT;
    ptrace(request, task.tid, 0, sig); // ESRCH here means the task died meanwhile: its exit is still reported.
  }

  /** Whether the task must stop at its next syscall, not only at sbx's filter. */
  private wantsStops(task: Task): boolean {
    const role = task.role;
    switch (role.kind) {
      case 'launcher':
      case 'launching':
        // The launcher is followed call by call until its exec of the target has happened.
        return true;
      case 'launcher-thread':
        return false;
      case 'target':
        return Boolean(this.syscallStops || task.filter === 'own-filter' || task.pendingFilter || task.restore || task.screenAfterCall);
      default:
        return role satisfies never;
    }
  }

  /** Whether the program is done (false: a signal interrupted waitpid, see TraceConfig.interruptible). */
  private loop(): boolean {
    const statusView = this.status.i32;
    let unexpected = 0;
    for (;;) {
      const pid = waitpid(-1, this.status.address, K.WALL);
      if (pid < 0) {
        const err = errno();
        if (err === K.ERRNO.EINTR) {
          if (this.config.interruptible) return false;
          continue;
        }
        if (err === K.ERRNO.ECHILD) return true; // nothing left to trace
        // koffi reads errno live, after V8 may have run work of its own at an interrupt, whose
        // failed calls set it (a CI run saw ENOMEM, which wait4 never returns): a failed
        // waitpid reaped nothing, so it is asked again before sbx calls it a bug.
        if (++unexpected < 3) continue;
        throw new Error(`waitpid failed: ${K.errnoName(err)}`);
      }
      unexpected = 0;
      if (this.control[CONTROL_STOP] && !this.detaching) this.beginDetach();
      const status = statusView[0]!;
      if (!isStopped(status)) {
        this.onTaskGone(pid, status);
        // Done when every traced task is gone: sbx may have other children (a shell's
        // `cmd & exec sbx ...` leaves them to it) that never end before sbx does.
        if (this.tasks.size === 0 && this.exit !== undefined) return true;
        continue;
      }
      const task = this.tasks.get(pid);
      if (!task) {
        this.parked.add(pid);
        continue;
      }
      if (this.detaching) {
        this.detach(task, status);
        if (this.tasks.size === 0) return true;
        continue;
      }
      this.onStop(task, status);
    }
  }

  private onStop(task: Task, status: number): void {
    const sig = stopSignal(status);
    const event = ptraceEvent(status);
    // A new child's first stop (the parent, inside its clone call, puts it back at the exit stop).
    if (task.restore && task.call.kind === 'idle') this.restoreArgument(task);
    const groupStop = event === K.PTRACE_EVENT_STOP && STOP_SIGNALS.has(sig);
    if (task.groupStopped !== groupStop) {
      task.groupStopped = groupStop;
      this.terminal?.groupStop(groupStop);
    }
    if (sig === (K.SIG.SIGTRAP | 0x80)) return this.onSyscallStop(task);
    switch (event) {
      case K.PTRACE_EVENT_SECCOMP:
        return this.onSyscallStop(task);
      case K.PTRACE_EVENT_FORK:
      case K.PTRACE_EVENT_VFORK:
      case K.PTRACE_EVENT_CLONE:
        this.onNewTask(task, event);
        return this.resume(task, 0);
      case K.PTRACE_EVENT_EXEC:
        if (this.onExec(task)) this.resume(task, 0);
        return;
      case K.PTRACE_EVENT_STOP:
        // A seized task's trap stops (start of a new child, PTRACE_INTERRUPT) report SIGTRAP;
        // only a group-stop reports its stopping signal (kernel do_jobctl_trap).
        if (STOP_SIGNALS.has(sig)) {
          // Group-stop: stay stopped until SIGCONT, but keep reporting to us.
          ptrace(K.PTRACE_LISTEN, task.tid, 0, 0);
          return;
        }
        return this.resume(task, 0);
      default:
        if (sig === K.SIG.SIGSYS) this.onSigsys(task);
        return this.resume(task, sig);
    }
  }

  private onSyscallStop(task: Task): void {
    const call = this.call;
    if (ptrace(K.PTRACE_GET_SYSCALL_INFO, task.tid, K.SYSCALL_INFO_SIZE, this.info.address) <= 0) return this.resume(task, 0);
    const op = call.op;
    if (op === K.PTRACE_SYSCALL_INFO_EXIT) {
      this.onSyscallExit(task);
      return this.resume(task, 0);
    }
    const nr = call.nr;
    const archIndex = archIndexOf(call.arch, nr);
    const isSeccompStop = op === K.PTRACE_SYSCALL_INFO_SECCOMP;
    const role = task.role;
    if (role.kind === 'launcher-thread') return this.resume(task, 0);
    if (role.kind === 'launcher') {
      // Only the launcher's execve of the target starts the count (and only a seccomp stop
      // for it: that is the first stop the target's own filter could produce).
      const slot = slotOf(archIndex, nr);
      role.call = nr;
      if (!(isSeccompStop && slot >= 0 && this.special[slot]! & SPECIAL_EXEC)) return this.resume(task, 0);
      this.startTarget(task, role);
    } else if (task.filter === 'switch-at-next-stop') {
      // Counted here like any seccomp stop; from now on its calls are seen at entry.
      task.filter = 'own-filter';
    } else if (isSeccompStop && (this.syscallStops || task.filter === 'own-filter')) {
      // Already counted at the entry stop; a seccomp stop here only says our filter was reached.
      if (task.call.kind === 'in-call') task.call.passedFilter = true;
      return this.resume(task, 0);
    } else if (isSeccompStop && this.cloneCheckedPolicy && call.retData === CLONE_CHECK_DATA && !this.policyTraces(call)) {
      // A clone the policy allows, stopped only to keep a CLONE_UNTRACED child followed: not a violation.
      // Seccomp mode, sbx's filter alone: passedFilter and entryTime are read only in syscall mode or
      // under own-filter, and this task reaches own-filter only at a stop that counts a call anew.
      const slot = slotOf(archIndex, nr);
      task.call = slot >= 0 ? { kind: 'in-call', slot, entryTime: 0, passedFilter: true } : IDLE;
      if (slot >= 0 && this.special[slot]! & (SPECIAL_CLONE | SPECIAL_CLONE3)) this.onSpecialSyscall(task, this.special[slot]!, call);
      return this.resume(task, 0);
    }
    const slot = this.recorder.count(task.tid, task.exe, archIndex, nr, call);
    task.call =
      slot >= 0 ? { kind: 'in-call', slot, entryTime: this.syscallStops ? performance.now() : 0, passedFilter: isSeccompStop } : IDLE;
    task.suspect = undefined;
    if (slot >= 0) {
      const special = this.special[slot]!;
      if (special & SPECIAL_TERMINAL) this.onTerminalSyscall(task, special, archIndex, call);
      else if (special) this.onSpecialSyscall(task, special, call);
    }
    if (this.asker && isSeccompStop && slot >= 0 && !this.alwaysAllowed.has(slot)) return this.ask(task, archIndex, nr, slot, call);
    this.resume(task, 0);
  }

  /** Whether the policy behind the clone check (run --complain/--ask) traces this call, i.e. would deny it. */
  private policyTraces(call: SyscallInfo): boolean {
    const { ret } = emulate(this.cloneCheckedPolicy!, {
      nr: call.nr,
      arch: call.arch,
      instructionPointer: call.instructionPointer,
      args: call.args(),
    });
    return actionOf(ret).kind === 'trace';
  }

  /** Ask mode: the program waits at this call until the answer comes, which is then carried out. */
  private ask(task: Task, archIndex: number, nr: number, slot: number, call: SyscallInfo): void {
    const arch = ARCHES[archIndex]!.name;
    const name = syscallName(arch, nr) ?? `syscall_${nr}`;
    const args = call.args().map((value) => `0x${value.toString(16)}`);
    const asked = this.asked.get(slot) ?? 0;
    this.asked.set(slot, asked + 1);
    const answer = this.asker!({
      pid: task.tgid,
      arch,
      nr,
      name,
      args,
      decoded: describeArgs(arch, name, args),
      exe: task.exe.path,
      asked,
    });
    switch (answer.kind) {
      case 'allow-always':
        this.alwaysAllowed.add(slot);
        return this.resume(task, 0);
      case 'allow':
        return this.resume(task, 0);
      case 'errno':
        skipSyscall(task.tid, -answer.errno);
        return this.resume(task, 0);
      case 'trap':
        skipSyscall(task.tid, -K.ERRNO.ENOSYS); // as the kernel leaves it
        return this.resume(task, K.SIG.SIGSYS);
      case 'kill':
        kill(task.tgid, K.SIG.SIGKILL);
        return this.resume(task, 0);
    }
  }

  private onSyscallExit(task: Task): void {
    if (task.restore) this.restoreArgument(task);
    if (task.screenAfterCall) {
      this.terminal!.show(task.screenAfterCall);
      task.screenAfterCall = 0;
    }
    const { rval, isError } = this.call;
    if (task.pendingFilter) {
      // Only a filter that was really installed changes anything (QEMU probes with a failing call).
      if (!isError) this.ownFilterInstalled(task, task.pendingFilter === 'process');
      task.pendingFilter = undefined;
    }
    const role = task.role;
    if ((role.kind === 'launcher' || role.kind === 'launching') && isError) this.launchError = this.describeLaunchFailure(role.call, -rval);
    const call = task.call;
    if (call.kind === 'idle') return; // exit of a call that began before we attached
    task.call = IDLE;
    const slot = call.slot;
    if (this.syscallStops) this.recorder.exit(slot, rval, isError, (performance.now() - call.entryTime) * 1e6);
    if (task.filter !== 'own-filter') return;
    if (!this.syscallStops && !call.passedFilter) {
      // Seccomp mode: the call never reached sbx's filter, so the program's own filter answered it.
      const result = isError ? `ERRNO(${K.errnoName(-rval)})` : `RETURNED(${rval})`;
      this.recorder.deniedByOwnFilter(slot, result);
      task.suspect = { slot, recorded: result };
    } else if (this.syscallStops && !isError && rval === slotNr(slot)) {
      // Syscall mode cannot see the filter; a TRAP or KILL rolls the call back (the return value
      // is the syscall number) and the SIGSYS that follows confirms it.
      task.suspect = { slot, recorded: undefined };
    }
  }

  /** The suspect call was refused by the program's own filter with `result` (TRAP, KILL). */
  private confirmDenial(task: Task, result: string): void {
    const suspect = task.suspect!;
    if (suspect.recorded) this.recorder.deniedByOwnFilter(suspect.slot, suspect.recorded, -1);
    this.recorder.deniedByOwnFilter(suspect.slot, result);
    task.suspect = undefined;
  }

  private onSpecialSyscall(task: Task, special: number, call: SyscallInfo): void {
    const arg = (i: number) => call.low(i);
    const argAddress = (i: number) => call.arg(i);
    if (special & SPECIAL_EXEC) task.pendingExecPath = this.memory.readString(task.tid, argAddress(0));
    else if (special & SPECIAL_EXECVEAT)
      task.pendingExecPath = undefined; // relative to a dirfd: use /proc/PID/exe
    else if (special & SPECIAL_SECCOMP) {
      if (arg(0) === K.SECCOMP_SET_MODE_FILTER || arg(0) === K.SECCOMP_SET_MODE_STRICT)
        task.pendingFilter = arg(0) === K.SECCOMP_SET_MODE_FILTER && arg(1) & K.SECCOMP_FILTER_FLAG_TSYNC ? 'process' : 'thread';
    } else if (special & SPECIAL_PRCTL && arg(0) === K.PR_SET_SECCOMP) task.pendingFilter = 'thread';
    else if (special & SPECIAL_CLONE && arg(0) & K.CLONE_UNTRACED) this.followUntracedClone(task, call);
    else if (special & SPECIAL_CLONE3) this.followUntracedClone3(task, argAddress(0), arg(1));
  }

  /** Calls that may take the terminal over from the progress line, or change which fd is the terminal. */
  private onTerminalSyscall(task: Task, special: number, archIndex: number, call: SyscallInfo): void {
    const terminal = this.terminal!;
    const fd = call.low(0) | 0;
    if (special & SPECIAL_WRITE) task.screenAfterCall = terminal.onWrite(task.tid, task.tgid, fd, call.arg(1), call.low(2));
    else if (special & SPECIAL_WRITEV && archIndex === IDX_X86_64)
      task.screenAfterCall = terminal.onWritev(task.tid, task.tgid, fd, call.arg(1), call.low(2));
    else if (special & SPECIAL_IOCTL) task.screenAfterCall = terminal.onIoctl(task.tid, task.tgid, fd, call.low(1), call.arg(2));
    else if (special & SPECIAL_FD_GONE) terminal.forgetFd(task.tgid, fd);
    else if (special & SPECIAL_FDS_GONE) terminal.forgetFd(task.tgid, fd, true);
    else if (special & SPECIAL_FD_REPLACED) terminal.forgetFd(task.tgid, call.low(1) | 0);
  }

  /**
   * clone(CLONE_UNTRACED): clear the flag in the flags register before the call runs, so the child
   * is traced like every other (untraced, its calls would escape the count, and in seccomp mode
   * the launcher's RET_TRACE would fail them with ENOSYS). The register is put back afterwards.
   */
  private followUntracedClone(task: Task, call: SyscallInfo): void {
    const offset = flagsRegisterOffset(call.arch);
    if (offset === undefined) {
      this.untracedLost.push(`sbx does not know the flags register on ${process.arch}`);
      return;
    }
    const value = call.arg(0);
    this.changeCloneFlags(task, { kind: 'register', offset, value });
  }

  /** clone3 with CLONE_UNTRACED: the same, in the flags word of its struct clone_args. */
  private followUntracedClone3(task: Task, address: bigint, size: number): void {
    const bytes = size >= 8 && address !== 0n ? this.memory.readBytes(task.tid, address, 8) : undefined;
    if (!bytes || bytes.length < 8) return;
    const value = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (value & BigInt(K.CLONE_UNTRACED)) this.changeCloneFlags(task, { kind: 'memory', address, value });
  }

  /** Write the flags without CLONE_UNTRACED where `original` says, and remember to put them back. */
  private changeCloneFlags(task: Task, original: ArgumentRestore): void {
    if (!pokeFlags(task.tid, original, original.value & ~BigInt(K.CLONE_UNTRACED))) {
      this.untracedLost.push(`${original.kind === 'register' ? 'PTRACE_POKEUSER' : 'PTRACE_POKEDATA'}: ${strerror(errno())}`);
      return;
    }
    task.restore = original;
    this.untracedFollowed++;
  }

  /** Put a changed clone flags word back as the program wrote it. */
  private restoreArgument(task: Task): void {
    pokeFlags(task.tid, task.restore!, task.restore!.value);
    task.restore = undefined;
  }

  /** The profile says which CLONE_UNTRACED children were followed, and which could not be. */
  private noteUntracedChildren(): void {
    if (this.untracedFollowed)
      this.notes.push(
        `${this.untracedFollowed} clone/clone3 call(s) asked for an untraced child (CLONE_UNTRACED): sbx cleared the flag so each child was traced and its calls counted (the program's own copy of the flags was put back)`,
      );
    for (const why of new Set(this.untracedLost))
      this.notes.push(`a child started with CLONE_UNTRACED could not be followed (${why}): its calls are not counted`);
  }

  /**
   * The program installed a seccomp filter: from now on see its syscalls at entry, before its
   * filter runs. With TSYNC the other threads switch at their next stop; interrupting them
   * instead would restart their blocked syscalls and change what is counted.
   */
  private ownFilterInstalled(task: Task, wholeProcess: boolean): void {
    if (task.filter !== 'own-filter' && !this.syscallStops)
      this.note(`a traced process installed its own seccomp filter: its denied syscalls are recorded as deniedByOwnFilter`);
    if (this.syscallStops)
      this.noteFilterUnseen('a traced process installed its own seccomp filter', 'use --mode seccomp to attribute them');
    // A switch still pending (a sibling's TSYNC during this call) is done too: the next stop after
    // this exit stop is an entry stop, which both count alike.
    task.filter = 'own-filter';
    if (!wholeProcess) return;
    for (const other of this.tasks.values())
      if (other.tgid === task.tgid && other !== task && other.filter === 'trace-filter') other.filter = 'switch-at-next-stop';
  }

  /** Entry+exit stops cannot tell which calls the program's own filter refused with ERRNO. */
  private noteFilterUnseen(what: string, remedy: string): void {
    this.note(
      `${what}: with entry+exit stops the calls it refuses with ERRNO count as errors (${remedy}); TRAP and KILL are recorded as deniedByOwnFilter`,
    );
  }

  private note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  private onSigsys(task: Task): void {
    if (!task.suspect || ptrace(K.PTRACE_GETSIGINFO, task.tid, 0, this.siginfo.address) < 0) return;
    if (this.siginfo.i32[2] !== K.SYS_SECCOMP || this.slotOfSigsys() !== task.suspect.slot) return;
    this.confirmDenial(task, 'TRAP');
  }

  /** SIGSYS siginfo: si_syscall (int @ 24) and si_arch (u32 @ 28) on 64-bit. */
  private slotOfSigsys(): number {
    const nr = this.siginfo.i32[6]!;
    return slotOf(archIndexOf(this.siginfo.u32[7]!, nr), nr);
  }

  /** The launcher becomes the target: from here on its calls (and its children's) count. */
  private startTarget(task: Task, launcher: LauncherRole): void {
    task.role = { kind: 'launching', call: launcher.call };
    this.recorder.taskStarted(task.exe, true);
  }

  /** What failed while the launcher set up the target, as the user should read it. */
  private describeLaunchFailure(nr: number, err: number): string {
    const target = this.config.target;
    const argv0 = 'argv' in target ? target.argv[0]! : '';
    const name = syscallName(hostArch(), nr);
    if (name === 'seccomp')
      return `the kernel refused the seccomp filter: seccomp(SECCOMP_SET_MODE_FILTER): ${K.errnoName(err)} (${strerror(err)})`;
    if (name === 'prctl') return `prctl(PR_SET_NO_NEW_PRIVS) failed: ${K.errnoName(err)} (${strerror(err)})`;
    if (name === 'execve') return `${argv0}: ${strerror(err)}`;
    return `the launcher failed in ${name ?? nr}: ${strerror(err)}`;
  }

  private onNewTask(parent: Task, event: number): void {
    if (ptrace(K.PTRACE_GETEVENTMSG, parent.tid, 0, this.message.address) < 0) return;
    const tid = Number(this.message.u64[0]!);
    const tgid = event === K.PTRACE_EVENT_CLONE ? (readTgid(tid) ?? parent.tgid) : tid;
    const child = new Task(tid, tgid, counted(parent.role) ? TARGET : { kind: 'launcher-thread' }, parent.exe);
    // The child's registers (and, without CLONE_VM, its memory) are copies of the changed ones.
    child.restore = parent.restore;
    child.filter = parent.filter;
    this.tasks.set(tid, child);
    if (counted(parent.role)) this.recorder.taskStarted(parent.exe, tgid !== parent.tgid);
    if (this.parked.delete(tid)) {
      if (child.restore) this.restoreArgument(child);
      this.resume(child, 0);
    }
  }

  /** Handle an exec event; false when the task was detached (enforce-only). */
  private onExec(task: Task): boolean {
    if (ptrace(K.PTRACE_GETEVENTMSG, task.tid, 0, this.message.address) >= 0) {
      const formerTid = Number(this.message.u64[0]!);
      if (formerTid !== task.tid) {
        // A non-leader thread exec'd: it takes over the leader's pid.
        const mover = this.tasks.get(formerTid);
        this.tasks.delete(formerTid);
        if (mover) {
          this.tasks.set(task.tid, mover);
          mover.tid = task.tid;
          task = mover;
        }
      }
    }
    // Under a filter that lets execve through untraced, the exec event is the start; the seize
    // can also catch the launcher's own exec (posix_spawn returns before it completes).
    if (task.role.kind === 'launcher' && safeReadlink(`/proc/${task.tid}/exe`) !== this.launcherPath) this.startTarget(task, task.role);
    if (!counted(task.role)) return true;
    const firstImage = task.role.kind === 'launching';
    task.role = TARGET;
    if (this.config.enforceOnly) {
      ptrace(K.PTRACE_DETACH, task.tid, 0, 0);
      return false;
    }
    this.terminal?.forgetProcess(task.tgid);
    const path = this.execPath(task);
    task.pendingExecPath = undefined;
    task.exe = this.recorder.executable(path);
    this.recorder.processExeced(task.exe, firstImage);
    return true;
  }

  private execPath(task: Task): string {
    const given = task.pendingExecPath;
    if (given) {
      if (given.startsWith('/')) return given;
      const cwd = safeReadlink(`/proc/${task.tid}/cwd`);
      if (cwd) return resolvePath(cwd, given);
    }
    return safeReadlink(`/proc/${task.tid}/exe`) ?? '(unknown)';
  }

  private onTaskGone(pid: number, status: number): void {
    this.parked.delete(pid);
    const task = this.tasks.get(pid);
    if (!task) return;
    this.tasks.delete(pid);
    if (task.groupStopped) this.terminal?.groupStop(false);
    if (task.tid === task.tgid) this.terminal?.forgetProcess(task.tgid);
    const number = termSignal(status);
    const signaled = number !== 0;
    if (number === K.SIG.SIGSYS) {
      // KILL_PROCESS (and KILL_THREAD of a last thread) rolls the call back to an exit stop and
      // then kills; KILL_THREAD of one thread among several exits at once, from inside the call.
      if (task.suspect) this.confirmDenial(task, 'KILL');
      else if (task.filter === 'own-filter' && !this.syscallStops && task.call.kind === 'in-call' && !task.call.passedFilter)
        this.recorder.deniedByOwnFilter(task.call.slot, 'KILL');
    }
    if (pid !== this.mainPid) return;
    this.exit = signaled
      ? { kind: 'signaled', signal: K.signalName(number), number, core: dumpedCore(status) }
      : { kind: 'exited', code: exitCode(status) };
    const role = task.role;
    if (role.kind === 'launcher' || role.kind === 'launching') {
      // The launcher died before exec'ing the target: a filter that kills execve (sbx run), a signal.
      this.launchFailed = true;
      if (signaled) {
        const call = role.call >= 0 ? syscallName(hostArch(), role.call) : undefined;
        this.launchKilledIn = call;
        this.launchError = `killed by ${K.signalName(number)}${call ? ` in ${call}` : ''} before the program started`;
      }
    }
  }

  /** Ctrl-C under --pid: interrupt every thread, detach each at its next stop. */
  private beginDetach(): void {
    this.detaching = true;
    for (const task of this.tasks.values()) ptrace(K.PTRACE_INTERRUPT, task.tid, 0, 0);
    for (const pid of this.parked) ptrace(K.PTRACE_DETACH, pid, 0, 0);
    this.parked.clear();
  }

  private detach(task: Task, status: number): void {
    const sig = stopSignal(status);
    const event = ptraceEvent(status);
    // A plain signal-delivery-stop carries a signal the program must still get.
    const pending = event === 0 && sig !== (K.SIG.SIGTRAP | 0x80) ? sig : 0;
    ptrace(K.PTRACE_DETACH, task.tid, 0, pending);
    this.tasks.delete(task.tid);
    if (this.tasks.size === 0) this.exit = { kind: 'detached' };
  }
}

// x86_64 struct user_regs_struct offsets (PTRACE_POKEUSER): orig_rax is the syscall number.
const USER_RBX = 40;
const USER_RAX = 80;
const USER_RDI = 112;
const USER_ORIG_RAX = 120;
const PTRACE_POKEDATA = 5;
const PTRACE_POKEUSER = 6;

/** Write a clone flags word (a register or tracee memory); false when ptrace refused. */
function pokeFlags(tid: number, where: ArgumentRestore, value: bigint): boolean {
  return where.kind === 'register'
    ? ptrace(PTRACE_POKEUSER, tid, where.offset, value) >= 0
    : ptrace(PTRACE_POKEDATA, tid, where.address, value) >= 0;
}

/** Offset of a syscall's first argument register in user_regs_struct, by the call's audit arch. */
function flagsRegisterOffset(auditArch: number): number | undefined {
  if (process.arch !== 'x64') return undefined;
  const arch = archOfSyscall(auditArch, 0);
  if (arch === 'x86_64') return USER_RDI; // x86_64 and x32 (same AUDIT_ARCH)
  if (arch === 'i386') return USER_RBX; // int 0x80 / 32-bit programs: ebx
  return undefined;
}

/** At a seccomp stop: skip the call (number -1) and make it return `ret` (seccomp(2), SECCOMP_RET_TRACE). */
function skipSyscall(tid: number, ret: number): void {
  if (process.arch !== 'x64') throw new Error('answering a call with an errno is implemented for x86_64 only');
  ptrace(PTRACE_POKEUSER, tid, USER_ORIG_RAX, BigInt.asUintN(64, -1n));
  ptrace(PTRACE_POKEUSER, tid, USER_RAX, BigInt.asUintN(64, BigInt(ret)));
}

/** "flags=O_RDONLY|O_CLOEXEC mode=0" from the decoders (register arguments only). */
function describeArgs(arch: ArchName, name: string, args: readonly string[]): string {
  return argDecoders(arch, name)
    .filter((d) => d.kind !== 'path' && d.kind !== 'sockaddr' && d.kind !== 'clone_args')
    .map((d) => `${d.name}=${d.format(BigInt(args[d.index]!), d.contextIndex === undefined ? undefined : BigInt(args[d.contextIndex]!))}`)
    .join(' ');
}

function safeReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** The thread runs under a seccomp filter (/proc/TID/status "Seccomp: 2"). */
function hasSeccompFilter(tid: number): boolean {
  try {
    return /^Seccomp:\s*2$/m.test(readFileSync(`/proc/${tid}/status`, 'latin1'));
  } catch {
    return false;
  }
}

function readTgid(tid: number): number | undefined {
  try {
    const m = /^Tgid:\s*(\d+)/m.exec(readFileSync(`/proc/${tid}/status`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
