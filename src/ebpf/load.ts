/**
 * Make the maps, assemble the programs for this kernel, load and attach them. Everything is
 * an fd of this process: `close()` (or sbx dying) detaches the programs and frees the maps.
 */
import { kernelBtf } from './btf.js';
import {
  BPF_F_MMAPABLE,
  BPF_F_NO_PREALLOC,
  MapType,
  ProgType,
  attachRaw,
  attachTracepoint,
  closeFd,
  createMap,
  loadProgram,
  mapIo,
  push,
  update,
  type BpfMap,
} from './kernel.js';
import {
  ARG_STRIDE,
  EXE_FIELDS,
  EXE_OTHER,
  GLOBAL,
  LIMITS,
  ROW,
  argSpec,
  execProgram,
  exitProgram,
  forkProgram,
  sysEnterProgram,
  sysExitProgram,
  type KernelLayout,
  type Maps,
  type Scope,
} from './programs.js';
import { field, readTracepoint } from './tracefs.js';
import { ARCHES, X32_SYSCALL_BIT, hostArch, syscallTable, type ArchName } from './linux.js';
import { SLOTS_PER_ARCH } from '../profile/slots.js';
import type { EbpfProgram } from './asm.js';

/** The loaded programs and their maps. */
export interface Loaded {
  readonly maps: Maps;
  readonly programs: readonly { readonly program: EbpfProgram; readonly fd: number }[];
  /** Milliseconds from the first map to the last attach. */
  readonly loadMs: number;
  close(): void;
}

/** Tracepoint ids, for attaching. */
type TracepointIds = Record<'sysEnter' | 'sysExit' | 'exec' | 'exit', number>;

/** Tracepoint offsets (tracefs) and task_struct offsets (BTF) of the running kernel, and the tracepoint ids. */
export function kernelLayout(host: ArchName): KernelLayout & { readonly ids: TracepointIds } {
  const enter = readTracepoint('raw_syscalls', 'sys_enter');
  const exit = readTracepoint('raw_syscalls', 'sys_exit');
  const exec = readTracepoint('sched', 'sched_process_exec');
  const exited = readTracepoint('sched', 'sched_process_exit');
  const btf = kernelBtf();
  return {
    ids: { sysEnter: enter.id, sysExit: exit.id, exec: exec.id, exit: exited.id },
    sysEnter: { id: field(enter, 'id', 8).offset, args: field(enter, 'args', 48).offset },
    sysExit: { id: field(exit, 'id', 8).offset, ret: field(exit, 'ret', 8).offset },
    exec: { filename: field(exec, 'filename').offset, pid: field(exec, 'pid', 4).offset, oldPid: field(exec, 'old_pid', 4).offset },
    exit: { pid: field(exited, 'pid', 4).offset },
    task: {
      pid: btf.offsetOf('task_struct', 'pid'),
      tgid: btf.offsetOf('task_struct', 'tgid'),
      ...(host === 'x86_64' ? { compatStatus: btf.offsetOf('task_struct', 'thread_info') + btf.offsetOf('thread_info', 'status') } : {}),
    },
  };
}

/** Create every map; `argValues` bounds the (slot, arg, value) table; `pathBuffer` (bytes) makes the --paths ring buffer. */
function createMaps(argValues: number, pathBuffer: number | undefined, fds: number[]): Maps {
  const E = LIMITS.executables;
  const array = (name: string, entries: number) => createMap(name, MapType.ARRAY, 4, 8, entries, BPF_F_MMAPABLE);
  const made = (map: BpfMap) => {
    fds.push(map.fd);
    return map;
  };
  const maps: Maps = {
    traced: createMap('sbx_traced', MapType.HASH, 4, 16, LIMITS.tasks, BPF_F_NO_PREALLOC),
    counts: array('sbx_counts', E * ROW),
    first: array('sbx_first', ROW),
    time: array('sbx_time', ROW),
    errors: createMap('sbx_errors', MapType.HASH, 8, 8, LIMITS.errors, BPF_F_NO_PREALLOC),
    denied: createMap('sbx_denied', MapType.HASH, 8, 8, LIMITS.errors, BPF_F_NO_PREALLOC),
    args: createMap('sbx_args', MapType.HASH, 24, 8, argValues, BPF_F_NO_PREALLOC),
    argOther: array('sbx_arg_other', ROW * ARG_STRIDE),
    argSpec: createMap('sbx_arg_spec', MapType.ARRAY, 4, 8, ROW),
    exes: createMap('sbx_exes', MapType.HASH, LIMITS.pathBytes, 4, E),
    exeIds: createMap('sbx_exe_ids', MapType.QUEUE, 0, 4, E),
    exeStats: array('sbx_exe_stats', E * EXE_FIELDS),
    globals: array('sbx_globals', GLOBAL.COUNT),
    scratch: createMap('sbx_scratch', MapType.PERCPU_ARRAY, 4, LIMITS.pathBytes, 1),
  };
  for (const map of Object.values(maps) as BpfMap[]) fds.push(map.fd);
  if (pathBuffer === undefined) return maps;
  return {
    ...maps,
    paths: {
      ring: made(createMap('sbx_paths', MapType.RINGBUF, 0, 0, pathBuffer)),
      dropped: made(array('sbx_paths_dropped', ROW)),
    },
  };
}

/** Arches whose calls this host can make, with their argument specs written into argSpec. */
function fillArgSpecs(maps: Maps, host: ArchName): void {
  const io = mapIo(maps.argSpec);
  const abis: ArchName[] = host === 'x86_64' ? ['x86_64', 'x32', 'i386'] : [host];
  for (const arch of abis) {
    const archIndex = ARCHES.findIndex((a) => a.name === arch);
    for (const { name, nr } of syscallTable(arch)) {
      const spec = argSpec(arch, name);
      if (spec === 0n) continue;
      io.key.u32[0] = archIndex * SLOTS_PER_ARCH + (nr & ~X32_SYSCALL_BIT);
      io.value.u64[0] = spec;
      update(maps.argSpec, io);
    }
  }
}

/** Free executable ids 2..E-1 (0: not exec'd while learning, 1: table full). */
function fillExeIds(maps: Maps): void {
  const io = mapIo(maps.exeIds);
  for (let id = EXE_OTHER + 1; id < LIMITS.executables; id++) {
    io.value.u32[0] = id;
    push(maps.exeIds, io);
  }
}

/** Every program for `scope`, assembled for this kernel (also what --dump-bpf prints). */
export function assemblePrograms(maps: Maps, layout: KernelLayout, host: ArchName, scope: Scope) {
  return {
    sysEnter: sysEnterProgram(maps, layout, host, scope),
    sysExit: sysExitProgram(maps, layout, host),
    fork: forkProgram(maps, layout),
    exec: execProgram(maps, layout),
    exit: exitProgram(maps, layout),
  };
}

/** Load and attach everything (with `pathBuffer`, the --paths ring buffer of that many bytes); on any failure nothing stays loaded. */
export function loadPrograms(scope: Scope, argValues: number, pathBuffer?: number): Loaded {
  const start = performance.now();
  const host = hostArch();
  const fds: number[] = [];
  const closeAll = () => {
    for (const fd of fds.reverse()) closeFd(fd);
    fds.length = 0;
  };
  try {
    const layout = kernelLayout(host);
    const { ids } = layout;
    const maps = createMaps(argValues, pathBuffer, fds);
    fillArgSpecs(maps, host);
    fillExeIds(maps);
    const built = assemblePrograms(maps, layout, host, scope);
    const programs: { program: EbpfProgram; fd: number }[] = [];
    const load = (program: EbpfProgram, type: number) => {
      const fd = loadProgram({ name: program.name, type, bytes: program.bytes });
      fds.push(fd);
      programs.push({ program, fd });
      return fd;
    };
    // Bookkeeping first, counting last: a task is followed before its first call is counted.
    fds.push(attachRaw(load(built.fork, ProgType.RAW_TRACEPOINT), 'sched_process_fork', 'the fork tracepoint'));
    fds.push(attachTracepoint(load(built.exec, ProgType.TRACEPOINT), ids.exec, 'sched_process_exec'));
    fds.push(attachTracepoint(load(built.exit, ProgType.TRACEPOINT), ids.exit, 'sched_process_exit'));
    fds.push(attachTracepoint(load(built.sysExit, ProgType.TRACEPOINT), ids.sysExit, 'sys_exit'));
    fds.push(attachTracepoint(load(built.sysEnter, ProgType.TRACEPOINT), ids.sysEnter, 'sys_enter'));
    return { maps, programs, loadMs: performance.now() - start, close: closeAll };
  } catch (err) {
    closeAll();
    throw err;
  }
}
