/**
 * What sbx itself was started with, kept for the program it starts so that the program sees
 * what it would see started bare: the open file descriptions of fds 0-2 with their status
 * flags, which of them were closed, the other fds it was given, the signal mask, the ignored
 * signals, the soft limit of open files and the order of the environment.
 *
 * Node changes all of these in sbx's own process: before any JavaScript runs it opens
 * /dev/null on a closed fd 0-2, marks other inherited fds close-on-exec, empties the signal
 * mask, un-ignores signals and raises RLIMIT_NOFILE (bin/sbx's bash lines record them first,
 * in SBX_INHERITED); process.env loses the order of the environment; later libuv sets O_NONBLOCK on the pipe
 * or socket behind a stdio stream (a description the program shares) and moves a terminal
 * fd to a reopened description of its own. So bin/sbx's bash lines also keep a duplicate of
 * each description with its flags (Node marks it close-on-exec), which `captureInherited()`
 * takes first thing in bin/sbx; spawn.ts puts those back on fds 0-2 and the launcher restores
 * their flags and the ignored signals just before it installs the filter
 * (native-launcher.ts), after anything Node could have done. Taking them from bash keeps koffi
 * out of sbx's main thread at start-up (only started as `node bin/sbx` does it duplicate them).
 */
import { fstatSync } from 'node:fs';

/** One of fds 0-2 as sbx got it: a duplicate of its open file description (close-on-exec) and F_GETFL. */
export interface InheritedFd {
  readonly fd: number;
  readonly flags: number;
}

export interface Inherited {
  /** fds 0, 1, 2; null where sbx was started with that fd closed. */
  readonly stdio: readonly [InheritedFd | null, InheritedFd | null, InheritedFd | null];
  /** Signal mask, bit n-1 = signal n. */
  readonly blocked: bigint;
  /** Signals set to SIG_IGN. */
  readonly ignored: bigint;
  /** Soft limit of open files (RLIMIT_NOFILE), which Node raises to the hard limit; undefined: unknown. */
  readonly nofile?: bigint;
  /** fds above 2 sbx was given without close-on-exec (`3<file`), which Node marks close-on-exec. */
  readonly openFds: readonly number[];
  /**
   * Names of the environment sbx was started with, in its order, which bash and process.env do
   * not keep; undefined: unknown (the program gets process.env).
   */
  readonly envOrder?: readonly string[];
}

const F_GETFL = 3;
const F_DUPFD_CLOEXEC = 1030;
/** Duplicates go at or above this fd (F_DUPFD never takes an open one). */
const FIRST_SAVED_FD = 100;
export const ENV_NAME = 'SBX_INHERITED';

let captured: Inherited | undefined;

const RLIM_INFINITY = (1n << 64n) - 1n;

interface Recorded {
  readonly closed: ReadonlySet<number>;
  readonly open: readonly number[];
  /** The duplicate bash made of each fd 0-2 not closed, with the fd's status flags. */
  readonly stdio: ReadonlyMap<number, InheritedFd>;
  readonly blocked: bigint;
  readonly ignored: bigint;
  readonly nofile: bigint;
  readonly envOrder: readonly string[];
}

/**
 * `closed=2 open=3,7 stdio=0:10:32768,1:11:32769 blocked=0000000000000800 ignored=0000000001000000
 * nofile=1024 env=HOME PATH` as bin/sbx writes it (stdio: fd, its duplicate, its flags).
 */
export function parseInherited(text: string): Recorded | undefined {
  const m =
    /^closed=([0-2]*) open=((?:\d+(?:,\d+)*)?) stdio=((?:[0-2]:\d+:\d+(?:,[0-2]:\d+:\d+)*)?) blocked=([0-9a-f]{1,16}) ignored=([0-9a-f]{1,16}) nofile=(\d+|unlimited) env=(.*)$/s.exec(
      text,
    );
  if (!m) return undefined;
  const closed = new Set([...m[1]!].map(Number));
  const stdio = new Map(
    (m[3] ? m[3].split(',') : []).map((entry) => {
      const [fd, saved, flags] = entry.split(':').map(Number) as [number, number, number];
      return [fd, { fd: saved, flags }];
    }),
  );
  // Each fd 0-2 is either closed or kept.
  if ([0, 1, 2].some((fd) => closed.has(fd) === stdio.has(fd))) return undefined;
  return {
    closed,
    open: m[2] ? m[2].split(',').map(Number) : [],
    stdio,
    blocked: BigInt(`0x${m[4]}`),
    ignored: BigInt(`0x${m[5]}`),
    nofile: m[6] === 'unlimited' ? RLIM_INFINITY : BigInt(m[6]!),
    envOrder: m[7]!.split(' ').filter(Boolean),
  };
}

/** Whether `fd` is open in this process. */
function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** Without bash's record (sbx started as `node bin/sbx`): keep a close-on-exec duplicate of each open fd 0-2 now. */
async function duplicateStdio(): Promise<Inherited['stdio']> {
  const { errno, fcntl, strerror } = await import('./libc.js');
  const keep = (fd: number): InheritedFd | null => {
    const flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0) return null;
    const saved = fcntl(fd, F_DUPFD_CLOEXEC, FIRST_SAVED_FD);
    if (saved < 0) throw new Error(`cannot keep fd ${fd} for the program: ${strerror(errno())}`);
    return { fd: saved, flags };
  };
  return [keep(0), keep(1), keep(2)];
}

/**
 * Take what sbx was started with from SBX_INHERITED, which is removed from the environment
 * (call before anything creates process.stdin/stdout/stderr). Without it (sbx run as
 * `node bin/sbx`) fds 0-2 are kept as they are now, closed fds cannot be told from Node's
 * /dev/null, and the program gets an empty mask and no ignored signals.
 */
export async function captureInherited(env: NodeJS.ProcessEnv = process.env): Promise<Inherited> {
  if (captured) return captured;
  const recorded = parseInherited(env[ENV_NAME] ?? '');
  delete env[ENV_NAME];
  const kept = (fd: number): InheritedFd | null => recorded?.stdio.get(fd) ?? null;
  captured = {
    stdio: recorded ? [kept(0), kept(1), kept(2)] : await duplicateStdio(),
    blocked: recorded?.blocked ?? 0n,
    ignored: recorded?.ignored ?? 0n,
    ...(recorded ? { nofile: recorded.nofile } : {}),
    // Still open: Node only marked them close-on-exec.
    openFds: (recorded?.open ?? []).filter(isOpen),
    ...(recorded ? { envOrder: recorded.envOrder.filter((name) => name !== ENV_NAME) } : {}),
  };
  return captured;
}

/**
 * Node's variables, which bin/sbx keeps from sbx's own node (each as SBX_<name>): they are
 * meant for the program, and Node acts on them as it starts, before any of sbx's code runs.
 */
export const NODE_VARIABLES_SET_ASIDE = [
  // --inspect would take the program's port, --require run code in sbx, a V8 flag cost sbx
  // its code cache.
  'NODE_OPTIONS',
  // Node parses the CA bundle as it starts (~40 ms where it names the system's), for TLS sbx
  // never uses.
  'NODE_EXTRA_CA_CERTS',
  // The IPC channel (and cluster id) of the program's parent, which Node would take over and
  // remove from the environment.
  'NODE_CHANNEL_FD',
  'NODE_CHANNEL_SERIALIZATION_MODE',
  'NODE_UNIQUE_ID',
  // sbx's own coverage and warnings would land in the program's files, and its debug output
  // on the program's stderr.
  'NODE_V8_COVERAGE',
  'NODE_REDIRECT_WARNINGS',
  'NODE_DEBUG',
  'NODE_DEBUG_NATIVE',
] as const;

/** Put back what bin/sbx set aside (call first thing: workers and programs get process.env). */
export function restoreSetAside(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of NODE_VARIABLES_SET_ASIDE) {
    const kept = env[`SBX_${name}`];
    if (kept === undefined) continue;
    env[name] = kept;
    delete env[`SBX_${name}`];
  }
}

/** What captureInherited() kept, if it ran in this process. */
export function inherited(): Inherited | undefined {
  return captured;
}
