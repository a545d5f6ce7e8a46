/**
 * Syscalls in sbx's tables that neither a systemd group (systemd-groups.ts) nor a QEMU
 * sandbox set (qemu-sets.ts) names, each with a line on what it is. Almost all are newer than
 * systemd 252's table. test/policy-categories.test.ts checks that this list is exactly the
 * leftover: a name added to the kernel tables must land in a group or here.
 */
export const UNCLASSIFIED: Readonly<Record<string, string>> = {
  cachestat: 'page-cache status of a file range (Linux 6.5)',
  file_getattr: 'read inode attributes by fd + path (Linux 6.17)',
  file_setattr: 'set inode attributes by fd + path (Linux 6.17)',
  futex_requeue: 'futex2 requeue (Linux 6.7)',
  futex_wait: 'futex2 wait (Linux 6.7)',
  futex_wake: 'futex2 wake (Linux 6.7)',
  getxattrat: 'extended attribute read relative to a directory fd (Linux 6.13)',
  listmount: 'list mounts by id (Linux 6.8)',
  listns: 'list namespaces (Linux 6.18)',
  listxattrat: 'extended attribute list relative to a directory fd (Linux 6.13)',
  lsm_get_self_attr: "read the caller's LSM attributes (Linux 6.8)",
  lsm_list_modules: 'list active LSMs (Linux 6.8)',
  lsm_set_self_attr: "set the caller's LSM attributes (Linux 6.8)",
  map_shadow_stack: 'allocate a shadow stack (Linux 6.6)',
  memfd_secret: "memory hidden from the kernel's direct map (Linux 5.14)",
  mincore: 'which pages of a mapping are resident',
  mseal: 'seal a mapping against changes (Linux 6.10)',
  open_tree_attr: 'open_tree with mount attributes (Linux 6.15)',
  process_mrelease: "reap a dying process's memory (Linux 5.15)",
  removexattrat: 'extended attribute removal relative to a directory fd (Linux 6.13)',
  setxattrat: 'extended attribute write relative to a directory fd (Linux 6.13)',
  statmount: 'mount information by id (Linux 6.8)',
};
