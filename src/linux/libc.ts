/**
 * The one module of koffi bindings: every libc/kernel call sbx makes goes through here.
 *
 * Hot-path calls take raw addresses as uint64_t (buffers allocated once with `allocBuffer`)
 * instead of letting koffi marshal objects: ~0.3 µs per call instead of ~2.5 µs.
 * Variadic libc functions (ptrace, prctl, syscall) are bound with fixed prototypes, which is
 * safe on x86_64 and aarch64 (integer varargs travel in the same registers).
 */
import koffi from './koffi.js';

const libc = koffi.load('libc.so.6');

export const ptrace = libc.func('long ptrace(long request, int pid, uint64_t addr, uint64_t data)') as (
  request: number,
  pid: number,
  addr: bigint | number,
  data: bigint | number,
) => number;

export const waitpid = libc.func('int waitpid(int pid, uint64_t status, int options)') as (
  pid: number,
  statusAddr: bigint,
  options: number,
) => number;

export const prctl = libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)') as (
  option: number,
  a2: number | bigint,
  a3: number | bigint,
  a4: number | bigint,
  a5: number | bigint,
) => number;

/** syscall(2) with up to four integer arguments. */
export const syscall4 = libc.func('long syscall(long nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)') as (
  nr: number,
  a1: number | bigint,
  a2: number | bigint,
  a3: number | bigint,
  a4: number | bigint,
) => number;

export const processVmReadv = libc.func(
  'long process_vm_readv(int pid, uint64_t local_iov, unsigned long liovcnt, uint64_t remote_iov, unsigned long riovcnt, unsigned long flags)',
) as (pid: number, localIov: bigint, liovcnt: number, remoteIov: bigint, riovcnt: number, flags: number) => number;

export const kill = libc.func('int kill(int pid, int sig)') as (pid: number, sig: number) => number;
export const fcntl = libc.func('int fcntl(int fd, int cmd, long arg)') as (fd: number, cmd: number, arg: number) => number;
export const sigprocmask = libc.func('int sigprocmask(int how, uint64_t set, uint64_t oldset)') as (
  how: number,
  set: bigint,
  oldset: number,
) => number;
/** sigaction(2) (glibc's struct sigaction): `act`/`oldact` are addresses, or 0. */
export const sigaction = libc.func('int sigaction(int sig, uint64_t act, uint64_t oldact)') as (
  sig: number,
  act: bigint,
  oldact: bigint,
) => number;
/** timer_create(2): `event` is the address of a struct sigevent (64 bytes), `timerId` of a timer_t. */
export const timerCreate = libc.func('int timer_create(int clock, uint64_t event, uint64_t timer_id)') as (
  clock: number,
  event: bigint,
  timerId: bigint,
) => number;
/** timer_settime(2): `value`/`old` are addresses of a struct itimerspec (four int64), or 0. */
export const timerSettime = libc.func('int timer_settime(uint64_t timer_id, int flags, uint64_t value, uint64_t old)') as (
  timerId: bigint,
  flags: number,
  value: bigint,
  old: bigint,
) => number;
/** The calling thread's id (the process id on the main thread). */
export const gettid = libc.func('int gettid()') as () => number;
export const sigemptyset = libc.func('int sigemptyset(uint64_t set)') as (set: bigint) => number;
/** setrlimit(2): `limit` is the address of a struct rlimit (two uint64). */
export const setrlimit = libc.func('int setrlimit(int resource, uint64_t limit)') as (resource: number, limit: bigint) => number;
/** prlimit(2): `limit`/`old` are addresses of a struct rlimit (two uint64), or 0. */
export const prlimit = libc.func('int prlimit(int pid, int resource, uint64_t limit, uint64_t old)') as (
  pid: number,
  resource: number,
  limit: bigint | number,
  old: bigint | number,
) => number;
export const schedGetcpu = libc.func('int sched_getcpu()') as () => number;
export const schedSetaffinity = libc.func('int sched_setaffinity(int pid, unsigned long size, uint64_t mask)') as (
  pid: number,
  size: number,
  mask: bigint,
) => number;
export const execve = libc.func('int execve(const char *path, const char **argv, const char **envp)') as (
  path: string,
  argv: (string | null)[],
  envp: (string | null)[],
) => number;
/** pipe2(2): `fds` is the address of two ints (read end, write end). */
export const pipe2 = libc.func('int pipe2(uint64_t fds, int flags)') as (fds: bigint, flags: number) => number;
export const write = libc.func('long write(int fd, uint64_t buf, unsigned long count)') as (
  fd: number,
  buf: bigint,
  count: number,
) => number;
export const close = libc.func('int close(int fd)') as (fd: number) => number;
export const isatty = libc.func('int isatty(int fd)') as (fd: number) => number;
export const strerror = libc.func('const char *strerror(int errnum)') as (errnum: number) => string;

export const posixSpawnp = libc.func(
  'int posix_spawnp(_Out_ int *pid, const char *file, uint64_t file_actions, uint64_t attrp, const char **argv, const char **envp)',
) as (pidOut: number[], file: string, fileActions: bigint, attr: bigint, argv: (string | null)[], envp: (string | null)[]) => number;
export const spawnFileActionsInit = libc.func('int posix_spawn_file_actions_init(uint64_t fa)') as (fa: bigint) => number;
export const spawnFileActionsAddDup2 = libc.func('int posix_spawn_file_actions_adddup2(uint64_t fa, int fd, int newfd)') as (
  fa: bigint,
  fd: number,
  newfd: number,
) => number;
export const spawnFileActionsAddClose = libc.func('int posix_spawn_file_actions_addclose(uint64_t fa, int fd)') as (
  fa: bigint,
  fd: number,
) => number;
/** glibc >= 2.29: the child changes directory before exec, whatever the parent's cwd is meanwhile. */
export const spawnFileActionsAddChdir = libc.func('int posix_spawn_file_actions_addchdir_np(uint64_t fa, const char *path)') as (
  fa: bigint,
  path: string,
) => number;
export const spawnFileActionsDestroy = libc.func('int posix_spawn_file_actions_destroy(uint64_t fa)') as (fa: bigint) => number;
export const spawnAttrInit = libc.func('int posix_spawnattr_init(uint64_t attr)') as (attr: bigint) => number;
export const spawnAttrSetFlags = libc.func('int posix_spawnattr_setflags(uint64_t attr, short flags)') as (
  attr: bigint,
  flags: number,
) => number;
export const spawnAttrSetSigDefault = libc.func('int posix_spawnattr_setsigdefault(uint64_t attr, uint64_t set)') as (
  attr: bigint,
  set: bigint,
) => number;
export const spawnAttrSetSigMask = libc.func('int posix_spawnattr_setsigmask(uint64_t attr, uint64_t set)') as (
  attr: bigint,
  set: bigint,
) => number;
export const spawnAttrDestroy = libc.func('int posix_spawnattr_destroy(uint64_t attr)') as (attr: bigint) => number;

/** errno of the last failed call on this thread. */
export const errno = (): number => koffi.errno();

/** A native buffer that lives as long as the process, with typed views over it. */
export interface NativeBuffer {
  readonly address: bigint;
  readonly bytes: Uint8Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly u64: BigUint64Array;
  readonly i64: BigInt64Array;
}

/** Allocate `size` bytes (a multiple of 8) once; hot loops reuse it. */
export function allocBuffer(size: number): NativeBuffer {
  const ptr = koffi.alloc('uint8_t', size);
  const buffer = koffi.view(ptr, size);
  // Keep the native allocation reachable for as long as the views are.
  keepAlive.push(ptr);
  return {
    address: koffi.address(ptr),
    bytes: new Uint8Array(buffer),
    u32: new Uint32Array(buffer),
    i32: new Int32Array(buffer),
    u64: new BigUint64Array(buffer),
    i64: new BigInt64Array(buffer),
  };
}
const keepAlive: unknown[] = [];
