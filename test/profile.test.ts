/** Profiles end to end: argument and path histograms, report formats, merge, and bad files. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../src/profile/types.js';
import { PYTHON, readJson, runSbx, tempDir, workload } from './helpers.js';

async function learnTo(dir: string, name: string, args: string[]): Promise<string> {
  const out = join(dir, `${name}.json`);
  const run = await runSbx(['learn', '-q', ...args.slice(0, args.indexOf('--')), '-o', out, ...args.slice(args.indexOf('--'))]);
  expect(run.code, run.stderr).toBe(0);
  return out;
}

const entry = (profile: Profile, name: string) => profile.syscalls.find((s) => s.name === name);

/** A profile as plain JSON, to break on purpose. */
type Mutable = { syscalls: { nr: number; count: number; errors?: Record<string, number>; deniedByOwnFilter?: Record<string, number> }[] };

describe('argument histograms', () => {
  it('reads clone3 flags from struct clone_args in the tracee', async () => {
    const dir = tempDir();
    const profile = readJson(await learnTo(dir, 't', ['--', workload('threads'), '3', '10']));
    const clone3 = entry(profile, 'clone3');
    expect(clone3?.count).toBe(3);
    const flags = clone3?.args?.find((a) => a.index === 0);
    expect(flags?.values).toHaveLength(1);
    expect(flags?.values[0]?.count).toBe(3);
    expect(flags?.values[0]?.label).toMatch(/^CLONE_VM\|CLONE_FS\|CLONE_FILES\|CLONE_SIGHAND\|CLONE_THREAD\|/);
  });

  it('--paths records pathnames and socket addresses, bounded by --max-values', async () => {
    const dir = tempDir();
    const file = join(dir, 'hello.txt');
    writeFileSync(file, 'hi\n');
    const script = [
      'import socket, os',
      `for i in range(5): open(${JSON.stringify(file)}).read()`,
      'for i in range(20): os.path.exists("/nonexistent/%d" % i)',
      's = socket.socket(socket.AF_UNIX)',
      'try: s.connect("/run/sbx-test-no-such-socket")',
      'except OSError: pass',
    ].join('\n');
    const python = PYTHON;
    const profile = readJson(await learnTo(dir, 'p', ['--paths', '--max-values', '8', '--', python, '-c', script]));
    const openat = entry(profile, 'openat')!.paths!;
    expect(openat.values.find((v) => v.value === file)?.count).toBe(5);
    const stat = entry(profile, 'newfstatat')!.paths!;
    expect(stat.values.length).toBeLessThanOrEqual(8);
    expect(stat.other).toBeGreaterThan(0);
    expect(entry(profile, 'connect')?.paths?.values[0]?.value).toBe('/run/sbx-test-no-such-socket');
    expect(entry(profile, 'execve')?.paths?.values[0]?.value).toBe(python);
  });

  it('without --paths nothing is read from tracee memory but register arguments are kept', async () => {
    const dir = tempDir();
    const profile = readJson(await learnTo(dir, 'c', ['--', 'cat', '/etc/hostname']));
    expect(profile.syscalls.some((s) => s.paths)).toBe(false);
    const flags = entry(profile, 'openat')?.args?.find((a) => a.name === 'flags');
    expect(flags?.values.map((v) => v.label)).toContain('O_RDONLY|O_CLOEXEC');
  });
});

describe('report and merge', () => {
  it('report prints the table, --csv and --json', async () => {
    const dir = tempDir();
    const file = await learnTo(dir, 'dd', ['--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=500']);
    const table = await runSbx(['report', file]);
    expect(table.stdout).toMatch(/^% calls\s+calls\s+errors syscall\n/);
    // Seccomp mode does not see errors: "—", never a blank that reads as "none".
    expect(table.stdout).toMatch(/\n\s+[\d.]+\s+503\s+— read\n/);
    expect(table.stdout).toContain('\n—: not measured: seccomp mode sees each call once');
    const csv = await runSbx(['report', '--csv', file]);
    expect(csv.stdout.split('\n')[0]).toBe('syscall,arch,calls,percent,measuredCalls,errors,deniedByOwnFilter');
    expect(csv.stdout).toMatch(/\nread,x86_64,503,[\d.]+,0,,0\n/);
    const json = JSON.parse((await runSbx(['report', '--json', file])).stdout);
    expect(json.mode).toBe('seccomp');
    expect(json.syscalls.find((r: { syscall: string }) => r.syscall === 'read')).toMatchObject({
      calls: 503,
      measuredCalls: 0,
      errors: null,
    });
  });

  it('merging seccomp- and syscall-mode runs: time and errors per call are over the calls that were measured', async () => {
    const dir = tempDir();
    const fast = await learnTo(dir, 'fast', ['--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=900']);
    const timed = await learnTo(dir, 'timed', [
      '--mode',
      'syscall',
      '--',
      PYTHON,
      '-c',
      "import os\nfor _ in range(100): os.path.exists('/nonexistent')",
    ]);
    const out = join(dir, 'all.json');
    expect((await runSbx(['merge', fast, timed, '-o', out])).code).toBe(0);
    const json = JSON.parse((await runSbx(['report', '--json', out])).stdout);
    expect(json.mode).toBe('mixed');
    type Row = {
      syscall: string;
      calls: number;
      measuredCalls: number;
      errors: number | null;
      seconds: number | null;
      usecsPerCall: number | null;
    };
    const row = (name: string) => (json.syscalls as Row[]).find((r) => r.syscall === name)!;
    const pyRead = entry(readJson(timed), 'read')!;
    const read = row('read');
    expect(read.calls).toBe(903 + pyRead.count);
    expect(read.measuredCalls).toBe(pyRead.count);
    expect(read.usecsPerCall).toBe(Math.round(pyRead.timeUs! / pyRead.count));
    expect(row('newfstatat').errors).toBeGreaterThanOrEqual(100);
    // Calls only dd made (in seccomp mode) were not measured at all.
    const ddOnly = (json.syscalls as Row[]).filter((r) => r.measuredCalls === 0);
    expect(ddOnly.length).toBeGreaterThan(0);
    for (const r of ddOnly) expect(r).toMatchObject({ errors: null, seconds: null, usecsPerCall: null });
    const table = (await runSbx(['report', out])).stdout;
    const ddOnlyLine = table.split('\n').find((l) => l.endsWith(` ${ddOnly[0]!.syscall}`))!;
    expect(ddOnlyLine).toMatch(/^\s+—\s+—\s+—\s+\d+\s+— /);
    expect(table).toMatch(/mixed modes: errors and time are over the \d+ of \d+ calls made in syscall-mode runs/);
  });

  it('merge adds runs: counts sum, per-run columns line up, histograms merge', async () => {
    const dir = tempDir();
    const a = await learnTo(dir, 'a', ['--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=100']);
    const b = await learnTo(dir, 'b', ['--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=300']);
    const out = join(dir, 'all.json');
    expect((await runSbx(['merge', a, b, '-o', out])).code).toBe(0);
    const merged = readJson(out);
    const [pa, pb] = [readJson(a), readJson(b)];
    expect(merged.runs).toHaveLength(2);
    expect(merged.totals.calls).toBe(pa.totals.calls + pb.totals.calls);
    const read = entry(merged, 'read')!;
    expect(read.count).toBe(103 + 303);
    expect(read.perRun).toEqual([103, 303]);
    const openFlags = (p: Profile) => entry(p, 'openat')!.args!.find((h) => h.name === 'flags')!.values;
    const total = (vs: readonly { count: number }[]) => vs.reduce((n, v) => n + v.count, 0);
    expect(total(openFlags(merged))).toBe(total(openFlags(pa)) + total(openFlags(pb)));
    // A merged profile merges again: runs keep their columns.
    const c = await learnTo(dir, 'c', ['--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=200']);
    const mergedAgain = join(dir, 'again.json');
    expect((await runSbx(['merge', out, c, '-o', mergedAgain])).code).toBe(0);
    expect(entry(readJson(mergedAgain), 'read')!.perRun).toEqual([103, 303, 203]);
  });

  it('one run given twice is refused (merge, propose, review): it would count as two runs', async () => {
    const dir = tempDir();
    const a = await learnTo(dir, 'a', ['--', 'true']);
    const b = await learnTo(dir, 'b', ['--', 'true']);
    const all = join(dir, 'all.json');
    expect((await runSbx(['merge', a, b, '-o', all])).code).toBe(0);
    const again = join(dir, 'again.json');
    const run = readJson(a).runs[0]!;
    const said = (file: string, where: string) =>
      `sbx: ${file}: the run of \`${run.command.join(' ')}\` started ${run.start} on ${run.hostname} is ${where}: adding it again would count it twice\n`;
    for (const args of [
      ['merge', all, a, '-o', again],
      ['propose', all, a, '-o', again],
    ]) {
      const res = await runSbx(args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toBe(said(a, `already in ${all}`));
    }
    const twice = await runSbx(['merge', a, a, '-o', again]);
    expect(twice.stderr).toBe(said(a, `already in ${a}`));
    expect(existsSync(again)).toBe(false);
  });
});

describe('bad profile files', () => {
  const cases: { name: string; content: string; message: RegExp }[] = [
    { name: 'not JSON', content: '{"format": ', message: /^sbx: .*bad\.json: \/: not valid JSON/ },
    { name: 'not a profile', content: '{"format":"other"}', message: /^sbx: .*bad\.json: \/format: not an sbx profile/ },
    {
      name: 'unknown version',
      content: '{"format":"sbx-profile","version":99}',
      message: /^sbx: .*bad\.json: \/version: unsupported profile version 99/,
    },
  ];
  it.each(cases)('report and merge refuse $name with one line', async ({ content, message }) => {
    const dir = tempDir();
    const file = join(dir, 'bad.json');
    writeFileSync(file, content);
    for (const args of [
      ['report', file],
      ['merge', file, '-o', join(dir, 'out.json')],
    ]) {
      const run = await runSbx(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'out.json'))).toBe(false);
  });

  it('points at the bad value inside a profile', async () => {
    const dir = tempDir();
    const good = readJson(await learnTo(dir, 'ok', ['--', 'true']));
    const broken = structuredClone(good) as unknown as { syscalls: { count: unknown }[] };
    broken.syscalls[2]!.count = -4;
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(broken));
    const run = await runSbx(['report', file]);
    expect(run.stderr).toBe(`sbx: ${file}: /syscalls/2/count: expected a non-negative integer\n`);
  });

  const inconsistencies: { name: string; edit: (p: Mutable) => void; pointer: string; problem: RegExp }[] = [
    {
      name: 'a count that is not the sum of perRun',
      edit: (p) => (p.syscalls[1]!.count += 1),
      pointer: '/syscalls/1/count',
      problem: /^\d+ is not the sum of perRun \(\d+\)$/,
    },
    {
      name: 'a syscall listed twice',
      edit: (p) => p.syscalls.push(structuredClone(p.syscalls[0]!)),
      pointer: '/syscalls/LAST',
      problem: /is listed twice \(also \/syscalls\/0\)$/,
    },
    {
      name: 'more errors than calls',
      edit: (p) => (p.syscalls[0]!.errors = { ENOENT: p.syscalls[0]!.count + 1 }),
      pointer: '/syscalls/0/errors',
      problem: /^\d+ errors for \d+ calls$/,
    },
    {
      name: 'more denials than calls',
      edit: (p) => (p.syscalls[0]!.deniedByOwnFilter = { KILL: p.syscalls[0]!.count + 1 }),
      pointer: '/syscalls/0/deniedByOwnFilter',
      problem: /^\d+ denials for \d+ calls$/,
    },
    {
      name: 'a name that is not its number',
      edit: (p) => (p.syscalls[0]!.nr = p.syscalls[0]!.nr === 39 ? 110 : 39),
      pointer: '/syscalls/0/name',
      problem: /is not syscall (39|110) on x86_64 \(that is get(pid|ppid)\)$/,
    },
  ];
  it.each(inconsistencies)('rejects $name, pointing at it', async ({ edit, pointer, problem }) => {
    const dir = tempDir();
    const profile = readJson(await learnTo(dir, 'ok', ['--', 'true'])) as unknown as Mutable;
    edit(profile);
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(profile));
    for (const args of [
      ['report', file],
      ['merge', file, '-o', join(dir, 'out.json')],
    ]) {
      const run = await runSbx(args);
      expect(run.code).toBe(2);
      const prefix = `sbx: ${file}: ${pointer.replace('LAST', String(profile.syscalls.length - 1))}: `;
      expect(run.stderr.startsWith(prefix), run.stderr).toBe(true);
      expect(run.stderr.slice(prefix.length).trimEnd()).toMatch(problem);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('a missing profile file is one line', async () => {
    const run = await runSbx(['report', '/nonexistent/p.json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('sbx: cannot read /nonexistent/p.json: ENOENT\n');
  });
});
