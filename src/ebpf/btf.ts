/**
 * A minimal reader of the kernel's BTF (/sys/kernel/btf/vmlinux): struct member offsets and
 * which tracepoint formats do not give (task_struct.tgid, thread_info.status). No npm package reads BTF; the format is a header, a
 * type section of fixed-shape records and a string table (Documentation/bpf/btf.rst).
 */
import { closeSync, openSync, readSync } from 'node:fs';

const BTF_MAGIC = 0xeb9f;
// BTF_KIND_* values and the size of the data that follows each record.
const KIND = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

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

/**
 * The kernel's BTF. Type records are located lazily, only as far as a lookup needs (the structs
 * sbx reads come early in vmlinux's ~100k types), and the file is read in pages as they are
 * touched: reading all 5 MB of /sys/kernel/btf/vmlinux costs more than the whole load otherwise.
 * Names are compared in place, never decoded.
 */
export class Btf {
  /** Byte offset of each type record located so far, by type id (id 0 is void). */
  private readonly records: number[] = [0];
  private readonly view: Paged;
  private readonly strStart: number;
  private readonly typeEnd: number;
  /** Where the next unlocated record starts. */
  private walked: number;

  constructor(read: (offset: number, into: Uint8Array) => number) {
    this.view = new Paged(read);
    const v = this.view;
    if (v.getUint16(0, true) !== BTF_MAGIC) throw new Error('not little-endian BTF');
    const hdrLen = v.getUint32(4, true);
    this.walked = hdrLen + v.getUint32(8, true);
    this.typeEnd = this.walked + v.getUint32(12, true);
    this.strStart = hdrLen + v.getUint32(16, true);
  }

  /** Locate the next record; false at the end of the type section. */
  private walkOne(): boolean {
    if (this.walked >= this.typeEnd) return false;
    const at = this.walked;
    this.records.push(at);
    const info = this.view.getUint32(at + 4, true);
    this.walked = at + 12 + extraBytes((info >>> 24) & 0x1f, info & 0xffff);
    return true;
  }

  /** The record of type `id`, locating records up to it first. */
  private at(id: number): number {
    while (this.records.length <= id) if (!this.walkOne()) throw new Error(`kernel BTF has no type ${id}`);
    return this.records[id]!;
  }

  private kind(id: number): number {
    return (this.view.getUint32(this.at(id) + 4, true) >>> 24) & 0x1f;
  }

  private vlen(id: number): number {
    return this.view.getUint32(this.at(id) + 4, true) & 0xffff;
  }

  private sizeOrType(id: number): number {
    return this.view.getUint32(this.at(id) + 8, true);
  }

  /** Whether the string at `nameOff` equals `name` (ASCII), compared in place. */
  private nameIs(nameOff: number, name: Uint8Array): boolean {
    const at = this.strStart + nameOff;
    for (let i = 0; i < name.length; i++) if (this.view.getUint8(at + i) !== name[i]) return false;
    return this.view.getUint8(at + name.length) === 0;
  }

  private find(name: string, kind: number): number | undefined {
    const wanted = Buffer.from(name);
    for (let id = 1; id < this.records.length || this.walkOne(); id++) {
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
    const kindFlag = this.view.getUint32(this.at(id) + 4, true) >>> 31 === 1;
    const wanted = Buffer.from(name);
    for (let i = 0; i < this.vlen(id); i++) {
      const at = this.at(id) + 12 + 12 * i;
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

const PAGE = 1 << 16;

/** Little-endian reads over a file fetched in 64 KiB pages on first touch. */
class Paged {
  private readonly pages = new Map<number, DataView>();

  constructor(private readonly read: (offset: number, into: Uint8Array) => number) {}

  private page(index: number): DataView {
    let page = this.pages.get(index);
    if (!page) {
      const bytes = new Uint8Array(PAGE);
      // sysfs may return less than asked for: read until the page is full or the file ends.
      let n = 0;
      for (let got = -1; n < PAGE && got !== 0; n += got) got = this.read(index * PAGE + n, bytes.subarray(n));
      page = new DataView(bytes.buffer, 0, n);
      this.pages.set(index, page);
    }
    return page;
  }

  getUint8(at: number): number {
    return this.page(Math.floor(at / PAGE)).getUint8(at % PAGE);
  }

  getUint16(at: number, _le: true): number {
    return this.getUint8(at) | (this.getUint8(at + 1) << 8);
  }

  getUint32(at: number, _le: true): number {
    const index = Math.floor(at / PAGE);
    const off = at % PAGE;
    if (off <= PAGE - 4) return this.page(index).getUint32(off, true);
    return (this.getUint16(at, true) | (this.getUint16(at + 2, true) << 16)) >>> 0;
  }
}

let vmlinux: Btf | undefined;

/** The running kernel's BTF; a clear error when the kernel was built without it. */
export function kernelBtf(): Btf {
  if (vmlinux) return vmlinux;
  let fd: number;
  try {
    fd = openSync('/sys/kernel/btf/vmlinux', 'r');
  } catch {
    throw new Error('this kernel has no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF): eBPF learning needs it for task offsets');
  }
  // The fd stays open for lazy reads; it is close-on-exec like every fd Node opens.
  process.once('exit', () => closeSync(fd));
  return (vmlinux = new Btf((offset, into) => readSync(fd, into, 0, into.length, offset)));
}
