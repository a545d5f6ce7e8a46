/**
 * Stack traces that point at sbx's sources. The bundle sbx runs (dist/bundle/*.cjs) has its
 * whitespace minified, so a frame there reads `sbx.cjs:2:48213`; each bundle has its source
 * map beside it, which says `src/ptrace/tracer.ts:412:9`. Only an internal error's report
 * (exit 70) reads a map, so no start pays for one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';

/** A frame's location: an absolute path ending in .cjs, a line and a column (1-based). */
const BUNDLE_FRAME = /(\/[^\s():]+\.cjs):(\d+):(\d+)/g;

/** The source map beside `file`, undefined where there is none or it does not parse. */
function mapBeside(file: string): SourceMap | undefined {
  const mapFile = `${file}.map`;
  if (!existsSync(mapFile)) return undefined;
  try {
    return new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * `stack` with every frame in a bundle that has a source map replaced by the place in the
 * source it came from, relative to the package (`src/cli/learn.ts:42:7`); other frames as
 * they are.
 */
export function sourceMappedStack(stack: string): string {
  const maps = new Map<string, SourceMap | undefined>();
  return stack.replace(BUNDLE_FRAME, (frame, file: string, line: string, column: string) => {
    if (!maps.has(file)) maps.set(file, mapBeside(file));
    const entry = maps.get(file)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !('originalSource' in entry) || !entry.originalSource) return frame;
    // Sources are named relative to the map (../../src/...): name them from the package root.
    const source = resolve(dirname(file), entry.originalSource);
    return `${relative(resolve(dirname(file), '..', '..'), source)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
