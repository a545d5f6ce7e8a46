/**
 * What the static hints' call-graph walk costs (docs/fidelity.md, "Cost"): `sbx propose` on
 * the QEMU suite's boot profile with an empty call-graph cache, with the cache filled, and
 * with --no-hints, against `objdump -d` over the same binary and its libraries (binutils
 * decoding the same code, measured in the same run). Skipped without qemu-system-x86_64.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SBX = join(ROOT, 'bin', 'sbx');
const PROFILE = join(ROOT, 'samples', 'qemu', 'suite', 'boot.1.profile.json');
const QEMU = '/usr/bin/qemu-system-x86_64';

function seconds(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function benchHints(runs: number): void {
  if (!existsSync(QEMU) || !existsSync(PROFILE)) {
    console.log('\nstatic hints: skipped (qemu-system-x86_64 not installed)');
    return;
  }
  const libraries = spawnSync('ldd', [QEMU], { encoding: 'utf8' })
    .stdout.split('\n')
    .flatMap((l) => /=> (\/\S+)/.exec(l)?.[1] ?? []);
  const propose = (extra: string[]) => [SBX, 'propose', '-q', ...extra, PROFILE, '-o', '/dev/null'];
  const rows: { cold: number; warm: number; none: number; objdump: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const cache = mkdtempSync(join(tmpdir(), 'sbx-bench-cache-'));
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    rows.push({
      cold: seconds(propose([]), env),
      warm: seconds(propose([]), env),
      none: seconds(propose(['--no-hints']), env),
      objdump: seconds(['objdump', '-d', QEMU, ...libraries]),
    });
    rmSync(cache, { recursive: true, force: true });
  }
  const median = (pick: (r: (typeof rows)[number]) => number) => rows.map(pick).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
  const [cold, warm, none, objdump] = [median((r) => r.cold), median((r) => r.warm), median((r) => r.none), median((r) => r.objdump)];
  console.log(`\nstatic hints on QEMU's boot profile (qemu-system-x86_64 + ${libraries.length} libraries), seconds, median of ${runs}`);
  console.log(
    `  propose --no-hints ${none.toFixed(2)}; hints, empty cache ${cold.toFixed(2)} (+${(cold - none).toFixed(2)}); hints, cached ${warm.toFixed(2)} (+${(warm - none).toFixed(2)})`,
  );
  console.log(
    `  objdump -d of the same files ${objdump.toFixed(2)}: hints with an empty cache / objdump = ${((cold - none) / objdump).toFixed(2)}`,
  );
  console.log('goal: the walk (hints minus --no-hints) <= 2 s with all libraries; cached: near 0');
}
