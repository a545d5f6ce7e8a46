/**
 * The danger lint, as data: observed syscall + argument patterns that weaken a sandbox. A row
 * with `when` fires only for an observed argument value that satisfies it (from the profile's
 * histogram); a row without fires whenever the syscall was observed.
 */
import type { ArgCondition, ReviewSeverity } from '../../policy/policy.js';
import { AF_NETLINK, AF_PACKET, CLONE_FLAGS, PROT_EXEC, PROT_WRITE, READ_IMPLIES_EXEC, TIOCSTI } from '../../linux/linux-constants.js';

export interface DangerRow {
  readonly id: string;
  readonly syscalls: readonly string[];
  readonly when?: ArgCondition;
  readonly severity: Exclude<ReviewSeverity, 'info'>;
  readonly message: string;
}

const WX = PROT_WRITE | PROT_EXEC;
const LOW32 = 0xffffffffn;

export const DANGER_LINTS: readonly DangerRow[] = [
  {
    id: 'wx-memory',
    syscalls: ['mmap', 'mprotect', 'pkey_mprotect'],
    when: { index: 2, op: 'masked-eq', mask: WX, value: WX, label: 'PROT_WRITE|PROT_EXEC' },
    severity: 'danger',
    message: 'writable and executable memory: injected code can be written and run',
  },
  {
    id: 'user-namespace',
    syscalls: ['clone', 'unshare'],
    when: { index: 0, op: 'masked-eq', mask: CLONE_FLAGS.CLONE_NEWUSER, value: CLONE_FLAGS.CLONE_NEWUSER, label: 'CLONE_NEWUSER' },
    severity: 'danger',
    message: 'creates a user namespace: unprivileged access to many more kernel interfaces',
  },
  { id: 'setns', syscalls: ['setns'], severity: 'warning', message: 'joins other namespaces' },
  { id: 'ptrace', syscalls: ['ptrace'], severity: 'danger', message: "reads and writes other processes' memory and registers" },
  { id: 'process-vm-write', syscalls: ['process_vm_writev'], severity: 'danger', message: "writes another process's memory" },
  { id: 'bpf', syscalls: ['bpf'], severity: 'danger', message: 'loads eBPF programs and maps into the kernel' },
  {
    id: 'perf',
    syscalls: ['perf_event_open'],
    severity: 'danger',
    message: 'performance counters: kernel attack surface and side channels',
  },
  {
    id: 'keyring',
    syscalls: ['keyctl', 'add_key', 'request_key'],
    severity: 'warning',
    message: 'kernel keyrings are shared beyond the sandbox and not namespaced',
  },
  {
    id: 'tiocsti',
    syscalls: ['ioctl'],
    when: { index: 1, op: 'masked-eq', mask: LOW32, value: TIOCSTI, label: 'TIOCSTI' },
    severity: 'danger',
    message: 'TIOCSTI types input into the controlling terminal: a sandboxed program can run commands in your shell',
  },
  {
    id: 'read-implies-exec',
    syscalls: ['personality'],
    when: { index: 0, op: 'masked-eq', mask: READ_IMPLIES_EXEC, value: READ_IMPLIES_EXEC, label: 'READ_IMPLIES_EXEC' },
    severity: 'danger',
    message: 'READ_IMPLIES_EXEC makes every readable mapping executable',
  },
  {
    id: 'netlink-socket',
    syscalls: ['socket'],
    when: { index: 0, op: 'masked-eq', mask: LOW32, value: AF_NETLINK, label: 'AF_NETLINK' },
    severity: 'warning',
    message: 'AF_NETLINK sockets talk to kernel subsystems (routing, audit, uevents)',
  },
  {
    id: 'packet-socket',
    syscalls: ['socket'],
    when: { index: 0, op: 'masked-eq', mask: LOW32, value: AF_PACKET, label: 'AF_PACKET' },
    severity: 'danger',
    message: 'AF_PACKET sockets see and forge link-layer traffic',
  },
  { id: 'userfaultfd', syscalls: ['userfaultfd'], severity: 'warning', message: 'userfaultfd makes kernel race exploits reliable' },
  {
    id: 'io-uring',
    syscalls: ['io_uring_setup'],
    severity: 'warning',
    message: 'operations submitted through io_uring are not seen by seccomp',
  },
  {
    id: 'modules',
    syscalls: ['init_module', 'finit_module', 'delete_module'],
    severity: 'danger',
    message: 'loads or unloads kernel modules',
  },
  { id: 'kexec', syscalls: ['kexec_load', 'kexec_file_load'], severity: 'danger', message: 'replaces the running kernel' },
  {
    id: 'mount',
    syscalls: ['mount', 'fsmount', 'move_mount', 'pivot_root', 'chroot'],
    severity: 'warning',
    message: 'changes the mount tree',
  },
];
