/**
 * Family completion, as data: syscalls that come as a set, so seeing one means the program
 * will sooner or later need the others, even if the sample run did not show them. This is
 * the list QEMU's maintainers kept discovering by hand after 2012 (timerfd_settime,
 * io_cancel, semctl, ...). Only observed triggers complete; completions never chain.
 */
export interface Family {
  readonly name: string;
  /** Seeing any of these... */
  readonly trigger: readonly string[];
  /** ...allows these too. */
  readonly members: readonly string[];
  readonly why: string;
}

export const FAMILIES: readonly Family[] = [
  {
    name: 'aio',
    trigger: ['io_setup'],
    members: ['io_submit', 'io_getevents', 'io_pgetevents', 'io_cancel', 'io_destroy'],
    why: 'an AIO context submits, reaps, cancels on shutdown and is destroyed',
  },
  {
    name: 'io_uring',
    trigger: ['io_uring_setup'],
    members: ['io_uring_enter', 'io_uring_register'],
    why: 'a ring is driven with enter and register',
  },
  {
    name: 'sysv-shm',
    trigger: ['shmget'],
    members: ['shmat', 'shmdt', 'shmctl'],
    why: 'a SysV segment is attached, detached and removed with shmctl',
  },
  {
    name: 'sysv-sem',
    trigger: ['semget'],
    members: ['semop', 'semtimedop', 'semctl'],
    why: 'a SysV semaphore set is operated on and removed with semctl',
  },
  {
    name: 'sysv-msg',
    trigger: ['msgget'],
    members: ['msgsnd', 'msgrcv', 'msgctl'],
    why: 'a SysV queue sends, receives and is removed with msgctl',
  },
  {
    name: 'posix-mq',
    trigger: ['mq_open'],
    members: ['mq_timedsend', 'mq_timedreceive', 'mq_notify', 'mq_getsetattr', 'mq_unlink'],
    why: 'a POSIX queue sends, receives, notifies and is unlinked',
  },
  {
    name: 'timerfd',
    trigger: ['timerfd_create'],
    members: ['timerfd_settime', 'timerfd_gettime'],
    why: 'a timerfd is armed and read back',
  },
  {
    name: 'posix-timer',
    trigger: ['timer_create'],
    members: ['timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete'],
    why: 'a POSIX timer is armed, read and deleted',
  },
  {
    name: 'epoll',
    trigger: ['epoll_create', 'epoll_create1'],
    members: ['epoll_ctl', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2'],
    why: 'an epoll set is edited and waited on (libc picks the wait variant)',
  },
  {
    name: 'inotify',
    trigger: ['inotify_init', 'inotify_init1'],
    members: ['inotify_add_watch', 'inotify_rm_watch'],
    why: 'watches are added and removed',
  },
  { name: 'fanotify', trigger: ['fanotify_init'], members: ['fanotify_mark'], why: 'a fanotify group needs marks' },
  {
    name: 'signal-handler',
    trigger: ['rt_sigaction'],
    members: ['rt_sigreturn'],
    why: 'a handler returns through rt_sigreturn; a run in which no signal arrived never shows it',
  },
  {
    name: 'thread-exit',
    trigger: ['clone', 'clone3'],
    members: ['exit'],
    why: 'a thread that returns ends with exit (not exit_group); a run that ended with threads alive never shows it',
  },
  { name: 'pidfd', trigger: ['pidfd_open'], members: ['pidfd_send_signal'], why: 'a pidfd is opened to signal the process' },
  { name: 'pkey', trigger: ['pkey_alloc'], members: ['pkey_mprotect', 'pkey_free'], why: 'a protection key is applied and freed' },
  {
    name: 'landlock',
    trigger: ['landlock_create_ruleset'],
    members: ['landlock_add_rule', 'landlock_restrict_self'],
    why: 'a ruleset gets rules and is enforced',
  },
  {
    name: 'listening-socket',
    trigger: ['listen'],
    members: ['accept', 'accept4'],
    why: 'a listening socket accepts (libc picks the variant)',
  },
  {
    name: 'numa',
    trigger: ['set_mempolicy', 'get_mempolicy'],
    members: ['mbind'],
    why: 'NUMA-aware allocators bind ranges too (QEMU needed mbind later)',
  },
];
