/**
 * Tracepoint ids and field offsets, read at run time from tracefs: the layouts change between
 * kernels (sched_process_fork's child_pid moved from offset 44 to 20 when its comms became
 * __data_loc), so the programs are assembled against what this kernel says.
 */
import { readFileSync, statSync } from 'node:fs';
import { mountTracefs } from './kernel.js';

const MOUNTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** One field of a tracepoint record. */
export interface TraceField {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** `__data_loc` fields hold (length << 16 | offset) of the real data. */
  readonly dataLoc: boolean;
}

/** A tracepoint: its perf id and its record's fields by name. */
export interface Tracepoint {
  readonly category: string;
  readonly name: string;
  readonly id: number;
  readonly fields: ReadonlyMap<string, TraceField>;
}

let root: string | undefined;

/** Where tracefs is mounted; mounts it on /sys/kernel/tracing when it is nowhere. */
export function tracefsRoot(): string {
  if (root) return root;
  // stat, not access(): access() checks the real uid without capabilities (CAP_DAC_READ_SEARCH
  // is how a non-root sbx reads the root-only tracefs).
  root = MOUNTS.find((dir) => statSync(`${dir}/events`, { throwIfNoEntry: false })?.isDirectory());
  if (!root) {
    mountTracefs(MOUNTS[0]!);
    root = MOUNTS[0]!;
  }
  return root;
}

/**
 * Parse a tracefs `format` file: lines like
 * `field:unsigned long args[6];	offset:16;	size:48;	signed:0;`.
 */
export function parseFormat(text: string): Map<string, TraceField> {
  const fields = new Map<string, TraceField>();
  for (const line of text.split('\n')) {
    const m = /^\s*field:(.*);\s*offset:(\d+);\s*size:(\d+);/.exec(line);
    if (!m) continue;
    const declaration = m[1]!.trim();
    const name = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?$/.exec(declaration)?.[1];
    if (!name) continue;
    fields.set(name, { name, offset: Number(m[2]), size: Number(m[3]), dataLoc: declaration.startsWith('__data_loc') });
  }
  return fields;
}

/** Read one tracepoint's id and format; a missing one is a clear error. */
export function readTracepoint(category: string, name: string): Tracepoint {
  const dir = `${tracefsRoot()}/events/${category}/${name}`;
  try {
    return {
      category,
      name,
      id: Number(readFileSync(`${dir}/id`, 'utf8').trim()),
      fields: parseFormat(readFileSync(`${dir}/format`, 'utf8')),
    };
  } catch (err) {
    throw new Error(`tracepoint ${category}/${name} is not available (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** A field the program needs; throws naming the tracepoint when this kernel lacks it. */
export function field(tp: Tracepoint, name: string, size?: number): TraceField {
  const f = tp.fields.get(name);
  if (!f) throw new Error(`tracepoint ${tp.category}/${tp.name} has no field ${name} on this kernel`);
  if (size !== undefined && !f.dataLoc && f.size !== size)
    throw new Error(`tracepoint ${tp.category}/${tp.name}: field ${name} is ${f.size} bytes, expected ${size}`);
  return f;
}
