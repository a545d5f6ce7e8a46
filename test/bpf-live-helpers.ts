/**
 * Plumbing for tests that load filters into the real kernel: a small C helper (built here with
 * gcc) installs raw sock_filter files with seccomp(SECCOMP_SET_MODE_FILTER) and makes the
 * syscalls it is told to; `predict` says what the kernel should then do for the action the
 * emulator computed. Used by test/bpf-live.test.ts and test/bpf-compile-live.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { archDef, archOfSyscall, hostArch, type AuditArch } from '../src/linux/arch.js';
import { decide, type Policy } from '../src/policy/policy.js';
import { policyActionRet } from '../src/policy/compile/compile.js';
import { formatRaw } from '../src/bpf/disasm.js';
import type { Action, SeccompData } from '../src/bpf/emulator.js';
import type { Insn, Program } from '../src/bpf/program.js';

export const HELPER_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* usage:
 *   helper sysno                       print "name nr" for the syscalls the test uses
 *   helper load FILTER                 try to install; print "ok" or "err ERRNO"
 *   helper run FILTERS|- CALL...       install FILTERS (':'-separated, oldest first), make each CALL
 *   helper cache FILTER                install, then copy /proc/self/seccomp_cache to stdout
 * FILTER is raw struct sock_filter[] (8 bytes each, little-endian). CALL is "nr,a0,...,a5"
 * (strtoull base 0) or "i386:nr" (int $0x80, x86_64 only). One output line per CALL:
 * "ret R errno E" or "trap DATA NR" (SIGSYS handler ran). A kill ends the process by SIGSYS. */

static volatile sig_atomic_t trapped;
static volatile int trap_data, trap_nr;

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  trapped = 1;
  trap_data = si->si_errno;
  trap_nr = si->si_syscall;
}

static void out(const char *s) {
  size_t n = strlen(s);
  while (n) {
    ssize_t w = write(1, s, n);
    if (w <= 0) _exit(100);
    s += w; n -= (size_t)w;
  }
}

static int read_filter(const char *path, struct sock_fprog *prog) {
  static unsigned char buf[8 * 4096 + 8];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  size_t len = 0;
  for (;;) {
    ssize_t r = read(fd, buf + len, sizeof buf - len);
    if (r < 0) return -1;
    if (r == 0) break;
    len += (size_t)r;
    if (len == sizeof buf) return -1;
  }
  close(fd);
  if (len % 8) return -1;
  struct sock_filter *f = calloc(len / 8 + 1, sizeof *f);
  for (size_t i = 0; i < len / 8; i++) {
    const unsigned char *b = buf + 8 * i;
    f[i].code = (uint16_t)(b[0] | b[1] << 8);
    f[i].jt = b[2];
    f[i].jf = b[3];
    f[i].k = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
  }
  prog->len = (unsigned short)(len / 8);
  prog->filter = f;
  return 0;
}

static int install(const char *path) {
  struct sock_fprog prog;
  if (read_filter(path, &prog)) { out("bad filter file\n"); _exit(101); }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return errno;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) return errno;
  return 0;
}

#if defined(__x86_64__)
static long int80(long nr) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory");
  return ret;
}
#endif

int main(int argc, char **argv) {
  char line[256];
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, NULL);

  if (argc >= 2 && !strcmp(argv[1], "sysno")) {
    snprintf(line, sizeof line, "getppid %d\ngetuid %d\ngetpid %d\n", (int)SYS_getppid, (int)SYS_getuid, (int)SYS_getpid);
    out(line);
    return 0;
  }
  if (argc == 3 && !strcmp(argv[1], "load")) {
    int e = install(argv[2]);
    snprintf(line, sizeof line, e ? "err %d\n" : "ok\n", e);
    out(line);
    return 0;
  }
  if (argc == 3 && !strcmp(argv[1], "cache")) {
    int e = install(argv[2]);
    if (e) { snprintf(line, sizeof line, "err %d\n", e); out(line); return 1; }
    int fd = open("/proc/self/seccomp_cache", O_RDONLY);
    if (fd < 0) { snprintf(line, sizeof line, "open %d\n", errno); out(line); return 1; }
    static char buf[1 << 16];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf - 1)) > 0) { buf[r] = 0; out(buf); }
    return 0;
  }
  if (argc >= 3 && !strcmp(argv[1], "run")) {
    if (strcmp(argv[2], "-")) {
      char *paths = strdup(argv[2]);
      for (char *p = strtok(paths, ":"); p; p = strtok(NULL, ":")) {
        int e = install(p);
        if (e) { snprintf(line, sizeof line, "install failed: errno %d\n", e); out(line); return 102; }
      }
    }
    for (int i = 3; i < argc; i++) {
      unsigned long long v[7] = {0};
      long r;
      trapped = 0;
      errno = 0;
      if (!strncmp(argv[i], "i386:", 5)) {
#if defined(__x86_64__)
        r = int80(strtol(argv[i] + 5, NULL, 0));
        if (r < 0 && r > -4096) { errno = (int)-r; r = -1; }
#else
        out("i386 calls need x86_64\n");
        return 103;
#endif
      } else {
        char *s = argv[i];
        for (int j = 0; j < 7 && *s; j++) {
          v[j] = strtoull(s, &s, 0);
          if (*s == ',') s++;
        }
        r = syscall((long)v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
      }
      int e = errno;
      if (trapped) snprintf(line, sizeof line, "trap %d %d\n", trap_data, trap_nr);
      else snprintf(line, sizeof line, "ret %ld errno %d\n", r, e);
      out(line);
    }
    return 0;
  }
  out("usage\n");
  return 2;
}
`;

export const ENOSYS = 38;
export const MAX_ERRNO = 4095;

/** What a call did, as the helper reports it. */
export type Outcome =
  | { readonly kind: 'ret'; readonly ret: string; readonly errno: number }
  | { readonly kind: 'trap'; readonly data: number; readonly nr: number }
  | { readonly kind: 'signal'; readonly signal: string };

export interface Call {
  readonly nr: number;
  readonly args?: readonly bigint[];
  /** Make the call through int $0x80, so the kernel reports AUDIT_ARCH_I386. */
  readonly i386?: boolean;
}

function callArg(c: Call): string {
  if (c.i386) return `i386:${c.nr}`;
  return [BigInt(c.nr), ...(c.args ?? [])].map((v) => `0x${BigInt.asUintN(64, v).toString(16)}`).join(',');
}

/** The compiled helper in its own temporary directory; `close()` removes both. */
export class LiveHelper {
  /** The host's audit arch (what a native call reports). */
  readonly auditArch: AuditArch = archDef(hostArch()).auditArch;
  /** Syscall numbers from the C library's headers: getppid, getuid, getpid. */
  readonly sysno: Readonly<Record<string, number>>;
  #files = 0;

  private constructor(
    readonly dir: string,
    readonly path: string,
  ) {
    const s = spawnSync(path, ['sysno'], { encoding: 'utf8' });
    const sysno: Record<string, number> = {};
    for (const line of s.stdout.trim().split('\n')) {
      const [name, nr] = line.split(' ');
      sysno[name!] = Number(nr);
    }
    this.sysno = sysno;
  }

  /** Builds the helper; gcc missing or failing is a loud error (.ci/run installs it). */
  static build(): LiveHelper {
    if (spawnSync('gcc', ['--version']).status !== 0) throw new Error('gcc is required for the live BPF tests (.ci/run installs it)');
    const dir = mkdtempSync(join(tmpdir(), 'sbx-bpf-live-'));
    writeFileSync(join(dir, 'helper.c'), HELPER_C);
    const path = join(dir, 'helper');
    const cc = spawnSync('gcc', ['-O2', '-Wall', '-o', path, join(dir, 'helper.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`gcc failed:\n${cc.stderr}`);
    return new LiveHelper(dir, path);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Writes raw filter bytes to a new file in the helper's directory. */
  writeFilter(bytes: Uint8Array): string {
    const path = join(this.dir, `filter-${this.#files++}.bpf`);
    writeFileSync(path, bytes);
    return path;
  }

  /** Runs the helper with `filters` installed (oldest first; none = baseline) and returns one outcome per call. */
  runCalls(filters: readonly Program[], calls: readonly Call[]): Outcome[] {
    const files = filters.length ? filters.map((p) => this.writeFilter(formatRaw(p))).join(':') : '-';
    const r = spawnSync(this.path, ['run', files, ...calls.map(callArg)], { cwd: this.dir, encoding: 'utf8' });
    const outcomes: Outcome[] = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l)
      .map((l) => {
        const t = /^trap (-?\d+) (-?\d+)$/.exec(l);
        if (t) return { kind: 'trap', data: Number(t[1]), nr: Number(t[2]) };
        const m = /^ret (-?\d+) errno (\d+)$/.exec(l);
        if (!m) throw new Error(`helper said: ${l}\n${r.stderr}`);
        return { kind: 'ret', ret: m[1]!, errno: Number(m[2]) };
      });
    if (r.signal) outcomes.push({ kind: 'signal', signal: r.signal });
    else if (r.status !== 0) throw new Error(`helper exited ${r.status}: ${r.stdout}${r.stderr}`);
    return outcomes;
  }

  runOne(filters: readonly Program[], call: Call): Outcome {
    const out = this.runCalls(filters, [call]);
    expect(out.length).toBe(1);
    return out[0]!;
  }

  /** `helper load FILE`: "ok" or "err ERRNO", as seccomp() answered. */
  load(bytes: Uint8Array): string {
    return spawnSync(this.path, ['load', this.writeFilter(bytes)], { encoding: 'utf8' }).stdout.trim();
  }

  /** `helper cache FILE`: install, then copy /proc/self/seccomp_cache (where the kernel has it). */
  cache(program: Program): { status: number | null; stdout: string } {
    const r = spawnSync(this.path, ['cache', this.writeFilter(formatRaw(program))], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout };
  }

  /** What the call puts in seccomp_data: the host's arch, or i386 through int $0x80. */
  dataFor(call: Call): SeccompData {
    return {
      nr: call.nr,
      arch: call.i386 ? archDef('i386').auditArch : this.auditArch,
      instructionPointer: 0n,
      args: call.args ?? [],
    };
  }
}

/** What a filter compiled from `policy` must return for `data`: `decide()`'s action; an arch sbx has no table for is killed. */
export function policyRet(policy: Policy, data: SeccompData): number {
  const arch = archOfSyscall(data.arch >>> 0, data.nr >>> 0);
  return policyActionRet(arch === undefined ? { kind: 'kill-process' } : decide(policy, arch, data.nr >>> 0, data.args));
}

/** What the kernel will do for `action` (kernel/seccomp.c __seccomp_filter), given the unfiltered outcome. */
export function predict(action: Action, call: Call, baseline: () => Outcome): Outcome {
  switch (action.kind) {
    case 'allow':
    case 'log':
      return baseline();
    case 'errno':
      // -data in the return register; data 0 is a successful 0; capped at MAX_ERRNO.
      return action.data === 0 ? { kind: 'ret', ret: '0', errno: 0 } : { kind: 'ret', ret: '-1', errno: Math.min(action.data, MAX_ERRNO) };
    case 'trap':
      return { kind: 'trap', data: action.data, nr: call.nr };
    case 'trace': // no tracer attached
    case 'user_notif': // no listener
      return { kind: 'ret', ret: '-1', errno: ENOSYS };
    case 'kill_thread': // the only thread: the process dies
    case 'kill_process':
      return { kind: 'signal', signal: 'SIGSYS' };
  }
}

/** Raw sock_filter bytes for any instructions, checked or not (the kernel is the judge here). */
export function encode(insns: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * 8);
  const view = new DataView(bytes.buffer);
  insns.forEach((i, pc) => {
    view.setUint16(pc * 8, i.code, true);
    view.setUint8(pc * 8 + 2, i.jt);
    view.setUint8(pc * 8 + 3, i.jf);
    view.setUint32(pc * 8 + 4, i.k, true);
  });
  return bytes;
}

/** A small seeded PRNG (uniform in [0, 1)). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function randomU32(rand: () => number): number {
  const pick = rand();
  if (pick < 0.15) return 0;
  if (pick < 0.25) return 0xffffffff;
  if (pick < 0.5) return Math.floor(rand() * 64);
  return Math.floor(rand() * 2 ** 32) >>> 0;
}

export function randomU64(rand: () => number): bigint {
  return (BigInt(randomU32(rand)) << 32n) | BigInt(randomU32(rand));
}
