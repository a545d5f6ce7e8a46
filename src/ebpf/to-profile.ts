/**
 * The adapter from the kernel's tables to the profile: reads the maps (mmapped arrays, walked
 * hashes) into plain data, then feeds the backend-neutral recorder with pre-aggregated calls,
 * so decoding, bounding and the profile format are the ptrace backend's own. This is the one
 * file of src/ebpf that knows the recorder.
 */
import { realpathSync } from 'node:fs';
import { Recorder, type ExecStats } from '../profile/recorder.js';
import { LIVE_PROCESSES, LIVE_THREADS, SLOT_COUNT } from '../profile/slots.js';
import type { Profile, RunInfo } from '../profile/types.js';
import { forEachKey, lookup, mapIo, mmapArray, mmapRing, type BpfMap, type RingPages } from './kernel.js';
import { ARCHES, errnoName, formatSockaddr } from './linux.js';
import {
  ARG_STRIDE,
  ARG_UNREADABLE,
  EXE_FIELD,
  EXE_FIELDS,
  EXE_NONE,
  EXE_OTHER,
  GLOBAL,
  LIMITS,
  PATH_RECORD,
  PATH_SOCKADDR,
  ROW,
  type Maps,
} from './programs.js';

/** One (slot, key) → count row of a hash map. */
export interface Row<K> {
  readonly slot: number;
  readonly key: K;
  readonly n: number;
}

/** What the kernel counted, copied out of the maps. */
export interface KernelTables {
  /** exe * ROW + slot → calls. */
  readonly counts: BigUint64Array;
  /** slot → ktime of its first call (0: never, or counted only at sys_exit). */
  readonly first: BigUint64Array;
  readonly timeNs: BigUint64Array;
  readonly errors: readonly Row<number>[];
  readonly denied: readonly Row<number>[];
  readonly args: readonly Row<{ arg: number; value: bigint; context: bigint }>[];
  /** Distinct (slot, arg, value) entries in the kernel's table, and its size. */
  readonly argEntries: number;
  readonly argOther: BigUint64Array;
  /** exe id → filename as exec'd. */
  readonly exes: ReadonlyMap<number, string>;
  readonly exeStats: BigUint64Array;
  readonly globals: BigUint64Array;
  /** With --paths: what came through the ring buffer. */
  readonly paths?: PathTables;
}

/** --paths values per slot (undefined: the kernel could not read it), and what did not fit. */
export interface PathTables {
  readonly values: readonly Row<string | undefined>[];
  /** slot → values beyond the per-slot bound (user space) or records the full ring buffer refused (kernel). */
  readonly other: ReadonlyMap<number, number>;
  /** Records the full ring buffer refused. */
  readonly dropped: number;
  /** The ring buffer's size in bytes. */
  readonly bufferBytes: number;
}

/** Ring buffer record header bits (kernel/bpf/ringbuf.c): still being written, and thrown away. */
const RINGBUF_BUSY = 0x80000000;
const RINGBUF_DISCARD = 0x40000000;
const RINGBUF_HEADER = 8;

/**
 * Drains the --paths ring buffer (the consumer side of the kernel's ringbuf ABI) into counts
 * per (slot, value), each slot bounded to `maxValues` values like the recorder's histograms, so
 * hours of learning keep flat memory.
 */
class PathDrain {
  private readonly pages: RingPages;
  private readonly words: Uint32Array;
  private readonly view: DataView;
  private readonly size: number;
  private readonly values = new Map<number, Map<string | undefined, number>>();
  private readonly other = new Map<number, number>();

  constructor(
    private readonly ring: BpfMap,
    private readonly dropped: BigUint64Array,
    private readonly maxValues: number,
  ) {
    this.pages = mmapRing(ring);
    this.size = ring.maxEntries;
    const { data } = this.pages;
    this.words = new Uint32Array(data.buffer, data.byteOffset, data.length / 4);
    this.view = new DataView(data.buffer, data.byteOffset, data.length);
  }

  /** Take every committed record; stop at one still being written. */
  drain(): void {
    let consumer = Number(this.pages.consumer[0]!);
    const producer = Number(Atomics.load(this.pages.producer, 0));
    while (consumer < producer) {
      const at = consumer % this.size;
      const header = Atomics.load(this.words, at / 4);
      if (header & RINGBUF_BUSY) break;
      const length = header & ~(RINGBUF_BUSY | RINGBUF_DISCARD);
      if (!(header & RINGBUF_DISCARD)) this.take(at + RINGBUF_HEADER);
      consumer += Math.ceil((length + RINGBUF_HEADER) / 8) * 8;
      Atomics.store(this.pages.consumer, 0, BigInt(consumer));
    }
  }

  private take(at: number): void {
    const R = PATH_RECORD;
    const slot = this.view.getUint32(at + R.slot, true);
    const arg = this.view.getUint32(at + R.arg, true);
    const result = Number(this.view.getBigInt64(at + R.result, true));
    const pointer = this.view.getBigUint64(at + R.pointer, true);
    const bytes = this.pages.data.subarray(at + R.data, at + R.bytes);
    let value: string | undefined;
    if (pointer === 0n) value = '(null)';
    else if (result <= 0) value = undefined;
    else if (arg & PATH_SOCKADDR) value = formatSockaddr(bytes.subarray(0, result));
    else {
      // result counts the NUL; a full buffer may have cut the path (as the ptrace backend marks its 4 KiB cut).
      value = Buffer.from(bytes.subarray(0, result - 1)).toString('utf8');
      if (result === R.bytes - R.data) value += '…';
    }
    let counts = this.values.get(slot);
    if (!counts) this.values.set(slot, (counts = new Map()));
    if (counts.has(value) || counts.size < this.maxValues) counts.set(value, (counts.get(value) ?? 0) + 1);
    else this.other.set(slot, (this.other.get(slot) ?? 0) + 1);
  }

  read(): PathTables {
    this.drain();
    const values: Row<string | undefined>[] = [];
    for (const [slot, counts] of this.values) for (const [key, n] of counts) values.push({ slot, key, n });
    const other = new Map(this.other);
    let dropped = 0;
    this.dropped.forEach((n, slot) => {
      if (!n) return;
      dropped += Number(n);
      other.set(slot, (other.get(slot) ?? 0) + Number(n));
    });
    return { values, other, dropped, bufferBytes: this.ring.maxEntries };
  }
}

/** Live views of the mmapable arrays; hashes are walked on each read. */
export class TableReader {
  private readonly views: Record<'counts' | 'first' | 'time' | 'argOther' | 'exeStats' | 'globals', BigUint64Array>;
  private readonly paths?: PathDrain;

  /** `maxValues` bounds the --paths values kept per syscall. */
  constructor(
    private readonly maps: Maps,
    maxValues: number,
  ) {
    const view = (map: BpfMap) => new BigUint64Array(mmapArray(map), 0, map.maxEntries);
    if (maps.paths) this.paths = new PathDrain(maps.paths.ring, view(maps.paths.dropped), maxValues);
    this.views = {
      counts: view(maps.counts),
      first: view(maps.first),
      time: view(maps.time),
      argOther: view(maps.argOther),
      exeStats: view(maps.exeStats),
      globals: view(maps.globals),
    };
  }

  /** Followed tasks still running (the tree is gone at 0). */
  live(): bigint {
    return this.views.globals[GLOBAL.LIVE]!;
  }

  /** Empty the --paths ring buffer (call often: a full buffer drops records). */
  drainPaths(): void {
    this.paths?.drain();
  }

  /** Add to a global counter from user space (tasks registered by --pid). */
  addGlobal(index: number, n: bigint): void {
    this.views.globals[index]! += n;
  }

  /** Copy everything out (arrays are copied so a snapshot does not move under the reader). */
  read(): KernelTables {
    const v = this.views;
    let argEntries = 0;
    const args: Row<{ arg: number; value: bigint; context: bigint }>[] = [];
    this.walk(this.maps.args, (key, value) => {
      argEntries++;
      args.push({ slot: key.u32[0]!, key: { arg: key.u32[1]!, value: key.u64[1]!, context: key.u64[2]! }, n: Number(value.u64[0]!) });
    });
    const pairs = (map: BpfMap) => {
      const rows: Row<number>[] = [];
      this.walk(map, (key, value) => rows.push({ slot: key.u32[0]!, key: key.u32[1]!, n: Number(value.u64[0]!) }));
      return rows;
    };
    const exes = new Map<number, string>();
    this.walk(this.maps.exes, (key, value) => {
      const end = key.bytes.indexOf(0);
      exes.set(value.u32[0]!, Buffer.from(key.bytes.subarray(0, end < 0 ? LIMITS.pathBytes : end)).toString('utf8'));
    });
    return {
      counts: v.counts.slice(),
      first: v.first.slice(),
      timeNs: v.time.slice(),
      errors: pairs(this.maps.errors),
      denied: pairs(this.maps.denied),
      args,
      argEntries,
      argOther: v.argOther.slice(),
      exes,
      exeStats: v.exeStats.slice(),
      globals: v.globals.slice(),
      ...(this.paths ? { paths: this.paths.read() } : {}),
    };
  }

  private walk(map: BpfMap, visit: (key: ReturnType<typeof mapIo>['key'], value: ReturnType<typeof mapIo>['value']) => void): void {
    const io = mapIo(map);
    forEachKey(map, io, () => {
      if (lookup(map, io)) visit(io.key, io.value);
    });
  }
}

/** What user space knows on top of the tables. */
export interface ProfileContext {
  readonly run: Omit<RunInfo, 'calls' | 'processes' | 'threads'>;
  readonly notes: readonly string[];
  readonly maxValues: number;
  /** Size of the kernel's argument table (entries). */
  readonly argCapacity: number;
}

/** The kernel already read what it needed from user memory: the recorder never reads any. */
const NO_MEMORY = { readString: () => undefined, readBytes: () => undefined };

function resolvedPath(path: string): string {
  try {
    return path.startsWith('/') ? realpathSync(path) : path;
  } catch {
    return path;
  }
}

/** Build profile v1 from the kernel's tables through the recorder. */
export function profileOf(tables: KernelTables, context: ProfileContext): Profile {
  const recorder = new Recorder({ maxValues: context.maxValues, paths: tables.paths !== undefined }, NO_MEMORY);
  const executables = new Map<number, ExecStats>();
  const exeOf = (id: number): ExecStats => {
    let stats = executables.get(id);
    if (!stats) {
      const path =
        id === EXE_NONE
          ? "(not exec'd while learning)"
          : id === EXE_OTHER
            ? '(other executables: table full)'
            : resolvedPath(tables.exes.get(id) ?? `(executable ${id})`);
      stats = recorder.executable(path);
      executables.set(id, stats);
    }
    return stats;
  };
  // Slots in the order the kernel first saw them (calls first seen only at sys_exit come last).
  const slots: number[] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    for (let exe = 0; exe < LIMITS.executables; exe++)
      if (tables.counts[exe * ROW + slot]) {
        slots.push(slot);
        break;
      }
  }
  const firstOf = (slot: number) => tables.first[slot] || 0xffffffffffffffffn;
  slots.sort((a, b) => (firstOf(a) < firstOf(b) ? -1 : firstOf(a) > firstOf(b) ? 1 : a - b));
  for (const slot of slots)
    for (let exe = 0; exe < LIMITS.executables; exe++) {
      const n = Number(tables.counts[exe * ROW + slot]!);
      if (n) recorder.addCalls(exeOf(exe), slot, n);
    }
  ARCHES.forEach((arch, index) => {
    let n = 0;
    for (let exe = 0; exe < LIMITS.executables; exe++) n += Number(tables.counts[exe * ROW + SLOT_COUNT + index]!);
    recorder.addStrays(`${arch.name}:(outside 0..1023)`, n);
  });
  for (const slot of slots) recorder.addExits(slot, undefined, 0, Number(tables.timeNs[slot]!));
  for (const { slot, key, n } of tables.errors) if (slot < SLOT_COUNT) recorder.addExits(slot, key, n);
  for (const { slot, key, n } of tables.denied)
    if (slot < SLOT_COUNT) recorder.deniedByOwnFilter(slot, key ? `ERRNO(${errnoName(key)})` : 'TRAP', n);
  for (const { slot, key, n } of tables.args)
    recorder.addArgValue(slot, key.arg & ~ARG_UNREADABLE, key.arg & ARG_UNREADABLE ? undefined : key.value, key.context, n);
  for (let i = 0; i < tables.argOther.length; i++) {
    const n = Number(tables.argOther[i]!);
    if (n) recorder.addArgValue(Math.floor(i / ARG_STRIDE), i % ARG_STRIDE, 'other', undefined, n);
  }
  for (const { slot, key, n } of tables.paths?.values ?? []) if (slot < SLOT_COUNT) recorder.addPathValue(slot, key, n);
  for (const [slot, n] of tables.paths?.other ?? []) if (slot < SLOT_COUNT) recorder.addPathValue(slot, 'other', n);
  for (let id = 0; id < LIMITS.executables; id++) {
    const [execs, processes, threads] = [EXE_FIELD.EXECS, EXE_FIELD.PROCESSES, EXE_FIELD.THREADS].map((f) =>
      Number(tables.exeStats[id * EXE_FIELDS + f]!),
    );
    if (!execs && !processes && !threads) continue;
    const stats = exeOf(id);
    stats.execs += execs!;
    stats.processes += processes!;
    stats.threads += threads!;
  }
  recorder.live[LIVE_PROCESSES] = Number(tables.globals[GLOBAL.PROCESSES]!);
  recorder.live[LIVE_THREADS] = Number(tables.globals[GLOBAL.THREADS]!);
  return recorder.toProfile(context.run, [...context.notes, ...overflowNotes(tables, context)]);
}

/** Every bound that was hit, said in the profile. */
function overflowNotes(tables: KernelTables, context: ProfileContext): string[] {
  const notes: string[] = [];
  const tasks = Number(tables.globals[GLOBAL.TASKS_DROPPED]!);
  if (tasks)
    notes.push(`${tasks} task(s) could not be followed: the kernel's task table (${LIMITS.tasks}) was full; their calls are missing`);
  const errors = Number(tables.globals[GLOBAL.ERRORS_DROPPED]!);
  if (errors)
    notes.push(
      `${errors} failed call(s) not broken down by errno: the kernel's error table (${LIMITS.errors}) was full (the calls are counted)`,
    );
  const other = Number(tables.exeStats[EXE_OTHER * EXE_FIELDS + EXE_FIELD.EXECS]!);
  if (other)
    notes.push(
      `${other} exec(s) of executables beyond the first ${LIMITS.executables - 2} are counted under "(other executables: table full)"`,
    );
  const paths = tables.paths?.dropped;
  if (paths)
    notes.push(
      `${paths} paths dropped: the ring buffer was full (${tables.paths!.bufferBytes} bytes, --path-buffer); they are counted under "other" in the paths histograms`,
    );
  let dropped = 0;
  for (const n of tables.argOther) dropped += Number(n);
  if (dropped)
    notes.push(
      `${dropped} argument values dropped: the kernel's argument table (${context.argCapacity} distinct values) was full; they are counted under "other"`,
    );
  return notes;
}
