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
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ElfError } from './elf.js';
import { decode, Kind, sweep } from './x86-decode.js';

/** Bump when the graph or its meaning changes: old cache entries are then ignored. */
const GRAPH_FORMAT = 2;

/** One object's call graph, in a form that serializes to JSON as is. */
export interface CodeGraph {
  readonly format: number;
  /** Function start addresses, ascending. */
  readonly starts: readonly number[];
  /** Function index → symbol name, where a symbol names it (or "main", found from the entry point). */
  readonly names: Readonly<Record<number, string>>;
  /** Compressed rows: the functions function i calls or points at are edgeTargets[edgeOffsets[i] .. edgeOffsets[i+1]). */
  readonly edgeOffsets: readonly number[];
  readonly edgeTargets: readonly number[];
  /** Compressed rows of indexes into `symbols`: the dynamic symbols function i reaches. */
  readonly symbolOffsets: readonly number[];
  readonly symbolTargets: readonly number[];
  readonly symbols: readonly string[];
  /** Defined dynamic FUNC/IFUNC symbols: name → function index. */
  readonly exports: Readonly<Record<string, number>>;
  /** [function, path] pairs: a function points at this absolute path in read-only data. */
  readonly strings: readonly (readonly [number, string])[];
  readonly roots: {
    /** The entry point's function (executables). */
    readonly entry?: number;
    /** Constructors, destructors, IFUNC resolvers. */
    readonly init: readonly number[];
    /** Functions whose address is stored in data. */
    readonly data: readonly number[];
    /** Dynamic symbols whose address is stored in data (R_X86_64_64 and the like). */
    readonly dataSymbols: readonly string[];
  };
}

// ---- ELF64 little-endian sections, symbols and relocations ----------------------------------

const SHT = { PROGBITS: 1, SYMTAB: 2, RELA: 4, NOBITS: 8, DYNSYM: 11, INIT_ARRAY: 14, FINI_ARRAY: 15, PREINIT_ARRAY: 16, RELR: 19 } as const;
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
const i64 = (b: Uint8Array, at: number): number => u32(b, at) + (b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16) | (b[at + 7]! << 24)) * 2 ** 32;

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
    if (this.length === this.items.length) {
      const grown = new Float64Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
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
  compressed(rows: number, noSelf: boolean): { offsets: number[]; targets: number[] } {
    const offsets = new Array<number>(rows + 1).fill(0);
    const targets: number[] = [];
    for (const pair of this.pairs.sortedUnique()) {
      const row = Math.floor(pair / 2 ** 24);
      const column = pair - row * 2 ** 24;
      if (noSelf && row === column) continue;
      targets.push(column);
      offsets[row + 1]!++;
    }
    for (let i = 0; i < rows; i++) offsets[i + 1]! += offsets[i]!;
    return { offsets, targets };
  }
}

/** An absolute path a program may be started by: a string of path characters only. */
const PROGRAM_PATH = /^\/[A-Za-z0-9_.+\-/]{1,254}$/;

/** What an instruction's operand refers to, kept from the sweep for the second pass. */
const REF_BRANCH = 1;
const REF_RIP = 2;
const REF_IMM = 3;

/** Build the call graph of an x86-64 ELF64 file's bytes. Throws ElfError when its code cannot be located. */
export function buildCodeGraph(path: string, data: Buffer): CodeGraph {
  const img = new Image(path, data);
  const eh = img.slice(0, 64, 'ELF header');
  const isExec = u16(eh, 16) === ET_EXEC;
  const entry = u64(eh, 24);
  const sections = readSections(img);
  const code = sections.filter((s) => s.flags & SHF_EXECINSTR && s.type === SHT.PROGBITS && s.size > 0);
  const plt = new Ranges(code.filter((s) => PLT_SECTIONS.has(s.name)));
  const textSections = code.filter((s) => !PLT_SECTIONS.has(s.name));
  const text = new Ranges(textSections);
  const dataSections = sections.filter((s) => s.flags & SHF_ALLOC && !(s.flags & SHF_EXECINSTR) && s.type === SHT.PROGBITS);
  const dataRanges = new Ranges(dataSections);
  const bytesOf = new Map<Section, Buffer>();
  const sectionBytes = (s: Section): Buffer => {
    let b = bytesOf.get(s);
    if (!b) bytesOf.set(s, (b = contents(img, s)));
    return b;
  };

  // Symbols: names, exports, function starts.
  const found = new Numbers();
  const nameAt = new Map<number, string>();
  const exportsAt = new Map<string, number>();
  const symtab = sections.find((s) => s.type === SHT.SYMTAB);
  const dynsym = sections.find((s) => s.type === SHT.DYNSYM);
  for (const table of [dynsym, symtab]) {
    if (!table) continue;
    const symbols = new Symbols(img, sections, table);
    for (let i = 0; i < symbols.count; i++) {
      const type = symbols.type(i);
      if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || !symbols.defined(i)) continue;
      const value = symbols.value(i);
      if (value === 0 || !text.has(value)) continue;
      found.push(value);
      const name = symbols.name(i);
      if (!name) continue;
      if (!nameAt.has(value)) nameAt.set(value, name);
      if (table === dynsym) exportsAt.set(name, value);
    }
  }
  const ehFrame = sections.find((s) => s.name === '.eh_frame');
  if (ehFrame) {
    const fdes = new Numbers();
    fdeStarts(img, ehFrame, fdes);
    for (const start of fdes.sortedUnique()) if (text.has(start)) found.push(start);
  }
  for (const s of textSections) found.push(s.addr);
  if (text.has(entry)) found.push(entry);

  // Relocations: GOT slots and data pointers.
  const slotSymbol = new Map<number, string>();
  const slotTarget = new Map<number, number>();
  const got = new Ranges(sections.filter((s) => s.name === '.got' || s.name === '.got.plt'));
  const loaded = new Ranges(sections.filter((x) => x.flags & SHF_ALLOC && x.type !== SHT.NOBITS));
  const wordAt = (addr: number): number | undefined => {
    const s = loaded.section(addr);
    return s && addr + 8 <= s.addr + s.size ? u64(img.slice(s.offset + (addr - s.addr), 8, 'pointer'), 0) : undefined;
  };
  const dataPointers = new Numbers();
  const dataSymbols = new Set<string>();
  const init = new Numbers();
  const arraySections = sections.filter((s) => s.type === SHT.INIT_ARRAY || s.type === SHT.FINI_ARRAY || s.type === SHT.PREINIT_ARRAY);
  const arrays = new Ranges(arraySections);
  const relative = (offset: number, target: number | undefined) => {
    if (target === undefined || !text.has(target)) return;
    if (got.has(offset)) slotTarget.set(offset, target);
    else if (arrays.has(offset)) init.push(target);
    else dataPointers.push(target);
  };
  const symbolTables = new Map<number, Symbols>();
  for (const s of sections) {
    if (s.type === SHT.RELA && s.flags & SHF_ALLOC) {
      let symbols = symbolTables.get(s.link);
      const linked = sections[s.link];
      if (!symbols && linked) symbolTables.set(s.link, (symbols = new Symbols(img, sections, linked)));
      const rela = contents(img, s);
      const size = s.entsize || 24;
      for (let at = 0; at + 24 <= rela.length; at += size) {
        const offset = u64(rela, at);
        const type = u32(rela, at + 8);
        if (type === R.GLOB_DAT || type === R.JUMP_SLOT || type === R.X86_64_64) {
          const sym = u32(rela, at + 12);
          const name = sym && symbols && sym < symbols.count ? symbols.name(sym) : '';
          if (!name) continue;
          slotSymbol.set(offset, name);
          if (type === R.X86_64_64 && !got.has(offset)) dataSymbols.add(name);
        } else if (type === R.RELATIVE) {
          relative(offset, i64(rela, at + 16));
        } else if (type === R.IRELATIVE) {
          const addend = i64(rela, at + 16);
          if (text.has(addend)) init.push(addend);
        }
      }
    } else if (s.type === SHT.RELR) {
      // Packed relative relocations: the addend is the word already at the address.
      const relr = contents(img, s);
      let base = 0;
      for (let at = 0; at + 8 <= relr.length; at += 8) {
        const lo = u32(relr, at);
        if ((lo & 1) === 0) {
          const offset = u64(relr, at);
          relative(offset, wordAt(offset));
          base = offset + 8;
        } else {
          const hi = u32(relr, at + 4);
          for (let bit = 1; bit < 64; bit++) {
            if ((bit < 32 ? (lo >>> bit) & 1 : (hi >>> (bit - 32)) & 1) === 0) continue;
            const offset = base + (bit - 1) * 8;
            relative(offset, wordAt(offset));
          }
          base += 63 * 8;
        }
      }
    }
  }
  for (const s of arraySections) {
    if (isExec) for (let at = 0; at + 8 <= s.size; at += 8) init.push(u64(contents(img, s), at));
  }
  const dynamic = sections.find((s) => s.name === '.dynamic');
  if (dynamic) {
    const d = contents(img, dynamic);
    for (let at = 0; at + 16 <= d.length; at += 16) if (u64(d, at) === DT_INIT) init.push(u64(d, at + 8));
  }

  // Pass 1: linear sweep of every code section, keeping the instructions that refer to something.
  // Most operands point at data no call graph cares about: keep code, GOT slots and what may be a path string.
  const stringSections = dataSections.filter((x) => !(x.flags & SHF_WRITE));
  const stringRanges = new Ranges(stringSections);
  const codeAndSlots = new Ranges([...textSections, ...got.sections]);
  const mayMatter = (addr: number): boolean => {
    if (codeAndSlots.has(addr) || slotSymbol.has(addr) || slotTarget.has(addr)) return true;
    const i = stringRanges.find(addr);
    return i >= 0 && sectionBytes(stringSections[i]!)[addr - stringSections[i]!.addr] === 0x2f;
  };
  const refFrom = new Numbers();
  const refTo = new Numbers();
  const refKind = new Numbers();
  const known = found.sortedUnique();
  const callTargets = new Numbers();
  for (const s of textSections) {
    sweep(sectionBytes(s), s.addr, known, (address, d) => {
      if (d.kind === Kind.Call || d.kind === Kind.Jump) {
        refFrom.push(address);
        refTo.push(d.target);
        refKind.push(REF_BRANCH);
        if (d.kind === Kind.Call) callTargets.push(d.target);
      }
      if (d.ripTarget >= 0 && mayMatter(d.ripTarget)) {
        refFrom.push(address);
        refTo.push(d.ripTarget);
        refKind.push(REF_RIP);
      }
      if (isExec && d.imm > 0 && mayMatter(d.imm)) {
        refFrom.push(address);
        refTo.push(d.imm);
        refKind.push(REF_IMM);
      }
    });
  }
  for (const target of callTargets.sortedUnique()) if (text.has(target)) found.push(target);

  // Function table.
  const starts = found.sortedUnique();
  const index = (addr: number) => floorIndex(starts, addr);
  const isStart = (addr: number) => {
    const i = floorIndex(starts, addr);
    return i >= 0 && starts[i] === addr;
  };
  const names: Record<number, string> = {};
  nameAt.forEach((name, addr) => {
    names[index(addr)] = name;
  });

  // PLT stubs: the symbol of the slot the stub jumps through.
  const stubSymbol = new Map<number, string | undefined>();
  const pltSymbol = (addr: number): string | undefined => {
    if (stubSymbol.has(addr)) return stubSymbol.get(addr);
    const s = plt.section(addr)!;
    const bytes = sectionBytes(s);
    let symbol: string | undefined;
    for (let at = addr - s.addr, n = 0; n < 4 && at < bytes.length; n++) {
      const d = decode(bytes, at, bytes.length, s.addr + at);
      if (d.ripTarget >= 0 && d.ripOpcode === 0xff) {
        symbol = slotSymbol.get(d.ripTarget);
        break;
      }
      if (d.kind === Kind.Jump || d.kind === Kind.Bad) break;
      at += d.length;
    }
    stubSymbol.set(addr, symbol);
    return symbol;
  };

  // Pass 2: references → edges of the function they are in.
  const edges = new Rows();
  const symbolIds = new Map<string, number>();
  const symbolEdges = new Rows();
  const strings: [number, string][] = [];
  const stringSeen = new Set<string>();
  const symbolId = (name: string) => {
    let id = symbolIds.get(name);
    if (id === undefined) symbolIds.set(name, (id = symbolIds.size));
    return id;
  };
  const pathString = (addr: number): string | undefined => {
    const s = dataRanges.section(addr);
    if (!s || s.flags & SHF_WRITE) return undefined;
    const bytes = sectionBytes(s);
    const at = addr - s.addr;
    if (bytes[at] !== 0x2f) return undefined;
    const end = bytes.indexOf(0, at);
    if (end < 0 || end - at > 255) return undefined;
    const path = bytes.toString('latin1', at, end);
    return PROGRAM_PATH.test(path) ? path : undefined;
  };
  let fn = 0;
  for (let r = 0; r < refFrom.length; r++) {
    const from = refFrom.at(r);
    while (fn + 1 < starts.length && starts[fn + 1]! <= from) fn++;
    if (from < starts[fn]!) fn = index(from);
    const to = refTo.at(r);
    const kind = refKind.at(r);
    if (kind === REF_BRANCH) {
      if (to >= starts[fn]! && (fn + 1 === starts.length || to < starts[fn + 1]!)) continue;
      if (plt.has(to)) {
        const symbol = pltSymbol(to);
        if (symbol) symbolEdges.add(fn, symbolId(symbol));
      } else if (text.has(to)) {
        edges.add(fn, index(to));
      }
      continue;
    }
    if (kind === REF_RIP) {
      const symbol = slotSymbol.get(to);
      if (symbol) {
        symbolEdges.add(fn, symbolId(symbol));
        continue;
      }
      const target = slotTarget.get(to) ?? to;
      if (isStart(target)) {
        edges.add(fn, index(target));
        continue;
      }
    } else if (isStart(to)) {
      edges.add(fn, index(to));
      continue;
    }
    const path = pathString(to);
    if (path && !stringSeen.has(`${fn}\0${path}`)) {
      stringSeen.add(`${fn}\0${path}`);
      strings.push([fn, path]);
    }
  }
  const e = edges.compressed(starts.length, true);
  const sy = symbolEdges.compressed(starts.length, false);

  // Function pointers in data. Non-PIE files store them as plain words, without relocations.
  if (isExec) {
    const lowest = starts[0] ?? 0;
    const highest = starts[starts.length - 1] ?? 0;
    for (const s of dataSections) {
      if (NOT_DATA.has(s.name)) continue;
      const bytes = sectionBytes(s);
      for (let at = (8 - (s.addr % 8)) % 8; at + 8 <= bytes.length; at += 8) {
        if (bytes[at + 4] !== 0 || bytes[at + 5] !== 0 || bytes[at + 6] !== 0 || bytes[at + 7] !== 0) continue;
        const lo = u32(bytes, at);
        if (lo >= lowest && lo <= highest && isStart(lo)) dataPointers.push(lo);
      }
    }
  }

  const entryFn = text.has(entry) ? index(entry) : undefined;
  // glibc's _start passes main to __libc_start_main: the one function it points at.
  if (entryFn !== undefined && names[entryFn] === undefined) names[entryFn] = '_start';
  const entryTargets = entryFn === undefined ? [] : e.targets.slice(e.offsets[entryFn], e.offsets[entryFn + 1]);
  if (entryTargets.length === 1 && names[entryTargets[0]!] === undefined) names[entryTargets[0]!] = 'main';

  /** The functions at these addresses (those in code), ascending, each once. */
  const functionsAt = (addrs: Numbers) => {
    const fns = new Numbers();
    for (const addr of addrs.sortedUnique()) if (text.has(addr)) fns.push(index(addr));
    return Array.from(fns.sortedUnique());
  };
  return {
    format: GRAPH_FORMAT,
    starts: Array.from(starts),
    names,
    edgeOffsets: e.offsets,
    edgeTargets: e.targets,
    symbolOffsets: sy.offsets,
    symbolTargets: sy.targets,
    symbols: [...symbolIds.keys()],
    exports: Object.fromEntries([...exportsAt].map(([name, addr]) => [name, index(addr)])),
    strings,
    roots: {
      ...(entryFn !== undefined ? { entry: entryFn } : {}),
      init: functionsAt(init),
      data: functionsAt(dataPointers),
      dataSymbols: [...dataSymbols].sort(),
    },
  };
}

// ---- cache --------------------------------------------------------------------------------

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'sbx', 'callgraph');
}

const memo = new Map<string, CodeGraph>();

/**
 * The call graph of the file at `path`, from the cache when a file with the same contents
 * was analysed before (`$XDG_CACHE_HOME/sbx/callgraph/<sha256>.json`, else ~/.cache). A
 * cache that cannot be written is skipped. Throws ElfError when the code cannot be read.
 * Graph files are keyed by content, so a copy of a library, or the same library on another
 * path, reuses one analysis.
 */
export function codeGraph(path: string): CodeGraph {
  // A file unchanged since it was hashed (same device, inode, size and change time) keeps its
  // hash, remembered in a small link file: a second propose neither reads nor hashes it.
  const link = statLink(path);
  const linked = link === undefined ? undefined : readCache(join(cacheDir(), `${link}.link`));
  if (typeof linked === 'string') {
    const graph = memo.get(linked) ?? readCache(join(cacheDir(), `${linked}.json`));
    if (graph && typeof graph === 'object') return remember(linked, graph);
  }
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new ElfError(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const hash = createHash('sha256').update(data).digest('hex');
  const cached = memo.get(hash) ?? readCache(join(cacheDir(), `${hash}.json`));
  const graph = cached && typeof cached === 'object' ? cached : checkedBuild(path, data);
  if (graph !== cached) writeCache(`${hash}.json`, JSON.stringify(graph));
  if (link !== undefined) writeCache(`${link}.link`, JSON.stringify(hash));
  return remember(hash, graph);
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

/** A graph of this format or a link's hash, or undefined when absent, unreadable or stale. */
function readCache(file: string): CodeGraph | string | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as CodeGraph | string;
    return typeof value === 'string' || value.format === GRAPH_FORMAT ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole (temp file + rename); a read-only or full cache directory only costs time. */
function writeCache(name: string, text: string): void {
  try {
    mkdirSync(cacheDir(), { recursive: true });
    const file = join(cacheDir(), name);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch {
    /* see above */
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
