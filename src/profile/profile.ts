/**
 * Reading, checking and merging profiles (format in profile-types.ts, docs/profile-format.md).
 * Every check names the file and the JSON pointer of the bad value.
 */
import { callKey, isArchName, namedCallKey, type ArchName, type CallKey, type NamedCallKey } from '../linux/arch.js';
import { syscallNameOrNumber } from '../linux/syscalls.js';
import { JsonChecker, readJsonFile, type Json } from '../json-check.js';
import { BoundedHistogram } from './histogram.js';
import {
  DEFAULT_MAX_VALUES,
  PROFILE_FORMAT,
  PROFILE_VERSION,
  type ArgHistogram,
  type ExecutableEntry,
  type ValueCount,
  type Profile,
  type SyscallEntry,
} from './types.js';
import { toolVersion } from '../version.js';
import { UserError } from '../io.js';

export { FormatError } from '../json-check.js';

/**
 * Most calls first; ties by arch then number, so output is stable. Arch names compare as plain
 * strings (the same order as localeCompare for these names), because the first localeCompare
 * of a process sets up ICU's collator: ~30 ms on this VM, at the end of every `sbx learn`.
 */
export function sortSyscalls(entries: SyscallEntry[]): SyscallEntry[] {
  return entries.sort((a, b) => b.count - a.count || (a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0) || a.nr - b.nr);
}

/** Profile-specific checks on top of the shared accessors. */
class Checker extends JsonChecker {
  count(value: Json, pointer: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) this.fail(pointer, 'expected a non-negative integer');
    return value;
  }

  counts(value: Json, pointer: string): Record<string, number> {
    const obj = this.object(value, pointer);
    for (const [k, v] of Object.entries(obj)) this.count(v, `${pointer}/${k}`);
    return obj as Record<string, number>;
  }

  histogram(value: Json, pointer: string): ArgHistogram {
    const h = this.object(value, pointer);
    this.count(h.other, `${pointer}/other`);
    this.array(h.values, `${pointer}/values`).forEach((v, i) => {
      const item = this.object(v, `${pointer}/values/${i}`);
      this.string(item.value, `${pointer}/values/${i}/value`);
      this.count(item.count, `${pointer}/values/${i}/count`);
    });
    return h as unknown as ArgHistogram;
  }
}

/** Check parsed JSON against profile v1 and return it typed. */
export function checkProfile(data: Json, file: string): Profile {
  const c = new Checker(file);
  const root = c.object(data, '');
  if (root.format !== PROFILE_FORMAT)
    c.fail('/format', `not an sbx profile (expected format "${PROFILE_FORMAT}", got ${JSON.stringify(root.format)})`);
  if (root.version !== PROFILE_VERSION)
    c.fail('/version', `unsupported profile version ${JSON.stringify(root.version)} (this sbx reads version ${PROFILE_VERSION})`);
  const runs = c.array(root.runs, '/runs');
  if (runs.length === 0) c.fail('/runs', 'a profile needs at least one run');
  runs.forEach((r, i) => {
    const run = c.object(r, `/runs/${i}`);
    c.array(run.command, `/runs/${i}/command`);
    if (run.mode !== 'seccomp' && run.mode !== 'syscall') c.fail(`/runs/${i}/mode`, 'expected "seccomp" or "syscall"');
    if (run.scenario !== undefined) c.string(run.scenario, `/runs/${i}/scenario`);
    if (run.backend !== undefined && run.backend !== 'ptrace' && run.backend !== 'ebpf')
      c.fail(`/runs/${i}/backend`, 'expected "ptrace" or "ebpf"');
  });
  c.array(root.arches, '/arches').forEach((a, i) => {
    if (typeof a !== 'string' || !isArchName(a)) c.fail(`/arches/${i}`, `unknown arch ${JSON.stringify(a)}`);
  });
  const totals = c.object(root.totals, '/totals');
  for (const key of ['calls', 'errors', 'processes', 'threads']) c.count(totals[key], `/totals/${key}`);
  const seen = new Map<CallKey | NamedCallKey, number>();
  c.array(root.syscalls, '/syscalls').forEach((s, i) => {
    const p = `/syscalls/${i}`;
    const entry = c.object(s, p);
    if (typeof entry.arch !== 'string' || !isArchName(entry.arch)) c.fail(`${p}/arch`, `unknown arch ${JSON.stringify(entry.arch)}`);
    const nr = c.count(entry.nr, `${p}/nr`);
    const name = c.string(entry.name, `${p}/name`);
    const expected = syscallNameOrNumber(entry.arch as ArchName, nr);
    if (name !== expected) c.fail(`${p}/name`, `${JSON.stringify(name)} is not syscall ${nr} on ${entry.arch} (that is ${expected})`);
    for (const key of [callKey(entry.arch as ArchName, nr), namedCallKey(entry.arch as ArchName, name)]) {
      const first = seen.get(key);
      if (first !== undefined) c.fail(p, `${entry.arch} ${name} (${nr}) is listed twice (also /syscalls/${first})`);
      seen.set(key, i);
    }
    const count = c.count(entry.count, `${p}/count`);
    const perRun = c.array(entry.perRun, `${p}/perRun`);
    if (perRun.length !== runs.length) c.fail(`${p}/perRun`, `has ${perRun.length} entries for ${runs.length} runs`);
    const perRunSum = perRun.reduce<number>((n, v, j) => n + c.count(v, `${p}/perRun/${j}`), 0);
    if (perRunSum !== count) c.fail(`${p}/count`, `${count} is not the sum of perRun (${perRunSum})`);
    for (const key of ['errors', 'deniedByOwnFilter'] as const) {
      if (entry[key] === undefined) continue;
      const total = Object.values(c.counts(entry[key], `${p}/${key}`)).reduce((n, v) => n + v, 0);
      if (total > count) c.fail(`${p}/${key}`, `${total} ${key === 'errors' ? 'errors' : 'denials'} for ${count} calls`);
    }
    if (entry.args !== undefined) c.array(entry.args, `${p}/args`).forEach((h, j) => c.histogram(h, `${p}/args/${j}`));
    if (entry.paths !== undefined) c.histogram(entry.paths, `${p}/paths`);
  });
  c.array(root.executables, '/executables').forEach((e, i) => {
    const exe = c.object(e, `/executables/${i}`);
    c.string(exe.path, `/executables/${i}/path`);
    c.counts(exe.syscalls, `/executables/${i}/syscalls`);
  });
  c.array(root.notes, '/notes');
  return root as unknown as Profile;
}

/** Read and check a profile file; every failure is a one-line UserError. */
export function readProfile(file: string): Profile {
  return checkProfile(readJsonFile(file), file);
}

/** A profile and the file it was read from. */
export interface ProfileSource {
  readonly file: string;
  readonly profile: Profile;
}

/**
 * Read profiles that are to be added together, refusing one run given twice (`sbx merge
 * all.json a.json` once a.json is in all.json): merged, it would count as two runs that did the
 * same. A run is known by its host, start, end, command and call count.
 */
export function readProfiles(files: readonly string[]): ProfileSource[] {
  const sources = files.map((file) => ({ file, profile: readProfile(file) }));
  const firstSource = new Map<string, number>();
  sources.forEach(({ file, profile }, index) => {
    for (const run of profile.runs) {
      const id = JSON.stringify([run.hostname, run.start, run.end, run.command, run.calls]);
      const first = firstSource.get(id);
      if (first !== undefined)
        throw new UserError(
          `${file}: the run of \`${run.command.join(' ')}\` started ${run.start} on ${run.hostname} is ${first === index ? 'in it twice' : `already in ${sources[first]!.file}`}: adding it again would count it twice`,
        );
      firstSource.set(id, index);
    }
  });
  return sources;
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>> | undefined): void {
  if (from) for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

function mergeHistograms(parts: readonly ArgHistogram[], limit: number): ArgHistogram {
  // Values merge per (value, context) pair; each keeps its first label.
  const byKey = new Map<string, ValueCount>();
  let other = 0;
  for (const part of parts) {
    other += part.other;
    for (const v of part.values) {
      const key = v.context === undefined ? v.value : `${v.value}@${v.context}`;
      const seen = byKey.get(key);
      byKey.set(key, seen ? { ...seen, count: seen.count + v.count } : v);
    }
  }
  // Keep the `limit` most frequent exactly; fold the rest into `other`.
  const kept = new BoundedHistogram<string>(limit);
  for (const [key, { count }] of [...byKey].sort((a, b) => b[1].count - a[1].count)) kept.add(key, count);
  return {
    index: parts[0]!.index,
    name: parts[0]!.name,
    values: kept.entries().map(([key, count]) => ({ ...byKey.get(key)!, count })),
    other: other + kept.other,
  };
}

/** Add runs together: counts sum, per-run columns concatenate, histograms merge within the bound. */
export function mergeProfiles(profiles: readonly Profile[], maxValues = DEFAULT_MAX_VALUES): Profile {
  const runCount = profiles.reduce((n, p) => n + p.runs.length, 0);
  const entries = new Map<CallKey, { parts: SyscallEntry[]; perRun: number[] }>();
  let offset = 0;
  for (const profile of profiles) {
    for (const s of profile.syscalls) {
      const key = callKey(s.arch, s.nr);
      let slot = entries.get(key);
      if (!slot) entries.set(key, (slot = { parts: [], perRun: new Array<number>(runCount).fill(0) }));
      slot.parts.push(s);
      s.perRun.forEach((n, i) => (slot!.perRun[offset + i] = n));
    }
    offset += profile.runs.length;
  }
  const syscalls = [...entries.values()].map(({ parts, perRun }) => mergeEntry(parts, perRun, maxValues));
  const executables = new Map<
    string,
    { execs: number; attached: number; processes: number; threads: number; syscalls: Record<string, number> }
  >();
  for (const profile of profiles)
    for (const e of profile.executables) {
      let into = executables.get(e.path);
      if (!into) executables.set(e.path, (into = { execs: 0, attached: 0, processes: 0, threads: 0, syscalls: {} }));
      into.execs += e.execs;
      into.attached += e.attached ?? 0;
      into.processes += e.processes;
      into.threads += e.threads;
      addCounts(into.syscalls, e.syscalls);
    }
  const arches = new Set<ArchName>(profiles.flatMap((p) => p.arches));
  const sum = (key: 'calls' | 'errors' | 'processes' | 'threads') => profiles.reduce((n, p) => n + p.totals[key], 0);
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    tool: { name: 'sbx', version: toolVersion() },
    arches: [...arches],
    runs: profiles.flatMap((p) => p.runs),
    totals: { calls: sum('calls'), errors: sum('errors'), processes: sum('processes'), threads: sum('threads') },
    syscalls: sortSyscalls(syscalls),
    executables: [...executables].map(([path, { attached, ...e }]): ExecutableEntry => ({ path, ...e, ...(attached ? { attached } : {}) })),
    notes: [...new Set(profiles.flatMap((p) => p.notes))],
  };
}

function mergeEntry(parts: readonly SyscallEntry[], perRun: number[], maxValues: number): SyscallEntry {
  const first = parts[0]!;
  const errors: Record<string, number> = {};
  const denied: Record<string, number> = {};
  let timeUs: number | undefined;
  const args = new Map<number, ArgHistogram[]>();
  const paths: ArgHistogram[] = [];
  for (const part of parts) {
    addCounts(errors, part.errors);
    addCounts(denied, part.deniedByOwnFilter);
    if (part.timeUs !== undefined) timeUs = (timeUs ?? 0) + part.timeUs;
    for (const h of part.args ?? []) args.set(h.index, [...(args.get(h.index) ?? []), h]);
    if (part.paths) paths.push(part.paths);
  }
  const hasErrors = parts.some((p) => p.errors !== undefined);
  return {
    arch: first.arch,
    nr: first.nr,
    name: first.name,
    count: parts.reduce((n, p) => n + p.count, 0),
    perRun,
    firstSeen: Math.min(...parts.map((p) => p.firstSeen)),
    ...(hasErrors ? { errors } : {}),
    ...(timeUs !== undefined ? { timeUs } : {}),
    ...(Object.keys(denied).length ? { deniedByOwnFilter: denied } : {}),
    ...(args.size ? { args: [...args.values()].map((hs) => mergeHistograms(hs, maxValues)).sort((a, b) => a.index - b.index) } : {}),
    ...(paths.length ? { paths: mergeHistograms(paths, maxValues) } : {}),
  };
}
