/**
 * The eBPF programs of `sbx learn --backend ebpf`, written against the assembler (asm.ts):
 *
 *  - sys_enter (raw_syscalls): for a followed task, count (exe, arch, nr), note when the slot was
 *    first seen, stamp the entry time, and count the argument values the decoder registry keeps.
 *  - sys_exit (raw_syscalls): time per slot and errors per errno. A call that reaches sys_exit
 *    without having passed sys_enter was skipped by seccomp (the program's own filter: seccomp
 *    runs before sys_enter, sys_exit still runs): it is filed as a denial per errno instead.
 *  - sched_process_fork (raw tracepoint: it gives the child's task_struct): follow children and
 *    threads, count processes and threads.
 *  - sched_process_exec: which executable a task now runs (filename → executable id).
 *  - sched_process_exit: stop following the task.
 *
 * Everything is counted in bounded maps; what does not fit is counted too ("dropped"). Field
 * offsets come from tracefs formats and BTF at run time (tracefs.ts, btf.ts), so the same code
 * assembles for the running kernel.
 */
import { Assembler, R0, R1, R2, R3, R4, R6, R7, R8, R9, R10, type EbpfProgram, type Reg } from './asm.js';
import type { BpfMap } from './kernel.js';
import { ARCHES, X32_SYSCALL_BIT, argDecoders, syscallNumber, type ArchName } from './linux.js';
import { SLOT_COUNT, SLOTS_PER_ARCH } from '../profile/slots.js';

/** Helper ids (enum bpf_func_id, linux/bpf.h). */
const HELPER = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  ktime_get_ns: 5,
  get_current_pid_tgid: 14,
  get_current_task: 35,
  map_pop_elem: 88,
  probe_read_user: 112,
  probe_read_kernel: 113,
  probe_read_user_str: 114,
  probe_read_kernel_str: 115,
  get_current_ancestor_cgroup_id: 123,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
} as const;

const BPF_NOEXIST = 1;
/** x86 thread_info.status bit of a task inside a 32-bit syscall (arch/x86/include/asm/thread_info.h). */
const TS_COMPAT = 0x0002;

/** Flags of a followed task (traced map value, u32 at offset 4). */
export const TaskFlag = {
  /** sbx's own thread around posix_spawn: its children are followed (LAUNCHING), its calls are not counted. */
  SPAWNER: 1,
  /** The launcher (src/linux/native-launcher.ts) once exec'd: only its execve of the program counts, as strace counts from the execve on. */
  PENDING: 2,
  /** A child of the spawner before its first exec, which makes it the launcher: nothing counts. */
  LAUNCHING: 3,
} as const;

/** Bounds of the maps (each overflow is counted and reported). */
export const LIMITS = {
  /** Tasks followed at once. */
  tasks: 1 << 15,
  /** Distinct executables with their own counts (ids 0 and 1 are reserved). */
  executables: 64,
  /** Distinct (slot, errno) pairs. */
  errors: 4096,
  /** Longest executable path kept (bytes, with the NUL), and longest --paths path. */
  pathBytes: 256,
  /** Longest socket address read for --paths (the ptrace backend reads as many). */
  sockaddrBytes: 128,
} as const;

/**
 * One --paths record in the ring buffer: u32 slot, u32 argument (| PATH_SOCKADDR), s64 what
 * the read helper returned (bytes read with the NUL for a path, or a negative errno; the
 * clamped length for a socket address), u64 the pointer, then the bytes read.
 */
export const PATH_RECORD = { slot: 0, arg: 4, result: 8, pointer: 16, data: 24, bytes: 24 + 256 } as const;
/** Argument bit of a record holding a socket address (else a NUL-terminated path). */
export const PATH_SOCKADDR = 0x100;

/** Executable ids with a fixed meaning. */
export const EXE_NONE = 0; // not exec'd while learning (attached processes, the launch before its execve)
export const EXE_OTHER = 1; // the executable table was full

/** One row of per-executable counts: every slot, then one stray counter per arch (numbers outside the tables). */
export const ROW = SLOT_COUNT + ARCHES.length;
/** Argument positions per slot in the overflow array (args 0..5, padded to 8). */
export const ARG_STRIDE = 8;
/** Argument index bit meaning "the pointer could not be read" (clone_args). */
export const ARG_UNREADABLE = 0x80;

/** Global counters (the `globals` array). */
export const GLOBAL = {
  LIVE: 0,
  PROCESSES: 1,
  THREADS: 2,
  TASKS_DROPPED: 3,
  ERRORS_DROPPED: 4,
  COUNT: 8,
} as const;

/** Per-executable counters (the `exeStats` array: `id * EXE_FIELDS + field`). */
export const EXE_FIELD = { EXECS: 0, PROCESSES: 1, THREADS: 2 } as const;
export const EXE_FIELDS = 4;

/** The maps the programs share. */
export interface Maps {
  /**
   * tid → {u32 exe, u32 flags, u64 entry}: entry is the sys_enter time of the call in progress,
   * 0 when none passed sys_enter (so sys_exit knows seccomp skipped it), ENTRY_UNTIMED for a
   * call that began before sbx followed the task (fork's return in a child, an attached task).
   */
  readonly traced: BpfMap;
  /** exe * ROW + slot → calls (mmapable). */
  readonly counts: BpfMap;
  /** slot → ktime of the first call (mmapable). */
  readonly first: BpfMap;
  /** slot → ns spent inside calls (mmapable). */
  readonly time: BpfMap;
  /** {u32 slot, u32 errno} → failed calls. */
  readonly errors: BpfMap;
  /** {u32 slot, u32 errno} → calls the program's own filter denied. */
  readonly denied: BpfMap;
  /** {u32 slot, u32 arg, u64 value, u64 context} → calls. */
  readonly args: BpfMap;
  /** slot * ARG_STRIDE + arg → calls whose value found no room (mmapable). */
  readonly argOther: BpfMap;
  /** slot → ArgSpec bits (see `argSpec`). */
  readonly argSpec: BpfMap;
  /** filename → exe id. */
  readonly exes: BpfMap;
  /** Free exe ids (queue). */
  readonly exeIds: BpfMap;
  /** exe * EXE_FIELDS + field (mmapable). */
  readonly exeStats: BpfMap;
  /** GLOBAL.* (mmapable). */
  readonly globals: BpfMap;
  /** One LIMITS.pathBytes buffer per CPU for the exec'd filename. */
  readonly scratch: BpfMap;
  /** With --paths: the ring buffer of PATH_RECORDs, and per slot the records that found it full (mmapable). */
  readonly paths?: { readonly ring: BpfMap; readonly dropped: BpfMap };
}

/** Where the programs find what they read, for this kernel. */
export interface KernelLayout {
  readonly sysEnter: { readonly id: number; readonly args: number };
  readonly sysExit: { readonly id: number; readonly ret: number };
  readonly exec: { readonly filename: number; readonly pid: number; readonly oldPid: number };
  readonly exit: { readonly pid: number };
  readonly task: { readonly pid: number; readonly tgid: number; readonly compatStatus?: number };
}

/** Entry stamp of a call in progress that sys_enter did not see begin. */
export const ENTRY_UNTIMED = 1n;

/** Which tasks are learned. */
export type Scope = { readonly kind: 'follow' } | { readonly kind: 'cgroup'; readonly id: bigint; readonly level: number };

/** Which arch index the host's native calls use. */
function nativeArch(host: ArchName): number {
  return ARCHES.findIndex((a) => a.name === host);
}

// Stack layout (offsets from r10).
const KEY32 = -8; // a u32 key
const TID = -4; // the current tid (u32)
const ONE = -16; // a u64 value for inserts
const HIST_KEY = -40; // args key: slot u32, arg u32, value u64, context u64 (24 bytes)
const ERR_KEY = -48; // errors key: slot u32, errno u32
const STATUS = -56; // u64 scratch for kernel reads
const TRACED_VALUE = -72; // 16-byte traced value for inserts
const ENTRY_NS = -80; // sys_exit: the call's entry time
const EXE_SAVE = -88; // sys_enter: the exe id across the slot computation
const PATH_SPEC = -96; // sys_enter: the high half of the slot's ArgSpec (path and sockaddr bits)

/** r1 = map fd; r2 = r10 + off: the two arguments of most map helpers. */
function mapArgs(a: Assembler, map: BpfMap, off: number): Assembler {
  return a.ldMap(R1, map.fd, map.name).movReg(R2, R10).alu64('add', R2, off);
}

/** `map[key] += by` (1 without `by`) for an array map; key and by are registers (r1..r9). Clobbers r0-r5. */
function bumpArray(a: Assembler, map: BpfMap, key: Reg, done: string, by?: Reg): Assembler {
  if (key !== R1) a.movReg(R1, key);
  a.store('u32', R10, KEY32, R1);
  mapArgs(a, map, KEY32).call(HELPER.map_lookup_elem, 'map_lookup_elem').jump('==', R0, 0, done);
  if (by === undefined) a.mov(R1, 1);
  else a.movReg(R1, by);
  return a.atomicAdd('u64', R0, 0, R1).label(done);
}

/** `globals[index] += 1`. Clobbers r0-r5. */
function bumpGlobal(a: Assembler, maps: Maps, index: number, done: string): Assembler {
  return bumpArray(a.mov(R1, index), maps.globals, R1, done);
}

let unique = 0;
/** A label name no other fragment uses. */
function fresh(name: string): string {
  return `${name}_${++unique}`;
}

/**
 * Slot of the current call into r7: nr in r1 (clobbered), arch from the task's compat state
 * (x86_64) or the x32 bit. Numbers outside 0..SLOTS_PER_ARCH-1 go to the arch's stray counter.
 * Clobbers r0-r5 and r9.
 */
function emitSlot(a: Assembler, host: ArchName, layout: KernelLayout): Assembler {
  const haveArch = fresh('have_arch');
  const stray = fresh('stray');
  const done = fresh('slot_done');
  a.comment('slot = arch * 1024 + nr (i386 when the task is in a compat syscall, x32 by its bit)');
  a.movReg(R9, R1); // nr survives the helper calls in r9 until the arch is known
  if (host === 'x86_64' && layout.task.compatStatus !== undefined) {
    const native = fresh('native');
    a.call(HELPER.get_current_task, 'get_current_task')
      .movReg(R3, R0)
      .alu64('add', R3, layout.task.compatStatus)
      .movReg(R1, R10)
      .alu64('add', R1, STATUS)
      .mov(R2, 4)
      .call(HELPER.probe_read_kernel, 'probe_read_kernel: current->thread_info.status')
      .load('u32', R2, R10, STATUS)
      .alu64('and', R2, TS_COMPAT)
      .jump('==', R2, 0, native)
      .movReg(R1, R9)
      .mov(R9, nativeArch('i386'))
      .goto(haveArch)
      .label(native)
      .movReg(R1, R9)
      .movReg(R2, R1)
      .alu64('and', R2, X32_SYSCALL_BIT)
      .mov(R9, nativeArch('x86_64'))
      .jump('==', R2, 0, haveArch)
      .alu64('and', R1, ~X32_SYSCALL_BIT)
      .mov(R9, nativeArch('x32'));
  } else {
    a.movReg(R1, R9).mov(R9, nativeArch(host));
  }
  return a
    .label(haveArch)
    .jump('s<', R1, 0, stray)
    .jump('>=', R1, SLOTS_PER_ARCH, stray)
    .movReg(R7, R9)
    .alu64('lsh', R7, 10)
    .alu64('add', R7, R1, true)
    .goto(done)
    .label(stray)
    .movReg(R7, R9)
    .alu64('add', R7, SLOT_COUNT)
    .label(done);
}

/** r0 = &traced[current tid] or jump to `missing`; the tid stays at r10+TID. */
function emitTracedLookup(a: Assembler, maps: Maps, missing: string): Assembler {
  return a
    .call(HELPER.get_current_pid_tgid, 'get_current_pid_tgid')
    .store('u32', R10, TID, R0)
    .movReg(R8, R0)
    .pipe((x) => mapArgs(x, maps.traced, TID))
    .call(HELPER.map_lookup_elem, 'map_lookup_elem(traced, tid)')
    .jump('==', R0, 0, missing);
}

/**
 * Argument spec bits per slot: bits 0-5 record arg i; 8-13 arg i is 32 bits wide; 16-21 arg i
 * is keyed with a context argument; 24-26 that context's index; 32-37 arg i is a pointer to a
 * u64 (clone_args.flags) to read from user memory; with --paths, 40-45 arg i is a path and
 * 48-53 arg i is a socket address whose length is arg i+1.
 */
export function argSpec(arch: ArchName, name: string): bigint {
  let spec = 0n;
  for (const d of argDecoders(arch, name)) {
    const bit = 1n << BigInt(d.index);
    if (d.kind === 'path') {
      spec |= bit << 40n;
      continue;
    }
    if (d.kind === 'sockaddr') {
      // The program reads the length from the next argument (a constant tracepoint offset).
      if ((d.lengthIndex ?? d.index + 1) !== d.index + 1) throw new Error(`${name}: socket address length is not the next argument`);
      spec |= bit << 48n;
      continue;
    }
    spec |= bit;
    if (d.kind === 'clone_args') spec |= bit << 32n;
    else if (d.width === 32) spec |= bit << 8n;
    if (d.contextIndex !== undefined) spec |= (bit << 16n) | (BigInt(d.contextIndex) << 24n);
  }
  return spec;
}

/**
 * Count argument values: r7 = slot, r6 = ctx. With --paths, then send the path and socket
 * address arguments through the ring buffer. Clobbers r0-r5, r8, r9.
 */
function emitArgs(a: Assembler, maps: Maps, layout: KernelLayout, done: string): Assembler {
  const valuesDone = maps.paths ? fresh('values_done') : done;
  a.comment('argument histograms: spec = argSpec[slot]')
    .store('u32', R10, KEY32, R7)
    .pipe((x) => mapArgs(x, maps.argSpec, KEY32))
    .call(HELPER.map_lookup_elem, 'map_lookup_elem(argSpec, slot)')
    .jump('==', R0, 0, done)
    .load('u32', R8, R0, 0)
    .load('u32', R9, R0, 4);
  if (maps.paths) a.store('u32', R10, PATH_SPEC, R9);
  a.jump('==', R8, 0, valuesDone).store('u32', R10, HIST_KEY, R7);
  const argAt = (i: number) => layout.sysEnter.args + 8 * i;
  for (let i = 0; i < 6; i++) {
    const skip = fresh(`arg${i}_skip`);
    const value = fresh(`arg${i}_value`);
    const context = fresh(`arg${i}_context`);
    const count = fresh(`arg${i}_count`);
    a.comment(`argument ${i}`)
      .movReg(R1, R8)
      .alu64('and', R1, 1 << i)
      .jump('==', R1, 0, skip)
      .mov(R1, i)
      .store('u32', R10, HIST_KEY + 4, R1)
      .movReg(R1, R9)
      .alu64('and', R1, 1 << i)
      .jump('==', R1, 0, value)
      // A pointer to a u64 in user memory (clone3's clone_args.flags).
      .load('u64', R3, R6, argAt(i))
      .movReg(R1, R10)
      .alu64('add', R1, HIST_KEY + 8)
      .mov(R2, 8)
      .call(HELPER.probe_read_user, 'probe_read_user: *(u64 *)arg')
      .jump('==', R0, 0, context)
      .mov(R1, i | ARG_UNREADABLE)
      .store('u32', R10, HIST_KEY + 4, R1)
      .mov(R1, 0)
      .store('u64', R10, HIST_KEY + 8, R1)
      .goto(context)
      .label(value)
      .load('u64', R1, R6, argAt(i))
      .movReg(R2, R8)
      .alu64('and', R2, 1 << (8 + i))
      .jump('==', R2, 0, `${value}_store`)
      .alu32('mov', R1, R1, true) // 32-bit argument: zero-extend the low half
      .label(`${value}_store`)
      .store('u64', R10, HIST_KEY + 8, R1)
      .label(context)
      .mov(R1, 0)
      .movReg(R2, R8)
      .alu64('and', R2, 1 << (16 + i))
      .jump('==', R2, 0, `${context}_store`)
      .movReg(R2, R8)
      .alu64('rsh', R2, 24)
      .alu64('and', R2, 7);
    // The context argument's index is data; tracepoint fields need constant offsets.
    for (let c = 0; c < 6; c++) {
      const next = fresh(`ctx${c}`);
      a.jump('!=', R2, c, next).load('u64', R1, R6, argAt(c)).alu32('mov', R1, R1, true).goto(`${context}_store`).label(next);
    }
    a.mov(R1, 0)
      .label(`${context}_store`)
      .store('u64', R10, HIST_KEY + 16, R1)
      .pipe((x) => mapArgs(x, maps.args, HIST_KEY))
      .call(HELPER.map_lookup_elem, 'map_lookup_elem(args, key)')
      .jump('!=', R0, 0, count)
      .mov(R1, 1)
      .store('u64', R10, ONE, R1)
      .pipe((x) => mapArgs(x, maps.args, HIST_KEY))
      .movReg(R3, R10)
      .alu64('add', R3, ONE)
      .mov(R4, BPF_NOEXIST)
      .call(HELPER.map_update_elem, 'map_update_elem(args, key, 1, BPF_NOEXIST)')
      .jump('==', R0, 0, skip)
      // Full, or another CPU inserted the key first: look again, else count it as "other".
      .pipe((x) => mapArgs(x, maps.args, HIST_KEY))
      .call(HELPER.map_lookup_elem, 'map_lookup_elem(args, key)')
      .jump('!=', R0, 0, count)
      .movReg(R1, R7)
      .alu64('mul', R1, ARG_STRIDE)
      .alu64('add', R1, i)
      .pipe((x) => bumpArray(x, maps.argOther, R1, fresh('other')))
      .goto(skip)
      .label(count)
      .mov(R1, 1)
      .atomicAdd('u64', R0, 0, R1)
      .label(skip);
  }
  if (maps.paths) emitPaths(a.label(valuesDone), maps.paths, layout);
  return a;
}

/**
 * --paths: one PATH_RECORD per path or socket address argument into the ring buffer (read in
 * the kernel at sys_enter, as ptrace reads them at the entry stop); a full ring buffer is
 * counted per slot. r7 = slot, r6 = ctx, the ArgSpec's high half at r10+PATH_SPEC. Clobbers
 * r0-r5, r8, r9.
 */
function emitPaths(a: Assembler, paths: NonNullable<Maps['paths']>, layout: KernelLayout): Assembler {
  const argAt = (i: number) => layout.sysEnter.args + 8 * i;
  const R = PATH_RECORD;
  for (let i = 0; i < 6; i++)
    for (const kind of ['path', 'sockaddr'] as const) {
      if (kind === 'sockaddr' && i === 5) continue; // its length would be a seventh argument
      const skip = fresh(`${kind}${i}_skip`);
      const reserved = fresh(`${kind}${i}_reserved`);
      a.comment(`argument ${i} as a ${kind === 'path' ? 'path' : 'socket address'}`)
        .load('u32', R1, R10, PATH_SPEC)
        .alu64('and', R1, 1 << (i + (kind === 'path' ? 8 : 16)))
        .jump('==', R1, 0, skip)
        .ldMap(R1, paths.ring.fd, paths.ring.name)
        .mov(R2, R.bytes)
        .mov(R3, 0)
        .call(HELPER.ringbuf_reserve, 'ringbuf_reserve(paths, PATH_RECORD)')
        .jump('!=', R0, 0, reserved)
        .pipe((x) => bumpArray(x, paths.dropped, R7, fresh('dropped')))
        .goto(skip)
        .label(reserved)
        .movReg(R8, R0)
        .store('u32', R8, R.slot, R7)
        .mov(R1, kind === 'path' ? i : i | PATH_SOCKADDR)
        .store('u32', R8, R.arg, R1)
        .load('u64', R3, R6, argAt(i))
        .store('u64', R8, R.pointer, R3)
        .movReg(R1, R8)
        .alu64('add', R1, R.data);
      if (kind === 'path') a.mov(R2, R.bytes - R.data).call(HELPER.probe_read_user_str, 'probe_read_user_str(record.data, arg)');
      else {
        const clamped = fresh('clamped');
        const read = fresh('read');
        a.comment(`length = min(arg ${i + 1} as u32, ${LIMITS.sockaddrBytes})`)
          .load('u64', R2, R6, argAt(i + 1))
          .alu32('mov', R2, R2, true)
          .jump('<=', R2, LIMITS.sockaddrBytes, clamped)
          .mov(R2, LIMITS.sockaddrBytes)
          .label(clamped)
          .movReg(R9, R2)
          .call(HELPER.probe_read_user, 'probe_read_user(record.data, arg, length)')
          .jump('!=', R0, 0, read)
          .movReg(R0, R9)
          .label(read);
      }
      a.store('u64', R8, R.result, R0).movReg(R1, R8).mov(R2, 0).call(HELPER.ringbuf_submit, 'ringbuf_submit(record)').label(skip);
    }
  return a;
}

/** Count a new followed task (thread, and process when `isProcess` holds) globally and for exe r8. */
function emitTaskCounts(a: Assembler, maps: Maps, exeReg: Reg, isProcessReg: Reg): Assembler {
  const thread = fresh('thread');
  a.pipe((x) => bumpGlobal(x, maps, GLOBAL.THREADS, fresh('g')))
    .pipe((x) => bumpGlobal(x, maps, GLOBAL.LIVE, fresh('g')))
    .movReg(R1, exeReg)
    .alu64('mul', R1, EXE_FIELDS)
    .alu64('add', R1, EXE_FIELD.THREADS)
    .pipe((x) => bumpArray(x, maps.exeStats, R1, fresh('e')))
    .jump('==', isProcessReg, 0, thread)
    .pipe((x) => bumpGlobal(x, maps, GLOBAL.PROCESSES, fresh('g')))
    .movReg(R1, exeReg)
    .alu64('mul', R1, EXE_FIELDS)
    .alu64('add', R1, EXE_FIELD.PROCESSES)
    .pipe((x) => bumpArray(x, maps.exeStats, R1, fresh('e')));
  return a.label(thread);
}

/** raw_syscalls/sys_enter. */
export function sysEnterProgram(maps: Maps, layout: KernelLayout, host: ArchName, scope: Scope): EbpfProgram {
  const a = new Assembler('sbx_sys_enter');
  const execve = syscallNumber(host, 'execve');
  const execveat = syscallNumber(host, 'execveat');
  a.comment('r6 = ctx (struct trace_event_raw_sys_enter)').movReg(R6, R1);
  emitTracedLookup(a, maps, 'untraced');
  a.label('traced')
    .load('u32', R1, R0, 4)
    .jump('==', R1, 0, 'counting')
    .jump('!=', R1, TaskFlag.PENDING, 'out')
    .comment('started by sbx, before its execve: only the execve itself counts')
    .load('u64', R1, R6, layout.sysEnter.id);
  if (execve !== undefined) a.jump('==', R1, execve, 'counting');
  if (execveat !== undefined) a.jump('==', R1, execveat, 'counting');
  a.goto('out');
  a.label('counting')
    .comment('stamp the entry time for sys_exit; r8 = exe id')
    .load('u32', R8, R0, 0)
    .movReg(R7, R0)
    .call(HELPER.ktime_get_ns, 'ktime_get_ns')
    .store('u64', R7, 8, R0)
    .label('count_exe')
    .store('u32', R10, EXE_SAVE, R8)
    .load('u64', R1, R6, layout.sysEnter.id)
    .pipe((x) => emitSlot(x, host, layout))
    .comment('first[slot] = now, on the first call')
    .store('u32', R10, KEY32, R7)
    .pipe((x) => mapArgs(x, maps.first, KEY32))
    .call(HELPER.map_lookup_elem, 'map_lookup_elem(first, slot)')
    .jump('==', R0, 0, 'out')
    .load('u64', R1, R0, 0)
    .jump('!=', R1, 0, 'count')
    .movReg(R8, R0)
    .call(HELPER.ktime_get_ns, 'ktime_get_ns')
    .store('u64', R8, 0, R0)
    .label('count')
    .comment('counts[exe * ROW + slot] += 1')
    .load('u32', R1, R10, EXE_SAVE)
    .alu64('mul', R1, ROW)
    .alu64('add', R1, R7, true)
    .pipe((x) => bumpArray(x, maps.counts, R1, 'counted'))
    .pipe((x) => emitArgs(x, maps, layout, 'out'))
    .goto('out');
  a.label('untraced');
  if (scope.kind === 'cgroup') {
    a.comment('not followed yet: is it in the learned cgroup (or below)?')
      .mov(R1, scope.level)
      .call(HELPER.get_current_ancestor_cgroup_id, 'get_current_ancestor_cgroup_id(level)')
      .ldImm64(R1, scope.id, 0, 'cgroup id')
      .jump('!=', R0, R1, 'out', true)
      .mov(R1, 0)
      .store('u64', R10, TRACED_VALUE, R1)
      .store('u64', R10, TRACED_VALUE + 8, R1)
      .pipe((x) => mapArgs(x, maps.traced, TID))
      .movReg(R3, R10)
      .alu64('add', R3, TRACED_VALUE)
      .mov(R4, BPF_NOEXIST)
      .call(HELPER.map_update_elem, 'map_update_elem(traced, tid, {}, BPF_NOEXIST)')
      .jump('==', R0, 0, 'adopted')
      .pipe((x) => bumpGlobal(x, maps, GLOBAL.TASKS_DROPPED, 'dropped'))
      .mov(R8, EXE_NONE)
      .goto('count_exe')
      .label('adopted')
      .comment('a task of the cgroup seen for the first time: a thread, and a process when tid == tgid')
      .movReg(R9, R8)
      .alu64('rsh', R9, 32)
      .alu32('mov', R8, R8, true)
      .mov(R1, 0)
      .jump('!=', R9, R8, 'adopted_thread', true)
      .mov(R1, 1)
      .label('adopted_thread')
      .movReg(R9, R1)
      .mov(R8, EXE_NONE)
      .pipe((x) => emitTaskCounts(x, maps, R8, R9))
      .pipe((x) => mapArgs(x, maps.traced, TID))
      .call(HELPER.map_lookup_elem, 'map_lookup_elem(traced, tid)')
      .jump('!=', R0, 0, 'traced')
      .goto('count_exe');
  }
  return a.label('out').mov(R0, 0).exit().build();
}

/** raw_syscalls/sys_exit: time, errors, and calls the program's own seccomp filter skipped. */
export function sysExitProgram(maps: Maps, layout: KernelLayout, host: ArchName): EbpfProgram {
  const a = new Assembler('sbx_sys_exit');
  a.movReg(R6, R1);
  emitTracedLookup(a, maps, 'out');
  a.load('u32', R1, R0, 4)
    .jump('==', R1, 0, 'followed')
    .jump('!=', R1, TaskFlag.PENDING, 'out')
    .comment('the launcher: only its execve of the program was stamped; one that failed ends here with its errno')
    .load('u64', R1, R0, 8)
    .jump('<=', R1, Number(ENTRY_UNTIMED), 'out')
    .label('followed')
    .comment('r9 = entry stamp (reset for the next call); r8 = 1 when sys_enter never saw this call')
    .load('u32', R1, R0, 0)
    .store('u32', R10, EXE_SAVE, R1)
    .load('u64', R9, R0, 8)
    .mov(R1, 0)
    .store('u64', R0, 8, R1)
    .mov(R8, 0)
    .jump('!=', R9, 0, 'entered')
    .mov(R8, 1)
    .label('entered')
    .store('u64', R10, ENTRY_NS, R9)
    .store('u64', R10, ONE, R8)
    .load('u64', R1, R6, layout.sysExit.id)
    .pipe((x) => emitSlot(x, host, layout))
    .load('u64', R9, R10, ENTRY_NS)
    .jump('<=', R9, Number(ENTRY_UNTIMED), 'no_time')
    .call(HELPER.ktime_get_ns, 'ktime_get_ns')
    .alu64('sub', R0, R9, true)
    .movReg(R9, R0)
    .pipe((x) => bumpArray(x, maps.time, R7, 'timed', R9))
    .label('no_time')
    .load('u64', R8, R10, ONE)
    .load('u64', R1, R6, layout.sysExit.ret)
    .jump('s>=', R1, 0, 'not_error')
    .jump('s<', R1, -4095, 'not_error')
    .alu64('mul', R1, -1)
    .goto('keyed')
    .label('not_error')
    .comment('a skipped call that returned no errno (TRAP) is kept under errno 0; ordinary successes stop here')
    .jump('==', R8, 0, 'out')
    .mov(R1, 0)
    .label('keyed')
    .store('u32', R10, ERR_KEY, R7)
    .store('u32', R10, ERR_KEY + 4, R1)
    .jump('==', R8, 0, 'into_errors')
    .comment('sys_enter never counted this call: count it here (as strace and the ptrace backend do)')
    .load('u32', R1, R10, EXE_SAVE)
    .alu64('mul', R1, ROW)
    .alu64('add', R1, R7, true)
    .pipe((x) => bumpArray(x, maps.counts, R1, 'denied_counted'))
    .goto('into_denied');
  for (const [label, map] of [
    ['into_errors', maps.errors],
    ['into_denied', maps.denied],
  ] as const) {
    const found = fresh('found');
    a.label(label)
      .pipe((x) => mapArgs(x, map, ERR_KEY))
      .call(HELPER.map_lookup_elem, `map_lookup_elem(${map.name}, {slot, errno})`)
      .jump('!=', R0, 0, found)
      .mov(R1, 1)
      .store('u64', R10, ONE, R1)
      .pipe((x) => mapArgs(x, map, ERR_KEY))
      .movReg(R3, R10)
      .alu64('add', R3, ONE)
      .mov(R4, BPF_NOEXIST)
      .call(HELPER.map_update_elem, 'map_update_elem(..., 1, BPF_NOEXIST)')
      .jump('==', R0, 0, 'out')
      .pipe((x) => mapArgs(x, map, ERR_KEY))
      .call(HELPER.map_lookup_elem, 'map_lookup_elem: inserted by another CPU?')
      .jump('!=', R0, 0, found)
      .pipe((x) => bumpGlobal(x, maps, GLOBAL.ERRORS_DROPPED, fresh('dropped')))
      .goto('out')
      .label(found)
      .mov(R1, 1)
      .atomicAdd('u64', R0, 0, R1)
      .goto('out');
  }
  return a.label('out').mov(R0, 0).exit().build();
}

/** sched_process_fork as a raw tracepoint: args = (struct task_struct *parent, *child). */
export function forkProgram(maps: Maps, layout: KernelLayout): EbpfProgram {
  const a = new Assembler('sbx_fork');
  a.movReg(R6, R1);
  emitTracedLookup(a, maps, 'out');
  a.comment('the child inherits the parent exe id; a child of the spawner is launching until its first exec')
    .load('u32', R8, R0, 0)
    .load('u32', R9, R0, 4)
    .jump('!=', R9, TaskFlag.SPAWNER, 'flags_set')
    .mov(R9, TaskFlag.LAUNCHING)
    .label('flags_set')
    .store('u32', R10, TRACED_VALUE, R8)
    .store('u32', R10, TRACED_VALUE + 4, R9)
    .comment('the child returns from fork through sys_exit without a sys_enter of its own')
    .mov(R1, Number(ENTRY_UNTIMED))
    .store('u64', R10, TRACED_VALUE + 8, R1)
    .comment('child pid and tgid from its task_struct')
    .load('u64', R3, R6, 8)
    .alu64('add', R3, layout.task.pid)
    .movReg(R1, R10)
    .alu64('add', R1, STATUS)
    .mov(R2, 4)
    .call(HELPER.probe_read_kernel, 'probe_read_kernel: child->pid')
    .jump('!=', R0, 0, 'out')
    .load('u64', R3, R6, 8)
    .alu64('add', R3, layout.task.tgid)
    .movReg(R1, R10)
    .alu64('add', R1, STATUS + 4)
    .mov(R2, 4)
    .call(HELPER.probe_read_kernel, 'probe_read_kernel: child->tgid')
    .jump('!=', R0, 0, 'out')
    .load('u32', R1, R10, STATUS)
    .store('u32', R10, KEY32, R1)
    .pipe((x) => mapArgs(x, maps.traced, KEY32))
    .movReg(R3, R10)
    .alu64('add', R3, TRACED_VALUE)
    .mov(R4, 0)
    .call(HELPER.map_update_elem, 'map_update_elem(traced, child, value, BPF_ANY)')
    .jump('==', R0, 0, 'followed')
    .pipe((x) => bumpGlobal(x, maps, GLOBAL.TASKS_DROPPED, 'dropped'))
    .goto('out')
    .label('followed')
    .load('u32', R1, R10, STATUS)
    .load('u32', R2, R10, STATUS + 4)
    .mov(R9, 1)
    .jump('==', R1, R2, 'counted_kind', true)
    .mov(R9, 0)
    .label('counted_kind')
    .pipe((x) => emitTaskCounts(x, maps, R8, R9));
  return a.label('out').mov(R0, 0).exit().build();
}

/** sched/sched_process_exec: the task now runs `filename`; give it that executable's id. */
export function execProgram(maps: Maps, layout: KernelLayout): EbpfProgram {
  const a = new Assembler('sbx_exec');
  a.movReg(R6, R1)
    .comment('look the task up by old_pid: a non-leader thread that execs takes the leader pid')
    .load('u32', R1, R6, layout.exec.oldPid)
    .store('u32', R10, TID, R1)
    .pipe((x) => mapArgs(x, maps.traced, TID))
    .call(HELPER.map_lookup_elem, 'map_lookup_elem(traced, old_pid)')
    .jump('==', R0, 0, 'out')
    .load('u64', R1, R0, 8)
    .store('u64', R10, ENTRY_NS, R1)
    .load('u32', R9, R0, 4)
    .jump('==', R9, TaskFlag.SPAWNER, 'out')
    .jump('!=', R9, TaskFlag.LAUNCHING, 'target')
    .comment('the launcher now runs: pending until it execs the program')
    .mov(R1, TaskFlag.PENDING)
    .store('u32', R0, 4, R1)
    .goto('out')
    .label('target')
    .comment('scratch = filename, zero-padded (it is a hash key)')
    .mov(R1, 0)
    .store('u32', R10, KEY32, R1)
    .pipe((x) => mapArgs(x, maps.scratch, KEY32))
    .call(HELPER.map_lookup_elem, 'map_lookup_elem(scratch, 0)')
    .jump('==', R0, 0, 'out')
    .movReg(R7, R0)
    .mov(R1, 0);
  for (let off = 0; off < LIMITS.pathBytes; off += 8) a.store('u64', R7, off, R1);
  a.load('u32', R3, R6, layout.exec.filename)
    .alu64('and', R3, 0xffff)
    .alu64('add', R3, R6, true)
    .movReg(R1, R7)
    .mov(R2, LIMITS.pathBytes)
    .call(HELPER.probe_read_kernel_str, 'probe_read_kernel_str(scratch, filename)')
    .ldMap(R1, maps.exes.fd, maps.exes.name)
    .movReg(R2, R7)
    .call(HELPER.map_lookup_elem, 'map_lookup_elem(exes, filename)')
    .jump('==', R0, 0, 'new_exe')
    .load('u32', R8, R0, 0)
    .goto('have_id')
    .label('new_exe')
    .mov(R8, EXE_OTHER)
    .ldMap(R1, maps.exeIds.fd, maps.exeIds.name)
    .movReg(R2, R10)
    .alu64('add', R2, KEY32)
    .call(HELPER.map_pop_elem, 'map_pop_elem(exeIds): a free id')
    .jump('!=', R0, 0, 'have_id')
    .load('u32', R8, R10, KEY32)
    .ldMap(R1, maps.exes.fd, maps.exes.name)
    .movReg(R2, R7)
    .movReg(R3, R10)
    .alu64('add', R3, KEY32)
    .mov(R4, BPF_NOEXIST)
    .call(HELPER.map_update_elem, 'map_update_elem(exes, filename, id, BPF_NOEXIST)')
    .jump('==', R0, 0, 'have_id')
    .comment('another CPU named this file first: use its id')
    .ldMap(R1, maps.exes.fd, maps.exes.name)
    .movReg(R2, R7)
    .call(HELPER.map_lookup_elem, 'map_lookup_elem(exes, filename)')
    .mov(R8, EXE_OTHER)
    .jump('==', R0, 0, 'have_id')
    .load('u32', R8, R0, 0)
    .label('have_id')
    .comment('traced[pid] = {id, no flags, the execve entry stamp}; drop traced[old_pid] when the pid changed')
    .store('u32', R10, TRACED_VALUE, R8)
    .mov(R1, 0)
    .store('u32', R10, TRACED_VALUE + 4, R1)
    .load('u64', R1, R10, ENTRY_NS)
    .store('u64', R10, TRACED_VALUE + 8, R1)
    .load('u32', R1, R6, layout.exec.pid)
    .store('u32', R10, KEY32, R1)
    .pipe((x) => mapArgs(x, maps.traced, KEY32))
    .movReg(R3, R10)
    .alu64('add', R3, TRACED_VALUE)
    .mov(R4, 0)
    .call(HELPER.map_update_elem, 'map_update_elem(traced, pid, value, BPF_ANY)')
    .load('u32', R1, R6, layout.exec.pid)
    .load('u32', R2, R10, TID)
    .jump('==', R1, R2, 'stats', true)
    .pipe((x) => mapArgs(x, maps.traced, TID))
    .call(HELPER.map_delete_elem, 'map_delete_elem(traced, old_pid)')
    .label('stats')
    .comment('one more exec of this file, by one process with one thread');
  for (const field of [EXE_FIELD.EXECS, EXE_FIELD.PROCESSES, EXE_FIELD.THREADS])
    a.movReg(R1, R8)
      .alu64('mul', R1, EXE_FIELDS)
      .alu64('add', R1, field)
      .pipe((x) => bumpArray(x, maps.exeStats, R1, fresh('stat')));
  return a.label('out').mov(R0, 0).exit().build();
}

/** sched/sched_process_exit: stop following the task; LIVE counts the followed tasks still running. */
export function exitProgram(maps: Maps, layout: KernelLayout): EbpfProgram {
  const a = new Assembler('sbx_exit');
  return a
    .load('u32', R2, R1, layout.exit.pid)
    .store('u32', R10, TID, R2)
    .pipe((x) => mapArgs(x, maps.traced, TID))
    .call(HELPER.map_delete_elem, 'map_delete_elem(traced, pid)')
    .jump('!=', R0, 0, 'out')
    .mov(R6, -1)
    .mov(R1, GLOBAL.LIVE)
    .pipe((x) => bumpArray(x, maps.globals, R1, 'live', R6))
    .label('out')
    .mov(R0, 0)
    .exit()
    .build();
}
