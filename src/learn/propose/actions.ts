/**
 * Smart actions, as data: what a policy does with a syscall it refuses. The first row that
 * matches wins; no match means the strategy's refusal action (allowlist: the default action;
 * denylist: kill-process).
 */
import type { Action, Errno } from '../../policy/policy.js';
import { categorySyscalls, type CategoryId } from '../../policy/categories/index.js';

export interface SmartActionRow {
  /** The category the action comes from (it becomes the rule's provenance). */
  readonly category: CategoryId;
  /** Only these members of the category; absent: all of it. */
  readonly syscalls?: readonly string[];
  readonly action: Action;
  /** Says what the action does and why, for the rule's reason. */
  readonly reason: string;
}

export const SMART_ACTIONS: readonly SmartActionRow[] = [
  {
    category: 'qemu:spawn',
    syscalls: ['clone3'],
    action: { kind: 'errno', errno: 38 as Errno },
    reason: 'fails with ENOSYS so glibc falls back to clone, as QEMU does',
  },
  {
    category: 'qemu:resourcecontrol',
    action: { kind: 'errno', errno: 1 as Errno },
    reason: "fails with EPERM, QEMU's resourcecontrol=deny choice: the program carries on",
  },
  {
    category: 'systemd:@privileged',
    action: { kind: 'kill-process' },
    reason: 'kills: it needs privileges a sandboxed program must not use',
  },
  { category: 'qemu:elevateprivileges', action: { kind: 'kill-process' }, reason: 'kills: it changes credentials' },
  { category: 'systemd:@obsolete', action: { kind: 'kill-process' }, reason: 'kills: obsolete or unimplemented' },
  { category: 'qemu:obsolete', action: { kind: 'kill-process' }, reason: 'kills: obsolete' },
  { category: 'qemu:default', action: { kind: 'kill-process' }, reason: 'kills: no sandboxed program should make it' },
];

/** The smart action for `syscall`, if a row has one. */
export function smartAction(syscall: string): SmartActionRow | undefined {
  return SMART_ACTIONS.find((row) => (row.syscalls ? row.syscalls.includes(syscall) : categorySyscalls(row.category)?.has(syscall)));
}
