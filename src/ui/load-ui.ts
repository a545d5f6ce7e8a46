/**
 * Load a terminal UI module. Ink decides once, when it loads, whether it runs "in CI" (the
 * CI or CONTINUOUS_INTEGRATION variable set), and then draws only the final frame. A command
 * the user runs on a terminal is interactive whatever the environment says, so those
 * variables are hidden while the UI loads and restored at once (the traced program still gets
 * the environment it was given). Ink itself is imported first (src/esm-packages.ts).
 */
import { importEsmPackages } from '../esm-packages.js';

const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

export async function loadTerminalUi<T>(load: () => Promise<T>): Promise<T> {
  const saved = CI_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    await importEsmPackages();
    return await load();
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}
