/**
 * A minimal reader of the kernel's BTF (/sys/kernel/btf/vmlinux): struct member offsets and
 * which tracepoint formats do not give (task_struct.tgid, thread_info.status). No npm package reads BTF; the format is a header, a
 * type section of fixed-shape records and a string table (Documentation/bpf/btf.rst).
 */
import { readFileSync } from 'node:fs';

const BTF_MAGIC = 0xeb9f;
// BTF_KIND_* values and the size of the data that follows each record.
const KIND = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19 } as const;

const QUALIFIERS: ReadonlySet<number> = new Set([KIND.TYPEDEF, KIND.VOLATILE, KIND.CONST, KIND.RESTRICT, KIND.TYPE_TAG]);

function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case KIND.INT:
    case KIND.VAR:
    case KIND.DECL_TAG:
      return 4;
    case KIND.ARRAY:
      return 12;
    case KIND.STRUCT:
    case KIND.UNION:
    case KIND.DATASEC:
    case KIND.ENUM64:
      return 12 * vlen;
    case KIND.ENUM:
    case KIND.FUNC_PROTO:
      return 8 * vlen;
    default:
      return 0;
  }
}

/** The kernel's BTF: type records are located once; names are compared only when looked up. */
export class Btf {
  /** Byte offset of each type record, by type id (id 0 is void). */
  private readonly records: Uint32Array;
  private readonly count: number;
  private readonly view: DataView;
  private readonly strStart: number;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const v = this.view;
    if (v.getUint16(0, true) !== BTF_MAGIC) throw new Error('not little-endian BTF');
    const hdrLen = v.getUint32(4, true);
    const typeStart = hdrLen + v.getUint32(8, true);
    const typeEnd = typeStart + v.getUint32(12, true);
    this.strStart = hdrLen + v.getUint32(16, true);
    const records = new Uint32Array(Math.ceil((typeEnd - typeStart) / 12) + 1);
    let id = 1;
    for (let at = typeStart; at < typeEnd; id++) {
      records[id] = at;
      const info = v.getUint32(at + 4, true);
      at += 12 + extraBytes((info >>> 24) & 0x1f, info & 0xffff);
    }
    this.records = records;
    this.count = id;
  }

  private kind(id: number): number {
    return (this.view.getUint32(this.records[id]! + 4, true) >>> 24) & 0x1f;
  }

  private vlen(id: number): number {
    return this.view.getUint32(this.records[id]! + 4, true) & 0xffff;
  }

  private sizeOrType(id: number): number {
    return this.view.getUint32(this.records[id]! + 8, true);
  }

  /** Whether the string at `nameOff` equals `name` (ASCII), compared in place. */
  private nameIs(nameOff: number, name: Uint8Array): boolean {
    const at = this.strStart + nameOff;
    for (let i = 0; i < name.length; i++) if (this.bytes[at + i] !== name[i]) return false;
    return this.bytes[at + name.length] === 0;
  }

  private find(name: string, kind: number): number | undefined {
    const wanted = Buffer.from(name);
    for (let id = 1; id < this.count; id++) {
      const at = this.records[id]!;
      const nameOff = this.view.getUint32(at, true);
      if (nameOff !== 0 && this.kind(id) === kind && this.nameIs(nameOff, wanted)) return id;
    }
    return undefined;
  }

  /** Follow typedefs and qualifiers to the underlying type id. */
  private resolve(id: number): number {
    for (;;) {
      if (id === 0 || !QUALIFIERS.has(this.kind(id))) return id;
      id = this.sizeOrType(id);
    }
  }

  /** Bit offset of member `name` in struct/union `id`, searching anonymous members too. */
  private memberOffset(id: number, name: string): { bits: number; type: number } | undefined {
    const kindFlag = this.view.getUint32(this.records[id]! + 4, true) >>> 31 === 1;
    const wanted = Buffer.from(name);
    for (let i = 0; i < this.vlen(id); i++) {
      const at = this.records[id]! + 12 + 12 * i;
      const memberName = this.view.getUint32(at, true);
      const type = this.view.getUint32(at + 4, true);
      const raw = this.view.getUint32(at + 8, true);
      const bits = kindFlag ? raw & 0xffffff : raw;
      if (memberName === 0) {
        const inner = this.resolve(type);
        const kind = this.kind(inner);
        if (kind === KIND.STRUCT || kind === KIND.UNION) {
          const found = this.memberOffset(inner, name);
          if (found) return { bits: bits + found.bits, type: found.type };
        }
      } else if (this.nameIs(memberName, wanted)) return { bits, type };
    }
    return undefined;
  }

  /** Byte offset of `path` ("thread_info.status") inside struct `struct`; throws naming what is missing. */
  offsetOf(struct: string, path: string): number {
    let id = this.find(struct, KIND.STRUCT);
    if (id === undefined) throw new Error(`kernel BTF has no struct ${struct}`);
    let bits = 0;
    for (const part of path.split('.')) {
      const found = this.memberOffset(id, part);
      if (!found) throw new Error(`kernel BTF: struct ${struct} has no member ${path}`);
      bits += found.bits;
      id = this.resolve(found.type);
    }
    if (bits % 8) throw new Error(`kernel BTF: ${struct}.${path} is a bitfield`);
    return bits / 8;
  }

  /** Size in bytes of struct `name`. */
  sizeOf(struct: string): number {
    const id = this.find(struct, KIND.STRUCT);
    if (id === undefined) throw new Error(`kernel BTF has no struct ${struct}`);
    return this.sizeOrType(id);
  }
}

let vmlinux: Btf | undefined;

/** The running kernel's BTF; a clear error when the kernel was built without it. */
export function kernelBtf(): Btf {
  if (vmlinux) return vmlinux;
  let bytes: Buffer;
  try {
    bytes = readFileSync('/sys/kernel/btf/vmlinux');
  } catch {
    throw new Error('this kernel has no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF): eBPF learning needs it for task offsets');
  }
  return (vmlinux = new Btf(bytes));
}
