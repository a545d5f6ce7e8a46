/**
 * The x86-64 length decoder against `objdump -d`: every instruction boundary and every
 * call/jmp/jcc target of real system libraries, and of small programs built here with the
 * code generators' variants (PIE, non-PIE, -fno-plt, IBT's .plt.sec, -O0). Known difference:
 * data tables inside .text (OpenSSL's perlasm) decode differently after an invalid byte; both
 * sweeps start afresh at the next symbol, and libraries without such tables agree exactly.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode, Kind, sweep } from '../src/learn/hints/x86-decode.js';
import { requireTool, ROOT, tempDir } from './helpers.js';

function run(file: string, args: readonly string[]): string {
  const out = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${out.stderr}`);
  return out.stdout;
}

interface Disagreement {
  readonly instructions: number;
  readonly boundaries: string[];
  readonly targets: string[];
}

/** Sweep every executable section as objdump does (fresh at each symbol) and list where we differ. */
function compareWithObjdump(path: string): Disagreement {
  requireTool('objdump');
  const data = readFileSync(path);
  const listing = run('objdump', ['-d', '-w', '--no-show-raw-insn', path]).split('\n');
  const symbols = Float64Array.from(listing.flatMap((l) => /^([0-9a-f]+) <.*>:$/.exec(l)?.[1] ?? []).map((a) => parseInt(a, 16))).sort();
  const ours = new Map<number, { kind: Kind; target: number }>();
  for (const line of run('readelf', ['-SW', path]).split('\n')) {
    const m = /\]\s+\S+\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+\S+\s+\S*X\S*/.exec(line);
    if (!m) continue;
    const [addr, offset, size] = [m[1]!, m[2]!, m[3]!].map((x) => parseInt(x, 16)) as [number, number, number];
    sweep(data.subarray(offset, offset + size), addr, symbols, (at, d) => ours.set(at, { kind: d.kind, target: d.target }));
  }
  const result: Disagreement = { instructions: 0, boundaries: [], targets: [] };
  for (const line of listing) {
    const m = /^\s+([0-9a-f]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    (result as { instructions: number }).instructions++;
    const mine = ours.get(parseInt(m[1]!, 16));
    if (!mine) {
      result.boundaries.push(line);
      continue;
    }
    const branch = /^(?:bnd |notrack )?(?:call|jmp|j[a-z]+|loop[a-z]*|jrcxz|xbegin)\s+([0-9a-f]+)(?: <|$)/.exec(m[2]!);
    if (branch && ((mine.kind !== Kind.Call && mine.kind !== Kind.Jump) || mine.target !== parseInt(branch[1]!, 16)))
      result.targets.push(line);
  }
  return result;
}

describe('instruction boundaries and branch targets agree with objdump -d', () => {
  it.each(['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0'])(
    '%s',
    (lib) => {
      const d = compareWithObjdump(lib);
      expect(d.instructions).toBeGreaterThan(100_000);
      expect(d.boundaries.slice(0, 5)).toEqual([]);
      expect(d.targets.slice(0, 5)).toEqual([]);
    },
    120_000,
  );

  it.each([['-O2'], ['-O2', '-fno-plt'], ['-O0', '-no-pie'], ['-O2', '-fcf-protection=full', '-mavx2'], ['-O3', '-march=skylake-avx512']])(
    'a program built with gcc %s',
    (...flags) => {
      requireTool('gcc');
      const out = join(tempDir('sbx-x86-'), 'prog');
      run('gcc', [...flags, '-pthread', '-o', out, join(ROOT, 'test', 'workloads', 'libc-calls.c'), '-ldl']);
      const d = compareWithObjdump(out);
      expect(d.boundaries).toEqual([]);
      expect(d.targets).toEqual([]);
    },
    60_000,
  );
});

describe('encodings, one by one', () => {
  const at = 0x1000;
  it.each([
    // bytes, length, kind, target / rip target
    ['e8 fb ff ff ff', 5, Kind.Call, 0x1000, -1],
    ['e9 00 01 00 00', 5, Kind.Jump, 0x1105, -1],
    ['eb fe', 2, Kind.Jump, 0x1000, -1],
    ['0f 84 10 00 00 00', 6, Kind.Jump, 0x1016, -1],
    ['ff 15 0a 00 00 00', 6, Kind.Other, 0, 0x1010], // call *0xa(%rip)
    ['f2 ff 25 fa 2f 00 00', 7, Kind.Other, 0, 0x4001], // bnd jmp *slot(%rip)
    ['48 8d 3d 00 10 00 00', 7, Kind.Other, 0, 0x2007], // lea 0x1000(%rip),%rdi
    ['48 b8 01 02 03 04 05 06 07 08', 10, Kind.Other, 0, -1], // movabs imm64
    ['66 0f 1f 84 00 00 00 00 00', 9, Kind.Other, 0, -1], // nopw
    ['f7 05 00 00 00 00 00 80 00 00', 10, Kind.Other, 0, 0x100a], // testl $0x8000, rip
    ['c5 fd 6f 05 00 00 00 00', 8, Kind.Other, 0, 0x1008], // vmovdqa rip, %ymm0
    ['c4 e3 79 0f c1 08', 6, Kind.Other, 0, -1], // vpalignr $8 (VEX 0F3A)
    ['62 f1 7d 48 6f 05 00 00 00 00', 10, Kind.Other, 0, 0x100a], // vmovdqa32 rip, %zmm0 (EVEX)
    ['c6', 1, Kind.Bad, 0, -1], // truncated
    ['06', 1, Kind.Bad, 0, -1], // push %es: invalid in 64-bit mode
  ])('%s', (hex, length, kind, target, rip) => {
    const bytes = Buffer.from(hex.replace(/ /g, ''), 'hex');
    const d = decode(bytes, 0, bytes.length, at);
    expect([d.length, d.kind, d.kind === Kind.Call || d.kind === Kind.Jump ? d.target : 0, d.ripTarget]).toEqual([
      length,
      kind,
      target,
      rip,
    ]);
  });
});
