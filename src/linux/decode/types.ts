/**
 * Shared shapes of the decoder tables: named constants, per-arch variants, and the
 * codecs the registry attaches to syscall arguments. Nothing here knows a syscall.
 */
import type { ArchName } from '../arch.js';

/** What an argument holds, which tells the tracer what (if anything) to read from the tracee. */
export type ArgKind = 'flags' | 'enum' | 'int' | 'path' | 'sockaddr' | 'clone_args';

/** Named constants as `[name, value]` rows, as the C headers spell them. First name wins on duplicates. */
export type Pairs = readonly (readonly [name: string, value: number | bigint])[];

/** A table that differs between arches: `default`, replaced wholesale for the arches named. */
export interface PerArch<T> {
  readonly default: T;
  readonly x86_64?: T;
  readonly x32?: T;
  readonly i386?: T;
  readonly aarch64?: T;
}

/** True when `t` is a PerArch wrapper rather than a plain table. */
export function isPerArch<T>(t: T | PerArch<T>): t is PerArch<T> {
  return typeof t === 'object' && t !== null && !Array.isArray(t) && 'default' in t;
}

/** The variant of a possibly per-arch table for one arch. */
export function pickArch<T>(t: T | PerArch<T>, arch: ArchName): T {
  if (!isPerArch(t)) return t;
  return t[arch] ?? t.default;
}

/**
 * Renders one raw argument value, already masked to the argument's width. `context` is the raw
 * value of the argument named by the decoder's `contextIndex`, when the caller has it.
 */
export type Render = (value: bigint, context?: bigint) => string;

/** How one argument's values are rendered; `build` is called once per (arch, syscall). */
export interface Codec {
  readonly kind: ArgKind;
  readonly build: (arch: ArchName) => Render;
}

/** The x86 family shares most ABI constants; aarch64 uses asm-generic with a few overrides. */
export const X86_ARCHES: readonly ArchName[] = ['x86_64', 'x32', 'i386'];
