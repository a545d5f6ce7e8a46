/**
 * Starting processes without child_process: libuv's SIGCHLD reaper would collect ptrace
 * stops and children the tracer already reaped. posix_spawnp via koffi instead.
 */
import {
  allocBuffer,
  errno,
  posixSpawnp,
  sigemptyset,
  spawnAttrDestroy,
  spawnAttrInit,
  spawnAttrSetFlags,
  spawnAttrSetSigDefault,
  spawnAttrSetSigMask,
  spawnFileActionsAddDup2,
  spawnFileActionsDestroy,
  spawnFileActionsInit,
  strerror,
} from './libc.js';
import { SIG } from './constants.js';

const POSIX_SPAWN_SETSIGDEF = 4;
const POSIX_SPAWN_SETSIGMASK = 8;

/** Add a signal to a glibc sigset_t in memory (bit signo-1). */
function sigaddset(set: Uint8Array, signo: number): void {
  set[(signo - 1) >> 3]! |= 1 << ((signo - 1) & 7);
}

/**
 * Spawn `node <script> args...` with stdio 0-2 inherited (Node marks them close-on-exec;
 * dup2(fd, fd) in the file actions clears that), SIGPIPE/SIGXFSZ back to default (Node
 * ignores them and "ignored" survives exec) and an empty signal mask.
 */
export function spawnLauncher(script: string, args: readonly string[]): number {
  const fileActions = allocBuffer(256);
  const attr = allocBuffer(512);
  const sigdefault = allocBuffer(128);
  const sigmask = allocBuffer(128);
  spawnFileActionsInit(fileActions.address);
  spawnAttrInit(attr.address);
  try {
    for (const fd of [0, 1, 2]) spawnFileActionsAddDup2(fileActions.address, fd, fd);
    sigemptyset(sigdefault.address);
    sigaddset(sigdefault.bytes, SIG.SIGPIPE);
    sigaddset(sigdefault.bytes, SIG.SIGXFSZ);
    sigemptyset(sigmask.address);
    spawnAttrSetSigDefault(attr.address, sigdefault.address);
    spawnAttrSetSigMask(attr.address, sigmask.address);
    spawnAttrSetFlags(attr.address, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    const env = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
    const pid = [0];
    const rc = posixSpawnp(pid, process.execPath, fileActions.address, attr.address, [process.execPath, script, ...args, null], [
      ...env,
      null,
    ]);
    if (rc !== 0) throw new Error(`cannot start the launcher (${process.execPath}): ${strerror(rc)}`);
    return pid[0]!;
  } finally {
    spawnFileActionsDestroy(fileActions.address);
    spawnAttrDestroy(attr.address);
    void errno;
  }
}
