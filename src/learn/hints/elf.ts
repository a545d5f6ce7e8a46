/**
 * A small ELF reader for static hints: what an executable or shared library imports from
 * whom. It reads only what the dynamic loader reads — program headers and the PT_DYNAMIC
 * segment, with virtual addresses mapped to file offsets through PT_LOAD — so stripped
 * binaries without section headers work. Every read is bounds-checked: a truncated or
 * corrupt file is a one-line ElfError naming the file, never a RangeError.
 *
 * ELF64 and ELF32, little-endian only (x86_64, aarch64, i386 and friends); big-endian files
 * are refused with a clear message. Also: `#!` scripts, read with the kernel's rules.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from '../../io.js';
import { executableState, pathCandidates } from '../../exec-path.js';

/** A dynamic symbol this object expects another object to define. */
export interface ElfImport {
  readonly name: string;
  /** The required version (vernaux name), e.g. "GLIBC_2.2.5"; absent for unversioned symbols. */
  readonly version?: string;
  /** The file the version is required from (verneed vn_file), e.g. "libc.so.6". */
  readonly library?: string;
  /** STB_WEAK: the program runs without it. */
  readonly weak: boolean;
}

/** What the dynamic loader would see in one ELF file. */
export interface ElfFile {
  readonly path: string;
  /** e_machine decoded ('x86_64', 'i386', 'aarch64', …; 'machine-N' when unknown). */
  readonly machine: 'x86_64' | 'i386' | 'aarch64' | (string & {});
  /** ELF class: 32 or 64 bits (the loader only accepts libraries of its own class and machine). */
  readonly bits: 32 | 64;
  /** e_type decoded: 'exec', 'dyn', 'rel', 'core' ('type-N' when unknown). */
  readonly type: 'exec' | 'dyn' | (string & {});
  /** PT_INTERP: the program interpreter (dynamic loader) path. */
  readonly interpreter?: string;
  /** DT_SONAME. */
  readonly soname?: string;
  /** DT_NEEDED, in order. */
  readonly needed: readonly string[];
  /** DT_RUNPATH split on ':', else DT_RPATH (see `usesRunpath`); $ORIGIN etc. left unexpanded. */
  readonly runpath: readonly string[];
  /** True when `runpath` came from DT_RUNPATH (ld.so then ignores DT_RPATH, here and in loaders). */
  readonly usesRunpath: boolean;
  /** Undefined (SHN_UNDEF) named dynamic symbols of type FUNC, NOTYPE or OBJECT, in symbol order. */
  readonly imports: readonly ElfImport[];
  /** Defined, non-local dynamic symbols. */
  readonly exports: number;
  /** Their names, in symbol order (what another object's import binds to). */
  readonly exported: readonly string[];
  /** No PT_DYNAMIC: nothing is imported, callers treat the program's libc use as unknown. */
  readonly isStatic: boolean;
}

/** A file that cannot be read as ELF; the message names the file and the problem. */
export class ElfError extends UserError {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

// ---- Constants (elf.h) -------------------------------------------------------------------

const ELF_MAGIC = 0x464c457f; // "\x7fELF" read little-endian
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;
const PN_XNUM = 0xffff;

const PT = { LOAD: 1, DYNAMIC: 2, INTERP: 3 } as const;
const DT = {
  NULL: 0,
  NEEDED: 1,
  PLTRELSZ: 2,
  HASH: 4,
  STRTAB: 5,
  SYMTAB: 6,
  RELA: 7,
  RELASZ: 8,
  RELAENT: 9,
  STRSZ: 10,
  SYMENT: 11,
  SONAME: 14,
  RPATH: 15,
  REL: 17,
  RELSZ: 18,
  RELENT: 19,
  PLTREL: 20,
  JMPREL: 23,
  RUNPATH: 29,
  GNU_HASH: 0x6ffffef5,
  VERSYM: 0x6ffffff0,
  RELACOUNT: 0x6ffffff9,
  RELCOUNT: 0x6ffffffa,
  VERNEED: 0x6ffffffe,
  VERNEEDNUM: 0x6fffffff,
} as const;
const SHT_DYNSYM = 11;
const SHN_UNDEF = 0;
const STB_LOCAL = 0;
const STB_WEAK = 2;
/** Symbol types that name something callable or addressable (not TLS, sections, files). */
const IMPORT_TYPES: ReadonlySet<number> = new Set([0 /* NOTYPE */, 1 /* OBJECT */, 2 /* FUNC */]);
const VERSYM_HIDDEN = 0x8000;

const MACHINES: Readonly<Record<number, string>> = {
  2: 'sparc',
  3: 'i386',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390',
  40: 'arm',
  43: 'sparcv9',
  62: 'x86_64',
  183: 'aarch64',
  243: 'riscv',
  258: 'loongarch',
};
const TYPES: Readonly<Record<number, string>> = { 0: 'none', 1: 'rel', 2: 'exec', 3: 'dyn', 4: 'core' };

/** Field offsets and sizes that differ between the classes; everything else is shared. */
interface ClassLayout {
  readonly bits: 32 | 64;
  readonly word: 4 | 8;
  readonly ehdr: { size: number; phoff: number; shoff: number; phentsize: number; phnum: number; shentsize: number; shnum: number };
  readonly phdr: { size: number; offset: number; vaddr: number; filesz: number };
  readonly shdr: { size: number; type: number; offset: number; size_: number; info: number; entsize: number };
  readonly sym: { size: number; info: number; shndx: number };
}

const LAYOUTS: Readonly<Record<number, ClassLayout>> = {
  [ELFCLASS32]: {
    bits: 32,
    word: 4,
    ehdr: { size: 52, phoff: 28, shoff: 32, phentsize: 42, phnum: 44, shentsize: 46, shnum: 48 },
    phdr: { size: 32, offset: 4, vaddr: 8, filesz: 16 },
    shdr: { size: 40, type: 4, offset: 16, size_: 20, info: 28, entsize: 36 },
    sym: { size: 16, info: 12, shndx: 14 },
  },
  [ELFCLASS64]: {
    bits: 64,
    word: 8,
    ehdr: { size: 64, phoff: 32, shoff: 40, phentsize: 54, phnum: 56, shentsize: 58, shnum: 60 },
    phdr: { size: 56, offset: 8, vaddr: 16, filesz: 32 },
    shdr: { size: 64, type: 4, offset: 24, size_: 32, info: 44, entsize: 56 },
    sym: { size: 24, info: 4, shndx: 6 },
  },
};

const VERNEED_SIZE = 16; // vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32 (both classes)
const VERNAUX_SIZE = 16; // vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32

// ---- Checked file access -------------------------------------------------------------------

/** An open file whose every read is checked against its size. */
class FileView {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly size: number,
    /** What changes when the file does. */
    readonly identity: string,
  ) {}

  static open(path: string): FileView {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new ElfError(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      closeSync(fd);
      throw new ElfError(path, stat.isDirectory() ? 'is a directory' : 'not a regular file');
    }
    return new FileView(path, fd, stat.size, `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`);
  }

  fail(problem: string): never {
    throw new ElfError(this.path, problem);
  }

  /** `length` bytes at `offset`, or an ElfError saying what lies past the end. */
  read(offset: number, length: number, what: string): Buffer {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      this.fail(
        `${what} (offset 0x${hex(offset)}, ${length} bytes) lies past the end of the file (${this.size} bytes): truncated or corrupt`,
      );
    }
    // Every byte is read below, or the read fails: no need to zero it first.
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) this.fail(`${what}: unexpected end of file at offset 0x${hex(offset + done)}`);
      done += n;
    }
    return buf;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function hex(n: number): string {
  return Number.isFinite(n) ? n.toString(16) : String(n);
}

/** A 4- or 8-byte little-endian word; 64-bit values above 2^53 lose precision but then fail every bounds check. */
function word(buf: Buffer, offset: number, size: 4 | 8): number {
  return size === 4 ? buf.readUInt32LE(offset) : Number(buf.readBigUInt64LE(offset));
}

/** The NUL-terminated string at `offset` in a string table. */
function cString(file: FileView, table: Buffer, offset: number, what: string): string {
  const end = offset < table.length ? table.indexOf(0, offset) : -1;
  if (end < 0) file.fail(`${what}: string offset 0x${hex(offset)} outside the string table (${table.length} bytes)`);
  return table.toString('utf8', offset, end);
}

interface Segment {
  readonly vaddr: number;
  readonly offset: number;
  readonly filesz: number;
}

/** Maps virtual addresses to file bytes through the PT_LOAD segments, as the loader lays them out. */
class AddressSpace {
  constructor(
    private readonly file: FileView,
    private readonly loads: readonly Segment[],
  ) {}

  /** `length` bytes at virtual address `vaddr`; the whole range must lie in one segment's file image. */
  read(vaddr: number, length: number, what: string): Buffer {
    const seg = this.loads.find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
    if (!seg) this.file.fail(`${what} at address 0x${hex(vaddr)} is out of range (not in any PT_LOAD segment)`);
    if (vaddr + length > seg.vaddr + seg.filesz) {
      this.file.fail(`${what} at address 0x${hex(vaddr)} (${length} bytes) is out of range (runs past its PT_LOAD segment)`);
    }
    return this.file.read(seg.offset + (vaddr - seg.vaddr), length, what);
  }
}

// ---- readElf -------------------------------------------------------------------------------

/**
 * Read an ELF file's loader-relevant facts: machine, type, interpreter, soname, DT_NEEDED,
 * run paths and dynamic symbol imports with their versions. Throws ElfError (a UserError)
 * for anything that is not a readable little-endian ELF file.
 */
export function readElf(path: string): ElfFile {
  const file = FileView.open(path);
  try {
    // Every program of a profile loads libc and friends: each file is parsed once per process.
    const key = `${path}\0${file.identity}`;
    const known = parsed.get(key);
    if (known) return known;
    const elf = parseElf(file);
    parsed.set(key, elf);
    return elf;
  } finally {
    file.close();
  }
}

/** Files already parsed, by path and (device, inode, size, modification and change times). */
const parsed = new Map<string, ElfFile>();

function parseElf(file: FileView): ElfFile {
  const ident = file.read(0, Math.min(file.size, 16), 'ELF identification');
  if (ident.length < 4 || ident.readUInt32LE(0) !== ELF_MAGIC) file.fail('not an ELF file');
  if (ident.length < 16) file.fail('truncated ELF header');
  const layout = LAYOUTS[ident[4]!];
  if (!layout) file.fail(`unsupported ELF class ${ident[4]}`);
  if (ident[5] === ELFDATA2MSB) file.fail('big-endian ELF is not supported');
  if (ident[5] !== ELFDATA2LSB) file.fail(`unsupported ELF data encoding ${ident[5]}`);
  if (file.size < layout.ehdr.size) file.fail('truncated ELF header');
  const eh = file.read(0, layout.ehdr.size, 'ELF header');
  const { word: w } = layout;

  const eType = eh.readUInt16LE(16);
  const eMachine = eh.readUInt16LE(18);
  const machine = MACHINES[eMachine] ?? `machine-${eMachine}`;
  const type = TYPES[eType] ?? `type-${eType}`;
  const sections = readSectionHeaders(file, layout, eh);

  // Program headers. With more than 0xfffe of them, the real count is in section 0's sh_info.
  const phentsize = eh.readUInt16LE(layout.ehdr.phentsize);
  let phnum = eh.readUInt16LE(layout.ehdr.phnum);
  if (phnum === PN_XNUM) phnum = sections?.[0]?.info ?? file.fail('e_phnum is PN_XNUM but there is no section header 0');
  if (phnum > 0 && phentsize < layout.phdr.size)
    file.fail(`e_phentsize ${phentsize} is smaller than a program header (${layout.phdr.size})`);
  const phoff = word(eh, layout.ehdr.phoff, w);
  const phdrs = file.read(phoff, phnum * phentsize, 'program headers');
  const loads: Segment[] = [];
  let interpreter: string | undefined;
  let dynamic: Segment | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    const seg: Segment = {
      offset: word(phdrs, at + layout.phdr.offset, w),
      vaddr: word(phdrs, at + layout.phdr.vaddr, w),
      filesz: word(phdrs, at + layout.phdr.filesz, w),
    };
    switch (phdrs.readUInt32LE(at)) {
      case PT.LOAD:
        loads.push(seg);
        break;
      case PT.DYNAMIC:
        dynamic = seg;
        break;
      case PT.INTERP:
        interpreter = file.read(seg.offset, seg.filesz, 'PT_INTERP').toString('utf8').replace(/\0.*$/s, '');
        break;
    }
  }

  const base = { path: file.path, machine, bits: layout.bits, type, interpreter };
  if (!dynamic) {
    return { ...base, needed: [], runpath: [], usesRunpath: false, imports: [], exports: 0, exported: [], isStatic: true };
  }
  return { ...base, ...readDynamic(file, layout, new AddressSpace(file, loads), dynamic, sections), isStatic: false };
}

interface SectionHeader {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
  readonly info: number;
  readonly entsize: number;
}

/** Section headers if the file has sane ones; only a fallback source, so broken ones are ignored. */
function readSectionHeaders(file: FileView, layout: ClassLayout, eh: Buffer): SectionHeader[] | undefined {
  const shoff = word(eh, layout.ehdr.shoff, layout.word);
  const shentsize = eh.readUInt16LE(layout.ehdr.shentsize);
  let shnum = eh.readUInt16LE(layout.ehdr.shnum);
  if (shoff === 0 || shentsize < layout.shdr.size || shoff + shentsize > file.size) return undefined;
  const s = layout.shdr;
  const parse = (buf: Buffer, at: number): SectionHeader => ({
    type: buf.readUInt32LE(at + s.type),
    offset: word(buf, at + s.offset, layout.word),
    size: word(buf, at + s.size_, layout.word),
    info: buf.readUInt32LE(at + s.info),
    entsize: word(buf, at + s.entsize, layout.word),
  });
  // With 0x10000 sections or more e_shnum is 0 and section 0's sh_size holds the count.
  if (shnum === 0) shnum = parse(file.read(shoff, shentsize, 'section header 0'), 0).size;
  if (shoff + shnum * shentsize > file.size) return undefined;
  const table = file.read(shoff, shnum * shentsize, 'section headers');
  return Array.from({ length: shnum }, (_, i) => parse(table, i * shentsize));
}

type DynamicPart = Pick<ElfFile, 'soname' | 'needed' | 'runpath' | 'usesRunpath' | 'imports' | 'exports' | 'exported'>;

function readDynamic(
  file: FileView,
  layout: ClassLayout,
  memory: AddressSpace,
  dynamic: Segment,
  sections: readonly SectionHeader[] | undefined,
): DynamicPart {
  const w = layout.word;
  const entry = 2 * w;
  const dyn = file.read(dynamic.offset, dynamic.filesz - (dynamic.filesz % entry), 'PT_DYNAMIC');
  const tags = new Map<number, number>();
  const needed: number[] = [];
  for (let at = 0; at + entry <= dyn.length; at += entry) {
    const tag = word(dyn, at, w);
    const value = word(dyn, at + w, w);
    if (tag === DT.NULL) break;
    if (tag === DT.NEEDED) needed.push(value);
    else if (!tags.has(tag)) tags.set(tag, value);
  }
  const strtabAddr = tags.get(DT.STRTAB);
  const strsz = tags.get(DT.STRSZ);
  if (strtabAddr === undefined || strsz === undefined) {
    if (needed.length > 0 || tags.has(DT.SYMTAB)) file.fail('PT_DYNAMIC has no DT_STRTAB/DT_STRSZ');
    return { needed: [], runpath: [], usesRunpath: false, imports: [], exports: 0, exported: [] };
  }
  const strtab = memory.read(strtabAddr, strsz, 'DT_STRTAB');
  const str = (offset: number, what: string): string => cString(file, strtab, offset, what);

  const sonameAt = tags.get(DT.SONAME);
  const runpathAt = tags.get(DT.RUNPATH);
  const rpathAt = tags.get(DT.RPATH);
  const pathList = runpathAt ?? rpathAt;
  const part = {
    soname: sonameAt === undefined ? undefined : str(sonameAt, 'DT_SONAME'),
    needed: needed.map((at) => str(at, 'DT_NEEDED')),
    runpath: pathList === undefined ? [] : str(pathList, runpathAt !== undefined ? 'DT_RUNPATH' : 'DT_RPATH').split(':'),
    usesRunpath: runpathAt !== undefined,
  };

  const symtabAddr = tags.get(DT.SYMTAB);
  if (symtabAddr === undefined) return { ...part, imports: [], exports: 0, exported: [] };
  const syment = tags.get(DT.SYMENT) ?? layout.sym.size;
  if (syment < layout.sym.size) file.fail(`DT_SYMENT ${syment} is smaller than a symbol (${layout.sym.size})`);
  const count = countSymbols(file, layout, memory, tags, sections, syment);
  const symbols = memory.read(symtabAddr, count * syment, 'DT_SYMTAB');
  const versymAddr = tags.get(DT.VERSYM);
  const versym = versymAddr === undefined ? undefined : memory.read(versymAddr, count * 2, 'DT_VERSYM');
  const versions = readVerneed(file, memory, tags, str);

  const imports: ElfImport[] = [];
  const exported: string[] = [];
  for (let i = 1; i < count; i++) {
    const at = i * syment;
    const info = symbols[at + layout.sym.info]!;
    const bind = info >> 4;
    if (symbols.readUInt16LE(at + layout.sym.shndx) !== SHN_UNDEF) {
      if (bind !== STB_LOCAL) exported.push(str(symbols.readUInt32LE(at), `dynamic symbol ${i}`));
      continue;
    }
    if (!IMPORT_TYPES.has(info & 0xf)) continue;
    const name = str(symbols.readUInt32LE(at), `dynamic symbol ${i}`);
    if (name === '') continue;
    const version = versym ? versions.get(versym.readUInt16LE(i * 2) & ~VERSYM_HIDDEN) : undefined;
    imports.push({ name, ...version, weak: bind === STB_WEAK });
  }
  return { ...part, imports, exports: exported.length, exported };
}

/**
 * The number of dynamic symbols, which no dynamic tag states. DT_HASH has it as nchain.
 * DT_GNU_HASH only covers hashed (defined) symbols: one past the last symbol of the highest
 * non-empty bucket's chain (its last entry has bit 0 set), or symoffset when every bucket is
 * empty. Linkers put undefined symbols below symoffset, except that an empty table is
 * always written as symoffset 1 (binutils), whatever it follows: so the count is at least
 * one past the highest symbol any relocation uses — and the loader binds nothing else.
 * Without a hash table, fall back to the .dynsym section size.
 */
function countSymbols(
  file: FileView,
  layout: ClassLayout,
  memory: AddressSpace,
  tags: ReadonlyMap<number, number>,
  sections: readonly SectionHeader[] | undefined,
  syment: number,
): number {
  const gnuHash = tags.get(DT.GNU_HASH);
  if (gnuHash !== undefined) {
    const header = memory.read(gnuHash, 16, 'DT_GNU_HASH header');
    const nbuckets = header.readUInt32LE(0);
    const symoffset = header.readUInt32LE(4);
    const bloomWords = header.readUInt32LE(8);
    const bucketsAddr = gnuHash + 16 + bloomWords * layout.word;
    const buckets = memory.read(bucketsAddr, nbuckets * 4, 'DT_GNU_HASH buckets');
    let last = 0;
    for (let b = 0; b < nbuckets; b++) last = Math.max(last, buckets.readUInt32LE(b * 4));
    if (last === 0) return Math.max(symoffset, relocatedSymbols(file, layout, memory, tags));
    if (last < symoffset) file.fail(`DT_GNU_HASH bucket points at symbol ${last}, below symoffset ${symoffset}`);
    const chainAddr = bucketsAddr + nbuckets * 4;
    // Walk the last chain to its end marker; each step is one checked 4-byte read.
    for (let i = last; ; i++) {
      if ((memory.read(chainAddr + (i - symoffset) * 4, 4, 'DT_GNU_HASH chain').readUInt32LE(0) & 1) !== 0) {
        return Math.max(i + 1, relocatedSymbols(file, layout, memory, tags));
      }
    }
  }
  const hash = tags.get(DT.HASH);
  if (hash !== undefined) return memory.read(hash, 8, 'DT_HASH header').readUInt32LE(4);
  const dynsym = sections?.find((s) => s.type === SHT_DYNSYM);
  if (dynsym) return Math.floor(dynsym.size / (dynsym.entsize || syment));
  return file.fail('cannot tell the number of dynamic symbols (no DT_GNU_HASH, DT_HASH or .dynsym section)');
}

/** One past the highest symbol index used by DT_RELA, DT_REL and DT_JMPREL relocations. */
function relocatedSymbols(file: FileView, layout: ClassLayout, memory: AddressSpace, tags: ReadonlyMap<number, number>): number {
  const w = layout.word;
  const rela = 3 * w;
  const rel = 2 * w;
  // The first DT_RELACOUNT (DT_RELCOUNT) entries are relative relocations: ld.so applies them
  // without looking at their symbol, and they are most of a PIE's (QEMU: 120 000): not read.
  const tables: [addr: number | undefined, size: number | undefined, entsize: number, relative: number, what: string][] = [
    [tags.get(DT.RELA), tags.get(DT.RELASZ), tags.get(DT.RELAENT) ?? rela, tags.get(DT.RELACOUNT) ?? 0, 'DT_RELA'],
    [tags.get(DT.REL), tags.get(DT.RELSZ), tags.get(DT.RELENT) ?? rel, tags.get(DT.RELCOUNT) ?? 0, 'DT_REL'],
    [tags.get(DT.JMPREL), tags.get(DT.PLTRELSZ), tags.get(DT.PLTREL) === DT.REL ? rel : rela, 0, 'DT_JMPREL'],
  ];
  let count = 0;
  for (const [addr, size, entsize, relative, what] of tables) {
    if (addr === undefined || size === undefined || size === 0) continue;
    if (entsize < rel) file.fail(`${what} entry size ${entsize} is too small`);
    const entries = Math.floor(size / entsize);
    const skip = Math.min(relative, entries);
    if (skip === entries) continue;
    const table = memory.read(addr + skip * entsize, (entries - skip) * entsize, what);
    // r_info: ELF64 has the symbol in its high 32 bits, ELF32 in all but the low 8.
    const field = w === 8 ? w + 4 : w;
    const shift = w === 8 ? 0 : 8;
    for (let at = field; at - field + entsize <= table.length; at += entsize) {
      const sym = (table[at]! | (table[at + 1]! << 8) | (table[at + 2]! << 16) | (table[at + 3]! << 24)) >>> shift;
      if (sym >= count) count = sym + 1;
    }
  }
  return count;
}

/** Version index (vna_other) → the version name and the file it is required from. */
function readVerneed(
  file: FileView,
  memory: AddressSpace,
  tags: ReadonlyMap<number, number>,
  str: (offset: number, what: string) => string,
): Map<number, { version: string; library: string }> {
  const versions = new Map<number, { version: string; library: string }>();
  const start = tags.get(DT.VERNEED);
  const count = tags.get(DT.VERNEEDNUM) ?? 0;
  if (start === undefined) return versions;
  // vn_next/vna_next are relative offsets; the counts bound the walk, so a cycle cannot hang us.
  let needAddr = start;
  for (let n = 0; n < count; n++) {
    const need = memory.read(needAddr, VERNEED_SIZE, 'DT_VERNEED entry');
    const library = str(need.readUInt32LE(4), 'vn_file');
    let auxAddr = needAddr + need.readUInt32LE(8);
    for (let a = 0, cnt = need.readUInt16LE(2); a < cnt; a++) {
      const aux = memory.read(auxAddr, VERNAUX_SIZE, 'DT_VERNEED vernaux entry');
      versions.set(aux.readUInt16LE(6) & ~VERSYM_HIDDEN, { version: str(aux.readUInt32LE(8), 'vna_name'), library });
      const next = aux.readUInt32LE(12);
      if (next === 0) break;
      auxAddr += next;
    }
    const next = need.readUInt32LE(12);
    if (next === 0) break;
    needAddr += next;
  }
  if (versions.size === 0 && count > 0) file.fail('DT_VERNEED has no entries');
  return versions;
}

// ---- #! scripts ----------------------------------------------------------------------------

/** A `#!` line: the interpreter and its one optional argument (everything after it, as one string). */
export interface Shebang {
  readonly interpreter: string;
  readonly arg?: string;
}

/** The kernel reads this much of a file for `#!` (BINPRM_BUF_SIZE), of which the last byte is lost. */
const BINPRM_BUF_SIZE = 256;

/**
 * The `#!` line of a script with Linux's rules (fs/binfmt_script.c): only the first 255
 * bytes count; spaces/tabs around the interpreter are skipped; the rest of the line, trimmed,
 * is one argument. Undefined when the file does not start with `#!` or the kernel would
 * refuse it (no interpreter, or an interpreter name cut off by the 255-byte limit).
 * Throws ElfError when the file cannot be read.
 */
export function readShebang(path: string): Shebang | undefined {
  const file = FileView.open(path);
  let head: Buffer;
  try {
    head = file.read(0, Math.min(file.size, BINPRM_BUF_SIZE), 'first line');
  } finally {
    file.close();
  }
  return parseShebang(head);
}

/** The parsing half of readShebang, over the file's first bytes. */
export function parseShebang(head: Buffer): Shebang | undefined {
  if (head.length < 2 || head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const spaceTab = (c: number | undefined): boolean => c === 0x20 || c === 0x09;
  const terminator = (c: number | undefined): boolean => spaceTab(c) || c === 0;
  const bufEnd = BINPRM_BUF_SIZE - 1;
  let end = head.subarray(0, bufEnd).indexOf(0x0a);
  if (end < 0) {
    end = Math.min(head.length, bufEnd);
    if (head.length >= bufEnd) {
      // No newline in the buffer: accept only if the interpreter name visibly ends in it.
      let i = 2;
      while (i < end && spaceTab(head[i])) i++;
      if (i === end) return undefined;
      while (i < end && !terminator(head[i])) i++;
      if (i === end) return undefined;
    }
  }
  while (end > 2 && spaceTab(head[end - 1])) end--;
  let name = 2;
  while (name < end && spaceTab(head[name])) name++;
  if (name === end) return undefined;
  let sep = name;
  while (sep < end && !terminator(head[sep])) sep++;
  const interpreter = head.toString('utf8', name, sep);
  if (interpreter === '') return undefined;
  if (sep === end || head[sep] === 0) return { interpreter };
  let arg = sep;
  while (arg < end && spaceTab(head[arg])) arg++;
  // The kernel's copy is a C string: a NUL inside the argument ends it.
  const nul = head.subarray(arg, end).indexOf(0);
  const text = head.toString('utf8', arg, nul < 0 ? end : arg + nul);
  return text === '' ? { interpreter } : { interpreter, arg: text };
}

/**
 * The program a `#!/usr/bin/env NAME` script really runs: NAME looked up on `pathEnv` like
 * execvp does (empty entries mean the current directory), skipping env's options and
 * VAR=value words (`-S python3 -u` runs python3). For any other interpreter, the interpreter
 * itself. Undefined when env is given no command or NAME is not found. `isExecutable` is the
 * only file-system access, so tests can pass their own.
 */
export function resolveShebangProgram(
  shebang: Shebang,
  pathEnv: string,
  isExecutable: (path: string) => boolean = (path) => executableState(path) === 'ok',
): string | undefined {
  if (!/(^|\/)env$/.test(shebang.interpreter)) return shebang.interpreter;
  const words = (shebang.arg ?? '').split(/[ \t]+/).filter((s) => s !== '');
  const command = words.find((s) => !s.startsWith('-') && !/^[^=/]+=/.test(s));
  if (command === undefined) return undefined;
  if (command.includes('/')) return command;
  return pathCandidates(command, pathEnv).find(isExecutable);
}
