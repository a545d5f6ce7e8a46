/**
 * Syscall argument decoders: which arguments of a syscall matter for a seccomp policy, and how
 * to render their raw values. One registry (registry.ts) over constant tables split by topic.
 *
 * Hot path: the tracer calls `argDecoders(arch, name)` once per syscall number and caches the
 * result; it then records raw register values only. `format` runs when the profile is written.
 */
import { archDef, type ArchName } from '../arch.js';
import { SYSCALL_ARGS, type ArgSpec } from './registry.js';
import { pickArch, type ArgKind } from './types.js';

export type { ArgKind } from './types.js';
export { formatSockaddr } from './socket.js';
export { CLONE_ARGS_FLAGS_OFFSET, CLONE_ARGS_FLAGS_SIZE } from './clone.js';

/** How one argument of one syscall is decoded. */
export interface ArgDecoder {
  /** Argument position 0..5 (register order, for this arch). */
  readonly index: number;
  /** The kernel's parameter name: 'flags', 'domain', 'request', ... */
  readonly name: string;
  /**
   * 'flags' / 'enum' / 'int': the register value is the argument. 'path': a pointer to a
   * NUL-terminated string the caller reads (pathnames, also mount's source and fstype).
   * 'sockaddr': a pointer to an address of `lengthIndex`'s length; render the bytes with
   * formatSockaddr. 'clone_args': a pointer to struct clone_args; read its u64 flags at
   * CLONE_ARGS_FLAGS_OFFSET and pass those (not the pointer) to `format`.
   */
  readonly kind: ArgKind;
  /** How many low bits of the register are meaningful (int args: 32; also 32 on i386). */
  readonly width: 32 | 64;
  /** For 'sockaddr': which argument holds the address length. */
  readonly lengthIndex?: number;
  /**
   * Set when the rendering depends on another argument: socket/socketpair protocol on the
   * domain (IPPROTO_* / NETLINK_* / htons(ETH_P_*)), get/setsockopt optname on the level
   * (SO_* / IP_* / IPV6_* / TCP_* / UDP_* / NETLINK_*), fcntl arg on the cmd. Pass that
   * argument's raw value as `format`'s `context` to get names; a caller that keys histograms by
   * this argument alone gets plain numbers (key by the pair to get names).
   */
  readonly contextIndex?: number;
  /**
   * Render a raw value: flags as A|B|0x40 (unknown bits in hex), enums by name or the number
   * (decimal below 65536, else hex; clock ids signed), ints signed decimal, pointers hex.
   * Only the low `width` bits are looked at (64 for 'clone_args', whose value is the u64 flags).
   */
  format(value: number | bigint, context?: number | bigint): string;
}

const NONE: readonly ArgDecoder[] = Object.freeze([]);

/** Registry rows by name (a Map, so names like "constructor" cannot hit Object.prototype). */
const SPECS: ReadonlyMap<string, readonly ArgSpec[]> = new Map(Object.entries(SYSCALL_ARGS));

const cache = new Map<ArchName, Map<string, readonly ArgDecoder[]>>();

function toBigInt(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
}

function isPointerKind(kind: ArgKind): boolean {
  return kind === 'path' || kind === 'sockaddr' || kind === 'clone_args';
}

function makeDecoder(arch: ArchName, spec: ArgSpec): ArgDecoder {
  const kind = spec.codec.kind;
  const declared = spec.width ?? (isPointerKind(kind) ? 64 : 32);
  const width: 32 | 64 = archDef(arch).wordBits === 32 ? 32 : declared;
  const formatBits = kind === 'clone_args' ? 64 : width;
  const render = spec.codec.build(arch);
  const decoder: ArgDecoder = {
    index: pickArch(spec.index, arch),
    name: spec.name,
    kind,
    width,
    ...(spec.lengthIndex !== undefined ? { lengthIndex: spec.lengthIndex } : {}),
    ...(spec.contextIndex !== undefined ? { contextIndex: spec.contextIndex } : {}),
    format(value, context) {
      const v = BigInt.asUintN(formatBits, toBigInt(value));
      return render(v, context === undefined ? undefined : BigInt.asUintN(64, toBigInt(context)));
    },
  };
  return Object.freeze(decoder);
}

/**
 * The decoders for one syscall on one arch, in argument order; empty when no argument of the
 * call is worth decoding. Cheap after the first call per (arch, name), but meant to be looked up
 * once per syscall number and cached by the caller.
 */
export function argDecoders(arch: ArchName, syscall: string): readonly ArgDecoder[] {
  let perArch = cache.get(arch);
  if (!perArch) {
    perArch = new Map();
    cache.set(arch, perArch);
  }
  const hit = perArch.get(syscall);
  if (hit) return hit;
  const specs = SPECS.get(syscall);
  const decoders = specs
    ? Object.freeze(
        specs
          .filter((s) => !s.arches || s.arches.includes(arch))
          .map((s) => makeDecoder(arch, s))
          .sort((a, b) => a.index - b.index),
      )
    : NONE;
  perArch.set(syscall, decoders);
  return decoders;
}

/** Every syscall name the registry knows (some exist on only one arch). */
export function decodedSyscalls(): readonly string[] {
  return [...SPECS.keys()];
}
