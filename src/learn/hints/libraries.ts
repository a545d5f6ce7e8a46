/**
 * Which shared libraries a program loads, found the way glibc's ld.so finds them, without
 * running anything: breadth-first over DT_NEEDED (the loader's own order, which is also the
 * order `ldd` prints), each object once, searching
 *
 *   1. DT_RPATH of the needing object and of the objects that loaded it, up to the program
 *      (only objects without DT_RUNPATH; none at all if the needing object has DT_RUNPATH);
 *   2. `searchPath` (what LD_LIBRARY_PATH would be; empty by default);
 *   3. DT_RUNPATH of the needing object only;
 *   4. /etc/ld.so.cache (parsed here; missing or unreadable means skip this step), baseline
 *      entries only: ld.so prefers a glibc-hwcaps variant (x86-64-v3, …) only when the CPU
 *      supports it, and such a variant exports the same interface;
 *   5. the default directories for the program's machine.
 *
 * In run paths $ORIGIN is the needing object's directory (for the program: the directory of
 * its real path, as ld.so takes it from /proc/self/exe — `ldd` differs here for a symlinked
 * program, because it runs ld.so on the link's path), $PLATFORM the machine's platform string and $LIB
 * the library directory name: `lib/<multiarch triplet>` when /lib/<triplet> exists (Debian,
 * Ubuntu), else `lib64` or `lib`, as Fedora-style glibc builds use.
 *
 * Candidates of another machine or ELF class are skipped, as ld.so does. The program's
 * interpreter (PT_INTERP) is already loaded when libraries are, so a DT_NEEDED that names
 * the loader's soname (libc needs ld-linux-x86-64.so.2) is the interpreter path, once.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ElfError, readElf, type ElfFile } from './elf.js';

/** A shared library found for the program. */
export interface ResolvedLibrary {
  /** The DT_NEEDED string that first asked for it. */
  readonly name: string;
  readonly path: string;
  readonly elf: ElfFile;
  /** Path of the object whose DT_NEEDED first named it. */
  readonly neededBy: string;
}

/** A DT_NEEDED entry no search step could satisfy. */
export interface MissingLibrary {
  readonly name: string;
  readonly neededBy: string;
}

export interface ResolveOptions {
  /** Directories searched after DT_RPATH and before DT_RUNPATH, like LD_LIBRARY_PATH. */
  readonly searchPath?: readonly string[];
  /** The loader cache to read (default /etc/ld.so.cache). */
  readonly cacheFile?: string;
}

export interface ResolvedLibraries {
  /** In load order (breadth-first), as `ldd` lists them. */
  readonly libraries: readonly ResolvedLibrary[];
  readonly missing: readonly MissingLibrary[];
}

/** Where one ABI keeps its libraries (glibc's sysdeps dl-cache.h and the distributions' slibdir). */
interface AbiDirs {
  /** ld.so.cache entry flags this ABI accepts (_DL_CACHE_DEFAULT_ID): FLAG_ELF_LIBC6 | arch bits. */
  readonly cacheFlags: number;
  readonly multiarch: string;
  readonly platform: string;
  readonly defaultDirs: readonly string[];
}

const FLAG_ELF_LIBC6 = 0x0003;
const FLAG_TYPE_MASK = 0x00ff;
const FLAG_X8664_LIB64 = 0x0300;
const FLAG_AARCH64_LIB64 = 0x0a00;

const multiarchDirs = (triplet: string, lib: string): string[] => [
  `/lib/${triplet}`,
  `/usr/lib/${triplet}`,
  `/${lib}`,
  `/usr/${lib}`,
  '/lib',
  '/usr/lib',
];

/** Keyed by `${machine}/${bits}`. Other ABIs: any libc6 cache entry, /lib and /usr/lib. */
const ABIS: Readonly<Record<string, AbiDirs>> = {
  'x86_64/64': {
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_X8664_LIB64,
    multiarch: 'x86_64-linux-gnu',
    platform: 'x86_64',
    defaultDirs: multiarchDirs('x86_64-linux-gnu', 'lib64'),
  },
  'i386/32': {
    cacheFlags: FLAG_ELF_LIBC6,
    multiarch: 'i386-linux-gnu',
    platform: 'i686',
    defaultDirs: multiarchDirs('i386-linux-gnu', 'lib32'),
  },
  'aarch64/64': {
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64,
    multiarch: 'aarch64-linux-gnu',
    platform: 'aarch64',
    defaultDirs: multiarchDirs('aarch64-linux-gnu', 'lib64'),
  },
};

/**
 * Resolve `exe`'s shared libraries transitively, in ld.so's search order (see the file
 * comment). Libraries that cannot be found are listed in `missing`, not thrown.
 */
export function resolveLibraries(exe: ElfFile, options: ResolveOptions = {}): ResolvedLibraries {
  const abi = ABIS[`${exe.machine}/${exe.bits}`];
  const cache = readLdCache(options.cacheFile ?? '/etc/ld.so.cache')?.filter((e) =>
    abi ? e.flags === abi.cacheFlags : (e.flags & FLAG_TYPE_MASK) === FLAG_ELF_LIBC6,
  );
  const dst = {
    LIB: abi && existsDir(`/lib/${abi.multiarch}`) ? `lib/${abi.multiarch}` : exe.bits === 64 ? 'lib64' : 'lib',
    PLATFORM: abi?.platform ?? exe.machine,
  };
  const defaultDirs = abi?.defaultDirs ?? ['/lib', '/usr/lib'];

  interface Loaded {
    readonly path: string;
    readonly elf: ElfFile;
    readonly origin: string;
    /** Whoever loaded it, and their loaders, up to the program. */
    readonly loaders: readonly Loaded[];
  }
  const libraries: ResolvedLibrary[] = [];
  const missing: MissingLibrary[] = [];
  const byName = new Map<string, Loaded>(); // DT_NEEDED strings and sonames already satisfied
  const byFile = new Map<string, Loaded>(); // real paths: two names for one file are one object
  const program: Loaded = { path: exe.path, elf: exe, origin: dirname(realPath(exe.path)), loaders: [] };
  // The program is an object too: a library needing it by soname (or by another link) gets it.
  if (exe.soname !== undefined) byName.set(exe.soname, program);
  byFile.set(realPath(exe.path), program);
  const interpreter = exe.interpreter === undefined ? undefined : loadCandidate(exe.interpreter, exe);

  const accept = (name: string, path: string, elf: ElfFile, by: Loaded): Loaded => {
    const loaded: Loaded = { path, elf, origin: dirname(resolve(path)), loaders: [by, ...by.loaders] };
    byName.set(name, loaded);
    if (elf.soname !== undefined) byName.set(elf.soname, loaded);
    byFile.set(realPath(path), loaded);
    libraries.push({ name, path, elf, neededBy: by.path });
    return loaded;
  };

  const queue: Loaded[] = [program];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const by = next;
    for (const name of by.elf.needed) {
      if (byName.has(name)) continue;
      if (interpreter && (interpreter.soname === name || interpreter.path === name)) {
        queue.push(accept(name, interpreter.path, interpreter, by));
        continue;
      }
      let found: Loaded | undefined;
      for (const path of candidates(name, by)) {
        const already = byFile.get(realPath(path));
        if (already) {
          byName.set(name, already);
          found = already;
          break;
        }
        const elf = loadCandidate(path, exe);
        if (elf) {
          found = accept(name, path, elf, by);
          queue.push(found);
          break;
        }
      }
      if (!found) missing.push({ name, neededBy: by.path });
    }
  }
  return { libraries, missing };

  /** Every path ld.so would try for `name` needed by `by`, in order. */
  function* candidates(name: string, by: Loaded): Generator<string> {
    if (name.includes('/')) {
      yield name;
      return;
    }
    const inDirs = (dirs: readonly string[], origin: string): string[] =>
      dirs.map((d) => join(expandDst(d === '' ? '.' : d, origin, dst), name));
    if (!by.elf.usesRunpath) {
      for (const obj of [by, ...by.loaders]) if (!obj.elf.usesRunpath) yield* inDirs(obj.elf.runpath, obj.origin);
    }
    yield* inDirs(options.searchPath ?? [], program.origin); // ld.so expands LD_LIBRARY_PATH for the program
    if (by.elf.usesRunpath) yield* inDirs(by.elf.runpath, by.origin);
    for (const entry of cache ?? []) if (entry.name === name && entry.hwcap === 0n) yield entry.path;
    yield* inDirs(defaultDirs, by.origin);
  }
}

/** The ELF at `path` if it is a regular file the program's loader could use (same machine and class). */
function loadCandidate(path: string, exe: ElfFile): ElfFile | undefined {
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined;
  try {
    const elf = readElf(path);
    return elf.machine === exe.machine && elf.bits === exe.bits ? elf : undefined;
  } catch (err) {
    if (err instanceof ElfError) return undefined;
    throw err;
  }
}

/** $ORIGIN, $LIB and $PLATFORM (also in ${…} form); other `$` words stay as they are, as in ld.so. */
function expandDst(dir: string, origin: string, dst: { LIB: string; PLATFORM: string }): string {
  const expanded = dir.replace(
    /\$(?:\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)(?![A-Za-z0-9_]))/g,
    (_, braced?: string, bare?: string) => {
      const key = braced ?? bare;
      return key === 'ORIGIN' ? origin : key === 'LIB' ? dst.LIB : dst.PLATFORM;
    },
  );
  return isAbsolute(expanded) ? expanded : resolve(expanded);
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function existsDir(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

// ---- /etc/ld.so.cache ----------------------------------------------------------------------

/** One library in the loader cache. */
export interface LdCacheEntry {
  /** FLAG_ELF_LIBC6 (3) plus the ABI bits in 0xff00 (x86_64: 0x0303, aarch64: 0x0a03, i386: 0x0003). */
  readonly flags: number;
  /** The soname ld.so looks up. */
  readonly name: string;
  readonly path: string;
  /** Nonzero for glibc-hwcaps / legacy hwcap variants (bit 62 marks a glibc-hwcaps subdirectory). */
  readonly hwcap: bigint;
}

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const OLD_HEADER = 16; // magic (11, padded to 12) + nlibs u32
const OLD_ENTRY = 12; // flags i32, key u32, value u32
const NEW_HEADER = 48; // magic+version (20), nlibs u32, len_strings u32, flags u8 + 3 pad, extension_offset u32, unused[3]
const NEW_ENTRY = 24; // flags i32, key u32, value u32, osversion u32, hwcap u64
const CACHE_LITTLE_ENDIAN = 2; // header flags byte: 0 = not recorded (old ldconfig), 2 = little, 3 = big

/**
 * The entries of a glibc loader cache in file order. Handles the new format alone and the old format with the new
 * one appended; string offsets are relative to the new header. Undefined when the file is
 * missing, in another format, big-endian, or inconsistent — callers then skip the cache,
 * like ld.so.
 */
export function readLdCache(path: string): LdCacheEntry[] | undefined {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    return undefined;
  }
  let base = 0;
  if (data.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    if (data.length < OLD_HEADER) return undefined;
    // The new format follows the old entries, aligned like struct cache_file_new (8).
    base = (OLD_HEADER + data.readUInt32LE(12) * OLD_ENTRY + 7) & ~7;
  }
  if (base + NEW_HEADER > data.length || data.toString('latin1', base, base + NEW_MAGIC.length) !== NEW_MAGIC) return undefined;
  const endian = data[base + 28];
  if (endian !== 0 && endian !== CACHE_LITTLE_ENDIAN) return undefined;
  const nlibs = data.readUInt32LE(base + 20);
  if (base + NEW_HEADER + nlibs * NEW_ENTRY > data.length) return undefined;
  const string = (offset: number): string | undefined => {
    const at = base + offset;
    const end = at < data.length ? data.indexOf(0, at) : -1;
    return end < 0 ? undefined : data.toString('utf8', at, end);
  };
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const at = base + NEW_HEADER + i * NEW_ENTRY;
    const name = string(data.readUInt32LE(at + 4));
    const value = string(data.readUInt32LE(at + 8));
    if (name === undefined || value === undefined) return undefined;
    entries.push({ flags: data.readInt32LE(at), name, path: value, hwcap: data.readBigUInt64LE(at + 16) });
  }
  return entries;
}
