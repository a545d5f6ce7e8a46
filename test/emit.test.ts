/**
 * Emitters: one golden file per emitter for policies proposed from the real learned profiles
 * (samples/policies/, made from samples/profiles/), and each format checked by what reads it:
 * gcc + libseccomp for the C files, the OCI schema, systemd-analyze for the unit settings,
 * strace for the trace set. Set UPDATE_GOLDEN=1 to rewrite the golden files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMITTERS, emitterNames, type EmitterName } from '../src/learn/emit/index.js';
import type { EmitResult } from '../src/learn/emit/shared.js';
import { ACTION_OPS, checkPolicy, formatAction, policyDecisions, readPolicy, type Policy } from '../src/learn/policy.js';
import { syscallNumber } from '../src/ptrace/syscalls.js';
import { kernelTarget } from '../src/ptrace/target-syscalls.js';
import { writeFileAtomic } from '../src/io.js';
import { ROOT, requireTool, runSbx, tempDir } from './helpers.js';
import { systemdAnalyzeExpanded } from './golden/systemd-analyze.js';

const GOLDEN_POLICIES = ['ls.allowlist', 'sh-loop.denylist', 'dd.allowlist'] as const;
const ALL_SAMPLES = [...GOLDEN_POLICIES, 'threads.allowlist', 'http-server.allowlist'] as const;

const EXTENSION: Readonly<Record<EmitterName, string>> = {
  'qemu-c': 'qemu.c',
  'libseccomp-c': 'libseccomp.c',
  oci: 'oci.json',
  systemd: 'systemd.conf',
  minijail: 'minijail.policy',
  strace: 'strace.txt',
  csv: 'csv',
  markdown: 'md',
};

const samplePolicy = (name: string): Policy => readPolicy(join(ROOT, 'samples', 'policies', `${name}.json`));

async function emitSample(format: EmitterName, name: string, policy: Policy = samplePolicy(name)): Promise<EmitResult> {
  const emitter = await EMITTERS[format].load();
  // Linux 6.1: the goldens do not depend on this machine's headers (minijail leaves out newer names)
  return emitter.emit(policy, { source: `samples/policies/${name}.json`, output: `${name}.${EXTENSION[format]}`, target: kernelTarget('6.1') });
}

function golden(file: string, text: string): void {
  const path = join(ROOT, 'test', 'golden', file);
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileAtomic(path, text);
  expect(text, `golden file test/golden/${file} (UPDATE_GOLDEN=1 to rewrite)`).toBe(readFileSync(path, 'utf8'));
}

/** A hand-written policy that uses every action and every comparison (not a golden input). */
const EVERYTHING = checkPolicy(
  {
    format: 'sbx-policy',
    version: 1,
    arches: ['x86_64'],
    defaultAction: 'errno(EPERM)',
    rules: [
      { syscall: 'read', action: 'allow', priority: 255 },
      { syscall: 'write', action: 'log', priority: 254 },
      { syscall: 'getpid', action: 'trap' },
      { syscall: 'getppid', action: 'kill-thread' },
      { syscall: 'mount', action: 'kill-process' },
      { syscall: 'clone3', action: 'errno(ENOSYS)' },
      { syscall: 'uname', action: 'trace(7)' },
      { syscall: 'socket', action: 'allow', args: [{ index: 0, op: 'eq', value: '2' }] },
      { syscall: 'socket', action: 'allow', args: [{ index: 0, op: 'ne', value: '16' }, { index: 1, op: 'lt', value: '3' }] },
      { syscall: 'mmap', action: 'allow', args: [{ index: 2, op: 'le', value: '3' }] },
      { syscall: 'lseek', action: 'allow', args: [{ index: 2, op: 'gt', value: '0' }, { index: 0, op: 'ge', value: '3' }] },
      { syscall: 'clone', action: 'allow', args: [{ index: 0, op: 'masked-eq', mask: '0xffffffffffffff00', value: '0x3d0f00' }] },
    ],
  },
  'everything.json',
);

describe('golden files: every emitter, policies proposed from real learned profiles', () => {
  const rows = GOLDEN_POLICIES.flatMap((name) => emitterNames().map((format) => ({ name, format })));
  it.each(rows)('$format of $name', async ({ name, format }) => {
    const result = await emitSample(format, name);
    golden(`${name}.${EXTENSION[format]}`, result.text);
    for (const extra of result.extras ?? []) golden(extra.path, extra.text);
  });
});

describe('libseccomp-c and qemu-c compile against libseccomp', () => {
  const requireSeccompHeader = () => {
    requireTool('gcc');
    if (!existsSync('/usr/include/seccomp.h')) throw new Error('libseccomp-dev is required (apt-get install libseccomp-dev); .ci/run installs it');
  };
  const compile = (source: string, args: string[]) => {
    const dir = tempDir('sbx-emit-c-');
    const file = join(dir, 'filter.c');
    writeFileSync(file, source);
    const out = spawnSync('gcc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', ...args, file, '-lseccomp'], { cwd: dir, encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
  };
  const rows = [...ALL_SAMPLES.map((name) => ({ name, policy: undefined as Policy | undefined })), { name: 'everything', policy: EVERYTHING }];

  it.each(rows)('libseccomp-c of $name: the wrapper links, and the function alone compiles', async ({ name, policy }) => {
    requireSeccompHeader();
    const { text } = await emitSample('libseccomp-c', name, policy ?? samplePolicy(name));
    compile(text, ['-o', 'sandbox']);
    compile(text, ['-c', '-DSBX_NO_MAIN', '-o', 'filter.o']);
  });

  it.each(rows)('qemu-c of $name compiles', async ({ name, policy }) => {
    requireSeccompHeader();
    const { text } = await emitSample('qemu-c', name, policy ?? samplePolicy(name));
    compile(text, ['-c', '-o', 'filter.o']);
  });

  it('qemu-c keeps the 2012 shape: {syscall number, priority}, most frequent first', async () => {
    const { text } = await emitSample('qemu-c', 'ls.allowlist');
    const entries = [...text.matchAll(/^ {4}\{ (\d+), (\d+) \},\s+\/\* (\w+) \*\/$/gm)].map((m) => ({ nr: Number(m[1]), priority: Number(m[2]), name: m[3]! }));
    expect(entries.length).toBeGreaterThan(10);
    for (const e of entries) expect(e.nr).toBe(syscallNumber('x86_64', e.name));
    expect(entries.map((e) => e.priority)).toEqual([...entries.map((e) => e.priority)].sort((a, b) => b - a));
    expect(entries[0]!.priority).toBe(255);
  });
});

// ---- OCI ----

type Schema = Record<string, unknown>;

/** JSON text → value, integers of 16 digits or more kept exact as { big: bigint }. */
function parseExact(text: string): unknown {
  return JSON.parse(text.replace(/(?<=[:[,]\s*)(\d{16,})(?=\s*[,\]}])/g, '{"$big":"$1"}'), (_k, v) =>
    v && typeof v === 'object' && '$big' in v ? { big: BigInt((v as { $big: string }).$big) } : v,
  );
}

/** The subset of JSON Schema the OCI schema uses; returns the first violation's path, or undefined. */
function validate(value: unknown, schema: Schema, root: Schema, path = ''): string | undefined {
  if (typeof schema.$ref === 'string') return validate(value, root.definitions ? (root.definitions as Schema)[schema.$ref.split('/').pop()!] as Schema : {}, root, path);
  const big = value && typeof value === 'object' && 'big' in value ? (value as { big: bigint }).big : undefined;
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || big !== undefined) return `${path}: not an object`;
      const obj = value as Record<string, unknown>;
      for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in obj)) return `${path}/${key}: required`;
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const [key, v] of Object.entries(obj)) {
        if (!(key in props)) {
          if (schema.additionalProperties === false) return `${path}/${key}: not allowed`;
          continue;
        }
        const bad = validate(v, props[key]!, root, `${path}/${key}`);
        if (bad) return bad;
      }
      return undefined;
    }
    case 'array': {
      if (!Array.isArray(value)) return `${path}: not an array`;
      if (typeof schema.minItems === 'number' && value.length < schema.minItems) return `${path}: fewer than ${schema.minItems} items`;
      for (let i = 0; i < value.length; i++) {
        const bad = validate(value[i], schema.items as Schema, root, `${path}/${i}`);
        if (bad) return bad;
      }
      return undefined;
    }
    case 'string':
      if (typeof value !== 'string') return `${path}: not a string`;
      if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return `${path}: ${value} not in the enum`;
      return undefined;
    case 'integer': {
      const n = big ?? (typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : undefined);
      if (n === undefined) return `${path}: not an integer`;
      if (typeof schema.minimum === 'number' && n < BigInt(schema.minimum)) return `${path}: below the minimum`;
      if (typeof schema.maximum === 'number' && n > BigInt(String(schema.maximum === 18446744073709551615 ? '18446744073709551615' : schema.maximum))) return `${path}: above the maximum`;
      return undefined;
    }
    default:
      return undefined;
  }
}

describe('oci: the shape Docker and runc accept', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'test', 'golden', 'oci-seccomp.schema.json'), 'utf8')) as Schema;
  const rows = [...ALL_SAMPLES.map((name) => ({ name, policy: undefined as Policy | undefined })), { name: 'everything', policy: EVERYTHING }];

  it.each(rows)('oci of $name passes the runtime-spec schema', async ({ name, policy }) => {
    const { text } = await emitSample('oci', name, policy ?? samplePolicy(name));
    expect(validate(parseExact(text), schema, schema)).toBeUndefined();
  });

  it('the validator catches what the spec forbids', () => {
    expect(validate({ syscalls: [] }, schema, schema)).toBe('/defaultAction: required');
    expect(validate({ defaultAction: 'SCMP_ACT_DENY' }, schema, schema)).toBe('/defaultAction: SCMP_ACT_DENY not in the enum');
    expect(validate({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }, schema, schema)).toBe('/syscalls/0/names: fewer than 1 items');
    expect(validate(parseExact('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551616,"op":"SCMP_CMP_EQ"}]}]}'), schema, schema)).toBe(
      '/syscalls/0/args/0/value: above the maximum',
    );
  });

  it('every action and comparison maps as runc expects (masked-eq: value is the mask, valueTwo the value; exact uint64)', async () => {
    const { text } = await emitSample('oci', 'everything', EVERYTHING);
    const oci = parseExact(text) as { defaultAction: string; defaultErrnoRet: number; syscalls: { names: string[]; action: string; errnoRet?: number; args?: unknown[] }[] };
    expect(oci.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(oci.defaultErrnoRet).toBe(1);
    const entry = (name: string) => oci.syscalls.filter((s) => s.names.includes(name));
    expect(entry('clone3')[0]).toEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(entry('uname')[0]).toEqual({ names: ['uname'], action: 'SCMP_ACT_TRACE', errnoRet: 7 });
    expect(entry('getppid')[0]!.action).toBe('SCMP_ACT_KILL_THREAD');
    expect(entry('write')[0]!.action).toBe('SCMP_ACT_LOG');
    expect(entry('clone')[0]!.args).toEqual([{ index: 0, value: { big: 0xffffffffffffff00n }, valueTwo: 0x3d0f00, op: 'SCMP_CMP_MASKED_EQ' }]);
    expect(entry('socket')).toHaveLength(2);
    expect(text).toContain('"value": 18446744073709551360');
  });
});

// ---- systemd ----

/** What systemd allows for the unit lines (allow list: @default implied; deny list: all but the listed). */
function systemdAllowed(text: string, universe: Set<string>): { allowed: Set<string>; denyList: boolean } {
  const groups = systemdAnalyzeExpanded();
  const items = (spec: string) => spec.split(/\s+/).filter(Boolean).flatMap((item) => {
    const name = item.split(':')[0]!;
    return name.startsWith('@') ? [...groups.get(name)!] : [name];
  });
  const filters = text.split('\n').filter((l) => l.startsWith('SystemCallFilter=')).map((l) => l.slice('SystemCallFilter='.length));
  const denyList = filters[0]!.startsWith('~');
  const allowed = denyList ? new Set(universe) : new Set(groups.get('@default'));
  for (const f of filters) for (const name of items(f.replace(/^~/, ''))) f.startsWith('~') ? allowed.delete(name) : allowed.add(name);
  return { allowed: new Set([...allowed].filter((n) => universe.has(n))), denyList };
}

describe('systemd: documented syntax, systemd-analyze verify, and the same allowed set', () => {
  const LINE = /^(#.*|\[Service\]|SystemCallArchitectures=(x86-64|x86|x32|arm64)( (x86-64|x86|x32|arm64))*|SystemCallFilter=~?[@a-z0-9_:A-Z -]+|SystemCallErrorNumber=E[A-Z0-9]+)$/;

  it.each(ALL_SAMPLES)('%s: every line is one systemd.exec(5) documents', async (name) => {
    const { text } = await emitSample('systemd', name);
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(LINE);
    for (const line of text.split('\n').filter((l) => l.startsWith('SystemCallFilter='))) {
      const items = line.replace(/^SystemCallFilter=~?/, '').split(' ');
      for (const item of items) {
        const [name, errno] = item.split(':');
        if (errno !== undefined) expect(line.startsWith('SystemCallFilter=~'), 'errno suffixes only on deny lines').toBe(true);
        if (name!.startsWith('@')) expect(['@default', '@known', '@sandbox']).not.toContain(name);
        else expect(syscallNumber('x86_64', name!), name).toBeDefined();
      }
    }
  });

  it.each(ALL_SAMPLES)('%s passes systemd-analyze verify with no complaint', async (name) => {
    requireTool('systemd-analyze');
    const { text } = await emitSample('systemd', name);
    const dir = tempDir('sbx-systemd-');
    const unit = join(dir, 'sbx-emit-check.service');
    writeFileSync(unit, `[Unit]\nDescription=sbx emit check\n\n${text}ExecStart=/bin/true\n`);
    const out = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
  });

  it.each(ALL_SAMPLES)('%s: the groups systemd expands allow exactly what the policy allows', async (name) => {
    const policy = samplePolicy(name);
    const { text } = await emitSample('systemd', name);
    const universe = new Set(policyDecisions(policy).map((d) => d.name));
    const all = new Set([...systemdAnalyzeExpanded().get('@known')!].filter((n) => syscallNumber('x86_64', n) !== undefined && n !== 'uretprobe'));
    const { allowed, denyList } = systemdAllowed(text, all);
    // What the policy allows without conditions (conditions are reported, see the warnings test).
    const policyAllows = (n: string) => {
      const d = policyDecisions(policy).find((x) => x.name === n);
      if (!d) return ACTION_OPS[policy.defaultAction.kind].permits;
      return d.when.length ? (denyList ? true : ACTION_OPS[d.action.kind].permits) : ACTION_OPS[d.action.kind].permits;
    };
    const want = new Set([...all].filter(policyAllows));
    expect([...allowed].filter((n) => !want.has(n)), 'allowed by systemd, not by the policy').toEqual([]);
    expect([...want].filter((n) => !allowed.has(n)), 'allowed by the policy, not by systemd').toEqual([]);
    expect(universe.size).toBeGreaterThan(0);
  });

  it('uses @groups when they fit, and says what it cannot express', async () => {
    const deny = await emitSample('systemd', 'sh-loop.denylist');
    expect(deny.text).toMatch(/^SystemCallFilter=~@debug .*@mount .*@privileged/m);
    expect(deny.text).toMatch(/^SystemCallFilter=~.*setpriority:EPERM/m);
    expect(deny.warnings.join('\n')).toContain('cannot filter on arguments; these are NOT denied at all: sched_setscheduler');
    const allow = await emitSample('systemd', 'ls.allowlist');
    expect(allow.warnings.join('\n')).toContain('clone3 (errno(ENOSYS))');
    const everything = await emitSample('systemd', 'everything', EVERYTHING);
    expect(everything.warnings).toContain('systemd: SystemCallFilter= cannot log; these are allowed without logging: write');
  });
});

// ---- minijail, strace, csv, markdown ----

describe('minijail', () => {
  const STATEMENT = /^(#.*|@frequency \.\/\S+\.frequency|@default (kill-process|kill-thread|trap)|@denylist|[a-z0-9_]+(\[arch=[a-z0-9_]+\])?: .+)$/;
  const FILTER = /^(allow|log|kill-process|kill-thread|trap|trace|return \d+|\{ .+, [a-z-]+( \d+)? \}|(arg[0-5] (==|!=|<|<=|>|>=|&|in) ~?0x[0-9a-f]+)( (&&|\|\|) arg[0-5] (==|!=|<|<=|>|>=|&|in) ~?0x[0-9a-f]+)*(; .+)?)$/;

  it.each(ALL_SAMPLES)('%s: statements follow minijail\'s grammar, and a frequency file comes along', async (name) => {
    const result = await emitSample('minijail', name);
    for (const line of result.text.trimEnd().split('\n')) {
      expect(line).toMatch(STATEMENT);
      const filter = /^[a-z0-9_]+(?:\[arch=[a-z0-9_]+\])?: (.+)$/.exec(line)?.[1];
      if (filter && !line.startsWith('#') && !line.startsWith('@')) expect(filter).toMatch(FILTER);
    }
    expect(result.extras?.[0]?.path).toBe(`${name}.minijail.frequency`);
    expect(result.text).toContain(`@frequency ./${name}.minijail.frequency`);
  });

  it('masked equality becomes `in` plus one `&` per set bit', async () => {
    const { text } = await emitSample('minijail', 'everything', EVERYTHING);
    // (arg0 & 0xffffffffffffff00) == 0x3d0f00
    expect(text).toContain('clone: { arg0 in 0x3d0fff && arg0 & 0x100 && arg0 & 0x200 && arg0 & 0x400 && arg0 & 0x800 && arg0 & 0x10000 && arg0 & 0x40000 && arg0 & 0x80000 && arg0 & 0x100000 && arg0 & 0x200000, return 1 }');
  });
});

describe('strace', () => {
  it.each(ALL_SAMPLES)('%s: strace accepts the set', async (name) => {
    requireTool('strace');
    const { text } = await emitSample('strace', name);
    expect(text).toMatch(/^-e trace=[a-z0-9_,]+\n$/);
    const run = spawnSync('strace', ['-f', '-o', '/dev/null', ...text.trim().split(' '), '/bin/true'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
  it('says which syscalls it traces for every argument although the policy has conditions', async () => {
    const { text, warnings } = await emitSample('strace', 'everything', EVERYTHING);
    expect(text).toContain('clone');
    expect(warnings).toEqual(['strace: cannot filter on arguments; these are traced for every argument, not only when allowed: clone, lseek, mmap, socket']);
  });
});

describe('csv and markdown: the ranked table', () => {
  it('csv has a row per syscall decision, ranked, with shares adding to 100%', async () => {
    const policy = samplePolicy('dd.allowlist');
    const { text } = await emitSample('csv', 'dd.allowlist');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('rank,syscall,arch,action,priority,calls,share,cumulative,runs,category,provenance,conditions,reason');
    expect(lines).toHaveLength(policyDecisions(policy).length + 1);
    expect(lines[1]).toMatch(/^1,\w+,x86_64,allow,255,\d+,/);
    expect(text).toMatch(/,100\.00,/);
    expect(text).toContain(',2/2,');
  });

  it('markdown says the knee and lists the review', async () => {
    const { text } = await emitSample('markdown', 'http-server.allowlist');
    expect(text).toMatch(/^The top \d+ of \d+ syscalls are 9\d\.\d% of calls\.$/m);
    expect(text).toContain('## Review');
    expect(text).toContain('| 1 | ');
  });
});

describe('sbx emit (command line)', () => {
  it('writes the file and minijail\'s frequency file next to it', async () => {
    const dir = tempDir();
    const res = await runSbx(['emit', '-f', 'minijail', join(ROOT, 'samples/policies/ls.allowlist.json'), '-o', join(dir, 'ls.policy')]);
    expect(res.code).toBe(0);
    expect(readFileSync(join(dir, 'ls.policy'), 'utf8')).toContain('@frequency ./ls.frequency');
    expect(readFileSync(join(dir, 'ls.frequency'), 'utf8')).toMatch(/^getxattr: \d+$/m);
  });

  it('prints to stdout without -o, warnings on stderr', async () => {
    const res = await runSbx(['emit', '-f', 'systemd', join(ROOT, 'samples/policies/ls.allowlist.json')]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('[Service]');
    expect(res.stderr).toMatch(/^sbx: warning: systemd: /m);
  });

  it.each([
    {
      name: 'unknown syscall name in a policy',
      policy: { format: 'sbx-policy', version: 1, arches: ['x86_64'], defaultAction: 'kill-process', rules: [{ syscall: 'read', action: 'allow' }, { syscall: 'opne', action: 'allow' }] },
      message: 'bad.json: /rules/1/syscall: unknown syscall "opne" on x86_64 (did you mean open?)',
    },
    {
      name: 'priority out of range',
      policy: { format: 'sbx-policy', version: 1, arches: ['x86_64'], defaultAction: 'kill-process', rules: [{ syscall: 'read', action: 'allow', priority: 999 }] },
      message: 'bad.json: /rules/0/priority: 999 is out of range 0..255',
    },
    {
      name: 'invalid errno',
      policy: { format: 'sbx-policy', version: 1, arches: ['x86_64'], defaultAction: 'errno(EWHAT)', rules: [] },
      message: 'bad.json: /defaultAction: unknown errno "EWHAT"',
    },
    {
      name: 'conflicting rules',
      policy: {
        format: 'sbx-policy',
        version: 1,
        arches: ['x86_64'],
        defaultAction: 'kill-process',
        rules: [{ syscall: 'read', action: 'allow' }, { syscall: 'read', action: 'errno(EPERM)' }],
      },
      message: 'bad.json: /rules/1: conflicts with /rules/0 (allow vs errno(EPERM)): both decide every call to read on x86_64',
    },
  ])('$name: one line naming file and pointer, exit 2', async ({ policy, message }) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(policy));
    const res = await runSbx(['emit', '-f', 'oci', 'bad.json'], { cwd: dir });
    expect(res.stderr).toBe(`sbx: ${message}\n`);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
  });

  it('has --help text listing the formats', async () => {
    const res = await runSbx(['emit', '--help']);
    for (const name of emitterNames()) expect(res.stdout).toContain(`  ${name} `);
  });

  it('every decision of every sample keeps its action in the C table', async () => {
    const policy = samplePolicy('sh-loop.denylist');
    const { text } = await emitSample('libseccomp-c', 'sh-loop.denylist');
    for (const d of policyDecisions(policy)) expect(text).toContain(`"${d.name}", ${d.nr}, `);
    expect(formatAction(policy.defaultAction)).toBe('allow');
  });
});
