/**
 * The folders are the architecture: each layer of src/ imports only the layers below it, and
 * the two tracing backends never import each other. Files directly in src/ are shared helpers
 * that any layer may use and that import no layer. Checked from the import statements.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.join(import.meta.dirname, '..', 'src');

/** Bottom to top; a layer may import its own folder and any folder with a lower rank. */
const LAYERS: Readonly<Record<string, number>> = {
  linux: 0,
  bpf: 1,
  profile: 2,
  policy: 3,
  ptrace: 4,
  ebpf: 4,
  learn: 5,
  ui: 6,
  cli: 7,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

/** Relative specifiers of static imports, re-exports, dynamic imports and worker URLs. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\(\s*|new URL\(\s*|^import\s+)'(\.[^']*)'/gm)) specs.push(m[1]!);
  return specs;
}

/** The layer folder of a file under src/, or undefined for a shared helper directly in src/. */
function layerOf(file: string): string | undefined {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 ? rel[0] : undefined;
}

describe('src/ layers', () => {
  const files = sourceFiles(SRC);

  it('every folder of src/ is a known layer', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(folders.filter((f) => !(f in LAYERS))).toEqual([]);
  });

  it('src/cli holds only files, one per command (the session they share lives in src/learn/session)', () => {
    const folders = readdirSync(path.join(SRC, 'cli'), { withFileTypes: true }).filter((e) => e.isDirectory());
    expect(folders.map((e) => e.name)).toEqual([]);
  });

  it('no import goes up or sideways', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const spec of importsOf(file)) {
        const target = path.resolve(path.dirname(file), spec);
        if (!target.startsWith(SRC + path.sep)) continue;
        const to = layerOf(target);
        const where = `${path.relative(SRC, file)} imports ${path.relative(SRC, target)}`;
        if (to === undefined || to === from) continue;
        if (from === undefined) violations.push(`${where}: a shared helper imports a layer`);
        else if (LAYERS[to]! >= LAYERS[from]!) violations.push(`${where}: ${to} is not below ${from}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the check sees imports (it is not vacuous)', () => {
    const total = files.reduce((n, f) => n + importsOf(f).length, 0);
    expect(total).toBeGreaterThan(200);
  });
});
