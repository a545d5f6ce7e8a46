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

/**
 * `--candidates`: which static-hint candidates are allowed. none: listed for review only;
 * main: those the executables' code reaches; all: every tier; a number N: the first N in rank
 * order, so the user sets the price.
 */
export type CandidateChoice = 'none' | 'main' | 'all' | number;
export const CANDIDATE_TIERS = ['none', 'main', 'all'] as const;

/** `--candidates` as given: a tier word or a count. Undefined when it is neither. */
export function parseCandidateChoice(value: string): CandidateChoice | undefined {
  if ((CANDIDATE_TIERS as readonly string[]).includes(value)) return value as CandidateChoice;
  return /^[0-9]{1,9}$/.test(value) ? Number(value) : undefined;
}
