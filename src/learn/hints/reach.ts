/**
 * Which imports code that can run actually reaches: a breadth-first walk over the call graphs
 * (code-graph.ts) of the executables and, through the dynamic symbols they call, of their
 * libraries. Roots are each executable's entry point and the functions it stores pointers to
 * in data. A symbol the import table knows (a libc function) ends the walk with its syscalls;
 * any other symbol continues in the object that defines it, the first in load order, as
 * ld.so binds it. Breadth first, so each import is met through its shortest call chain.
 *
 * Programs started by path: when reachable code points at an absolute path in read-only data
 * (`/bin/sh`) and the same object reaches an exec or spawn function, that program is walked
 * too, as if the chain continued into its entry point; `system()` and `popen()` start
 * `/bin/sh` themselves.
 */
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { ArchName } from '../../linux/arch.js';
import type { ElfFile } from './elf.js';
import { codeGraph, type CodeGraph } from './code-graph.js';
import { ElfError } from './elf.js';
import { type ANY_SYSCALL, syscallsForImport } from './import-table.js';

/** An object the walk may enter. */
export interface WalkObject {
  readonly path: string;
  readonly key: string;
  readonly arch: ArchName;
  readonly elf: ElfFile;
}

/** What one program started by path brings: its objects (executable first), or why none. */
export type SpawnObjects = (path: string) => readonly WalkObject[];

/** An import met by the walk: through `chain`, of length `depth`. */
export interface ReachedImport {
  readonly object: WalkObject;
  readonly symbol: string;
  readonly syscalls: readonly string[] | typeof ANY_SYSCALL;
  /** The shortest call chain, built on demand (most are never shown). */
  readonly chain: () => string;
  readonly depth: number;
}

/** The libraries the import table describes: a symbol they define is summarised by its row, never entered. */
const TABLE_LIBRARIES =
  /^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libresolv\.so\.2|ld-linux[-\w.]*\.so\.\d|libaio\.so\.1|liburing\.so\.2|libnuma\.so\.1)$/;

/** Functions that run another program by path (the exec family, posix_spawn, and what starts a shell). */
const EXEC_FUNCTIONS = new Set([
  'execve',
  'execv',
  'execvp',
  'execvpe',
  'execl',
  'execle',
  'execlp',
  'fexecve',
  'execveat',
  'posix_spawn',
  'posix_spawnp',
  'system',
  'popen',
]);
/** glibc's system() and popen() run _PATH_BSHELL. */
const SHELL_FUNCTIONS = new Set(['system', 'popen']);
const SHELL = '/bin/sh';

interface Node {
  readonly object: Walked;
  readonly fn: number;
  readonly parent?: Node;
  /** How the walk got from the parent into this object, when not by a call ("exec /bin/sh"). */
  readonly via?: string;
  /** Why the function runs without a call: "constructor", "pointer in data". */
  readonly root?: string;
  readonly depth: number;
}

interface Walked {
  readonly object: WalkObject;
  readonly graph: CodeGraph;
  readonly visited: Uint8Array;
  /** Symbols (by index in graph.symbols) already met: only the first, shortest chain counts. */
  readonly symbolsMet: Uint8Array;
  readonly versions: ReadonlyMap<string, string>;
  /** Function → the absolute paths it points at. */
  readonly strings: ReadonlyMap<number, readonly string[]>;
  execReached: boolean;
  readonly pendingStrings: { node: Node; path: string }[];
}

/** Objects whose code the walk could not read: their imports all count, as before reachability. */
export interface Unanalysed {
  readonly object: WalkObject;
  readonly why: string;
}

export interface WalkResult {
  readonly reached: readonly ReachedImport[];
  /** Objects the walk entered but could not analyse (with the chain that reached them). */
  readonly unanalysed: readonly (Unanalysed & { chain: string; depth: number })[];
  /** Every object the walk entered or started, by key. */
  readonly entered: ReadonlySet<string>;
}

export function isTableLibrary(elf: ElfFile): boolean {
  return TABLE_LIBRARIES.test(elf.soname ?? basename(elf.path));
}

/**
 * Walk from `executables` (each followed by its libraries in load order in `scope`).
 * `spawn` reads a program started by path.
 */
export function walk(executables: readonly WalkObject[], scope: readonly WalkObject[], spawn: SpawnObjects): WalkResult {
  const reached: ReachedImport[] = [];
  const unanalysed: (Unanalysed & { chain: string; depth: number })[] = [];
  const entered = new Set<string>();
  const walked = new Map<string, Walked | Unanalysed>();
  const definers = new Map<string, WalkObject>();
  const addScope = (objects: readonly WalkObject[]) => {
    for (const o of objects) {
      if (isTableLibrary(o.elf)) continue;
      for (const name of o.elf.exported) if (!definers.has(name)) definers.set(name, o);
    }
  };
  addScope(scope);
  const queue: Node[] = [];
  const followed = new Set<string>();

  /** The object's walk state; entering it the first time runs its load-time roots, reached through `by`. */
  const enter = (object: WalkObject, by: Node | undefined, via?: string): Walked | Unanalysed => {
    let w = walked.get(object.key);
    if (w) return w;
    entered.add(object.key);
    if (object.arch !== 'x86_64') {
      w = { object, why: `${object.elf.machine} code is not analysed` };
    } else {
      try {
        const graph = codeGraph(object.path);
        const strings = new Map<number, string[]>();
        for (const [fn, path] of graph.strings) strings.set(fn, [...(strings.get(fn) ?? []), path]);
        w = {
          object,
          graph,
          visited: new Uint8Array(graph.starts.length),
          symbolsMet: new Uint8Array(graph.symbols.length),
          versions: versionsOf(object.elf),
          strings,
          execReached: false,
          pendingStrings: [],
        };
      } catch (err) {
        if (!(err instanceof ElfError)) throw err;
        w = { object, why: err.message };
      }
    }
    walked.set(object.key, w);
    if ('graph' in w) {
      const { init, data, dataSymbols } = w.graph.roots;
      for (const fn of init) visit(w, fn, by, via, 'constructor');
      for (const fn of data) visit(w, fn, by, via, 'pointer in data');
      // Imported functions whose address the object stores in data: reached when it is loaded.
      const loaded: Node = { object: w, fn: DATA, parent: by, via, root: 'pointer in data', depth: (by?.depth ?? 0) + 1 };
      for (const symbol of dataSymbols) symbolReached(loaded, symbol);
    }
    return w;
  };

  const visit = (object: Walked, fn: number, parent: Node | undefined, via?: string, root?: string) => {
    if (object.visited[fn]) return;
    object.visited[fn] = 1;
    queue.push({ object, fn, parent, via, root, depth: (parent?.depth ?? 0) + 1 });
  };

  /** Enter `object` at its roots (an executable) or at `fn` (an exported function). */
  /** Run an executable: its entry point, after its load-time roots. */
  const start = (object: WalkObject, parent: Node | undefined, via: string | undefined, chainText: () => string, depth: number) => {
    const w = enter(object, parent, via);
    if (!('graph' in w)) {
      unanalysed.push({ ...w, chain: chainText(), depth });
      return;
    }
    if (w.graph.roots.entry !== undefined) visit(w, w.graph.roots.entry, parent, via);
  };

  const met = new Set<string>();
  const rows = new Map<string, ReturnType<typeof syscallsForImport>>();
  const symbolReached = (node: Node, symbol: string, id?: number) => {
    const object = node.object;
    // Breadth first: the first chain to an (object, symbol) is a shortest one.
    if (id !== undefined) {
      if (object.symbolsMet[id]) return;
      object.symbolsMet[id] = 1;
    }
    const route = `${object.object.key}\0${symbol}`;
    if (met.has(route)) return;
    met.add(route);
    const rowKey = `${object.object.arch}:${symbol}`;
    if (!rows.has(rowKey)) rows.set(rowKey, syscallsForImport(symbol, object.object.arch));
    const syscalls = rows.get(rowKey);
    if (syscalls !== undefined) {
      const version = object.versions.get(symbol);
      reached.push({
        object: object.object,
        symbol,
        syscalls,
        chain: () => chain(node, `${symbol}${version ? `@${version}` : ''}`),
        depth: node.depth + 1,
      });
    }
    if (EXEC_FUNCTIONS.has(symbol) && !object.execReached) {
      object.execReached = true;
      for (const pending of object.pendingStrings.splice(0)) follow(pending.path, pending.node);
    }
    if (SHELL_FUNCTIONS.has(symbol)) follow(SHELL, node, symbol);
    if (syscalls !== undefined) return;
    const definer = definers.get(symbol);
    if (!definer) return;
    const w = enter(definer, node);
    if (!('graph' in w)) {
      unanalysed.push({ ...w, chain: chain(node, symbol), depth: node.depth + 1 });
      return;
    }
    const fn = w.graph.exports[symbol];
    if (fn !== undefined) visit(w, fn, node);
  };

  const follow = (path: string, node: Node, by?: string) => {
    if (followed.has(path)) return;
    if (!isProgram(path)) return;
    followed.add(path);
    const objects = spawn(path);
    if (objects.length === 0) return;
    addScope(objects);
    const via = `${by ? `${by}: ` : ''}exec ${path}`;
    start(objects[0]!, node, via, () => chain(node, via), node.depth + 1);
  };

  for (const exe of executables) start(exe, undefined, undefined, () => basename(exe.path), 0);
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    const { graph } = node.object;
    for (let e = graph.edgeOffsets[node.fn]!, end = graph.edgeOffsets[node.fn + 1]!; e < end; e++)
      visit(node.object, graph.edgeTargets[e]!, node);
    for (let e = graph.symbolOffsets[node.fn]!, end = graph.symbolOffsets[node.fn + 1]!; e < end; e++) {
      const id = graph.symbolTargets[e]!;
      symbolReached(node, graph.symbols[id]!, id);
    }
    for (const path of node.object.strings.get(node.fn) ?? []) {
      if (node.object.execReached) follow(path, node);
      else node.object.pendingStrings.push({ node, path });
    }
  }
  return { reached, unanalysed, entered };
}

/** Import name → its required version, for the evidence ("fork@GLIBC_2.2.5"). */
function versionsOf(elf: ElfFile): Map<string, string> {
  return new Map(elf.imports.flatMap((i) => (i.version ? [[i.name, i.version] as const] : [])));
}

/** Paths that name no installed program: /proc/self/exe is whoever reads the path (sbx, here). */
const NOT_PROGRAMS = /^\/(proc|dev|sys|tmp|run)\//;

/** An executable file the kernel would run: ELF or `#!`, with an execute bit. */
function isProgram(path: string): boolean {
  if (NOT_PROGRAMS.test(path)) return false;
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(4);
      const n = readSync(fd, head, 0, 4, 0);
      return (n === 4 && head.readUInt32BE(0) === 0x7f454c46) || (n >= 2 && head[0] === 0x23 && head[1] === 0x21);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** How a chain names an object: its soname, else the file that really runs (/bin/sh is dash). */
export function displayName(object: WalkObject): string {
  return object.elf.soname ?? basename(object.key);
}

/** The pseudo-function of a chain that starts at a pointer in data rather than in a function. */
const DATA = -1;

function functionName(w: Walked, fn: number): string {
  if (fn === DATA) return '';
  return w.graph.names[fn] ?? `fn@0x${w.graph.starts[fn]!.toString(16)}`;
}

/** "qemu-system-x86_64: main → fn@0x4a3b20 → libglib-2.0.so.0: g_spawn_sync → fork@GLIBC_2.2.5". */
function chain(node: Node, last: string): string {
  const path: Node[] = [];
  for (let n: Node | undefined = node; n; n = n.parent) path.unshift(n);
  const parts: string[] = [];
  let object: Walked | undefined;
  let via: string | undefined;
  for (const [i, n] of path.entries()) {
    const name = functionName(n.object, n.fn);
    via ??= n.via;
    // _start's only callee is main: the chain starts there.
    if (
      name === '_start' &&
      path[i + 1] &&
      functionName(path[i + 1]!.object, path[i + 1]!.fn) === 'main' &&
      path[i + 1]!.object === n.object
    )
      continue;
    const label = n.root ? `(${n.root})${name ? ' ' : ''}` : '';
    if (via) parts.push(via);
    parts.push(n.object === object && !via && !n.root ? name : `${displayName(n.object.object)}: ${label}${name}`);
    object = n.object;
    via = undefined;
  }
  return [...parts, last].join(' → ');
}
