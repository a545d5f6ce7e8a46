/**
 * The generated x86_64 launcher ELF: headers, every code byte against GNU as, and the real
 * thing run without a tracer (the tracer's pipe on fd 3 is played by the test).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, openSync, readFileSync, readlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SECCOMP_RET_ALLOW } from '../src/linux/constants.js';
import {
  allocBuffer,
  close,
  pipe2,
  posixSpawnp,
  spawnFileActionsAddDup2,
  spawnFileActionsDestroy,
  spawnFileActionsInit,
  waitpid,
  write,
} from '../src/linux/libc.js';
import {
  DEFAULT_SETUP,
  launcherElf,
  launcherListing,
  materializeLauncher,
  NO_FILTER,
  type LauncherFilter,
  type LauncherSetup,
} from '../src/linux/native-launcher.js';
import { traceFilter } from '../src/ptrace/trace-filter.js';
import { formatRaw } from '../src/bpf/disasm.js';
import { requireTool, tempDir, waitFor } from './helpers.js';

const BASE = 0x400000;
const SYS_GETPPID = 110;
const SECCOMP_RET_ERRNO = 0x00050000;
const EPERM = 1;
const O_CLOEXEC = 0o2000000;

/** Classic BPF instructions as raw struct sock_filter bytes. */
function bpf(...insns: [code: number, jt: number, jf: number, k: number][]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const v = new DataView(out.buffer);
  insns.forEach(([code, jt, jf, k], i) => {
    v.setUint16(i * 8, code, true);
    v.setUint8(i * 8 + 2, jt);
    v.setUint8(i * 8 + 3, jf);
    v.setUint32(i * 8 + 4, k >>> 0, true);
  });
  return out;
}

const ALLOW = bpf([0x06, 0, 0, SECCOMP_RET_ALLOW]); // ret ALLOW
const DENY_GETPPID = bpf(
  [0x20, 0, 0, 0], // ld [0] (seccomp_data.nr)
  [0x15, 0, 1, SYS_GETPPID], // jeq #getppid, 0, 1
  [0x06, 0, 0, SECCOMP_RET_ERRNO | EPERM], // ret ERRNO(EPERM)
  [0x06, 0, 0, SECCOMP_RET_ALLOW], // ret ALLOW
);

const O_RDWR = 0o2;
const O_NONBLOCK = 0o4000;
const O_APPEND = 0o2000;
/** bit n-1 = signal n */
const SIGHUP_AND_SIGPIPE = (1n << 0n) | (1n << 12n);
const SETUP: LauncherSetup = { goFd: 17, stdioFlags: [O_RDWR | O_NONBLOCK, -1, O_RDWR | O_APPEND], ignored: SIGHUP_AND_SIGPIPE };

/** The real interpreter, not a pyenv shim that forks a shell. */
const PYTHON = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

interface Launched {
  readonly pid: number;
  /** Play the tracer: one byte on fd 3. */
  release(): void;
  /** Close fd 3 without a byte, as a tracer that gave up would. */
  abandon(): void;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Start the launcher with fd `goFd` a pipe from the test (child_process is fine here: nothing is traced). */
function launch(launcher: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, goFd = 3): Launched {
  const stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(goFd - 3).fill('ignore'), 'pipe'];
  const child = spawn(launcher, args, { stdio, env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const fd3 = child.stdio[goFd] as Writable;
  fd3.on('error', () => {}); // EPIPE once the launcher closed fd 3 and exec'd
  const done = new Promise<Awaited<Launched['done']>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    pid: child.pid!,
    release: () => fd3.end(Buffer.of(1)),
    abandon: () => fd3.end(),
    done,
  };
}

async function run(filter: LauncherFilter, args: readonly string[], setup = DEFAULT_SETUP): Promise<Awaited<Launched['done']>> {
  const launched = launch(materializeLauncher(filter, setup), args, process.env, setup.goFd);
  launched.release();
  return launched.done;
}

describe.skipIf(process.arch !== 'x64')('native launcher (x86_64)', () => {
  describe('ELF image', () => {
    it('has a well-formed ELF header and one R+X PT_LOAD covering the file', () => {
      const elf = launcherElf(DENY_GETPPID);
      const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
      expect([...elf.subarray(0, 7)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); // ELF64, LSB, EV_CURRENT
      expect(v.getUint16(16, true)).toBe(2); // ET_EXEC
      expect(v.getUint16(18, true)).toBe(62); // EM_X86_64
      expect(v.getUint32(20, true)).toBe(1);
      expect(v.getBigUint64(24, true)).toBe(BigInt(BASE + 120)); // entry right after the headers
      expect(v.getBigUint64(32, true)).toBe(64n); // e_phoff
      expect(v.getUint16(52, true)).toBe(64); // e_ehsize
      expect(v.getUint16(54, true)).toBe(56); // e_phentsize
      expect(v.getUint16(56, true)).toBe(1); // e_phnum
      expect(v.getUint16(60, true)).toBe(0); // e_shnum

      expect(v.getUint32(64, true)).toBe(1); // PT_LOAD
      expect(v.getUint32(68, true)).toBe(5); // PF_R | PF_X
      expect(v.getBigUint64(72, true)).toBe(0n); // p_offset
      expect(v.getBigUint64(80, true)).toBe(BigInt(BASE)); // p_vaddr
      expect(v.getBigUint64(96, true)).toBe(BigInt(elf.length)); // p_filesz
      expect(v.getBigUint64(104, true)).toBe(BigInt(elf.length)); // p_memsz
      expect(v.getBigUint64(112, true)).toBe(0x1000n); // p_align
    });

    it('embeds struct sock_fprog pointing at the 8-aligned filter at the end', () => {
      const elf = launcherElf(DENY_GETPPID);
      const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
      const filterAt = elf.length - DENY_GETPPID.length;
      expect(filterAt % 8).toBe(0);
      expect([...elf.subarray(filterAt)]).toEqual([...DENY_GETPPID]);
      const fprog = filterAt - 16;
      expect(v.getUint16(fprog, true)).toBe(4); // len
      expect([...elf.subarray(fprog + 2, fprog + 8)]).toEqual([0, 0, 0, 0, 0, 0]);
      expect(v.getBigUint64(fprog + 8, true)).toBe(BigInt(BASE + filterAt));
      // Only the filter changes the image's size: 472 + 8 per instruction (472 with NO_FILTER).
      expect(launcherElf(ALLOW).length).toBe(elf.length - 3 * 8);
      expect(launcherElf(NO_FILTER).length).toBe(elf.length - 4 * 8);
    });

    it('refuses empty, ragged and over-long filters', () => {
      expect(() => launcherElf(new Uint8Array(0))).toThrow(RangeError);
      expect(() => launcherElf(new Uint8Array(12))).toThrow(RangeError);
      expect(() => launcherElf(new Uint8Array(4097 * 8))).toThrow(RangeError);
      expect(launcherElf(new Uint8Array(4096 * 8)).length).toBeGreaterThan(4096 * 8);
    });

    it.each([
      ['ret ALLOW', ALLOW, DEFAULT_SETUP],
      ['deny getppid', DENY_GETPPID, DEFAULT_SETUP],
      ['the trace filter', formatRaw(traceFilter('exec-only')), DEFAULT_SETUP],
      ['a setup: go fd 17, flags for fds 0 and 2, SIGHUP and SIGPIPE ignored', ALLOW, SETUP],
      ['no filter (the eBPF backend), with a setup', NO_FILTER, SETUP],
    ])('is byte for byte what GNU as makes of the listing (%s)', (_name, filter, setup) => {
      requireTool('as');
      requireTool('objcopy');
      const dir = tempDir('sbx-native-launcher-');
      writeFileSync(join(dir, 'launcher.s'), launcherListing(filter, setup));
      const as = spawnSync('as', ['--64', '-o', join(dir, 'launcher.o'), join(dir, 'launcher.s')], { encoding: 'utf8' });
      expect(as.stderr).toBe('');
      expect(as.status).toBe(0);
      const objcopy = spawnSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'launcher.o'), join(dir, 'launcher.bin')], {
        encoding: 'utf8',
      });
      expect(objcopy.status).toBe(0);
      const reference = readFileSync(join(dir, 'launcher.bin'));
      const elf = launcherElf(filter, setup);
      expect(Buffer.from(elf.subarray(120)).toString('hex')).toBe(reference.toString('hex'));
    });
  });

  describe('materializeLauncher', () => {
    it('caches one sealed memfd per filter content', () => {
      const path = materializeLauncher(ALLOW);
      expect(path).toMatch(/^\/proc\/self\/fd\/\d+$/);
      expect(materializeLauncher(new Uint8Array(ALLOW))).toBe(path);
      expect(materializeLauncher(DENY_GETPPID)).not.toBe(path);
      expect(readlinkSync(path)).toMatch(/^\/memfd:sbx-launcher/);
      expect(new Uint8Array(readFileSync(path))).toEqual(launcherElf(ALLOW));
      const fd = Number(path.split('/').pop());
      expect(fd).toBeGreaterThan(3);
      expect(() => writeSync(fd, Buffer.of(0), 0, 1, 0)).toThrow(/EPERM/); // F_SEAL_WRITE
      // Even opened anew for writing through /proc it stays as it is.
      const writable = openSync(path, 'r+');
      try {
        expect(() => writeSync(writable, Buffer.of(0))).toThrow(/EPERM/);
      } finally {
        closeSync(writable); // while a writable open file exists, execve of the memfd fails with ETXTBSY
      }
    });

    it("can be execve'd by a posix_spawn child through /proc/self/fd", () => {
      const dir = tempDir('sbx-native-launcher-');
      const out = join(dir, 'out');
      const fds = allocBuffer(8);
      expect(pipe2(fds.address, O_CLOEXEC)).toBe(0);
      const [readEnd, writeEnd] = [fds.i32[0]!, fds.i32[1]!];
      const fileActions = allocBuffer(256);
      spawnFileActionsInit(fileActions.address);
      spawnFileActionsAddDup2(fileActions.address, readEnd, 3);
      const launcher = materializeLauncher(ALLOW);
      const pid = [0];
      const rc = posixSpawnp(
        pid,
        launcher,
        fileActions.address,
        0n,
        [launcher, '/bin/sh', 'sh', '-c', `echo spawned > ${out}`, null],
        [null],
      );
      spawnFileActionsDestroy(fileActions.address);
      close(readEnd);
      expect(rc).toBe(0);
      expect(readlinkSync(`/proc/${pid[0]}/exe`)).toMatch(/^\/memfd:sbx-launcher/);
      const byte = allocBuffer(8);
      expect(write(writeEnd, byte.address, 1)).toBe(1);
      close(writeEnd);
      const status = allocBuffer(8);
      expect(waitpid(pid[0]!, status.address, 0)).toBe(pid[0]);
      expect(status.i32[0]).toBe(0); // exited, code 0
      expect(readFileSync(out, 'utf8')).toBe('spawned\n');
    });
  });

  describe('live, without a tracer', () => {
    it('waits for the byte on fd 3, then runs the target', async () => {
      const launched = launch(materializeLauncher(ALLOW), ['/bin/echo', 'echo', 'hi']);
      // It gets as far as read(3, ...) and sleeps there: still the launcher.
      await waitFor('the launcher to block in read(3)', () => /^0 0x3 /.test(readFileSync(`/proc/${launched.pid}/syscall`, 'latin1')));
      expect(readlinkSync(`/proc/${launched.pid}/exe`)).toMatch(/^\/memfd:sbx-launcher/);
      expect(readFileSync(`/proc/${launched.pid}/stat`, 'latin1')).toMatch(/^\d+ \(\d+\) S /);
      launched.release();
      expect(await launched.done).toEqual({ code: 0, signal: null, stdout: 'hi\n', stderr: '' });
    });

    it('sets no_new_privs and installs the filter before exec', async () => {
      const result = await run(ALLOW, ['/bin/cat', 'cat', '/proc/self/status']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(result.stdout).toMatch(/^Seccomp:\s+2$/m);
      expect(result.stdout).toMatch(/^Seccomp_filters:\s+1$/m);
    });

    it('with NO_FILTER sets neither no_new_privs nor a filter, and still restores its setup', async () => {
      const script = 'grep -h ^flags: /proc/self/fdinfo/0; grep -E "^(SigIgn|NoNewPrivs|Seccomp):" /proc/self/status';
      const result = await run(NO_FILTER, ['/bin/sh', 'sh', '-c', script], SETUP);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^NoNewPrivs:\s+0$/m);
      expect(result.stdout).toMatch(/^Seccomp:\s+0$/m);
      const [fd0, ignored] = result.stdout.trim().split('\n');
      expect(Number.parseInt(fd0!.split(/\s+/)[1]!, 8) & O_NONBLOCK).toBe(O_NONBLOCK);
      expect(BigInt(`0x${ignored!.split(/\s+/)[1]}`) & SIGHUP_AND_SIGPIPE).toBe(SIGHUP_AND_SIGPIPE);
    });

    it('gives fds 0-2 the flags of its setup and ignores its signals before exec, waiting on its go fd', async () => {
      const script = 'grep -h ^flags: /proc/self/fdinfo/0 /proc/self/fdinfo/1 /proc/self/fdinfo/2; grep ^SigIgn: /proc/self/status';
      const result = await run(ALLOW, ['/bin/sh', 'sh', '-c', script], SETUP);
      expect(result.code, result.stderr).toBe(0);
      const [fd0, fd1, fd2, ignored] = result.stdout.trim().split('\n');
      const flags = (line: string | undefined) => Number.parseInt(line!.split(/\s+/)[1]!, 8) & ~O_CLOEXEC;
      expect(flags(fd0) & (O_NONBLOCK | O_APPEND)).toBe(O_NONBLOCK); // /dev/null, as set
      expect(flags(fd1) & O_NONBLOCK).toBe(0); // left alone: the test's pipe
      expect(flags(fd2) & (O_NONBLOCK | O_APPEND)).toBe(O_APPEND);
      expect(BigInt(`0x${ignored!.split(/\s+/)[1]}`) & SIGHUP_AND_SIGPIPE).toBe(SIGHUP_AND_SIGPIPE);
    });

    it('passes argv0, the arguments and the environment through', async () => {
      const cmdline = await run(ALLOW, ['/bin/cat', 'custom-argv0', '/proc/self/cmdline']);
      expect(cmdline.stdout).toBe('custom-argv0\0/proc/self/cmdline\0');
      const launched = launch(materializeLauncher(ALLOW), ['/bin/sh', 'sh', '-c', 'echo "$0|$1|$SBX_NL"', 'zero', 'one two'], {
        PATH: '/usr/bin:/bin',
        SBX_NL: 'a b=c',
      });
      launched.release();
      expect((await launched.done).stdout).toBe('zero|one two|a b=c\n');
      const env = launch(materializeLauncher(ALLOW), ['/usr/bin/env', 'env'], { ONLY: '1' });
      env.release();
      expect((await env.done).stdout).toBe('ONLY=1\n');
    });

    it('the filter really applies: getppid fails with EPERM', async () => {
      // CPython's os.getppid() never checks for errors (getppid "cannot fail"): a denied call shows as -1.
      const script = 'import os; print(os.getppid())';
      expect(PYTHON).toMatch(/^\//);
      expect((await run(DENY_GETPPID, [PYTHON, 'python3', '-c', script])).stdout).toBe('-1\n');
      expect((await run(ALLOW, [PYTHON, 'python3', '-c', script])).stdout).toBe(`${process.pid}\n`);
    });

    it('exits 127 when the target does not exist and 126 when it cannot be executed, silently', async () => {
      const dir = tempDir('sbx-native-launcher-');
      const missing = await run(ALLOW, [join(dir, 'missing'), 'missing']);
      expect(missing).toEqual({ code: 127, signal: null, stdout: '', stderr: '' });
      const plain = join(dir, 'plain');
      writeFileSync(plain, '#!/bin/sh\necho no\n');
      chmodSync(plain, 0o644);
      expect((await run(ALLOW, [plain, 'plain'])).code).toBe(126);
      expect((await run(ALLOW, [dir, 'dir'])).code).toBe(126); // EACCES on a directory
    });

    it('exits 125 when fd 3 closes without a byte, with too few arguments, or for a filter the kernel refuses', async () => {
      const abandoned = launch(materializeLauncher(ALLOW), ['/bin/echo', 'echo', 'ran']);
      abandoned.abandon();
      expect(await abandoned.done).toEqual({ code: 125, signal: null, stdout: '', stderr: '' });
      expect((await run(ALLOW, ['/bin/echo'])).code).toBe(125);
      // One `ld [0]` and no return: seccomp(2) says EINVAL.
      expect((await run(bpf([0x20, 0, 0, 0]), ['/bin/echo', 'echo', 'ran'])).code).toBe(125);
    });
  });
});
