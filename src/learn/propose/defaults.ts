/** The defaults of `sbx propose`, in a module light enough for the CLI to load at start-up. */

/** What a denylist denies unless told otherwise: QEMU's five sets, then systemd's dangerous groups. */
export const DEFAULT_DENY = [
  'qemu:default',
  'qemu:obsolete',
  'qemu:elevateprivileges',
  'qemu:spawn',
  'qemu:resourcecontrol',
  'systemd:@clock',
  'systemd:@cpu-emulation',
  'systemd:@debug',
  'systemd:@module',
  'systemd:@mount',
  'systemd:@obsolete',
  'systemd:@raw-io',
  'systemd:@reboot',
  'systemd:@swap',
  'systemd:@keyring',
  'systemd:@privileged',
] as const;

/** A syscall seen this many times or fewer is a rare path. */
export const DEFAULT_RARE_CALLS = 2;

/** Default bound on how many values one tightened argument may list (--args). */
export const DEFAULT_MAX_ARG_VALUES = 8;

/** `--candidates`: which static-hint tiers are allowed (none: listed for review only). */
export type CandidateChoice = 'none' | 'main' | 'all';
export const CANDIDATE_CHOICES: readonly CandidateChoice[] = ['none', 'main', 'all'];
