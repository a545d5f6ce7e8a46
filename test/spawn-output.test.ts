/**
 * spawnLauncher's optional output fd (for sbx learn --tracee-output): the program's stdout
 * and stderr go to that fd, stdin is still inherited; without it, both are inherited as before.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SECCOMP_RET_ALLOW } from '../src/linux/constants.js';
import { allocBuffer, waitpid } from '../src/linux/libc.js';
import { spawnLauncher } from '../src/linux/spawn.js';
import { tempDir } from './helpers.js';

/** ret ALLOW: the launcher installs it and execs the program, no tracer needed. */
function allowAll(): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(4, SECCOMP_RET_ALLOW, true);
  out[0] = 0x06;
  return out;
}

it('makes the output fd the program stdout and stderr', () => {
  const file = join(tempDir('sbx-spawn-'), 'out.txt');
  const fd = openSync(file, 'w');
  try {
    const launched = spawnLauncher(allowAll(), '/bin/sh', ['sh', '-c', 'echo to-stdout; echo to-stderr >&2; exit 3'], { output: fd });
    launched.release(true);
    const status = allocBuffer(8);
    expect(waitpid(launched.pid, status.address, 0)).toBe(launched.pid);
    // exited with 3: status word 0x0300
    expect(status.i32[0]).toBe(3 << 8);
  } finally {
    closeSync(fd);
  }
  expect(readFileSync(file, 'utf8')).toBe('to-stdout\nto-stderr\n');
});

it("ignores no signal the program would not ignore bare (Node ignores SIGPIPE and SIGXFSZ; glibc's posix_spawn ignores 32 and 33)", () => {
  const file = join(tempDir('sbx-spawn-'), 'status.txt');
  const fd = openSync(file, 'w');
  try {
    const launched = spawnLauncher(allowAll(), '/bin/grep', ['grep', '^SigIgn:', '/proc/self/status'], { output: fd });
    launched.release(true);
    const status = allocBuffer(8);
    expect(waitpid(launched.pid, status.address, 0)).toBe(launched.pid);
    expect(status.i32[0]).toBe(0);
  } finally {
    closeSync(fd);
  }
  expect(readFileSync(file, 'utf8')).toBe('SigIgn:\t0000000000000000\n');
});
