/**
 * The two rendering engines every table goes through (flag sets and enums) and the codec
 * constructors the registry uses. Formatting runs only when a profile is written, so clarity
 * wins over speed here; compiled tables are cached per table object.
 */
import type { ArchName } from '../arch.js';
import { pickArch, type ArgKind, type Codec, type Pairs, type PerArch, type Render } from './types.js';

/** `0x` + lowercase hex, the form unknown bits and unknown large values take. */
export function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** A multi-bit sub-field of a flags word (O_ACCMODE, clone's exit signal, MAP_TYPE, huge page size...). */
export interface Field {
  /** Bits the field occupies (may be non-contiguous when `shift` is 0). */
  readonly mask: number | bigint;
  /** Right shift applied before looking the value up in `names` / passing it to `render`. */
  readonly shift?: number;
  /** Names of the (shifted) field values. A value of 0 is shown only if it has a name here. */
  readonly names?: Pairs;
  /** Renders a non-zero (shifted) value not found in `names`; default: hex of the unshifted bits. */
  readonly render?: (n: bigint) => string;
  /** Before the named flags (default) or after them (clone's exit signal, permission bits). */
  readonly position?: 'first' | 'last';
  /** The field applies only when all of these bits are set (MAP_HUGE_* needs MAP_HUGETLB). */
  readonly requires?: number | bigint;
  /** Claim the bits only when the value has a name; otherwise they are left to the flags (MS_MGC_VAL). */
  readonly onlyNamed?: boolean;
}

/** A flags word: single- or multi-bit named masks plus optional fields. */
export interface FlagSpec {
  /** Named masks. A row with value 0 names the all-clear value (PROT_NONE). */
  readonly bits: Pairs;
  readonly fields?: readonly Field[];
  /** Whole values with a meaning of their own, checked first (personality 0xffffffff). */
  readonly special?: Pairs;
}

interface CompiledField {
  readonly mask: bigint;
  readonly shift: bigint;
  readonly names: ReadonlyMap<bigint, string>;
  readonly render?: (n: bigint) => string;
  readonly last: boolean;
  readonly requires: bigint;
  readonly onlyNamed: boolean;
}

interface CompiledFlags {
  readonly special: ReadonlyMap<bigint, string>;
  /** Multi-bit masks first (so O_SYNC wins over O_DSYNC), then single bits. */
  readonly matchOrder: readonly { readonly name: string; readonly mask: bigint }[];
  readonly fields: readonly CompiledField[];
  readonly zero: string;
}

/** Map value → first name. */
export function nameMap(pairs: Pairs): Map<bigint, string> {
  const m = new Map<bigint, string>();
  for (const [name, value] of pairs) {
    const v = BigInt(value);
    if (!m.has(v)) m.set(v, name);
  }
  return m;
}

function popcount(v: bigint): number {
  let n = 0;
  for (let x = v; x > 0n; x &= x - 1n) n++;
  return n;
}

const flagCache = new WeakMap<FlagSpec, CompiledFlags>();

function compileFlags(spec: FlagSpec): CompiledFlags {
  const cached = flagCache.get(spec);
  if (cached) return cached;
  let zero = '0';
  const seen = new Set<bigint>();
  const rows: { name: string; mask: bigint }[] = [];
  for (const [name, value] of spec.bits) {
    const mask = BigInt(value);
    if (mask === 0n) {
      if (zero === '0') zero = name;
      continue;
    }
    if (seen.has(mask)) continue;
    seen.add(mask);
    rows.push({ name, mask });
  }
  rows.sort((a, b) => popcount(b.mask) - popcount(a.mask) || (a.mask < b.mask ? -1 : a.mask > b.mask ? 1 : 0));
  const compiled: CompiledFlags = {
    special: nameMap(spec.special ?? []),
    matchOrder: rows,
    fields: (spec.fields ?? []).map((f) => {
      const cf: CompiledField = {
        mask: BigInt(f.mask),
        shift: BigInt(f.shift ?? 0),
        names: nameMap(f.names ?? []),
        last: f.position === 'last',
        requires: BigInt(f.requires ?? 0),
        onlyNamed: f.onlyNamed ?? false,
        ...(f.render ? { render: f.render } : {}),
      };
      return cf;
    }),
    zero,
  };
  flagCache.set(spec, compiled);
  return compiled;
}

/**
 * Render a flags word: fields marked 'first', then named masks in ascending value order, then
 * unknown bits as one hex number, then fields marked 'last'. A value that renders to nothing
 * is the table's zero name, or "0".
 */
export function formatFlags(spec: FlagSpec, value: bigint): string {
  const c = compileFlags(spec);
  const special = c.special.get(value);
  if (special !== undefined) return special;
  const first: string[] = [];
  const last: string[] = [];
  let rem = value;
  for (const f of c.fields) {
    if ((value & f.requires) !== f.requires) continue;
    const bits = rem & f.mask;
    const fv = bits >> f.shift;
    const name = f.names.get(fv);
    if (f.onlyNamed && name === undefined) continue;
    rem &= ~f.mask;
    if (name === undefined && fv === 0n) continue;
    const text = name ?? (f.render ? f.render(fv) : hex(bits));
    (f.last ? last : first).push(text);
  }
  const matched: { name: string; mask: bigint }[] = [];
  for (const row of c.matchOrder) {
    if ((rem & row.mask) === row.mask) {
      matched.push(row);
      rem &= ~row.mask;
    }
  }
  matched.sort((a, b) => (a.mask < b.mask ? -1 : a.mask > b.mask ? 1 : 0));
  const out = [...first, ...matched.map((m) => m.name)];
  if (rem !== 0n) out.push(hex(rem));
  out.push(...last);
  return out.length > 0 ? out.join('|') : c.zero;
}

/** How an enum renders a value it has no name for. */
export type Unknown = 'auto' | 'signed' | 'hex';

/** Fallback rendering: 'auto' is decimal below 65536 and hex above; 'signed' is a signed 32/64-bit decimal. */
export function formatUnknown(value: bigint, how: Unknown): string {
  switch (how) {
    case 'hex':
      return hex(value);
    case 'signed':
      return (value < 1n << 32n ? BigInt.asIntN(32, value) : BigInt.asIntN(64, value)).toString();
    default:
      return value < 65536n ? value.toString() : hex(value);
  }
}

const enumCache = new WeakMap<Pairs, Map<bigint, string>>();

/** The name of `value` in `pairs`, or undefined. */
export function lookup(pairs: Pairs, value: bigint): string | undefined {
  let m = enumCache.get(pairs);
  if (!m) {
    m = nameMap(pairs);
    enumCache.set(pairs, m);
  }
  return m.get(value);
}

/** Render an enum value: its name, else per `unknown`. */
export function formatEnum(pairs: Pairs, value: bigint, unknown: Unknown = 'auto'): string {
  return lookup(pairs, value) ?? formatUnknown(value, unknown);
}

// ---- codecs -------------------------------------------------------------------------------

/**
 * An argument rendered through one FlagSpec (possibly different per arch). `kind` stays 'flags'
 * unless the value is really a selector that merely carries flag bits (sched policy, ipc cmd).
 */
export function flagsCodec(spec: FlagSpec | PerArch<FlagSpec>, kind: ArgKind = 'flags'): Codec {
  return {
    kind,
    build: (arch) => {
      const s = pickArch(spec, arch);
      return (v) => formatFlags(s, v);
    },
  };
}

/** An enum argument rendered by name (possibly different tables per arch). */
export function enumCodec(pairs: Pairs | PerArch<Pairs>, unknown: Unknown = 'auto'): Codec {
  return {
    kind: 'enum',
    build: (arch) => {
      const p = pickArch(pairs, arch);
      return (v) => formatEnum(p, v, unknown);
    },
  };
}

/** Any other renderer of one of the kinds. */
export function customCodec(kind: ArgKind, build: (arch: ArchName) => Render): Codec {
  return { kind, build };
}

/**
 * An argument whose meaning depends on another one (socket protocol on domain, optname on level,
 * fcntl arg on cmd): `pick` chooses a renderer from the context value; without a context, or when
 * `pick` has none, `fallback` renders.
 */
export function contextualCodec(kind: ArgKind, pick: (context: bigint, arch: ArchName) => Render | undefined, fallback: Render): Codec {
  return {
    kind,
    build: (arch) => (v, ctx) => {
      const r = ctx === undefined ? undefined : pick(ctx, arch);
      return (r ?? fallback)(v);
    },
  };
}

/** A plain integer: signed decimal. */
export const INT: Codec = customCodec('int', () => (v) => formatUnknown(v, 'signed'));

/** A pointer to a NUL-terminated string the caller reads; the register itself renders as hex. */
export const PATH: Codec = customCodec('path', () => hex);

/** A pointer to a sockaddr the caller reads (see formatSockaddr); the register renders as hex. */
export const SOCKADDR: Codec = customCodec('sockaddr', () => hex);
