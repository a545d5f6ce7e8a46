/**
 * The eBPF assembler against an independent one: every listing line goes through
 * `llvm-mc -triple=bpfel -show-encoding` and must give the same bytes. Also the checks
 * that make a bad program fail at build time instead of in the verifier.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AsmError, Assembler, R0, R1, R10, R2, R6, R9, type EbpfProgram, type Reg } from '../src/ebpf/asm.js';
import { requireTool } from './helpers.js';
import {
  execProgram,
  exitProgram,
  forkProgram,
  sysEnterProgram,
  sysExitProgram,
  type KernelLayout,
  type Maps,
} from '../src/ebpf/programs.js';

/** The bytes llvm-mc produces for a listing (map-fd loads differ only in src_reg: masked by the caller). */
function llvmBytes(listing: readonly string[]): Uint8Array {
  const llvmMc = requireTool('llvm-mc');
  const out = spawnSync(llvmMc, ['-triple=bpfel', '-mattr=+alu32', '-show-encoding'], {
    input: listing.join('\n') + '\n',
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(`llvm-mc failed: ${out.stderr}`);
  const bytes: number[] = [];
  for (const m of out.stdout.matchAll(/encoding: \[([^\]]*)\]/g)) for (const b of m[1]!.split(',')) bytes.push(Number(b));
  return Uint8Array.from(bytes);
}

/** Our bytes with the pseudo-map-fd src_reg cleared on ld_imm64, as llvm-mc writes a plain immediate. */
function withoutPseudoMap(program: EbpfProgram): Uint8Array {
  const bytes = Uint8Array.from(program.bytes);
  for (let at = 0; at < bytes.length; at += 8) {
    if (bytes[at] !== 0x18) continue;
    bytes[at + 1]! &= 0x0f;
    at += 8; // a 64-bit immediate load takes two slots
  }
  return bytes;
}

/** One program that uses every instruction form the assembler has. */
function everyForm(): EbpfProgram {
  const a = new Assembler('every-form');
  for (const op of ['add', 'sub', 'mul', 'or', 'and', 'lsh', 'rsh', 'mov'] as const) {
    a.alu64(op, R1, 3).alu64(op, R1, R2, true).alu32(op, R1, 7).alu32(op, R1, R2, true);
  }
  a.mov(R0, -1).movReg(R6, R1).alu64('and', R1, -4096);
  a.ldImm64(R2, 0x1234_5678_9abc_def0n).ldImm64(R2, -1n).ldMap(R1, 7, 'traced');
  for (const size of ['u8', 'u16', 'u32', 'u64'] as const) a.load(size, R0, R1, 8).load(size, R0, R10, -16).store(size, R10, -8, R1);
  a.atomicAdd('u64', R0, 0, R1).atomicAdd('u32', R0, 4, R1).atomicAdd('u64', R0, -8, R1);
  for (const op of ['==', '>', '>=', '!=', 's>', 's>=', '<', '<=', 's<', 's<='] as const) {
    a.jump(op, R1, 5, 'out').jump(op, R1, R2, 'out', true).jump32(op, R1, -3, 'out').jump32(op, R1, R9, 'out', true);
  }
  a.label('back').call(1, 'map_lookup_elem').jump('==', R0, 0, 'back').goto('out');
  return a.label('out').mov(R0, 0).exit().build();
}

describe('eBPF assembler', () => {
  it('produces the bytes llvm-mc produces for every instruction form', () => {
    const program = everyForm();
    expect(program.length).toBe(program.bytes.length / 8);
    expect(llvmBytes(program.listing)).toEqual(withoutPseudoMap(program));
  });

  it.each([
    ['follow', { kind: 'follow' } as const, false],
    ['cgroup', { kind: 'cgroup', id: 0x1234_5678_9n, level: 2 } as const, false],
    ['follow, --paths', { kind: 'follow' } as const, true],
    ['cgroup, --paths', { kind: 'cgroup', id: 0x1234_5678_9n, level: 2 } as const, true],
  ])('the learning programs (%s) assemble to what llvm-mc makes of their listings', (_name, scope, paths) => {
    // Map fds and offsets are data here: the instruction forms are what is checked.
    const names = [
      'traced',
      'counts',
      'first',
      'time',
      'errors',
      'denied',
      'args',
      'argOther',
      'argSpec',
      'exes',
      'exeIds',
      'exeStats',
      'globals',
      'scratch',
    ] as const;
    const maps = Object.fromEntries(
      names.map((name, i) => [name, { name, fd: 10 + i, keySize: 4, valueSize: 8, maxEntries: 1 }]),
    ) as unknown as Maps;
    if (paths)
      Object.assign(maps, {
        paths: {
          ring: { name: 'paths', fd: 30, keySize: 0, valueSize: 0, maxEntries: 4096 },
          dropped: { name: 'pathsDropped', fd: 31, keySize: 4, valueSize: 8, maxEntries: 1 },
        },
      });
    const layout: KernelLayout = {
      sysEnter: { id: 8, args: 16 },
      sysExit: { id: 8, ret: 16 },
      exec: { filename: 8, pid: 12, oldPid: 16 },
      exit: { pid: 24 },
      task: { pid: 1264, tgid: 1268, compatStatus: 16 },
    };
    for (const program of [
      sysEnterProgram(maps, layout, 'x86_64', scope),
      sysExitProgram(maps, layout, 'x86_64'),
      forkProgram(maps, layout),
      execProgram(maps, layout),
      exitProgram(maps, layout),
    ])
      expect(llvmBytes(program.listing), program.name).toEqual(withoutPseudoMap(program));
    // The --paths variant sends records through the ring buffer; the plain one never does.
    expect(sysEnterProgram(maps, layout, 'x86_64', scope).listing.some((line) => line.includes('call 131'))).toBe(paths);
  });

  it('marks map-fd loads with src_reg 1 (BPF_PSEUDO_MAP_FD)', () => {
    const p = new Assembler('m').ldMap(R1, 9, 'counts').exit().build();
    expect([...p.bytes.slice(0, 8)]).toEqual([0x18, 0x11, 0, 0, 9, 0, 0, 0]);
  });

  it.each([
    ['an unresolved label', (a: Assembler) => a.goto('nowhere').exit(), /unresolved label nowhere/],
    ['a register above r10', (a: Assembler) => a.mov(11 as Reg, 0).exit(), /no register r11/],
    ['a write to r10', (a: Assembler) => a.mov(R10, 0).exit(), /read-only frame pointer/],
    ['an offset over 16 bits', (a: Assembler) => a.load('u64', R0, R1, 40000).exit(), /offset 40000 outside/],
    ['an immediate over 32 bits', (a: Assembler) => a.mov(R0, 2 ** 32).exit(), /immediate 4294967296 outside/],
    ['a shift too far', (a: Assembler) => a.alu32('lsh', R0, 32).exit(), /shift by 32/],
    ['a label placed twice', (a: Assembler) => a.label('x').label('x'), /label x placed twice/],
    ['a label after the last instruction', (a: Assembler) => a.exit().label('end'), /label end names no instruction/],
    ['falling off the end', (a: Assembler) => a.mov(R0, 0), /falls off the end/],
  ])('refuses %s', (_what, write, message) => {
    expect(() => write(new Assembler('bad')).build()).toThrow(message);
    expect(() => write(new Assembler('bad')).build()).toThrow(AsmError);
  });

  it('refuses a jump beyond a 16-bit offset', () => {
    const a = new Assembler('far').goto('end');
    for (let i = 0; i < 0x8000; i++) a.mov(R0, 0);
    expect(() => a.label('end').exit().build()).toThrow(/jump to end is 32768 instructions/);
  });
});
