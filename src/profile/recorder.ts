/**
 * The recorder: turns tracer events into counts, bounded argument histograms and
 * per-executable breakdowns, then into a profile. The tracer calls `count` once per
 * syscall, so everything on that path is typed arrays indexed by a precomputed slot.
 */
import { ARCHES, namedCallKey, type ArchName, type NamedCallKey } from '../linux/arch.js';
import { LIVE_FIELDS, LIVE_PROCESSES, LIVE_THREADS, SLOT_COUNT, slotArch, slotNr, slotOf } from './slots.js';
import { argDecoders, formatSockaddr, type ArgDecoder } from '../linux/decode/index.js';
import { syscallNameOrNumber } from '../linux/syscalls.js';
import { errnoName } from '../linux/constants.js';
import { BoundedHistogram } from './histogram.js';
import {
  PROFILE_FORMAT,
  PROFILE_VERSION,
  type ArgHistogram,
  type ExecutableEntry,
  type Profile,
  type RunInfo,
  type SyscallEntry,
} from './types.js';
import { sortSyscalls } from './profile.js';
import { toolVersion } from '../version.js';

/**
 * The six argument registers of one call, however a backend got them, as 32-bit halves (no
 * BigInt on the hot path). The ptrace backend's view of ptrace_syscall_info is one.
 */
export interface CallArgs {
  low(index: number): number;
  high(index: number): number;
}

/** Reads tracee memory for arguments that are pointers (paths, sockaddrs, clone_args). */
export interface TraceeMemory {
  readString(tid: number, address: bigint): string | undefined;
  readBytes(tid: number, address: bigint, length: number): Uint8Array | undefined;
}

/** What the recorder keeps per executable; tasks point at one of these. */
export interface ExecStats {
  readonly path: string;
  execs: number;
  /** Processes already running it when sbx attached (--pid). */
  attached: number;
  processes: number;
  threads: number;
  readonly counts: Float64Array;
}

type HistogramKey = number | bigint | string;

interface ArgTracker {
  readonly decoder: ArgDecoder;
  readonly histogram: BoundedHistogram<HistogramKey>;
}

interface SlotTrackers {
  readonly registers: readonly ArgTracker[];
  readonly pointers: readonly ArgTracker[];
  readonly paths?: BoundedHistogram<HistogramKey>;
}

export interface RecorderOptions {
  /** Distinct values kept exactly per argument histogram. */
  readonly maxValues: number;
  /** Read pathnames and socket addresses from tracee memory. */
  readonly paths: boolean;
  /** Shared counters the live progress view reads; allocated here when absent. */
  readonly counts?: Float64Array;
  readonly live?: Float64Array;
}

function u64(lo: number, hi: number): number | bigint {
  return hi < 0x200000 ? hi * 0x100000000 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

function registerValue(args: CallArgs, index: number, width: 32 | 64): number | bigint {
  const lo = args.low(index);
  return width === 32 ? lo : u64(lo, args.high(index));
}

/** Histogram key of a (value, context) pair; split again by `splitContextKey`. */
function contextKey(value: number | bigint, context: number | bigint): string {
  return `${hex(value)}@${hex(context)}`;
}

function splitContextKey(key: string): { value: string; context: string } {
  const [value, context] = key.split('@') as [string, string];
  return { value, context };
}

function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

export class Recorder {
  readonly counts: Float64Array;
  private readonly timeNs = new Float64Array(SLOT_COUNT);
  private readonly firstSeen = new Int32Array(SLOT_COUNT);
  private readonly trackers: (SlotTrackers | null | undefined)[] = new Array(SLOT_COUNT);
  private readonly errors = new Map<number, Map<number, number>>();
  private readonly denied = new Map<number, Map<string, number>>();
  private readonly executables = new Map<string, ExecStats>();
  private distinct = 0;
  /** Calls with a number outside every table (e.g. syscall(-1)), by "arch:nr". */
  private readonly strays = new Map<string, number>();
  /** Processes (distinct tgids) and threads (all tasks) seen; shared with the progress view. */
  readonly live: Float64Array;

  constructor(
    private readonly options: RecorderOptions,
    private readonly memory: TraceeMemory,
  ) {
    this.counts = options.counts ?? new Float64Array(SLOT_COUNT);
    this.live = options.live ?? new Float64Array(LIVE_FIELDS);
  }

  get processes(): number {
    return this.live[LIVE_PROCESSES]!;
  }

  get threads(): number {
    return this.live[LIVE_THREADS]!;
  }

  /**
   * A traced task began, running `exe`: a new process (its first thread) or a thread of an
   * existing one. Totals and the executable count alike: threads include main threads.
   */
  taskStarted(exe: ExecStats, newProcess: boolean): void {
    if (newProcess) {
      this.live[LIVE_PROCESSES]!++;
      exe.processes++;
    }
    this.live[LIVE_THREADS]!++;
    exe.threads++;
  }

  /**
   * A process exec'd `exe`: one more process (and its one remaining thread) ran it, unless
   * this is the target's first image, counted already when the target started.
   */
  processExeced(exe: ExecStats, firstImage: boolean): void {
    exe.execs++;
    if (firstImage) return;
    exe.processes++;
    exe.threads++;
  }

  /** sbx attached to a running process of `exe` (--pid); its threads start with `taskStarted`. */
  processAttached(exe: ExecStats): void {
    exe.attached++;
  }

  /** The stats object for an executable path, created on first use. */
  executable(path: string): ExecStats {
    let stats = this.executables.get(path);
    if (!stats) {
      stats = { path, execs: 0, attached: 0, processes: 0, threads: 0, counts: new Float64Array(SLOT_COUNT) };
      this.executables.set(path, stats);
    }
    return stats;
  }

  /**
   * Count one syscall with its arguments.
   * Returns the slot (for exit bookkeeping), or -1 for a number outside the tables.
   */
  count(tid: number, exe: ExecStats, archIndex: number, nr: number, args: CallArgs): number {
    const slot = slotOf(archIndex, nr);
    if (slot < 0) {
      const key = `${ARCHES[archIndex]?.name ?? 'unknown'}:${nr}`;
      this.strays.set(key, (this.strays.get(key) ?? 0) + 1);
      return -1;
    }
    if (++this.counts[slot]! === 1) this.firstSeen[slot] = ++this.distinct;
    exe.counts[slot]!++;
    let trackers = this.trackers[slot];
    if (trackers === undefined) trackers = this.trackers[slot] = this.makeTrackers(slot);
    if (trackers !== null) this.recordArgs(trackers, tid, args);
    return slot;
  }

  /** Record a syscall's exit (syscall mode): its result and time spent. */
  exit(slot: number, rval: number, isError: boolean, elapsedNs: number): void {
    this.timeNs[slot]! += elapsedNs;
    if (isError) this.bump(this.errors, slot, -rval);
  }

  /** Record a call the program's own seccomp filter denied, by result ("ERRNO(EPERM)", "KILL", "TRAP"). */
  deniedByOwnFilter(slot: number, result: string, delta = 1): void {
    if (slot >= 0) this.bump(this.denied, slot, result, delta);
  }

  private bump<K>(map: Map<number, Map<K, number>>, slot: number, key: K, delta = 1): void {
    let inner = map.get(slot);
    if (!inner) map.set(slot, (inner = new Map()));
    const next = (inner.get(key) ?? 0) + delta;
    if (next === 0) inner.delete(key);
    else inner.set(key, next);
  }

  private makeTrackers(slot: number): SlotTrackers | null {
    const arch = slotArch(slot);
    const registers: ArgTracker[] = [];
    const pointers: ArgTracker[] = [];
    let paths: BoundedHistogram<HistogramKey> | undefined;
    for (const decoder of argDecoders(arch, syscallNameOrNumber(arch, slotNr(slot)))) {
      if (decoder.kind === 'path' || decoder.kind === 'sockaddr') {
        if (!this.options.paths) continue;
        paths ??= new BoundedHistogram(this.options.maxValues);
        pointers.push({ decoder, histogram: paths });
      } else {
        const tracker = { decoder, histogram: new BoundedHistogram<HistogramKey>(this.options.maxValues) };
        (decoder.kind === 'clone_args' ? pointers : registers).push(tracker);
      }
    }
    if (registers.length === 0 && pointers.length === 0) return null;
    return { registers, pointers, ...(paths ? { paths } : {}) };
  }

  private recordArgs(trackers: SlotTrackers, tid: number, args: CallArgs): void {
    for (const { decoder, histogram } of trackers.registers) {
      const value = registerValue(args, decoder.index, decoder.width);
      // A value whose meaning depends on another argument (sockopt name on level) is kept per pair.
      histogram.add(decoder.contextIndex === undefined ? value : contextKey(value, registerValue(args, decoder.contextIndex, 32)));
    }
    for (const { decoder, histogram } of trackers.pointers) {
      const address = (BigInt(args.high(decoder.index)) << 32n) | BigInt(args.low(decoder.index));
      const value = this.readPointer(decoder, tid, address, args);
      histogram.add(value ?? '(unreadable)');
    }
  }

  private readPointer(decoder: ArgDecoder, tid: number, address: bigint, args: CallArgs): HistogramKey | undefined {
    if (address === 0n) return decoder.kind === 'clone_args' ? undefined : '(null)';
    switch (decoder.kind) {
      case 'clone_args': {
        const bytes = this.memory.readBytes(tid, address, 8);
        if (!bytes) return undefined;
        const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
        return u64(view.getUint32(0, true), view.getUint32(4, true));
      }
      case 'path':
        return this.memory.readString(tid, address);
      case 'sockaddr': {
        const length = Math.min(args.low(decoder.lengthIndex ?? decoder.index + 1), 128);
        const bytes = this.memory.readBytes(tid, address, length);
        return bytes ? formatSockaddr(bytes) : undefined;
      }
      default:
        return undefined;
    }
  }

  /**
   * Pre-aggregated input, for a backend that counts in the kernel (eBPF): `n` calls of `slot`
   * made by `exe`. Feed slots in the order they were first seen, so `firstSeen` keeps its meaning.
   */
  addCalls(exe: ExecStats, slot: number, n: number): void {
    if (n <= 0) return;
    if (this.counts[slot] === 0) this.firstSeen[slot] = ++this.distinct;
    this.counts[slot]! += n;
    exe.counts[slot]! += n;
  }

  /** Pre-aggregated: `n` failed calls of `slot` with `errno`, and time spent inside calls of `slot`. */
  addExits(slot: number, errno: number | undefined, n: number, timeNs = 0): void {
    this.timeNs[slot]! += timeNs;
    if (errno !== undefined && n > 0) this.bump(this.errors, slot, errno, n);
  }

  /** Pre-aggregated: `n` calls with a number outside every table, keyed "arch:nr". */
  addStrays(key: string, n: number): void {
    if (n > 0) this.strays.set(key, (this.strays.get(key) ?? 0) + n);
  }

  /**
   * Pre-aggregated: `n` calls of `slot` whose argument `argIndex` held `value` (a clone_args
   * pointer: the flags read through it; undefined when unreadable), `context` for arguments
   * decoded by another one. 'other' counts calls whose value found no room in the kernel's table.
   */
  addArgValue(slot: number, argIndex: number, value: bigint | undefined | 'other', context: bigint | undefined, n: number): void {
    let trackers = this.trackers[slot];
    if (trackers === undefined) trackers = this.trackers[slot] = this.makeTrackers(slot);
    const tracker = trackers && [...trackers.registers, ...trackers.pointers].find((t) => t.decoder.index === argIndex);
    if (!tracker) return;
    if (value === 'other') tracker.histogram.other += n;
    else if (value === undefined) tracker.histogram.add('(unreadable)', n);
    else {
      const number = value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      tracker.histogram.add(context === undefined || tracker.decoder.contextIndex === undefined ? number : contextKey(number, context), n);
    }
  }

  /**
   * Pre-aggregated: `n` calls of `slot` with `value` in a path or socket address argument
   * (--paths; undefined when it could not be read, 'other' for values that found no room).
   */
  addPathValue(slot: number, value: string | undefined | 'other', n: number): void {
    let trackers = this.trackers[slot];
    if (trackers === undefined) trackers = this.trackers[slot] = this.makeTrackers(slot);
    const paths = trackers?.paths;
    if (!paths) return;
    if (value === 'other') paths.other += n;
    else paths.add(value ?? '(unreadable)', n);
  }

  /** Total calls so far (sums the slots; for progress and summaries, not the hot path). */
  totalCalls(): number {
    let total = 0;
    for (const c of this.counts) total += c;
    for (const c of this.strays.values()) total += c;
    return total;
  }

  /** Build the profile of this one run. */
  toProfile(run: Omit<RunInfo, 'calls' | 'processes' | 'threads'>, notes: readonly string[]): Profile {
    const syscalls: SyscallEntry[] = [];
    const arches = new Set<ArchName>();
    let errorTotal = 0;
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const count = this.counts[slot]!;
      if (count === 0) continue;
      const arch = slotArch(slot);
      arches.add(arch);
      const nr = slotNr(slot);
      const errors = this.errors.get(slot);
      const denied = this.denied.get(slot);
      const trackers = this.trackers[slot];
      const entry: SyscallEntry = {
        arch,
        nr,
        name: syscallNameOrNumber(arch, nr),
        count,
        perRun: [count],
        firstSeen: this.firstSeen[slot]!,
        ...(run.mode === 'syscall' ? { errors: errorObject(errors), timeUs: Math.round(this.timeNs[slot]! / 1000) } : {}),
        ...(denied?.size ? { deniedByOwnFilter: Object.fromEntries(denied) } : {}),
        ...(trackers ? argHistograms(trackers) : {}),
      };
      if (errors) for (const n of errors.values()) errorTotal += n;
      syscalls.push(entry);
    }
    const strayNotes = [...this.strays].map(([key, n]) => `${n} call(s) with syscall number ${key} outside every table`);
    const calls = this.totalCalls();
    return {
      format: PROFILE_FORMAT,
      version: PROFILE_VERSION,
      tool: { name: 'sbx', version: toolVersion() },
      arches: [...arches],
      runs: [{ ...run, calls, processes: this.processes, threads: this.threads }],
      totals: { calls, errors: errorTotal, processes: this.processes, threads: this.threads },
      syscalls: sortSyscalls(syscalls),
      executables: [...this.executables.values()].filter((e) => e.execs > 0 || e.attached > 0).map(executableEntry),
      notes: [...notes, ...strayNotes],
    };
  }
}

function errorObject(errors: Map<number, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (errors) for (const [errno, n] of [...errors].sort((a, b) => b[1] - a[1])) out[errnoName(errno)] = n;
  return out;
}

function histogramOf(index: number, name: string, histogram: BoundedHistogram<HistogramKey>, decoder?: ArgDecoder): ArgHistogram {
  return {
    index,
    name,
    values: histogram.entries().map(([key, count]) => {
      if (decoder?.contextIndex !== undefined && typeof key === 'string') {
        const { value, context } = splitContextKey(key);
        return { value, context, label: decoder.format(BigInt(value), BigInt(context)), count };
      }
      if (typeof key === 'string') return { value: key, count };
      const value = hex(key);
      const label = decoder?.format(BigInt(key));
      return label && label !== value ? { value, label, count } : { value, count };
    }),
    other: histogram.other,
  };
}

function argHistograms(trackers: SlotTrackers): Pick<SyscallEntry, 'args' | 'paths'> {
  const args = [...trackers.registers, ...trackers.pointers.filter((p) => p.decoder.kind === 'clone_args')]
    .map(({ decoder, histogram }) => histogramOf(decoder.index, decoder.name, histogram, decoder))
    .sort((a, b) => a.index - b.index);
  return {
    ...(args.length ? { args } : {}),
    ...(trackers.paths ? { paths: histogramOf(-1, 'paths', trackers.paths) } : {}),
  };
}

function executableEntry(stats: ExecStats): ExecutableEntry {
  const syscalls: Record<string, number> = {};
  const order: [NamedCallKey, number][] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const n = stats.counts[slot]!;
    if (n) order.push([namedCallKey(slotArch(slot), syscallNameOrNumber(slotArch(slot), slotNr(slot))), n]);
  }
  order.sort((a, b) => b[1] - a[1]);
  for (const [key, n] of order) syscalls[key] = n;
  return {
    path: stats.path,
    execs: stats.execs,
    ...(stats.attached ? { attached: stats.attached } : {}),
    processes: stats.processes,
    threads: stats.threads,
    syscalls,
  };
}
