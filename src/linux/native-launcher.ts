/**
 * The x86_64 launcher as a tiny static ELF that sbx writes at run time: booting Node for the
 * launcher costs ~60 ms, this costs an execve. No compiler, no native addon, no committed
 * binary: the machine code below is emitted byte by byte, and test/native-launcher.test.ts
 * checks every byte against GNU as assembling `launcherListing()`.
 *
 * The process it makes, started with argv = [launcher, path, argv0, args...] and the read
 * end of a pipe from the tracer as fd `goFd` (3 by default):
 *  1. read(goFd, buf, 1) until the tracer writes one byte (after PTRACE_SEIZE), then close it;
 *  1b. fcntl(fd, F_SETFL, flags) for fds 0-2 and rt_sigaction(sig, SIG_IGN) for the ignored
 *     signals of its LauncherSetup: what sbx was started with, undoing what Node changed;
 *  2. prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
 *  3. seccomp(SECCOMP_SET_MODE_FILTER, 0, &fprog) with the embedded filter;
 *     (2 and 3 are skipped for NO_FILTER: the eBPF backend follows the program in the kernel)
 *  4. execve(path, &argv[2], envp).
 * Exit codes: 125 if arguments, the wait, prctl or seccomp fail; after a failed execve 127
 * for ENOENT and 126 otherwise. It prints nothing: the tracer sees the execve error itself.
 */
import { closeSync, mkdtempSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocBuffer, errno, fcntl, strerror, syscall4 } from './libc.js';

/** Where the single PT_LOAD segment (the whole file) is mapped: the classic non-PIE base. */
const BASE = 0x400000;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
/** The code starts right after the ELF header and the one program header. */
const CODE_OFFSET = EHDR_SIZE + PHDR_SIZE;
/** BPF_MAXINSNS: the kernel refuses longer classic BPF programs. */
const MAX_INSNS = 4096;

const SYS_MEMFD_CREATE = 319;
const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
/** Linux >= 6.3: ask for an executable memfd explicitly (vm.memfd_noexec=1 would otherwise deny exec). */
const MFD_EXEC = 0x10;
const EINVAL = 22;
const F_DUPFD_CLOEXEC = 1030;
const F_ADD_SEALS = 1033;
const F_SEAL_SEAL = 0x1;
const F_SEAL_SHRINK = 0x2;
const F_SEAL_GROW = 0x4;
const F_SEAL_WRITE = 0x8;

/** One item of the program: an instruction with fixed bytes, a short jump, a rip-relative reference or a label. */
type Item =
  | { readonly kind: 'op'; readonly asm: string; readonly bytes: readonly number[] }
  | { readonly kind: 'jump'; readonly asm: string; readonly opcode: number; readonly target: string }
  | { readonly kind: 'rip'; readonly asm: string; readonly bytes: readonly number[]; readonly target: string }
  | { readonly kind: 'label'; readonly name: string };

const op = (bytes: readonly number[], asm: string): Item => ({ kind: 'op', asm, bytes });
/** A jcc/jmp rel8: every target here is within 127 bytes. */
const jump = (opcode: number, asm: string): Item => ({ kind: 'jump', asm, opcode, target: asm.split(' ')[1]! });
/** `bytes` followed by a rel32 to `target`, counted from the end of the instruction. */
const rip = (bytes: readonly number[], asm: string, target: string): Item => ({ kind: 'rip', asm, bytes, target });
const label = (name: string): Item => ({ kind: 'label', name });
/** A jcc rel32 (`bytes` = 0x0f, 0x80+cc) to a target beyond rel8 range, where GNU as picks the same form. */
const near = (bytes: readonly number[], asm: string): Item => rip(bytes, asm, asm.split(' ')[1]!);

const SYSCALL = [0x0f, 0x05];

/**
 * The code, in Intel syntax. At entry (static executable, no interpreter) [rsp] = argc,
 * rsp+8 = argv[0..argc-1], NULL, then envp. Syscalls clobber only rax, rcx and r11.
 */
const PROGRAM: readonly Item[] = [
  label('_start'),
  op([0x48, 0x89, 0xe3], 'mov rbx, rsp'), // rbx survives syscalls: the base for argc/argv/envp
  op([0x48, 0x83, 0x3b, 0x03], 'cmp qword ptr [rbx], 3'), // need launcher, path and argv0
  jump(0x73, 'jae args_ok'),

  // The failure exit sits up front so that every jump to it fits in a rel8.
  label('fail'),
  op([0xbf, 0x7d, 0x00, 0x00, 0x00], 'mov edi, 125'),
  op([0xb8, 0xe7, 0x00, 0x00, 0x00], 'mov eax, 231'), // SYS_exit_group
  op(SYSCALL, 'syscall'),

  label('args_ok'),
  op([0x50], 'push rax'), // 8 scratch bytes on the stack for read's byte

  label('wait'),
  op([0x31, 0xc0], 'xor eax, eax'), // SYS_read = 0
  rip([0x8b, 0x3d], 'mov edi, dword ptr [rip + go_fd]', 'go_fd'), // the pipe from the tracer
  op([0x48, 0x89, 0xe6], 'mov rsi, rsp'),
  op([0xba, 0x01, 0x00, 0x00, 0x00], 'mov edx, 1'),
  op(SYSCALL, 'syscall'),
  op([0x48, 0x83, 0xf8, 0xfc], 'cmp rax, -4'), // -EINTR: wait again
  jump(0x74, 'je wait'),
  op([0x48, 0x83, 0xf8, 0x01], 'cmp rax, 1'), // EOF means the tracer gave up: never run untraced
  jump(0x75, 'jne fail'),
  op([0xb8, 0x03, 0x00, 0x00, 0x00], 'mov eax, 3'), // SYS_close: the target must not inherit the pipe
  rip([0x8b, 0x3d], 'mov edi, dword ptr [rip + go_fd]', 'go_fd'),
  op(SYSCALL, 'syscall'),

  // fds 0-2 get back the status flags sbx was started with (Node sets O_NONBLOCK on the file
  // descriptions it shares with the program); -1 leaves an fd as it is. Errors are ignored:
  // the flags were valid on that description before.
  rip([0x4c, 0x8d, 0x25], 'lea r12, [rip + stdio_flags]', 'stdio_flags'),
  op([0x45, 0x31, 0xed], 'xor r13d, r13d'), // fd
  label('restore_flags'),
  op([0x43, 0x8b, 0x14, 0xac], 'mov edx, dword ptr [r12 + r13*4]'),
  op([0x85, 0xd2], 'test edx, edx'),
  jump(0x78, 'js next_fd'),
  op([0xb8, 0x48, 0x00, 0x00, 0x00], 'mov eax, 72'), // SYS_fcntl
  op([0x44, 0x89, 0xef], 'mov edi, r13d'),
  op([0xbe, 0x04, 0x00, 0x00, 0x00], 'mov esi, 4'), // F_SETFL
  op(SYSCALL, 'syscall'),
  label('next_fd'),
  op([0x41, 0xff, 0xc5], 'inc r13d'),
  op([0x41, 0x83, 0xfd, 0x03], 'cmp r13d, 3'),
  jump(0x72, 'jb restore_flags'),

  // Signals ignored where sbx was started are ignored again (Node un-ignores them).
  rip([0x4c, 0x8b, 0x35], 'mov r14, qword ptr [rip + ignored]', 'ignored'),
  op([0x45, 0x31, 0xed], 'xor r13d, r13d'), // signal - 1
  label('ignore_signals'),
  op([0x4d, 0x0f, 0xa3, 0xee], 'bt r14, r13'),
  jump(0x73, 'jnc next_signal'),
  op([0xb8, 0x0d, 0x00, 0x00, 0x00], 'mov eax, 13'), // SYS_rt_sigaction
  op([0x41, 0x8d, 0x7d, 0x01], 'lea edi, [r13 + 1]'),
  rip([0x48, 0x8d, 0x35], 'lea rsi, [rip + sig_ignore]', 'sig_ignore'),
  op([0x31, 0xd2], 'xor edx, edx'), // no old action wanted
  op([0x41, 0xba, 0x08, 0x00, 0x00, 0x00], 'mov r10d, 8'), // sizeof(sigset_t) for the kernel
  op(SYSCALL, 'syscall'),
  label('next_signal'),
  op([0x41, 0xff, 0xc5], 'inc r13d'),
  op([0x41, 0x83, 0xfd, 0x40], 'cmp r13d, 64'),
  jump(0x72, 'jb ignore_signals'),

  // No filter (fprog.len 0): the program runs with neither no_new_privs nor a filter.
  rip([0x0f, 0xb7, 0x05], 'movzx eax, word ptr [rip + fprog]', 'fprog'),
  op([0x85, 0xc0], 'test eax, eax'),
  jump(0x74, 'je run_target'),

  op([0xb8, 0x9d, 0x00, 0x00, 0x00], 'mov eax, 157'), // SYS_prctl
  op([0xbf, 0x26, 0x00, 0x00, 0x00], 'mov edi, 38'), // PR_SET_NO_NEW_PRIVS
  op([0xbe, 0x01, 0x00, 0x00, 0x00], 'mov esi, 1'),
  op([0x31, 0xd2], 'xor edx, edx'), // the unused arguments must be 0 or prctl says EINVAL
  op([0x45, 0x31, 0xd2], 'xor r10d, r10d'),
  op([0x45, 0x31, 0xc0], 'xor r8d, r8d'),
  op(SYSCALL, 'syscall'),
  op([0x48, 0x85, 0xc0], 'test rax, rax'),
  near([0x0f, 0x85], 'jne fail'),

  op([0xb8, 0x3d, 0x01, 0x00, 0x00], 'mov eax, 317'), // SYS_seccomp
  op([0xbf, 0x01, 0x00, 0x00, 0x00], 'mov edi, 1'), // SECCOMP_SET_MODE_FILTER
  op([0x31, 0xf6], 'xor esi, esi'), // no flags
  rip([0x48, 0x8d, 0x15], 'lea rdx, [rip + fprog]', 'fprog'),
  op(SYSCALL, 'syscall'),
  op([0x48, 0x85, 0xc0], 'test rax, rax'),
  near([0x0f, 0x85], 'jne fail'),

  label('run_target'),
  op([0x48, 0x8b, 0x7b, 0x10], 'mov rdi, qword ptr [rbx + 16]'), // argv[1]: the resolved path
  op([0x48, 0x8d, 0x73, 0x18], 'lea rsi, [rbx + 24]'), // &argv[2]: argv0, args..., NULL
  op([0x48, 0x8b, 0x0b], 'mov rcx, qword ptr [rbx]'), // argc
  op([0x48, 0x8d, 0x54, 0xcb, 0x10], 'lea rdx, [rbx + rcx*8 + 16]'), // envp: past argv and its NULL
  op([0xb8, 0x3b, 0x00, 0x00, 0x00], 'mov eax, 59'), // SYS_execve
  op(SYSCALL, 'syscall'),

  // Only reached if execve failed: 127 for -ENOENT, else 126, as shells do.
  op([0x31, 0xff], 'xor edi, edi'), // before cmp: xor clobbers the flags
  op([0x48, 0x83, 0xf8, 0xfe], 'cmp rax, -2'),
  op([0x40, 0x0f, 0x94, 0xc7], 'sete dil'),
  op([0x83, 0xc7, 0x7e], 'add edi, 126'),
  op([0xb8, 0xe7, 0x00, 0x00, 0x00], 'mov eax, 231'), // SYS_exit_group
  op(SYSCALL, 'syscall'),
];

function itemSize(item: Item): number {
  switch (item.kind) {
    case 'op':
      return item.bytes.length;
    case 'jump':
      return 2;
    case 'rip':
      return item.bytes.length + 4;
    case 'label':
      return 0;
  }
}

const align8 = (n: number): number => (n + 7) & ~7;

/**
 * What the launcher restores before it installs the filter: what sbx itself was started with
 * (src/linux/inherited.ts), which Node changed in sbx and would otherwise pass on.
 */
export interface LauncherSetup {
  /**
   * The fd of the pipe from the tracer: a number sbx does not have open, so that no fd the
   * user gave sbx (`3<file`) is taken from the program.
   */
  readonly goFd: number;
  /** F_SETFL value for fds 0, 1, 2; -1 leaves that fd alone. */
  readonly stdioFlags: readonly [number, number, number];
  /** Signals to set to SIG_IGN (bit n-1 = signal n). */
  readonly ignored: bigint;
}

/** The pipe on fd 3; fds and signals as the launcher was spawned with them. */
export const DEFAULT_SETUP: LauncherSetup = { goFd: 3, stdioFlags: [-1, -1, -1], ignored: 0n };

/** The data after the code, in order: [label, size in bytes]. */
const DATA: readonly (readonly [string, number])[] = [
  ['stdio_flags', 12], // three int32
  ['go_fd', 4],
  ['ignored', 8],
  ['sig_ignore', 32], // struct kernel_sigaction { handler = SIG_IGN, flags, restorer, mask }
  ['fprog', 16], // struct sock_fprog
];

/** Offsets (from the start of the code) of the labels, the data included. */
function layout(): { labels: Map<string, number>; filter: number } {
  const labels = new Map<string, number>();
  let at = 0;
  for (const item of PROGRAM) {
    if (item.kind === 'label') labels.set(item.name, at);
    at += itemSize(item);
  }
  // The file offset of the code (120) is 8-aligned, so aligning within the code aligns in memory.
  at = align8(at);
  for (const [name, size] of DATA) {
    labels.set(name, at);
    at += size;
  }
  labels.set('filter', at);
  return { labels, filter: at };
}

/** A launcher that installs no filter and sets no no_new_privs (it still restores what sbx was started with). */
export const NO_FILTER = null;

/** A raw `struct sock_filter` array (8 bytes per instruction), or NO_FILTER. */
export type LauncherFilter = Uint8Array | typeof NO_FILTER;

function checkFilter(filter: LauncherFilter): number {
  if (filter === NO_FILTER) return 0;
  const count = filter.length / 8;
  if (!Number.isInteger(count) || count < 1 || count > MAX_INSNS)
    throw new RangeError(`seccomp filter must be 1..${MAX_INSNS} instructions of 8 bytes, got ${filter.length} bytes`);
  return count;
}

/** The code bytes; `labels` must come from layout(). */
function assemble(labels: ReadonlyMap<string, number>, out: Uint8Array): number {
  let at = 0;
  const target = (name: string): number => {
    const offset = labels.get(name);
    if (offset === undefined) throw new Error(`native launcher: no label ${name}`);
    return offset;
  };
  for (const item of PROGRAM) {
    switch (item.kind) {
      case 'op':
        out.set(item.bytes, at);
        break;
      case 'jump': {
        const rel = target(item.target) - (at + 2);
        if (rel < -128 || rel > 127) throw new Error(`native launcher: ${item.asm} out of rel8 range`);
        out[at] = item.opcode;
        out[at + 1] = rel & 0xff;
        break;
      }
      case 'rip': {
        out.set(item.bytes, at);
        const end = at + item.bytes.length + 4;
        new DataView(out.buffer, out.byteOffset).setInt32(at + item.bytes.length, target(item.target) - end, true);
        break;
      }
      case 'label':
        break;
    }
    at += itemSize(item);
  }
  return at;
}

/**
 * A static ELF64 x86_64 executable (ET_EXEC, one R+X PT_LOAD at 0x400000 covering the whole
 * file, no sections) that waits for a byte on fd `setup.goFd`, restores what `setup` says, sets
 * PR_SET_NO_NEW_PRIVS and installs `filter` with seccomp(2) (neither for NO_FILTER), and
 * execve's argv[1] with argv[2..] and its own environment. See the module comment for
 * the exit codes. Throws RangeError for an empty, ragged or over-long filter.
 */
export function launcherElf(filter: LauncherFilter, setup: LauncherSetup = DEFAULT_SETUP): Uint8Array {
  const count = checkFilter(filter);
  const { labels, filter: filterAt } = layout();
  const size = CODE_OFFSET + filterAt + (filter?.length ?? 0);
  const elf = new Uint8Array(size);
  const v = new DataView(elf.buffer);
  const data = (name: string): number => CODE_OFFSET + labels.get(name)!;

  // Elf64_Ehdr
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); // \x7fELF, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV
  v.setUint16(16, 2, true); // e_type = ET_EXEC: fixed addresses, no relocation
  v.setUint16(18, 62, true); // e_machine = EM_X86_64
  v.setUint32(20, 1, true); // e_version
  v.setBigUint64(24, BigInt(BASE + CODE_OFFSET), true); // e_entry = _start
  v.setBigUint64(32, BigInt(EHDR_SIZE), true); // e_phoff
  v.setBigUint64(40, 0n, true); // e_shoff: no section headers
  v.setUint32(48, 0, true); // e_flags
  v.setUint16(52, EHDR_SIZE, true); // e_ehsize
  v.setUint16(54, PHDR_SIZE, true); // e_phentsize
  v.setUint16(56, 1, true); // e_phnum
  v.setUint16(58, 64, true); // e_shentsize (as ld writes it; unused without sections)
  v.setUint16(60, 0, true); // e_shnum
  v.setUint16(62, 0, true); // e_shstrndx = SHN_UNDEF

  // Elf64_Phdr: the whole file, headers included, mapped read + execute.
  v.setUint32(64, 1, true); // p_type = PT_LOAD
  v.setUint32(68, 5, true); // p_flags = PF_R | PF_X
  v.setBigUint64(72, 0n, true); // p_offset
  v.setBigUint64(80, BigInt(BASE), true); // p_vaddr
  v.setBigUint64(88, BigInt(BASE), true); // p_paddr
  v.setBigUint64(96, BigInt(size), true); // p_filesz
  v.setBigUint64(104, BigInt(size), true); // p_memsz
  v.setBigUint64(112, 0x1000n, true); // p_align

  assemble(labels, elf.subarray(CODE_OFFSET));

  v.setInt32(data('go_fd'), setup.goFd, true);
  setup.stdioFlags.forEach((flags, fd) => v.setInt32(data('stdio_flags') + 4 * fd, flags, true));
  v.setBigUint64(data('ignored'), setup.ignored, true);
  v.setBigUint64(data('sig_ignore'), 1n, true); // SIG_IGN
  // struct sock_fprog { unsigned short len; /* 6 bytes padding */ struct sock_filter *filter; }
  v.setUint16(data('fprog'), count, true);
  v.setBigUint64(data('fprog') + 8, BigInt(BASE + CODE_OFFSET + filterAt), true);
  if (filter) elf.set(filter, CODE_OFFSET + filterAt);
  return elf;
}

/**
 * GNU as source (Intel syntax) of everything after the ELF headers of `launcherElf(filter, setup)`:
 * the code, the setup data, the sock_fprog and the filter. Assembling it and extracting .text (objcopy -O
 * binary) gives those bytes exactly; the tests rely on it, and it is what to read in a debugger.
 */
export function launcherListing(filter: LauncherFilter, setup: LauncherSetup = DEFAULT_SETUP): string {
  const count = checkFilter(filter);
  const lines = ['.intel_syntax noprefix', '.text', '.globl _start'];
  for (const item of PROGRAM) lines.push(item.kind === 'label' ? `${item.name}:` : `    ${item.asm}`);
  const filterBytes = Array.from(filter ?? [], (b) => `0x${b.toString(16).padStart(2, '0')}`);
  lines.push(
    '    .balign 8, 0',
    'stdio_flags:',
    `    .long ${setup.stdioFlags.join(', ')}`,
    'go_fd:',
    `    .long ${setup.goFd}`,
    'ignored:',
    `    .quad 0x${setup.ignored.toString(16)}`,
    'sig_ignore:',
    '    .quad 1, 0, 0, 0',
    'fprog:',
    `    .short ${count}`,
    '    .zero 6',
    `    .quad filter - _start + 0x${(BASE + CODE_OFFSET).toString(16)}`,
    'filter:',
  );
  for (let i = 0; i < filterBytes.length; i += 8) lines.push(`    .byte ${filterBytes.slice(i, i + 8).join(', ')}`);
  return lines.join('\n') + '\n';
}

const materialized = new Map<string, string>();
let tempDirForCleanup: string | undefined;

/** A sealed, executable memfd holding `bytes`; its fd, or -errno if memfd_create was refused. */
function sealedMemfd(bytes: Uint8Array): number {
  const name = allocBuffer(16);
  name.bytes.set(new TextEncoder().encode('sbx-launcher\0'));
  let fd = syscall4(SYS_MEMFD_CREATE, name.address, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC, 0, 0);
  // Kernels before 6.3 do not know MFD_EXEC; their memfds are executable anyway.
  if (fd < 0 && errno() === EINVAL) fd = syscall4(SYS_MEMFD_CREATE, name.address, MFD_CLOEXEC | MFD_ALLOW_SEALING, 0, 0);
  if (fd < 0) return -errno();
  // The caller's posix_spawn file actions dup2 onto fds 0-3; keep our fd clear of them.
  if (fd <= 3) {
    const high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    const err = errno();
    closeSync(fd);
    if (high < 0) throw new Error(`native launcher: fcntl(F_DUPFD_CLOEXEC): ${strerror(err)}`);
    fd = high;
  }
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
  // Nothing (another process of the same user through /proc included) may change it now.
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) !== 0)
    throw new Error(`native launcher: fcntl(F_ADD_SEALS): ${strerror(errno())}`);
  return fd;
}

/**
 * Write `launcherElf(filter)` where a child can execve it and return that path, once per
 * filter content for the life of this thread's module instance.
 *
 * Normally a sealed memfd (close-on-exec) named by `/proc/self/fd/<n>`: the child of
 * posix_spawn/fork has its own copy of fd n until its execve, and the kernel opens the
 * binary before it closes close-on-exec fds, so the path works in the child but nowhere
 * else. The child must not close or replace fd n (n is always > 3). `/proc/<pid>/fd/<n>`
 * would survive that but breaks when /proc belongs to another pid namespace.
 * Where executable memfds are forbidden (vm.memfd_noexec=2) it falls back to a file in a
 * private directory under the temp dir, removed at exit.
 */
export function materializeLauncher(filter: LauncherFilter, setup: LauncherSetup = DEFAULT_SETUP): string {
  // The bytes themselves, not a hash: loading node:crypto takes the tracer worker ~8 ms here.
  const filterKey =
    filter === NO_FILTER ? 'no filter' : Buffer.from(filter.buffer, filter.byteOffset, filter.byteLength).toString('base64');
  const key = `${filterKey} ${JSON.stringify([setup.goFd, setup.stdioFlags, setup.ignored.toString()])}`;
  const cached = materialized.get(key);
  if (cached !== undefined) return cached;
  const elf = launcherElf(filter, setup);
  const fd = sealedMemfd(elf);
  let path: string;
  if (fd >= 0) path = `/proc/self/fd/${fd}`;
  else {
    if (tempDirForCleanup === undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'sbx-launcher-'));
      tempDirForCleanup = dir;
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
    path = join(tempDirForCleanup, `launcher-${materialized.size}`);
    writeFileSync(path, elf, { mode: 0o700 });
  }
  materialized.set(key, path);
  return path;
}
