/**
 * Profile format v1: what `sbx learn` writes and `report`/`merge`/`propose` read.
 * Documented for humans in docs/profile-format.md; this file is the source of truth.
 */
import type { ArchName } from '../linux/arch.js';

export const PROFILE_FORMAT = 'sbx-profile';
export const PROFILE_VERSION = 1;
/** Default number of distinct values a histogram keeps (here, not in profile.ts, so the CLI's option defaults load no syscall tables). */
export const DEFAULT_MAX_VALUES = 64;

export type TraceMode = 'seccomp' | 'syscall';

/** How the traced program ended. */
export type ExitStatus =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signaled'; readonly signal: string; readonly number: number; readonly core: boolean }
  | { readonly kind: 'detached' };

/** One traced run; a merged profile holds several, and per-run counts index this list. */
export interface RunInfo {
  readonly command: readonly string[];
  /**
   * Set when sbx attached with --pid instead of launching the command; `command` is then the
   * process's own command line (/proc/PID/cmdline) and `executables` marks what it ran as `attached`.
   */
  readonly attachedPid?: number;
  readonly mode: TraceMode;
  /** What watched the program: absent or "ptrace" (the default), or "ebpf" (sbx learn --backend ebpf). */
  readonly backend?: 'ptrace' | 'ebpf';
  /** --backend ebpf --cgroup/--unit/--container: the cgroup learned (every process in it and below). */
  readonly cgroup?: string;
  readonly kernel: string;
  readonly hostname: string;
  readonly start: string;
  readonly end: string;
  readonly exit: ExitStatus;
  readonly processes: number;
  readonly threads: number;
  readonly calls: number;
  /** The scenario this run was (sbx learn --scenarios); absent for a plain run. */
  readonly scenario?: string;
}

/** A bounded histogram: exact counts for the first `limit` distinct values, the rest folded into `other`. */
export interface ValueCount {
  /** Raw value: hex for numbers ("0x11"), the text for paths/addresses. */
  readonly value: string;
  /** Decoded form ("CLONE_VM|CLONE_FS|SIGCHLD"), absent when it would repeat `value`. */
  readonly label?: string;
  /**
   * For arguments whose meaning depends on another one (setsockopt optname on level, socket
   * protocol on domain, fcntl arg on cmd): that argument's raw value. Values are kept per pair.
   */
  readonly context?: string;
  readonly count: number;
}

export interface ArgHistogram {
  readonly index: number;
  readonly name: string;
  readonly values: readonly ValueCount[];
  /** Calls whose value was not among the tracked distinct values. */
  readonly other: number;
}

export interface SyscallEntry {
  readonly arch: ArchName;
  readonly nr: number;
  readonly name: string;
  readonly count: number;
  /** Calls per run, aligned with `Profile.runs`. */
  readonly perRun: readonly number[];
  /** Position at which this syscall was first seen (1 = first distinct syscall of the run); min over runs. */
  readonly firstSeen: number;
  /** Failed calls by errno name (syscall mode only). */
  readonly errors?: Readonly<Record<string, number>>;
  /** Wall time spent inside the syscall, microseconds (syscall mode only). */
  readonly timeUs?: number;
  /** Calls denied by the program's own seccomp filter, by result ("ERRNO(EPERM)", "KILL", "TRAP"). */
  readonly deniedByOwnFilter?: Readonly<Record<string, number>>;
  readonly args?: readonly ArgHistogram[];
  /** Paths / socket addresses (only with --paths). */
  readonly paths?: ArgHistogram;
}

export interface ExecutableEntry {
  /** The execve'd program (resolved, from /proc/PID/exe). */
  readonly path: string;
  readonly execs: number;
  /** Processes that were already running it when sbx attached (`sbx learn --pid`). */
  readonly attached?: number;
  readonly processes: number;
  readonly threads: number;
  /** Calls per syscall, keyed by NamedCallKey ("x86_64:read"). */
  readonly syscalls: Readonly<Record<string, number>>;
}

export interface Profile {
  readonly format: typeof PROFILE_FORMAT;
  readonly version: typeof PROFILE_VERSION;
  readonly tool: { readonly name: 'sbx'; readonly version: string };
  readonly arches: readonly ArchName[];
  readonly runs: readonly RunInfo[];
  readonly totals: {
    readonly calls: number;
    readonly errors: number;
    readonly processes: number;
    readonly threads: number;
  };
  /** Sorted by count, descending; ties by arch then nr. */
  readonly syscalls: readonly SyscallEntry[];
  readonly executables: readonly ExecutableEntry[];
  /** Facts a reader must know: vDSO calls never trap, pinning, attach mode, own filters seen. */
  readonly notes: readonly string[];
}
