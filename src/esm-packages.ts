/**
 * ES-module-only packages the CommonJS bundle cannot require(): Ink loads yoga-layout with
 * top-level await. `importEsmPackages()` imports them once, before the first module that uses
 * them loads (src/ui/load-ui.ts); the bundle's `require('ink')` is `preloaded('ink')`
 * (scripts/bundle.mjs). Unbundled (tsc's dist/src, tests), modules import Ink themselves.
 */
declare const SBX_BUNDLED: boolean | undefined;
const PACKAGES = ['ink'] as const;
const loaded = new Map<string, unknown>();

type Import = (specifier: string) => Promise<unknown>;

/**
 * The bundle compiled by bin/start.cjs (vm.Script, for its code cache) has no module loader to
 * import() with; that file lends its own. Loaded by Node itself (`node bin/sbx`), it has one.
 */
function importer(): Import {
  const lent = (globalThis as Record<symbol, Import | undefined>)[Symbol.for('sbx.import')];
  return lent ?? ((specifier) => import(specifier));
}

export async function importEsmPackages(): Promise<void> {
  if (typeof SBX_BUNDLED === 'undefined' || loaded.size === PACKAGES.length) return;
  const load = importer();
  for (const name of PACKAGES) loaded.set(name, await load(name));
}

export function preloaded(name: string): unknown {
  const module = loaded.get(name);
  if (module === undefined) throw new Error(`${name} used before importEsmPackages() loaded it`);
  return module;
}
