/**
 * Scenario files (docs/scenarios.md): a named list of runs of one program, learned together
 * (`sbx learn --scenarios`) or replayed under a policy (`sbx validate`). Every problem is a
 * one-line FormatError with the file and the JSON pointer; relative paths in the file are
 * resolved against the file's directory here, so callers only see absolute ones.
 */
import { statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { JsonChecker, readJsonFile, type Json } from '../json-check.js';

export const SCENARIOS_FORMAT = 'sbx-scenarios';
export const SCENARIOS_VERSION = 1;

export interface Scenario {
  /** Unique in the file; letters, digits, '.', '_', '-' (it names the kept profile files). */
  readonly name: string;
  readonly command: readonly string[];
  /** Added to (or overriding) sbx's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Absolute; default: the scenario file's directory. */
  readonly cwd: string;
  /** Seconds; the program (and its children) are killed after this long. */
  readonly timeout?: number;
  /** Absolute path of a file fed to the program as stdin. */
  readonly stdin?: string;
  /** argv of a script run alongside the program (in `cwd`, with SBX_SCENARIO_PID set). */
  readonly driver?: readonly string[];
  /** Runs of this scenario (default 1; `--repeat` overrides). */
  readonly repeat?: number;
}

export interface ScenarioSuite {
  readonly file: string;
  readonly scenarios: readonly Scenario[];
}

const NAME = /^[A-Za-z0-9._-]+$/;
const KEYS = new Set(['name', 'command', 'env', 'cwd', 'timeout', 'stdin', 'driver', 'repeat']);

class Checker extends JsonChecker {
  argv(value: Json, pointer: string): string[] {
    const list = this.strings(value, pointer);
    if (list.length === 0) this.fail(pointer, 'expected at least one word (the program)');
    return list;
  }

  positive(value: Json, pointer: string, integer: boolean): number {
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value)))
      this.fail(pointer, `expected a positive ${integer ? 'integer' : 'number'}`);
    return value;
  }
}

/** Check parsed JSON as a scenario file read from `file`. */
export function checkScenarios(data: Json, file: string): ScenarioSuite {
  const c = new Checker(file);
  const base = dirname(resolve(file));
  const at = (path: string) => (isAbsolute(path) ? path : resolve(base, path));
  const root = c.object(data, '');
  if (root.format !== SCENARIOS_FORMAT)
    c.fail('/format', `not an sbx scenario file (expected format "${SCENARIOS_FORMAT}", got ${JSON.stringify(root.format)})`);
  if (root.version !== SCENARIOS_VERSION)
    c.fail('/version', `unsupported scenario file version ${JSON.stringify(root.version)} (this sbx reads version ${SCENARIOS_VERSION})`);
  const list = c.array(root.scenarios, '/scenarios');
  if (list.length === 0) c.fail('/scenarios', 'a scenario file needs at least one scenario');
  const names = new Map<string, number>();
  const scenarios = list.map((item, i): Scenario => {
    const p = `/scenarios/${i}`;
    const s = c.object(item, p);
    const unknown = Object.keys(s).find((k) => !KEYS.has(k));
    if (unknown !== undefined) c.fail(`${p}/${unknown}`, `unknown field (known: ${[...KEYS].join(', ')})`);
    const name = c.string(s.name, `${p}/name`);
    if (!NAME.test(name)) c.fail(`${p}/name`, `${JSON.stringify(name)}: use letters, digits, '.', '_' and '-' only`);
    const twin = names.get(name);
    if (twin !== undefined) c.fail(`${p}/name`, `${JSON.stringify(name)} is also the name of /scenarios/${twin}`);
    names.set(name, i);
    const command = c.argv(s.command, `${p}/command`);
    let env: Record<string, string> | undefined;
    if (s.env !== undefined) {
      env = {};
      for (const [k, v] of Object.entries(c.object(s.env, `${p}/env`))) {
        if (k === '' || k.includes('=')) c.fail(`${p}/env/${k}`, 'not a valid variable name');
        env[k] = c.string(v, `${p}/env/${k}`);
      }
    }
    const cwd = s.cwd === undefined ? base : at(c.string(s.cwd, `${p}/cwd`));
    if (!statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) c.fail(`${p}/cwd`, `${cwd}: no such directory`);
    let stdin: string | undefined;
    if (s.stdin !== undefined) {
      stdin = at(c.string(s.stdin, `${p}/stdin`));
      if (!statSync(stdin, { throwIfNoEntry: false })?.isFile()) c.fail(`${p}/stdin`, `${stdin}: no such file`);
    }
    return {
      name,
      command,
      cwd,
      ...(env ? { env } : {}),
      ...(s.timeout !== undefined ? { timeout: c.positive(s.timeout, `${p}/timeout`, false) } : {}),
      ...(stdin !== undefined ? { stdin } : {}),
      ...(s.driver !== undefined ? { driver: c.argv(s.driver, `${p}/driver`) } : {}),
      ...(s.repeat !== undefined ? { repeat: c.positive(s.repeat, `${p}/repeat`, true) } : {}),
    };
  });
  return { file, scenarios };
}

/** Read and check a scenario file; every failure is a one-line UserError. */
export function readScenarios(file: string): ScenarioSuite {
  return checkScenarios(readJsonFile(file), file);
}
