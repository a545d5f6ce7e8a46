/**
 * The call graph of one x86-64 ELF object, from its own machine code: which functions each
 * function calls, jumps to, or takes the address of, and which dynamic symbols (imports, or
 * its own exports called through the PLT) it reaches. Reachability across objects is
 * reach.ts; this file knows one file at a time, so its result is cached by content hash.
 *
 * - Functions: starts from .symtab/.dynsym FUNC and IFUNC symbols, .eh_frame FDEs (most
 *   Debian libraries are stripped), the entry point, every direct call target and each code
 *   section's start. A function runs to the next start, so every byte of code belongs to one
 *   and nothing is silently lost (code without a start of its own joins the one before it).
 * - Edges: `call`/`jmp`/`jcc` to another function (tail calls, .cold parts), to a PLT stub
 *   (.plt, .plt.sec, .plt.got: the stub's `jmp *slot(%rip)` names the symbol through its
 *   JUMP_SLOT or GLOB_DAT relocation), RIP-relative operands that point at a GOT slot
 *   (`call *foo@GOTPCREL(%rip)`, `mov foo@GOTPCREL(%rip), %rax`) or at a function start (a
 *   function pointer taken: whoever takes it may call it), and in non-PIE code 32-bit
 *   immediates equal to a function start (`mov $handler, %edi`).
 * - Roots: the entry point (executables), DT_INIT, .init_array/.preinit_array/.fini_array,
 *   IFUNC resolvers, and every function pointer stored in data (R_X86_64_RELATIVE/64
 *   relocations, or in non-PIE files 8-byte words equal to a function start): code that
 *   reads data can call them, and which code reads which data is not followed.
 * - Strings: absolute paths in read-only data that a function points at (`/bin/sh`), for
 *   the programs a binary starts by path.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { type CacheKind, readCache, writeCache } from '../../cache.js';
import { ElfError } from './elf.js';
import { type Decoded, decode, Kind, sweep } from './x86-decode.js';

/** Bump when the graph or its meaning changes: old cache entries are then ignored. */
const GRAPH_FORMAT = 3;

/** One object's call graph: its arrays are typed arrays, cached as they are in memory (see encodeGraph). */
export interface CodeGraph {
  /** Function start addresses, ascending. */
  readonly starts: Float64Array;
  /** Function index → symbol name, where a symbol names it (or "main", found from the entry point). */
  readonly names: Readonly<Record<number, string>>;
  /** Compressed rows: the functions function i calls or points at are edgeTargets[edgeOffsets[i] .. edgeOffsets[i+1]). */
  readonly edgeOffsets: Int32Array;
  readonly edgeTargets: Int32Array;
  /** Compressed rows of indexes into `symbols`: the dynamic symbols function i reaches. */
  readonly symbolOffsets: Int32Array;
  readonly symbolTargets: Int32Array;
  readonly symbols: readonly string[];
  /** Defined dynamic FUNC/IFUNC symbols: name → function index. */
  readonly exports: Readonly<Record<string, number>>;
  /** [function, path] pairs: a function points at this absolute path in read-only data. */
  readonly strings: readonly (readonly [number, string])[];
  readonly roots: {
    /** The entry point's function (executables). */
    readonly entry?: number;
    /** Constructors, destructors, IFUNC resolvers. */
    readonly init: Int32Array;
    /** Functions whose address is stored in data. */
    readonly data: Int32Array;
    /** Dynamic symbols whose address is stored in data (R_X86_64_64 and the like). */
    readonly dataSymbols: readonly string[];
  };
}

// ---- ELF64 little-endian sections, symbols and relocations ----------------------------------

const SHT = {
  PROGBITS: 1,
  SYMTAB: 2,
  RELA: 4,
  NOBITS: 8,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
  PREINIT_ARRAY: 16,
  RELR: 19,
} as const;
const SHF_WRITE = 1;
const SHF_ALLOC = 2;
const SHF_EXECINSTR = 4;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const R = { X86_64_64: 1, GLOB_DAT: 6, JUMP_SLOT: 7, RELATIVE: 8, IRELATIVE: 37 } as const;
const DT_INIT = 12;
const ET_EXEC = 2;
const PLT_SECTIONS = new Set(['.plt', '.plt.sec', '.plt.got']);
/** Allocated sections that hold no program data pointers (or only code-referenced ones, .got). */
const NOT_DATA = new Set([
  '.eh_frame',
  '.eh_frame_hdr',
  '.gcc_except_table',
  '.got',
  '.got.plt',
  '.interp',
  '.note.gnu.property',
  '.note.gnu.build-id',
  '.note.ABI-tag',
]);

interface Section {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly entsize: number;
}

/** Bounds-checked access to a whole file, every failure an ElfError naming it. */
class Image {
  constructor(
    readonly path: string,
    readonly data: Buffer,
  ) {}

  slice(offset: number, length: number, what: string): Buffer {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.data.length) {
      throw new ElfError(
        this.path,
        `${what} (offset 0x${offset.toString(16)}, ${length} bytes) lies past the end of the file: truncated or corrupt`,
      );
    }
    return this.data.subarray(offset, offset + length);
  }
}

// Plain byte arithmetic: Buffer's BigInt reads and per-entry objects dominated the cost on
// QEMU's 120 000 relocations. Values above 2^53 round as Number(BigInt) does.
const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const u64 = (b: Uint8Array, at: number): number => u32(b, at) + u32(b, at + 4) * 2 ** 32;
const i64 = (b: Uint8Array, at: number): number =>
  u32(b, at) + (b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16) | (b[at + 7]! << 24)) * 2 ** 32;

function readSections(img: Image): Section[] {
  const eh = img.slice(0, 64, 'ELF header');
  const shoff = u64(eh, 40);
  const shentsize = u16(eh, 58);
  let shnum = u16(eh, 60);
  const shstrndx = u16(eh, 62);
  if (shoff === 0 || shentsize < 64) throw new ElfError(img.path, 'no section headers: code cannot be located');
  if (shnum === 0) shnum = u64(img.slice(shoff, 64, 'section header 0'), 32);
  const table = img.slice(shoff, shnum * shentsize, 'section headers');
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = i * shentsize;
    return {
      nameAt: u32(table, at),
      type: u32(table, at + 4),
      flags: u64(table, at + 8),
      addr: u64(table, at + 16),
      offset: u64(table, at + 24),
      size: u64(table, at + 32),
      link: u32(table, at + 40),
      entsize: u64(table, at + 56),
    };
  });
  const names = raw[shstrndx];
  const strtab = names ? img.slice(names.offset, names.size, 'section names') : Buffer.alloc(0);
  return raw.map((s) => ({ ...s, name: cString(strtab, s.nameAt) }));
}

function cString(table: Buffer, at: number): string {
  const end = at < table.length ? table.indexOf(0, at) : -1;
  return end < 0 ? '' : table.toString('latin1', at, end);
}

/** Bytes of a section that occupies file space (SHT_NOBITS has none). */
function contents(img: Image, s: Section): Buffer {
  return img.slice(s.offset, s.size, s.name || 'section');
}

/** A symbol table read in place: entries by index, names decoded when asked for. */
class Symbols {
  readonly count: number;
  private readonly data: Buffer;
  private readonly strings: Buffer;
  private readonly size: number;
  private readonly names: (string | undefined)[] = [];

  constructor(img: Image, sections: readonly Section[], s: Section) {
    const strs = sections[s.link];
    this.data = strs ? contents(img, s) : Buffer.alloc(0);
    this.strings = strs ? contents(img, strs) : Buffer.alloc(0);
    this.size = s.entsize || 24;
    this.count = this.data.length < 24 ? 0 : Math.floor((this.data.length - 24) / this.size) + 1;
  }

  name(i: number): string {
    return (this.names[i] ??= cString(this.strings, u32(this.data, i * this.size)));
  }
  type(i: number): number {
    return this.data[i * this.size + 4]! & 0xf;
  }
  defined(i: number): boolean {
    return u16(this.data, i * this.size + 6) !== 0;
  }
  value(i: number): number {
    return u64(this.data, i * this.size + 8);
  }
}

/** A few address ranges (sections), and whether an address falls in one. */
class Ranges {
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;

  constructor(readonly sections: readonly Section[]) {
    this.lo = Float64Array.from(sections, (s) => s.addr);
    this.hi = Float64Array.from(sections, (s) => s.addr + s.size);
  }

  /** The index of the first section holding `addr`, or -1. */
  find(addr: number): number {
    for (let i = 0; i < this.lo.length; i++) if (addr >= this.lo[i]! && addr < this.hi[i]!) return i;
    return -1;
  }
  has(addr: number): boolean {
    return this.find(addr) >= 0;
  }
  section(addr: number): Section | undefined {
    return this.sections[this.find(addr)];
  }
}

/** Function starts from .eh_frame: each FDE's initial location (pointer encodings as GCC and clang emit them). */
function fdeStarts(img: Image, s: Section, found: Numbers): void {
  const data = contents(img, s);
  const cieEncodings = new Map<number, number>();
  let at = 0;
  while (at + 4 <= data.length) {
    let length = u32(data, at);
    let body = at + 4;
    if (length === 0) break;
    if (length === 0xffffffff) {
      if (at + 12 > data.length) break;
      length = u64(data, at + 4);
      body = at + 12;
    }
    const next = body + length;
    if (next > data.length || body + 4 > data.length) break;
    const id = u32(data, body);
    if (id === 0) {
      cieEncodings.set(at, cieFdeEncoding(data, body + 4, next));
    } else {
      const cie = body - id;
      const encoding = cieEncodings.get(cie) ?? 0;
      const field = body + 4;
      const value = readEncoded(data, field, encoding, s.addr + field);
      if (value !== undefined && value !== 0) found.push(value);
    }
    at = next;
  }
}

/** The FDE pointer encoding ('R' augmentation) of a CIE; absptr when it has none. */
function cieFdeEncoding(data: Buffer, at: number, end: number): number {
  const version = data[at++]!;
  const augEnd = data.indexOf(0, at);
  if (augEnd < 0 || augEnd >= end) return 0;
  const aug = data.toString('latin1', at, augEnd);
  at = augEnd + 1;
  if (aug.includes('eh')) at += 8;
  at = skipLeb(data, at); // code alignment
  at = skipLeb(data, at); // data alignment
  at = version === 1 ? at + 1 : skipLeb(data, at); // return address register
  if (!aug.startsWith('z')) return 0;
  at = skipLeb(data, at); // augmentation length
  for (const c of aug.slice(1)) {
    if (c === 'R') return data[at]!;
    if (c === 'L') at += 1;
    else if (c === 'P') at += 1 + encodedSize(data[at]!);
    else if (c !== 'S' && c !== 'B' && c !== 'G') return 0;
  }
  return 0;
}

function skipLeb(data: Buffer, at: number): number {
  while (at < data.length && data[at]! & 0x80) at++;
  return at + 1;
}

function encodedSize(encoding: number): number {
  switch (encoding & 0x0f) {
    case 0x02:
    case 0x0a:
      return 2;
    case 0x03:
    case 0x0b:
      return 4;
    default:
      return 8;
  }
}

function readEncoded(data: Buffer, at: number, encoding: number, address: number): number | undefined {
  if (encoding === 0xff) return undefined;
  const size = encodedSize(encoding);
  if (at + size > data.length) return undefined;
  let value: number;
  switch (encoding & 0x0f) {
    case 0x02:
      value = u16(data, at);
      break;
    case 0x0a:
      value = (u16(data, at) << 16) >> 16;
      break;
    case 0x03:
      value = u32(data, at);
      break;
    case 0x0b:
      value = u32(data, at) | 0;
      break;
    default:
      value = i64(data, at);
  }
  if ((encoding & 0x70) === 0x10) value += address;
  return value;
}

// ---- the graph --------------------------------------------------------------------------

/** A growable list of numbers (addresses), without a JS array's boxing. */
class Numbers {
  private items = new Float64Array(1 << 10);
  length = 0;

  push(x: number): void {
    if (this.length === this.items.length) this.items = grown(this.items, new Float64Array(this.length * 2));
    this.items[this.length++] = x;
  }

  at(i: number): number {
    return this.items[i]!;
  }

  /** The items ascending, each once. */
  sortedUnique(): Float64Array {
    const sorted = this.items.subarray(0, this.length).sort();
    let n = 0;
    for (let i = 0; i < sorted.length; i++) if (n === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
    return sorted.slice(0, n);
  }
}

/** A sorted array of numbers and the index of the last one ≤ x. */
function floorIndex(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  if (hi < 0 || x < sorted[0]!) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** (row, column) pairs collected in any order, then compressed to sorted, distinct rows. */
class Rows {
  private readonly pairs = new Numbers();

  add(row: number, column: number): void {
    this.pairs.push(row * 2 ** 24 + column);
  }

  /** Row offsets (rows + 1 of them) and columns; `noSelf` drops (i, i). */
  compressed(rows: number, noSelf: boolean): { offsets: Int32Array; targets: Int32Array } {
    const offsets = new Int32Array(rows + 1);
    const pairs = this.pairs.sortedUnique();
    const targets = new Int32Array(pairs.length);
    let n = 0;
    for (const pair of pairs) {
      const row = Math.floor(pair / 2 ** 24);
      const column = pair - row * 2 ** 24;
      if (noSelf && row === column) continue;
      targets[n++] = column;
      offsets[row + 1]!++;
    }
    for (let i = 0; i < rows; i++) offsets[i + 1]! += offsets[i]!;
    return { offsets, targets: targets.slice(0, n) };
  }
}

/**
 * The sections of one file the graph is read from. The passes below are separate small
 * functions on purpose: V8 spent more CPU time compiling one large buildCodeGraph (about a
 * second, several times over as its loops were replaced on the stack) than running it.
 */
class Layout {
  readonly isExec: boolean;
  readonly entry: number;
  readonly sections: readonly Section[];
  /** Code other than PLT stubs. */
  readonly textSections: readonly Section[];
  readonly text: Ranges;
  readonly plt: Ranges;
  readonly got: Ranges;
  /** Allocated, non-code PROGBITS sections (read-only ones may hold path strings). */
  readonly dataSections: readonly Section[];
  readonly data: Ranges;
  private readonly bytesOf = new Map<Section, Buffer>();

  constructor(readonly img: Image) {
    const eh = img.slice(0, 64, 'ELF header');
    this.isExec = u16(eh, 16) === ET_EXEC;
    this.entry = u64(eh, 24);
    this.sections = readSections(img);
    const code = this.sections.filter((s) => s.flags & SHF_EXECINSTR && s.type === SHT.PROGBITS && s.size > 0);
    this.plt = new Ranges(code.filter((s) => PLT_SECTIONS.has(s.name)));
    this.textSections = code.filter((s) => !PLT_SECTIONS.has(s.name));
    this.text = new Ranges(this.textSections);
    this.got = new Ranges(this.sections.filter((s) => s.name === '.got' || s.name === '.got.plt'));
    this.dataSections = this.sections.filter((s) => s.flags & SHF_ALLOC && !(s.flags & SHF_EXECINSTR) && s.type === SHT.PROGBITS);
    this.data = new Ranges(this.dataSections);
  }

  bytes(s: Section): Buffer {
    let b = this.bytesOf.get(s);
    if (!b) this.bytesOf.set(s, (b = contents(this.img, s)));
    return b;
  }

  find(predicate: (s: Section) => boolean): Section | undefined {
    return this.sections.find(predicate);
  }
}

/** Function starts, names and exports from .dynsym and .symtab FUNC and IFUNC symbols in code. */
function symbolFacts(layout: Layout, found: Numbers): { nameAt: Map<number, string>; exportsAt: Map<string, number> } {
  const nameAt = new Map<number, string>();
  const exportsAt = new Map<string, number>();
  const dynsym = layout.find((s) => s.type === SHT.DYNSYM);
  for (const table of [dynsym, layout.find((s) => s.type === SHT.SYMTAB)]) {
    if (!table) continue;
    const symbols = new Symbols(layout.img, layout.sections, table);
    for (let i = 0; i < symbols.count; i++) {
      const type = symbols.type(i);
      if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || !symbols.defined(i)) continue;
      const value = symbols.value(i);
      if (value === 0 || !layout.text.has(value)) continue;
      found.push(value);
      const name = symbols.name(i);
      if (!name) continue;
      if (!nameAt.has(value)) nameAt.set(value, name);
      if (table === dynsym) exportsAt.set(name, value);
    }
  }
  return { nameAt, exportsAt };
}

/** What the relocations (and, in executables, the init arrays and DT_INIT) say. */
interface Slots {
  /** GOT slot (or data word) → the dynamic symbol it holds (GLOB_DAT, JUMP_SLOT, 64). */
  readonly slotSymbol: Map<number, string>;
  /** GOT slot → the function of this object it holds (RELATIVE). */
  readonly slotTarget: Map<number, number>;
  readonly dataPointers: Numbers;
  readonly dataSymbols: Set<string>;
  readonly init: Numbers;
}

function relocationFacts(layout: Layout): Slots {
  const { img, sections, text, got } = layout;
  const slots: Slots = {
    slotSymbol: new Map(),
    slotTarget: new Map(),
    dataPointers: new Numbers(),
    dataSymbols: new Set(),
    init: new Numbers(),
  };
  const arraySections = sections.filter((s) => s.type === SHT.INIT_ARRAY || s.type === SHT.FINI_ARRAY || s.type === SHT.PREINIT_ARRAY);
  const arrays = new Ranges(arraySections);
  const loaded = new Ranges(sections.filter((x) => x.flags & SHF_ALLOC && x.type !== SHT.NOBITS));
  const wordAt = (addr: number): number | undefined => {
    const s = loaded.section(addr);
    return s && addr + 8 <= s.addr + s.size ? u64(img.slice(s.offset + (addr - s.addr), 8, 'pointer'), 0) : undefined;
  };
  const relative = (offset: number, target: number | undefined) => {
    if (target === undefined || !text.has(target)) return;
    if (got.has(offset)) slots.slotTarget.set(offset, target);
    else if (arrays.has(offset)) slots.init.push(target);
    else slots.dataPointers.push(target);
  };
  const symbolTables = new Map<number, Symbols>();
  for (const s of sections) {
    if (s.type === SHT.RELA && s.flags & SHF_ALLOC) {
      let symbols = symbolTables.get(s.link);
      const linked = sections[s.link];
      if (!symbols && linked) symbolTables.set(s.link, (symbols = new Symbols(img, sections, linked)));
      readRela(contents(img, s), s.entsize || 24, symbols, layout, slots, relative);
    } else if (s.type === SHT.RELR) {
      readRelr(contents(img, s), (offset) => relative(offset, wordAt(offset)));
    }
  }
  if (layout.isExec) for (const s of arraySections) for (let at = 0; at + 8 <= s.size; at += 8) slots.init.push(u64(contents(img, s), at));
  const dynamic = layout.find((s) => s.name === '.dynamic');
  if (dynamic) {
    const d = contents(img, dynamic);
    for (let at = 0; at + 16 <= d.length; at += 16) if (u64(d, at) === DT_INIT) slots.init.push(u64(d, at + 8));
  }
  return slots;
}

function readRela(
  rela: Buffer,
  size: number,
  symbols: Symbols | undefined,
  layout: Layout,
  slots: Slots,
  relative: (offset: number, target: number) => void,
): void {
  for (let at = 0; at + 24 <= rela.length; at += size) {
    const offset = u64(rela, at);
    const type = u32(rela, at + 8);
    if (type === R.GLOB_DAT || type === R.JUMP_SLOT || type === R.X86_64_64) {
      const sym = u32(rela, at + 12);
      const name = sym && symbols && sym < symbols.count ? symbols.name(sym) : '';
      if (!name) continue;
      slots.slotSymbol.set(offset, name);
      if (type === R.X86_64_64 && !layout.got.has(offset)) slots.dataSymbols.add(name);
    } else if (type === R.RELATIVE) {
      relative(offset, i64(rela, at + 16));
    } else if (type === R.IRELATIVE) {
      const addend = i64(rela, at + 16);
      if (layout.text.has(addend)) slots.init.push(addend);
    }
  }
}

/** Packed relative relocations (SHT_RELR): the addresses they relocate. */
function readRelr(relr: Buffer, relocated: (offset: number) => void): void {
  let base = 0;
  for (let at = 0; at + 8 <= relr.length; at += 8) {
    const lo = u32(relr, at);
    if ((lo & 1) === 0) {
      const offset = u64(relr, at);
      relocated(offset);
      base = offset + 8;
    } else {
      const hi = u32(relr, at + 4);
      for (let bit = 1; bit < 64; bit++) if ((bit < 32 ? lo >>> bit : hi >>> (bit - 32)) & 1) relocated(base + (bit - 1) * 8);
      base += 63 * 8;
    }
  }
}

/** What an instruction's operand refers to, kept from the sweep for the second pass. */
const REF_BRANCH = 1;
const REF_RIP = 2;
const REF_IMM = 3;

/** Instructions that refer to something, in sweep order; and every direct call's target. */
class References {
  from = new Float64Array(1 << 12);
  to = new Float64Array(1 << 12);
  kind = new Uint8Array(1 << 12);
  length = 0;
  readonly callTargets = new Numbers();
  /** Code, GOT slots: every operand pointing there matters. */
  private readonly codeAndSlots: Ranges;
  /** Read-only data: an operand pointing at a '/' may be a program's path. */
  private readonly strings: Ranges;

  constructor(
    private readonly layout: Layout,
    private readonly slotSymbol: ReadonlyMap<number, string>,
  ) {
    // GOT slots with a RELATIVE target lie in .got: codeAndSlots covers them.
    this.codeAndSlots = new Ranges([...layout.textSections, ...layout.got.sections]);
    this.strings = new Ranges(layout.dataSections.filter((x) => !(x.flags & SHF_WRITE)));
  }

  /** Most operands point at data no call graph cares about: keep code, GOT slots and what may be a path string. */
  private mayMatter(addr: number): boolean {
    if (this.codeAndSlots.has(addr) || this.slotSymbol.has(addr)) return true;
    const i = this.strings.find(addr);
    if (i < 0) return false;
    const s = this.strings.sections[i]!;
    return this.layout.bytes(s)[addr - s.addr] === 0x2f;
  }

  private push(from: number, to: number, kind: number): void {
    if (this.length === this.from.length) {
      const n = this.length * 2;
      this.from = grown(this.from, new Float64Array(n));
      this.to = grown(this.to, new Float64Array(n));
      this.kind = grown(this.kind, new Uint8Array(n));
    }
    this.from[this.length] = from;
    this.to[this.length] = to;
    this.kind[this.length++] = kind;
  }

  visit(address: number, d: Decoded): void {
    const kind = d.kind;
    if (kind === Kind.Call || kind === Kind.Jump) {
      this.push(address, d.target, REF_BRANCH);
      if (kind === Kind.Call) this.callTargets.push(d.target);
    }
    if (d.ripTarget >= 0 && this.mayMatter(d.ripTarget)) this.push(address, d.ripTarget, REF_RIP);
    if (this.layout.isExec && d.imm > 0 && this.mayMatter(d.imm)) this.push(address, d.imm, REF_IMM);
  }
}

function grown<T extends Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Pass 1: linear sweep of every code section, keeping the instructions that refer to something. */
function sweepReferences(layout: Layout, known: Float64Array, slotSymbol: ReadonlyMap<number, string>): References {
  const refs = new References(layout, slotSymbol);
  const visit = (address: number, d: Decoded) => refs.visit(address, d);
  for (const s of layout.textSections) sweep(layout.bytes(s), s.addr, known, visit);
  return refs;
}

/** The functions: starts ascending, and the index of the function an address lies in. */
class Functions {
  constructor(readonly starts: Float64Array) {}
  index(addr: number): number {
    return floorIndex(this.starts, addr);
  }
  isStart(addr: number): boolean {
    const i = floorIndex(this.starts, addr);
    return i >= 0 && this.starts[i] === addr;
  }
}

/** PLT stubs: the symbol of the slot the stub jumps through. */
function pltSymbol(layout: Layout, slotSymbol: ReadonlyMap<number, string>, addr: number): string | undefined {
  const s = layout.plt.section(addr)!;
  const bytes = layout.bytes(s);
  for (let at = addr - s.addr, n = 0; n < 4 && at < bytes.length; n++) {
    const d = decode(bytes, at, bytes.length, s.addr + at);
    if (d.ripTarget >= 0 && d.ripOpcode === 0xff) return slotSymbol.get(d.ripTarget);
    if (d.kind === Kind.Jump || d.kind === Kind.Bad) break;
    at += d.length;
  }
  return undefined;
}

/** An absolute path a program may be started by: a string of path characters only. */
const PROGRAM_PATH = /^\/[A-Za-z0-9_.+\-/]{1,254}$/;

/** The program path at `addr` in read-only data, if one starts there. */
function pathString(layout: Layout, addr: number): string | undefined {
  const s = layout.data.section(addr);
  if (!s || s.flags & SHF_WRITE) return undefined;
  const bytes = layout.bytes(s);
  const at = addr - s.addr;
  if (bytes[at] !== 0x2f) return undefined;
  const end = bytes.indexOf(0, at);
  if (end < 0 || end - at > 255) return undefined;
  const path = bytes.toString('latin1', at, end);
  return PROGRAM_PATH.test(path) ? path : undefined;
}

/** Pass 2: references → edges of the function they are in. */
function resolveReferences(layout: Layout, fns: Functions, slots: Slots, refs: References) {
  const { starts } = fns;
  const edges = new Rows();
  const symbolEdges = new Rows();
  const symbolIds = new Map<string, number>();
  const symbolId = (name: string) => {
    let id = symbolIds.get(name);
    if (id === undefined) symbolIds.set(name, (id = symbolIds.size));
    return id;
  };
  const stubSymbol = new Map<number, string | undefined>();
  const strings: [number, string][] = [];
  const stringSeen = new Set<string>();
  let fn = 0;
  for (let r = 0; r < refs.length; r++) {
    const from = refs.from[r]!;
    while (fn + 1 < starts.length && starts[fn + 1]! <= from) fn++;
    if (from < starts[fn]!) fn = fns.index(from);
    const to = refs.to[r]!;
    const kind = refs.kind[r]!;
    if (kind === REF_BRANCH) {
      if (to >= starts[fn]! && (fn + 1 === starts.length || to < starts[fn + 1]!)) continue;
      if (layout.plt.has(to)) {
        if (!stubSymbol.has(to)) stubSymbol.set(to, pltSymbol(layout, slots.slotSymbol, to));
        const symbol = stubSymbol.get(to);
        if (symbol) symbolEdges.add(fn, symbolId(symbol));
      } else if (layout.text.has(to)) {
        edges.add(fn, fns.index(to));
      }
      continue;
    }
    if (kind === REF_RIP) {
      const symbol = slots.slotSymbol.get(to);
      if (symbol) {
        symbolEdges.add(fn, symbolId(symbol));
        continue;
      }
      const target = slots.slotTarget.get(to) ?? to;
      if (fns.isStart(target)) {
        edges.add(fn, fns.index(target));
        continue;
      }
    } else if (fns.isStart(to)) {
      edges.add(fn, fns.index(to));
      continue;
    }
    const path = pathString(layout, to);
    if (path && !stringSeen.has(`${fn}\0${path}`)) {
      stringSeen.add(`${fn}\0${path}`);
      strings.push([fn, path]);
    }
  }
  return {
    edges: edges.compressed(starts.length, true),
    symbolEdges: symbolEdges.compressed(starts.length, false),
    symbols: [...symbolIds.keys()],
    strings,
  };
}

/** Function pointers in data. Non-PIE files store them as plain words, without relocations. */
function dataWords(layout: Layout, fns: Functions, into: Numbers): void {
  const { starts } = fns;
  const lowest = starts[0] ?? 0;
  const highest = starts[starts.length - 1] ?? 0;
  for (const s of layout.dataSections) {
    if (NOT_DATA.has(s.name)) continue;
    const bytes = layout.bytes(s);
    for (let at = (8 - (s.addr % 8)) % 8; at + 8 <= bytes.length; at += 8) {
      if (bytes[at + 4] !== 0 || bytes[at + 5] !== 0 || bytes[at + 6] !== 0 || bytes[at + 7] !== 0) continue;
      const lo = u32(bytes, at);
      if (lo >= lowest && lo <= highest && fns.isStart(lo)) into.push(lo);
    }
  }
}

/** Adds the addresses that lie in code. */
function pushInText(layout: Layout, addrs: Numbers, into: Numbers): void {
  for (let i = 0; i < addrs.length; i++) if (layout.text.has(addrs.at(i))) into.push(addrs.at(i));
}

/** The functions at these addresses (those in code), ascending, each once. */
function functionsAt(layout: Layout, fns: Functions, addrs: Numbers): Int32Array {
  const out = new Numbers();
  for (const addr of addrs.sortedUnique()) if (layout.text.has(addr)) out.push(fns.index(addr));
  return Int32Array.from(out.sortedUnique());
}

/** Build the call graph of an x86-64 ELF64 file's bytes. Throws ElfError when its code cannot be located. */
export function buildCodeGraph(path: string, data: Buffer): CodeGraph {
  const layout = new Layout(new Image(path, data));
  const { text, entry } = layout;
  const found = new Numbers();
  const { nameAt, exportsAt } = symbolFacts(layout, found);
  const ehFrame = layout.find((s) => s.name === '.eh_frame');
  if (ehFrame) {
    const fdes = new Numbers();
    fdeStarts(layout.img, ehFrame, fdes);
    pushInText(layout, fdes, found);
  }
  for (const s of layout.textSections) found.push(s.addr);
  if (text.has(entry)) found.push(entry);
  const slots = relocationFacts(layout);

  const refs = sweepReferences(layout, found.sortedUnique(), slots.slotSymbol);
  pushInText(layout, refs.callTargets, found);
  const fns = new Functions(found.sortedUnique());
  const names: Record<number, string> = {};
  nameAt.forEach((name, addr) => {
    names[fns.index(addr)] = name;
  });
  const { edges: e, symbolEdges: sy, symbols, strings } = resolveReferences(layout, fns, slots, refs);
  if (layout.isExec) dataWords(layout, fns, slots.dataPointers);

  const entryFn = text.has(entry) ? fns.index(entry) : undefined;
  // glibc's _start passes main to __libc_start_main: the one function it points at.
  if (entryFn !== undefined && names[entryFn] === undefined) names[entryFn] = '_start';
  const entryTarget =
    entryFn !== undefined && e.offsets[entryFn + 1]! - e.offsets[entryFn]! === 1 ? e.targets[e.offsets[entryFn]!]! : undefined;
  if (entryTarget !== undefined && names[entryTarget] === undefined) names[entryTarget] = 'main';
  return {
    starts: fns.starts,
    names,
    edgeOffsets: e.offsets,
    edgeTargets: e.targets,
    symbolOffsets: sy.offsets,
    symbolTargets: sy.targets,
    symbols,
    exports: Object.fromEntries([...exportsAt].map(([name, addr]) => [name, fns.index(addr)])),
    strings,
    roots: {
      ...(entryFn !== undefined ? { entry: entryFn } : {}),
      init: functionsAt(layout, fns, slots.init),
      data: functionsAt(layout, fns, slots.dataPointers),
      dataSymbols: [...slots.dataSymbols].sort(),
    },
  };
}

// ---- cache --------------------------------------------------------------------------------

/**
 * The cache kind: files under `$XDG_CACHE_HOME/sbx/callgraph` (src/cache.ts), a graph per
 * file's contents (up to ~1.5 MB) and a link per file's path.
 */
const CACHE: CacheKind = { name: 'callgraph', extensions: ['.graph', '.link'], maxBytes: 256 << 20 };

const memo = new Map<string, CodeGraph>();

/**
 * The call graph of the file at `path`, from the cache when a file with the same contents
 * was analysed before (`$XDG_CACHE_HOME/sbx/callgraph/<sha256>.graph`, else ~/.cache). A
 * cache that cannot be written is skipped; SBX_NO_CACHE turns it off. Throws ElfError when
 * the code cannot be read. Graph files are keyed by content, so a copy of a library, or the same library on another
 * path, reuses one analysis.
 */
export function codeGraph(path: string): CodeGraph {
  // A file unchanged since it was hashed (same device, inode, size and change time) keeps its
  // hash, remembered in a small link file: a second propose neither reads nor hashes it.
  const link = statLink(path);
  const linked = link === undefined ? undefined : readCache(CACHE, `${link}.link`)?.toString('latin1');
  if (linked !== undefined && /^[0-9a-f]{64}$/.test(linked)) {
    const graph = memo.get(linked) ?? decodeGraph(readCache(CACHE, `${linked}.graph`));
    if (graph) return remember(linked, graph);
  }
  const data = readWhole(path);
  const hash = createHash('sha256').update(data).digest('hex');
  const cached = memo.get(hash) ?? decodeGraph(readCache(CACHE, `${hash}.graph`));
  const graph = cached ?? checkedBuild(path, data);
  if (!cached) writeCache(CACHE, `${hash}.graph`, encodeGraph(graph));
  if (link !== undefined) writeCache(CACHE, `${link}.link`, Buffer.from(hash, 'latin1'));
  return remember(hash, graph);
}

/** Reused between files: fresh memory for each (readFileSync) cost more in page faults than the reads. */
let scratch = Buffer.alloc(0);

/** The bytes of the file at `path`, valid until the next call. */
function readWhole(path: string): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
    let done = 0;
    for (let n = -1; done < size && n !== 0; done += n) n = readSync(fd, scratch, done, size - done, done);
    return scratch.subarray(0, done);
  } catch (err) {
    throw new ElfError(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** buildCodeGraph, with any failure on a malformed file as the ElfError that names it. */
function checkedBuild(path: string, data: Buffer): CodeGraph {
  try {
    return buildCodeGraph(path, data);
  } catch (err) {
    if (err instanceof ElfError || !(err instanceof RangeError || err instanceof TypeError)) throw err;
    throw new ElfError(path, `malformed, its code cannot be analysed (${err.message})`);
  }
}

function remember(hash: string, graph: CodeGraph): CodeGraph {
  memo.set(hash, graph);
  return graph;
}

/**
 * A graph file: "SBXG", the format, the length of a JSON head (names, symbols, exports,
 * strings, entry, data symbols, array lengths), the head, then the typed arrays as they lie
 * in memory (little-endian, each 8-byte aligned). Reading one is a copy, not a parse: JSON
 * made QEMU's cached graphs 3.7 MB of numbers to parse on every propose.
 */
const MAGIC = 0x47584253;

interface GraphHead {
  readonly names: CodeGraph['names'];
  readonly symbols: CodeGraph['symbols'];
  readonly exports: CodeGraph['exports'];
  readonly strings: CodeGraph['strings'];
  readonly entry?: number;
  readonly dataSymbols: readonly string[];
  readonly lengths: readonly number[];
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

function graphArrays(g: CodeGraph): (Float64Array | Int32Array)[] {
  return [g.starts, g.edgeOffsets, g.edgeTargets, g.symbolOffsets, g.symbolTargets, g.roots.init, g.roots.data];
}

function encodeGraph(g: CodeGraph): Buffer {
  const arrays = graphArrays(g);
  const head: GraphHead = {
    names: g.names,
    symbols: g.symbols,
    exports: g.exports,
    strings: g.strings,
    ...(g.roots.entry !== undefined ? { entry: g.roots.entry } : {}),
    dataSymbols: g.roots.dataSymbols,
    lengths: arrays.map((a) => a.length),
  };
  const json = Buffer.from(JSON.stringify(head));
  let at = align8(12 + json.length);
  const out = Buffer.alloc(arrays.reduce((n, a) => n + align8(a.byteLength), at));
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(GRAPH_FORMAT, 4);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += align8(a.byteLength);
  }
  return out;
}

/** The graph in a graph file of this format, or undefined when absent, stale or inconsistent. */
function decodeGraph(file: Buffer | undefined): CodeGraph | undefined {
  if (!file || file.length < 12 || file.readUInt32LE(0) !== MAGIC || file.readUInt32LE(4) !== GRAPH_FORMAT) return undefined;
  try {
    const jsonLength = file.readUInt32LE(8);
    const head = JSON.parse(file.toString('utf8', 12, 12 + jsonLength)) as GraphHead;
    // A copy: typed arrays need aligned offsets, which a pooled Buffer does not promise.
    const bytes = new Uint8Array(file.length);
    bytes.set(file);
    let at = align8(12 + jsonLength);
    const view = <T extends Float64Array | Int32Array>(make: new (b: ArrayBuffer, at: number, n: number) => T, n: number): T => {
      const a = new make(bytes.buffer, at, n);
      at += align8(a.byteLength);
      return a;
    };
    const [n0, n1, n2, n3, n4, n5, n6] = head.lengths as number[];
    const starts = view(Float64Array, n0!);
    const graph: CodeGraph = {
      starts,
      names: head.names,
      edgeOffsets: view(Int32Array, n1!),
      edgeTargets: view(Int32Array, n2!),
      symbolOffsets: view(Int32Array, n3!),
      symbolTargets: view(Int32Array, n4!),
      symbols: head.symbols,
      exports: head.exports,
      strings: head.strings,
      roots: {
        ...(head.entry !== undefined ? { entry: head.entry } : {}),
        init: view(Int32Array, n5!),
        data: view(Int32Array, n6!),
        dataSymbols: head.dataSymbols,
      },
    };
    const rows = starts.length + 1;
    return at === file.length && graph.edgeOffsets.length === rows && graph.symbolOffsets.length === rows ? graph : undefined;
  } catch {
    return undefined;
  }
}

function statLink(path: string): string | undefined {
  try {
    const st = statSync(path, { bigint: true });
    return createHash('sha256').update(`${GRAPH_FORMAT}\0${st.dev}\0${st.ino}\0${st.size}\0${st.mtimeNs}\0${st.ctimeNs}`).digest('hex');
  } catch {
    return undefined;
  }
}
