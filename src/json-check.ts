/**
 * Reading sbx's JSON formats: every problem is a one-line FormatError naming the file and
 * the JSON pointer of the bad value (`policy.json: /rules/3/action: ...`). Profile and policy
 * readers extend JsonChecker with their own fields.
 */
import { readFileSync } from 'node:fs';
import { UserError } from './io.js';

export type Json = unknown;

/** A file that does not match its format; the message points at the spot. */
export class FormatError extends UserError {
  constructor(file: string, pointer: string, problem: string) {
    super(`${file}: ${pointer || '/'}: ${problem}`);
  }
}

/** Read and parse a JSON file; unreadable or malformed files are one-line errors. */
export function readJsonFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new FormatError(file, '', `not valid JSON (${(err as Error).message})`);
  }
}

/** Typed accessors that throw a FormatError at the value's JSON pointer. */
export class JsonChecker {
  constructor(readonly file: string) {}

  fail(pointer: string, problem: string): never {
    throw new FormatError(this.file, pointer, problem);
  }

  object(value: Json, pointer: string): Record<string, Json> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(pointer, 'expected an object');
    return value as Record<string, Json>;
  }

  array(value: Json, pointer: string): Json[] {
    if (!Array.isArray(value)) this.fail(pointer, 'expected an array');
    return value;
  }

  string(value: Json, pointer: string): string {
    if (typeof value !== 'string') this.fail(pointer, 'expected a string');
    return value;
  }

  /** An array of strings; a bad element is named by its index. */
  strings(value: Json, pointer: string): string[] {
    return this.array(value, pointer).map((x, i) => this.string(x, `${pointer}/${i}`));
  }
}
