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
import { forEachKey, lookup, mapIo, mmapArray, type BpfMap } from './kernel.js';
import { ARCHES, errnoName } from './linux.js';
import { ARG_STRIDE, ARG_UNREADABLE, EXE_FIELD, EXE_FIELDS, EXE_NONE, EXE_OTHER, GLOBAL, LIMITS, ROW, type Maps } from './programs.js';

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
}

/** Live views of the mmapable arrays; hashes are walked on each read. */
export class TableReader {
  private readonly views: Record<'counts' | 'first' | 'time' | 'argOther' | 'exeStats' | 'globals', BigUint64Array>;

  constructor(private readonly maps: Maps) {
    const view = (map: BpfMap) => new BigUint64Array(mmapArray(map), 0, map.maxEntries);
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
  const recorder = new Recorder({ maxValues: context.maxValues, paths: false }, NO_MEMORY);
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
  let dropped = 0;
  for (const n of tables.argOther) dropped += Number(n);
  if (dropped)
    notes.push(
      `${dropped} argument values dropped: the kernel's argument table (${context.argCapacity} distinct values) was full; they are counted under "other"`,
    );
  return notes;
}
