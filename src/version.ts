import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** sbx's version, from the package.json shipped beside dist/. */
export function toolVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
