/**
 * Static hints: what the binaries a program ran *can* call, beyond what the runs showed.
 *
 * For every executable in the profile (the execve'd paths; a script is followed to its #!
 * interpreter) and its DT_NEEDED libraries, and for the shared objects the runs opened (the
 * modules a program dlopen()s, when the profile was learned with --paths), the dynamic
 * imports are read from the ELF files on this machine and mapped to syscalls with the import
 * table. Syscalls reachable that way
 * but never observed are candidates, tiered by evidence: imported by an executable (`main`)
 * or only by a library (`library`). Objects importing syscall() can reach anything; they are
 * named, not expanded into every syscall. Nothing here allows anything: propose decides.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { namedCallKey, type ArchName, type NamedCallKey } from '../../linux/arch.js';
import { UserError } from '../../io.js';
import type { Profile } from '../../profile/types.js';
import type { Candidate, HintTier, StaticHints } from '../../policy/policy.js';
import { readElf, readShebang, resolveShebangProgram, type ElfFile, type ElfImport } from './elf.js';
import { resolveLibraries } from './libraries.js';
import { ANY_SYSCALL, syscallsForImport } from './import-table.js';
import { walk } from './reach.js';

/** An object whose imports count, and what it is to the program. */
interface ImportingObject {
  readonly path: string;
  /** The real path: one object however it was reached (DT_NEEDED, opened, through a symlink). */
  readonly key: string;
  readonly tier: HintTier;
  readonly arch: ArchName;
  readonly elf: ElfFile;
}

/** Executables followed through at most this many #! interpreters (the kernel allows 4). */
const MAX_INTERPRETERS = 4;

/** Evidence lines kept per candidate; `imports` keeps the full count. */
const MAX_EVIDENCE = 4;

function archOf(elf: ElfFile): ArchName | undefined {
  if (elf.machine === 'x86_64') return elf.bits === 32 ? 'x32' : 'x86_64';
  if (elf.machine === 'i386') return 'i386';
  if (elf.machine === 'aarch64') return 'aarch64';
  return undefined;
}

/** The ELF file that runs when `path` is exec'd: itself, or its #! interpreter's, recursively. */
function executableElf(path: string, depth = 0): { elf: ElfFile; via: string[] } {
  const shebang = readShebang(path);
  if (!shebang) return { elf: readElf(path), via: [] };
  if (depth >= MAX_INTERPRETERS) throw new UserError(`${path}: more than ${MAX_INTERPRETERS} nested #! interpreters`);
  const interpreter = resolveShebangProgram(shebang, process.env.PATH ?? '');
  if (!interpreter) throw new UserError(`${path}: #! interpreter ${shebang.interpreter}${shebang.arg ? ` ${shebang.arg}` : ''} not found`);
  // /usr/bin/sh names dash: the evidence names the file that really runs.
  const inner = executableElf(realpathSync(interpreter), depth + 1);
  return { elf: inner.elf, via: [path, ...inner.via] };
}

/** An executable the program ran, or a shared object it opened (a dlopen()ed module). */
type Source = { readonly path: string; readonly role: 'executable' | 'opened' };

interface ReadObjects {
  readonly objects: readonly ImportingObject[];
  readonly unknown: readonly string[];
}

/** Objects of one source, read once per (path, size, mtime) for the life of the process. */
const objectCache = new Map<string, ReadObjects>();

function objectsOf(source: Source): ReadObjects {
  let key: string;
  try {
    const st = statSync(source.path);
    key = `${source.role}\0${source.path}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    // ld.so and dlopen() probe paths that do not exist; only a missing executable is news.
    const gone = `${source.path}: not on this machine (hints read the files the runs used)`;
    return { objects: [], unknown: source.role === 'executable' ? [gone] : [] };
  }
  const cached = objectCache.get(key);
  if (cached) return cached;
  const result = readObjects(source);
  objectCache.set(key, result);
  return result;
}

function readObjects({ path, role }: Source): ReadObjects {
  let exe: { elf: ElfFile; via: string[] };
  try {
    exe = role === 'executable' ? executableElf(path) : { elf: readElf(path), via: [] };
  } catch (err) {
    // An opened "libfoo.so" may be a linker script; only executables must be readable.
    if (err instanceof UserError) return { objects: [], unknown: role === 'executable' ? [err.message] : [] };
    throw err;
  }
  const arch = archOf(exe.elf);
  const name = exe.via.length ? `${exe.elf.path} (the #! interpreter of ${exe.via[0]})` : exe.elf.path;
  if (!arch) return { objects: [], unknown: [`${name}: ${exe.elf.machine} binary, an arch sbx has no syscall table for`] };
  if (exe.elf.isStatic) return { objects: [], unknown: [`${name}: statically linked, no imports to read: what it can call is unknown`] };
  const object = (path: string, tier: HintTier, elf: ElfFile): ImportingObject => ({ path, key: realpathSync(path), tier, arch, elf });
  const objects = [object(exe.elf.path, role === 'executable' ? 'main' : 'library', exe.elf)];
  const { libraries, missing } = resolveLibraries(exe.elf);
  for (const lib of libraries) objects.push(object(lib.path, 'library', lib.elf));
  return { objects, unknown: missing.map((m) => `${m.name} (needed by ${m.neededBy}): not found, its imports are unknown`) };
}

const OPENS = new Set(['open', 'openat', 'openat2']);
const SHARED_OBJECT = /\.so(\.[0-9]+)*$/;

/** Absolute paths of shared objects the runs opened (recorded with `sbx learn --paths`). */
function openedSharedObjects(profile: Profile): string[] {
  const paths = profile.syscalls.filter((s) => OPENS.has(s.name)).flatMap((s) => s.paths?.values.map((v) => v.value) ?? []);
  return [...new Set(paths.filter((p) => p.startsWith('/') && SHARED_OBJECT.test(p)))];
}

function importText(object: ImportingObject, imp: ElfImport): string {
  return `${basename(object.path)} imports ${imp.name}${imp.version ? `@${imp.version}` : ''}`;
}

interface Reach {
  arch: ArchName;
  syscall: string;
  tier: HintTier;
  /** Length of the shortest call chain (main tier); imports of libraries rank after every chain. */
  depth: number;
  /** Distinct (object, function) imports reaching the syscall: more routes, likelier needed. */
  imports: Set<string>;
  evidence: { tier: HintTier; depth: number; text: () => string }[];
}

/** A library import's evidence sorts after every chain. */
const NO_CHAIN = Number.MAX_SAFE_INTEGER;

/**
 * The syscalls the profile's executables and opened modules can reach but no run made, ranked.
 * `main`: the executables' code reaches an import that makes it (through their own calls, the
 * libraries' exported functions they call, and programs they start by path), shown by the
 * shortest call chain. `library`: some library imports such a function, reached or not.
 */
export function staticHints(profile: Profile, arches: readonly ArchName[]): StaticHints {
  const objects = new Map<string, ImportingObject>();
  const unknown = new Set<string>();
  const executables: ImportingObject[] = [];
  const sources: Source[] = [
    ...profile.executables.map((e): Source => ({ path: e.path, role: 'executable' })),
    ...openedSharedObjects(profile).map((path): Source => ({ path, role: 'opened' })),
  ];
  const add = (read: ReadObjects): ImportingObject[] => {
    read.unknown.forEach((u) => unknown.add(u));
    const usable = read.objects.filter((o) => arches.includes(o.arch));
    for (const o of usable) {
      const known = objects.get(o.key);
      // An executable that is also another's library (rare) counts as an executable.
      if (!known || (known.tier === 'library' && o.tier === 'main')) objects.set(o.key, o);
    }
    return usable;
  };
  for (const source of sources) {
    const read = add(objectsOf(source));
    if (source.role === 'executable' && read[0]?.tier === 'main' && !executables.some((e) => e.key === read[0]!.key))
      executables.push(read[0]!);
  }
  // Programs started by path: their imports count where the walk reaches them.
  // A program started by path that cannot be read is not news: unlike the executables, no run showed it.
  const spawn = (path: string) => add({ ...objectsOf({ path, role: 'executable' }), unknown: [] });
  const walked = walk(executables, [...objects.values()], spawn);

  const reach = new Map<NamedCallKey, Reach>();
  const anySyscall = new Set<string>();
  const record = (arch: ArchName, syscalls: readonly string[], tier: HintTier, route: string, depth: number, text: () => string) => {
    for (const syscall of syscalls) {
      const key = namedCallKey(arch, syscall);
      const r: Reach = reach.get(key) ?? { arch, syscall, tier, depth, imports: new Set(), evidence: [] };
      if (tier === 'main') r.tier = 'main';
      r.depth = Math.min(r.depth, depth);
      if (!r.imports.has(route)) r.evidence.push({ tier, depth, text });
      r.imports.add(route);
      reach.set(key, r);
    }
  };
  for (const r of walked.reached) {
    if (r.syscalls === ANY_SYSCALL) anySyscall.add(r.chain());
    else record(r.object.arch, r.syscalls, 'main', `${r.object.path}\0${r.symbol}`, r.depth, r.chain);
  }
  // Code the walk entered but could not read: all its imports count, after its chain.
  for (const u of walked.unanalysed)
    importsOf(
      objects.get(u.object.key) ?? { ...u.object, tier: 'main' },
      'main',
      u.depth + 1,
      (imp) => `${u.chain} → ${importText({ ...u.object, tier: 'main' }, imp)} (${u.why})`,
    );
  for (const object of objects.values())
    if (object.tier === 'library') importsOf(object, 'library', NO_CHAIN, (imp) => importText(object, imp));

  function importsOf(object: ImportingObject, tier: HintTier, depth: number, text: (imp: ElfImport) => string): void {
    for (const imp of object.elf.imports) {
      const syscalls = syscallsForImport(imp.name, object.arch);
      if (syscalls === undefined) continue;
      if (syscalls === ANY_SYSCALL) anySyscall.add(text(imp));
      else record(object.arch, syscalls, tier, `${object.path}\0${imp.name}`, depth, () => text(imp));
    }
  }

  const observed = new Set(profile.syscalls.filter((s) => s.count > 0).map((s) => namedCallKey(s.arch, s.name)));
  const tierOrder = (t: HintTier) => (t === 'main' ? 0 : 1);
  const candidates: Candidate[] = [...reach.entries()]
    .filter(([key]) => !observed.has(key))
    .map(([, r]) => ({
      r,
      candidate: {
        arch: r.arch,
        syscall: r.syscall,
        tier: r.tier,
        imports: r.imports.size,
        evidence: [
          ...new Set(
            r.evidence
              .sort((a, b) => tierOrder(a.tier) - tierOrder(b.tier) || a.depth - b.depth)
              .slice(0, MAX_EVIDENCE)
              .map((e) => e.text()),
          ),
        ],
      },
    }))
    .sort(
      ({ r: a }, { r: b }) =>
        tierOrder(a.tier) - tierOrder(b.tier) ||
        a.depth - b.depth ||
        b.imports.size - a.imports.size ||
        a.syscall.localeCompare(b.syscall) ||
        a.arch.localeCompare(b.arch),
    )
    .map(({ candidate }) => candidate);
  return { candidates, anySyscall: [...anySyscall].sort(), unknown: [...unknown] };
}
