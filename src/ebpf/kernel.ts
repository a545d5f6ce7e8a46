/**
 * koffi bindings for the eBPF side of the kernel: bpf(2) (maps, program load with the
 * verifier log, map element calls, stats), perf_event_open(2) and its ioctls, mmap of
 * BPF_F_MMAPABLE arrays. Same style as the ptrace backend's bindings: fixed prototypes,
 * attributes built in native buffers from `allocBuffer`.
 *
 * Shared with the ptrace backend: src/linux/libc.ts (the process's one libc binding:
 * allocBuffer, errno, strerror, close). Nothing else of src/ptrace is imported here.
 *
 * Every fd made here is close-on-exec (the kernel sets O_CLOEXEC on bpf fds; perf events
 * get PERF_FLAG_FD_CLOEXEC), nothing is pinned: when sbx exits, however it exits, the
 * programs detach and the maps are freed.
 */
import koffi from '../linux/koffi.js';
import { allocBuffer, close, errno, strerror, type NativeBuffer } from '../linux/libc.js';

const libc = koffi.load('libc.so.6');

const syscall6 = libc.func('long syscall(long nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6)') as (
  nr: number,
  a1: number | bigint,
  a2: number | bigint,
  a3: number | bigint,
  a4: number | bigint,
  a5: number | bigint,
  a6: number | bigint,
) => number;
const ioctl = libc.func('int ioctl(int fd, unsigned long request, uint64_t arg)') as (
  fd: number,
  request: number,
  arg: number | bigint,
) => number;
const mmap = libc.func('void *mmap(uint64_t addr, unsigned long length, int prot, int flags, int fd, long offset)') as (
  addr: number,
  length: number,
  prot: number,
  flags: number,
  fd: number,
  offset: number,
) => unknown;
const mountFs = libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, uint64_t data)') as (
  source: string,
  target: string,
  fstype: string,
  flags: number,
  data: number,
) => number;

/** x86_64 and aarch64 (asm-generic) numbers of the two syscalls bound here. */
const NR =
  process.arch === 'x64' ? { bpf: 321, perfEventOpen: 298 } : process.arch === 'arm64' ? { bpf: 280, perfEventOpen: 241 } : undefined;

// enum bpf_cmd (linux/bpf.h)
const BPF_MAP_CREATE = 0;
const BPF_MAP_LOOKUP_ELEM = 1;
const BPF_MAP_UPDATE_ELEM = 2;
const BPF_MAP_DELETE_ELEM = 3;
const BPF_MAP_GET_NEXT_KEY = 4;
const BPF_PROG_LOAD = 5;
const BPF_PROG_GET_NEXT_ID = 11;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_OBJ_GET_INFO_BY_FD = 15;
const BPF_RAW_TRACEPOINT_OPEN = 17;
const BPF_ENABLE_STATS = 32;

/** enum bpf_map_type values used here. */
export const MapType = { HASH: 1, ARRAY: 2, PERCPU_ARRAY: 6, QUEUE: 22, RINGBUF: 27 } as const;
/** enum bpf_prog_type values used here. */
export const ProgType = { TRACEPOINT: 5, RAW_TRACEPOINT: 17 } as const;

/** Map flags: an array whose values user space can mmap. */
export const BPF_F_MMAPABLE = 1 << 10;
/** Map flags: a hash that allocates elements on insert instead of all at creation. */
export const BPF_F_NO_PREALLOC = 1;
/** Update flags. */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;

/** The kernel said no: the call, the errno, and for program loads the verifier's log. */
export class KernelError extends Error {
  constructor(
    message: string,
    readonly errno: number,
    readonly log?: string,
  ) {
    super(message);
  }
}

/** The one attribute buffer (bpf_attr is at most a few hundred bytes; 256 covers every command here). */
const attr = allocBuffer(256);

function bpf(cmd: number, what: string): number {
  if (!NR) throw new KernelError(`eBPF learning is not supported on ${process.arch}`, 0);
  const rc = syscall6(NR.bpf, cmd, attr.address, 256, 0, 0, 0);
  if (rc < 0) {
    const e = errno();
    throw new KernelError(`${what}: ${strerror(e)}`, e);
  }
  return rc;
}

function clearAttr(): void {
  attr.bytes.fill(0);
}

function writeName(offset: number, name: string): void {
  // BPF object names: up to 15 characters of [A-Za-z0-9_.].
  const clean = name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
  for (let i = 0; i < clean.length; i++) attr.bytes[offset + i] = clean.charCodeAt(i);
}

/** A BPF map owned by this process (fd), with its geometry. */
export interface BpfMap {
  readonly name: string;
  readonly fd: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
}

/** BPF_MAP_CREATE. */
export function createMap(name: string, type: number, keySize: number, valueSize: number, maxEntries: number, flags = 0): BpfMap {
  clearAttr();
  attr.u32[0] = type;
  attr.u32[1] = keySize;
  attr.u32[2] = valueSize;
  attr.u32[3] = maxEntries;
  attr.u32[4] = flags;
  writeName(28, name);
  const fd = bpf(BPF_MAP_CREATE, `cannot create BPF map ${name}`);
  return { name, fd, keySize, valueSize, maxEntries };
}

/** Buffers for one map's key and value, reused across calls. */
export interface MapIo {
  readonly key: NativeBuffer;
  readonly value: NativeBuffer;
  readonly next: NativeBuffer;
}

/** Key/value buffers sized for `map` (rounded up to 8 bytes for the typed views). */
export function mapIo(map: BpfMap, valueBytes = map.valueSize): MapIo {
  const round = (n: number) => Math.max(8, Math.ceil(n / 8) * 8);
  return { key: allocBuffer(round(map.keySize)), value: allocBuffer(round(valueBytes)), next: allocBuffer(round(map.keySize)) };
}

function elemAttr(map: BpfMap, key: bigint, value: bigint, flags: number): void {
  clearAttr();
  attr.u32[0] = map.fd;
  attr.u64[1] = key;
  attr.u64[2] = value;
  attr.u64[3] = BigInt(flags);
}

/** BPF_MAP_LOOKUP_ELEM: false when the key is absent. */
export function lookup(map: BpfMap, io: MapIo): boolean {
  elemAttr(map, io.key.address, io.value.address, 0);
  try {
    bpf(BPF_MAP_LOOKUP_ELEM, `lookup in ${map.name}`);
    return true;
  } catch (err) {
    if (err instanceof KernelError && err.errno === 2) return false; // ENOENT
    throw err;
  }
}

/** BPF_MAP_UPDATE_ELEM with `flags` (BPF_ANY, BPF_NOEXIST). */
export function update(map: BpfMap, io: MapIo, flags = BPF_ANY): void {
  elemAttr(map, io.key.address, io.value.address, flags);
  bpf(BPF_MAP_UPDATE_ELEM, `update of ${map.name}`);
}

/** BPF_MAP_UPDATE_ELEM with a null key: push onto a queue map. */
export function push(map: BpfMap, io: MapIo): void {
  elemAttr(map, 0n, io.value.address, BPF_ANY);
  bpf(BPF_MAP_UPDATE_ELEM, `push onto ${map.name}`);
}

/** BPF_MAP_DELETE_ELEM: false when the key was absent. */
export function remove(map: BpfMap, io: MapIo): boolean {
  elemAttr(map, io.key.address, 0n, 0);
  try {
    bpf(BPF_MAP_DELETE_ELEM, `delete from ${map.name}`);
    return true;
  } catch (err) {
    if (err instanceof KernelError && err.errno === 2) return false;
    throw err;
  }
}

/**
 * Every key of a hash map: BPF_MAP_GET_NEXT_KEY from "no key", each key copied into `io.key`
 * in turn and passed to `visit` (which may look its value up with `lookup(map, io)`).
 */
export function forEachKey(map: BpfMap, io: MapIo, visit: () => void): void {
  let first = true;
  for (;;) {
    elemAttr(map, first ? 0n : io.key.address, io.next.address, 0);
    try {
      bpf(BPF_MAP_GET_NEXT_KEY, `walk of ${map.name}`);
    } catch (err) {
      if (err instanceof KernelError && err.errno === 2) return;
      throw err;
    }
    first = false;
    io.key.bytes.set(io.next.bytes);
    visit();
  }
}

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const PAGE = 4096;

function mapShared(map: BpfMap, length: number, prot: number, offset: number): ArrayBuffer {
  const pointer = mmap(0, length, prot, MAP_SHARED, map.fd, offset);
  if (BigInt(koffi.address(pointer)) === 0xffffffffffffffffn) {
    const e = errno();
    throw new KernelError(`cannot mmap BPF map ${map.name}: ${strerror(e)}`, e);
  }
  return koffi.view(pointer, length);
}

/** A BPF_F_MMAPABLE array map's values, mapped into this process (shared with the kernel, live). */
export function mmapArray(map: BpfMap): ArrayBuffer {
  return mapShared(map, Math.ceil((map.valueSize * map.maxEntries) / PAGE) * PAGE, PROT_READ | PROT_WRITE, 0);
}

/**
 * A BPF_MAP_TYPE_RINGBUF's pages (kernel/bpf/ringbuf.c): the consumer position page, writable;
 * the producer position page and the data, read-only, the data mapped twice in a row so a
 * record that wraps reads as one piece.
 */
export interface RingPages {
  /** [0]: the consumer position (written by user space). */
  readonly consumer: BigUint64Array;
  /** [0]: the producer position. */
  readonly producer: BigUint64Array;
  /** 2 × the ring's size. */
  readonly data: Uint8Array;
}

export function mmapRing(map: BpfMap): RingPages {
  const consumer = mapShared(map, PAGE, PROT_READ | PROT_WRITE, 0);
  const rest = mapShared(map, PAGE + 2 * map.maxEntries, PROT_READ, PAGE);
  return {
    consumer: new BigUint64Array(consumer, 0, 1),
    producer: new BigUint64Array(rest, 0, 1),
    data: new Uint8Array(rest, PAGE, 2 * map.maxEntries),
  };
}

/** The instructions and metadata of one program to load. */
export interface ProgramLoad {
  readonly name: string;
  readonly type: number;
  readonly bytes: Uint8Array;
}

const LOG_SIZE = 1 << 20;
let logBuffer: NativeBuffer | undefined;

/**
 * BPF_PROG_LOAD with license "GPL". On failure the error carries the verifier's log (the
 * load is retried with log level 1 to get it, so a successful load pays no logging).
 */
export function loadProgram(program: ProgramLoad): number {
  const insns = allocBuffer(Math.ceil(program.bytes.length / 8) * 8);
  insns.bytes.set(program.bytes);
  const license = allocBuffer(8);
  license.bytes.set([0x47, 0x50, 0x4c, 0]); // "GPL"
  const fill = (logLevel: number) => {
    clearAttr();
    attr.u32[0] = program.type;
    attr.u32[1] = program.bytes.length / 8;
    attr.u64[1] = insns.address;
    attr.u64[2] = license.address;
    if (logLevel) {
      logBuffer ??= allocBuffer(LOG_SIZE);
      logBuffer.bytes[0] = 0;
      attr.u32[6] = logLevel;
      attr.u32[7] = LOG_SIZE;
      attr.u64[4] = logBuffer.address;
    }
    writeName(48, program.name);
  };
  fill(0);
  try {
    return bpf(BPF_PROG_LOAD, `the kernel refused eBPF program ${program.name}`);
  } catch (err) {
    if (!(err instanceof KernelError)) throw err;
    fill(1);
    try {
      return bpf(BPF_PROG_LOAD, `the kernel refused eBPF program ${program.name}`);
    } catch (again) {
      if (!(again instanceof KernelError) || !logBuffer) throw again;
      const end = logBuffer.bytes.indexOf(0);
      const log = Buffer.from(logBuffer.bytes.subarray(0, end < 0 ? LOG_SIZE : end))
        .toString('utf8')
        .trim();
      throw new KernelError(`${again.message}${log ? `\nverifier log:\n${log}` : ''}`, again.errno, log);
    }
  }
}

const PERF_TYPE_TRACEPOINT = 2;
const PERF_FLAG_FD_CLOEXEC = 8;
const PERF_EVENT_IOC_ENABLE = 0x2400;
const PERF_EVENT_IOC_SET_BPF = 0x40042408;
const PERF_ATTR_SIZE = 128;

/**
 * Attach a tracepoint program: perf_event_open(PERF_TYPE_TRACEPOINT, id) on CPU 0 for every
 * process (one event runs the program on every CPU), then SET_BPF and ENABLE. Returns the
 * event fd: closing it detaches.
 */
export function attachTracepoint(programFd: number, tracepointId: number, what: string): number {
  if (!NR) throw new KernelError(`eBPF learning is not supported on ${process.arch}`, 0);
  const perf = allocBuffer(PERF_ATTR_SIZE);
  perf.u32[0] = PERF_TYPE_TRACEPOINT;
  perf.u32[1] = PERF_ATTR_SIZE;
  perf.u64[1] = BigInt(tracepointId);
  perf.u64[2] = 1n; // sample_period
  perf.u32[12] = 1; // wakeup_events
  const fd = syscall6(NR.perfEventOpen, perf.address, -1, 0, -1, PERF_FLAG_FD_CLOEXEC, 0);
  if (fd < 0) throw new KernelError(`cannot open the ${what} tracepoint: ${strerror(errno())}`, errno());
  for (const [request, arg, step] of [
    [PERF_EVENT_IOC_SET_BPF, programFd, 'attach to'],
    [PERF_EVENT_IOC_ENABLE, 0, 'enable'],
  ] as const) {
    if (ioctl(fd, request, arg) !== 0) {
      const e = errno();
      close(fd);
      throw new KernelError(`cannot ${step} the ${what} tracepoint: ${strerror(e)}`, e);
    }
  }
  return fd;
}

/** BPF_RAW_TRACEPOINT_OPEN: attach a raw tracepoint program by tracepoint name. */
export function attachRaw(programFd: number, tracepoint: string, what: string): number {
  const name = allocBuffer(Math.ceil((tracepoint.length + 1) / 8) * 8);
  name.bytes.set(Buffer.from(`${tracepoint}\0`));
  clearAttr();
  attr.u64[0] = name.address;
  attr.u32[2] = programFd;
  return bpf(BPF_RAW_TRACEPOINT_OPEN, `cannot attach ${what}`);
}

/** Run time and run count of a loaded program (bpf_prog_info; counted only while stats are on). */
export function programStats(programFd: number): { runTimeNs: bigint; runCount: bigint } {
  const info = allocBuffer(256);
  clearAttr();
  attr.u32[0] = programFd;
  attr.u32[1] = 256;
  attr.u64[1] = info.address;
  bpf(BPF_OBJ_GET_INFO_BY_FD, 'cannot read program info');
  // struct bpf_prog_info: run_time_ns at 192, run_cnt at 200 (checked against BTF in the tests).
  return { runTimeNs: info.u64[24]!, runCount: info.u64[25]! };
}

/** Names of every eBPF program loaded on the host (to check that sbx left none behind). */
export function loadedProgramNames(): string[] {
  const names: string[] = [];
  const info = allocBuffer(256);
  for (let id = 0; ; ) {
    clearAttr();
    attr.u32[0] = id;
    try {
      bpf(BPF_PROG_GET_NEXT_ID, 'walk of loaded programs');
    } catch (err) {
      if (err instanceof KernelError && err.errno === 2) return names;
      throw err;
    }
    id = attr.u32[1]!; // next_id
    clearAttr();
    attr.u32[0] = id;
    let fd: number;
    try {
      fd = bpf(BPF_PROG_GET_FD_BY_ID, 'open of a loaded program');
    } catch {
      continue; // unloaded meanwhile
    }
    info.bytes.fill(0);
    clearAttr();
    attr.u32[0] = fd;
    attr.u32[1] = 256;
    attr.u64[1] = info.address;
    try {
      bpf(BPF_OBJ_GET_INFO_BY_FD, 'program info');
      const end = info.bytes.indexOf(0, 64);
      names.push(Buffer.from(info.bytes.subarray(64, end < 0 ? 80 : Math.min(end, 80))).toString('utf8')); // bpf_prog_info.name
    } finally {
      close(fd);
    }
  }
}

/**
 * BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): the kernel times every program run while the returned
 * fd is open (the same switch as sysctl kernel.bpf_stats_enabled, but it turns itself off when
 * the fd closes, even if sbx dies).
 */
export function enableRunTimeStats(): number {
  clearAttr();
  attr.u32[0] = 0;
  return bpf(BPF_ENABLE_STATS, 'cannot enable BPF run-time stats');
}

/** Close an fd made here. */
export function closeFd(fd: number): void {
  close(fd);
}

/** mount(2) for tracefs when it is not mounted yet. */
export function mountTracefs(target: string): void {
  if (mountFs('nodev', target, 'tracefs', 0, 0) !== 0) {
    const e = errno();
    throw new KernelError(`cannot mount tracefs on ${target}: ${strerror(e)}`, e);
  }
}
