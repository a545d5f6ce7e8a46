/**
 * Emitters: one golden file per emitter for policies proposed from the real learned profiles
 * (samples/policies/, made from samples/profiles/), and each format checked by what reads it:
 * gcc + libseccomp for the C files, ajv with the OCI schema and the Security Profiles
 * Operator's CRD, systemd-analyze for the unit settings, strace for the trace set (runc and
 * crun run oci profiles in test/emit-runc.test.ts). Set UPDATE_GOLDEN=1 to rewrite the golden files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EMITTERS, emitterNames, type EmitterName } from '../src/policy/emit/index.js';
import type { EmitResult } from '../src/policy/emit/shared.js';
import { ACTION_OPS, checkPolicy, formatAction, policyDecisions, readPolicy, type Policy } from '../src/policy/policy.js';
import { syscallNumber } from '../src/linux/syscalls.js';
import { ROOT, requireTool, runCommand, runSbx, tempDir, expectGolden } from './helpers.js';
import { kernelTarget } from '../src/linux/target-syscalls.js';
import { systemdAnalyzeExpanded } from './golden/systemd-analyze.js';
import { crdValidator, ociSchemaValidator, ociSpecValidator } from './json-schema.js';
import { GO_RUNTIME_CALLS, runtimeCalls, withRuntimeNeeds } from '../src/policy/emit/runtime.js';
import { RUNTIME_NEEDS } from '../src/policy/emit/runtime-needs.js';
import { dnsLabel } from '../src/policy/emit/spo.js';

const GOLDEN_POLICIES = ['ls.allowlist', 'sh-loop.denylist', 'dd.allowlist'] as const;
const ALL_SAMPLES = [...GOLDEN_POLICIES, 'threads.allowlist', 'http-server.allowlist'] as const;

const EXTENSION: Readonly<Record<EmitterName, string>> = {
  'qemu-c': 'qemu.c',
  'libseccomp-c': 'libseccomp.c',
  oci: 'oci.json',
  spo: 'spo.json',
  systemd: 'systemd.conf',
  minijail: 'minijail.policy',
  strace: 'strace.txt',
  csv: 'csv',
  markdown: 'md',
};

const samplePolicy = (name: string): Policy => readPolicy(join(ROOT, 'samples', 'policies', `${name}.json`));

async function emitSample(
  format: EmitterName,
  name: string,
  policy: Policy = samplePolicy(name),
  more: { runtime?: 'runc' | 'crun' | 'none'; name?: string } = {},
): Promise<EmitResult> {
  const emitter = await EMITTERS[format].load();
  // Linux 6.1: the goldens do not depend on this machine's headers (minijail leaves out newer names)
  return emitter.emit(policy, {
    source: `samples/policies/${name}.json`,
    output: `${name}.${EXTENSION[format]}`,
    target: kernelTarget('6.1'),
    ...more,
  });
}

function golden(file: string, text: string): void {
  expectGolden(join(ROOT, 'test', 'golden', file), text);
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
      {
        syscall: 'socket',
        action: 'allow',
        args: [
          { index: 0, op: 'ne', value: '16' },
          { index: 1, op: 'lt', value: '3' },
        ],
      },
      { syscall: 'mmap', action: 'allow', args: [{ index: 2, op: 'le', value: '3' }] },
      {
        syscall: 'lseek',
        action: 'allow',
        args: [
          { index: 2, op: 'gt', value: '0' },
          { index: 0, op: 'ge', value: '3' },
        ],
      },
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

  it('a missing golden file fails its test and is not written (UPDATE_GOLDEN=1 writes it)', () => {
    const path = join(tempDir(), 'missing.c');
    vi.stubEnv('UPDATE_GOLDEN', '');
    try {
      expect(() => expectGolden(path, 'int main;\n')).toThrow(/golden file .*missing\.c is missing \(UPDATE_GOLDEN=1 writes it/);
      expect(existsSync(path)).toBe(false);
      vi.stubEnv('UPDATE_GOLDEN', '1');
      expectGolden(path, 'int main;\n');
      expect(readFileSync(path, 'utf8')).toBe('int main;\n');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('libseccomp-c and qemu-c compile against libseccomp', () => {
  const requireSeccompHeader = () => {
    requireTool('gcc');
    if (!existsSync('/usr/include/seccomp.h'))
      throw new Error('libseccomp-dev is required (apt-get install libseccomp-dev); .ci/run installs it');
  };
  const compile = (source: string, args: string[]) => {
    const dir = tempDir('sbx-emit-c-');
    const file = join(dir, 'filter.c');
    writeFileSync(file, source);
    const out = spawnSync('gcc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', ...args, file, '-lseccomp'], { cwd: dir, encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
  };
  const rows = [
    ...ALL_SAMPLES.map((name) => ({ name, policy: undefined as Policy | undefined })),
    { name: 'everything', policy: EVERYTHING },
  ];

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
    const entries = [...text.matchAll(/^ {4}\{ (\d+), (\d+) \},\s+\/\* (\w+) \*\/$/gm)].map((m) => ({
      nr: Number(m[1]),
      priority: Number(m[2]),
      name: m[3]!,
    }));
    expect(entries.length).toBeGreaterThan(10);
    for (const e of entries) expect(e.nr).toBe(syscallNumber('x86_64', e.name));
    expect(entries.map((e) => e.priority)).toEqual([...entries.map((e) => e.priority)].sort((a, b) => b - a));
    expect(entries[0]!.priority).toBe(255);
  });
});

// ---- OCI ----

/** JSON text → value, integers of 16 digits or more kept exact as { big: bigint }. */
function parseExact(text: string): unknown {
  return JSON.parse(text.replace(/(?<=[:[,]\s*)(\d{16,})(?=\s*[,\]}])/g, '{"$big":"$1"}'), (_k, v) =>
    v && typeof v === 'object' && '$big' in v ? { big: BigInt((v as { $big: string }).$big) } : v,
  );
}

describe('oci: the shape Docker and runc accept', () => {
  const validate = ociSchemaValidator();
  const spec = ociSpecValidator('config-linux.json#/linux/properties/seccomp');
  const rows = [
    ...ALL_SAMPLES.map((name) => ({ name, policy: undefined as Policy | undefined })),
    { name: 'everything', policy: EVERYTHING },
  ];

  it.each(rows)(
    "oci of $name passes the runtime spec's published schema and the strict one (ajv), with each runtime and with none",
    async ({ name, policy }) => {
      for (const runtime of ['runc', 'crun', 'none'] as const) {
        const { text } = await emitSample('oci', name, policy ?? samplePolicy(name), { runtime });
        expect(spec(JSON.parse(text)), runtime).toBeUndefined();
        expect(validate(JSON.parse(text)), runtime).toBeUndefined();
      }
    },
  );

  it('the validator catches what the spec forbids', () => {
    expect(validate({ syscalls: [] })).toBe("/: must have required property 'defaultAction'");
    expect(validate({ defaultAction: 'SCMP_ACT_DENY' })).toBe('/defaultAction: must be equal to one of the allowed values');
    expect(validate({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] })).toBe(
      '/syscalls/0/names: must NOT have fewer than 1 items',
    );
    expect(validate({ defaultAction: 'SCMP_ACT_ALLOW', sycalls: [] })).toBe('/sycalls: must NOT have additional properties');
    expect(spec({ defaultAction: 'SCMP_ACT_DENY' })).toBe('/defaultAction: must be equal to one of the allowed values');
    expect(
      spec({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }],
      }),
    ).toBe('/syscalls/0/args/0/value: must be >= 0');
  });

  it('every action and comparison maps as runc expects (masked-eq: value is the mask, valueTwo the value; exact uint64)', async () => {
    const { text } = await emitSample('oci', 'everything', EVERYTHING, { runtime: 'none' });
    const oci = parseExact(text) as {
      defaultAction: string;
      defaultErrnoRet: number;
      syscalls: { names: string[]; action: string; errnoRet?: number; args?: unknown[] }[];
    };
    expect(oci.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(oci.defaultErrnoRet).toBe(1);
    const entry = (name: string) => oci.syscalls.filter((s) => s.names.includes(name));
    expect(entry('clone3')[0]).toEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(entry('uname')[0]).toEqual({ names: ['uname'], action: 'SCMP_ACT_TRACE', errnoRet: 7 });
    expect(entry('getppid')[0]!.action).toBe('SCMP_ACT_KILL_THREAD');
    expect(entry('write')[0]!.action).toBe('SCMP_ACT_LOG');
    expect(entry('clone')[0]!.args).toEqual([
      { index: 0, value: { big: 0xffffffffffffff00n }, valueTwo: 0x3d0f00, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
    expect(entry('socket')).toHaveLength(2);
    expect(text).toContain('"value": 18446744073709551360');
  });
});

describe("oci and spo: the container runtime's start-up calls (--runtime)", () => {
  const runc = RUNTIME_NEEDS.runc;

  it("adds what runc calls after loading the filter, marked as the runtime's with its version and reason, never as observed", () => {
    const policy = samplePolicy('ls.allowlist');
    const { policy: withRunc, added } = withRuntimeNeeds(policy, 'runc');
    expect(added).toContain('fstatfs');
    for (const name of added) {
      const rule = withRunc.rules.find((r) => r.syscall === name)!;
      expect(rule.action).toEqual({ kind: 'allow' });
      expect(rule.provenance).toEqual({ source: 'runtime', runtime: 'runc', version: runc.version });
      expect(rule.reason).toMatch(
        /^runc (calls it after loading the filter, before exec'ing the command \(traced: .+\)|is a Go program \(go1\.\d+(\.\d+)?\): Go's runtime may make it on the thread between loading the filter and exec'ing the command)$/,
      );
    }
    // Everything runc needs is now allowed for every call; nothing else changed.
    for (const need of runtimeCalls('runc')) {
      const d = policyDecisions(withRunc).find((x) => x.name === need.name);
      expect(d ? d.when.length === 0 && ACTION_OPS[d.action.kind].permits : false, need.name).toBe(true);
    }
    expect(withRunc.rules.filter((r) => r.provenance.source !== 'runtime')).toEqual(policy.rules);
  });

  it("runc is a Go program: what Go's runtime may do at any point is added too, crun (C) gets only its traced calls", () => {
    expect(runc.go).toMatch(/^go1\.\d+/);
    expect(runtimeCalls('runc').map((c) => c.name)).toEqual(expect.arrayContaining([...GO_RUNTIME_CALLS]));
    expect(RUNTIME_NEEDS.crun.go).toBeUndefined();
    expect(runtimeCalls('crun').map((c) => c.name)).toEqual(RUNTIME_NEEDS.crun.syscalls.map((s) => s.name));
  });

  it('the ranked table says where a rule came from', async () => {
    const { policy } = withRuntimeNeeds(samplePolicy('ls.allowlist'), 'runc');
    const { text } = await (await EMITTERS.csv.load()).emit(policy, { source: 'ls.allowlist.json' });
    expect(text).toMatch(
      new RegExp(
        `^\\d+,fstatfs,x86_64,allow,,0,.*,container runtime \\(${runc.version.replace(/[()+.]/g, '\\$&')}\\),,"runc calls it after loading the filter`,
        'm',
      ),
    );
  });

  it('adds nothing a default-allow policy already allows, and nothing with --runtime none', () => {
    const deny = samplePolicy('sh-loop.denylist');
    const { added } = withRuntimeNeeds(deny, 'runc');
    for (const name of added) expect(policyDecisions(deny).find((d) => d.name === name)?.action.kind, name).not.toBe('allow');
    expect(withRuntimeNeeds(samplePolicy('ls.allowlist'), 'none')).toEqual({
      policy: samplePolicy('ls.allowlist'),
      added: [],
      warnings: [],
    });
  });

  it('a rule of the policy that refuses a call runc needs is widened to allow, with a warning naming it', async () => {
    const policy = checkPolicy(
      {
        format: 'sbx-policy',
        version: 1,
        arches: ['x86_64'],
        defaultAction: 'kill-process',
        rules: [
          { syscall: 'read', action: 'allow', priority: 255 },
          {
            syscall: 'prctl',
            action: 'allow',
            args: [{ index: 0, op: 'eq', value: '15' }],
            provenance: { source: 'observed' },
            observed: { calls: 3, runs: [] },
          },
          { syscall: 'setuid', action: 'errno(EPERM)' },
        ],
      },
      'narrow.json',
    );
    const { policy: widened, warnings } = withRuntimeNeeds(policy, 'runc');
    expect(warnings).toEqual([
      expect.stringMatching(
        /^runc calls these after loading the filter, so they are allowed for every call .*: prctl \(allow when conditions hold\), setuid \(errno\(EPERM\)\)$/,
      ),
    ]);
    expect(widened.rules.filter((r) => r.syscall === 'prctl')).toEqual([
      expect.objectContaining({ action: { kind: 'allow' }, observed: { calls: 3, runs: [] } }),
    ]);
    const result = await emitSample('oci', 'narrow', policy);
    expect(result.warnings).toEqual([`oci: ${warnings[0]}`]);
  });

  it('sbx emit: --runtime is for oci and spo, --name for spo; the note lists what was added', async () => {
    const file = join(ROOT, 'samples/policies/ls.allowlist.json');
    for (const [args, message] of [
      [['-f', 'systemd', '--runtime', 'runc'], 'sbx: --runtime applies to -f oci and -f spo, not -f systemd\n'],
      [['-f', 'oci', '--name', 'x'], 'sbx: --name applies to -f spo, not -f oci\n'],
    ] as const) {
      const res = await runSbx(['emit', ...args, file]);
      expect(res.stderr).toBe(message);
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
    }
    const res = await runSbx(['emit', '-f', 'oci', '--runtime', 'crun', file]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(
      /^sbx: oci: allowed for crun's own start-up after it loads the filter \(--runtime none to leave out\): [a-z0-9_]+(, [a-z0-9_]+)*\n/,
    );
  });
});

describe("spo: a SeccompProfile the Security Profiles Operator's CRD accepts", () => {
  const validators = { v1beta1: crdValidator('v1beta1'), v1: crdValidator('v1') };
  const rows = [
    ...ALL_SAMPLES.map((name) => ({ name, policy: undefined as Policy | undefined })),
    { name: 'everything', policy: EVERYTHING },
  ];

  it.each(rows)("spo of $name passes the CRD's openAPIV3Schema (v1beta1 as written, and v1)", async ({ name, policy }) => {
    const { text } = await emitSample('spo', name, policy ?? samplePolicy(name));
    const resource = JSON.parse(text);
    expect(resource.apiVersion).toBe('security-profiles-operator.x-k8s.io/v1beta1');
    expect(resource.kind).toBe('SeccompProfile');
    expect(validators.v1beta1(resource)).toBeUndefined();
    expect(validators.v1({ ...resource, apiVersion: 'security-profiles-operator.x-k8s.io/v1' })).toBeUndefined();
  });

  it('the spec is the oci profile, and the name comes from the program', async () => {
    const { text } = await emitSample('spo', 'ls.allowlist');
    const oci = JSON.parse((await emitSample('oci', 'ls.allowlist')).text);
    const resource = JSON.parse(text);
    expect(resource.spec).toEqual(oci);
    expect(resource.metadata.name).toBe('ls');
    expect(resource.metadata.annotations.description).toMatch(/^Seccomp profile, generated by sbx from ls\.allowlist\.json\. /);
    expect(JSON.parse((await emitSample('spo', 'ls.allowlist', undefined, { name: 'web.ls-v2' })).text).metadata.name).toBe('web.ls-v2');
  });

  it.each([
    { text: 'ls', want: 'ls' },
    { text: 'My_Server.py', want: 'my-server-py' },
    { text: '--x--', want: 'x' },
    { text: 'a'.repeat(80), want: 'a'.repeat(63) },
  ])('program name $text becomes the DNS-1123 label $want', ({ text, want }) => {
    expect(dnsLabel(text)).toBe(want);
  });

  it('the CRD has no defaultErrnoRet: EPERM is what runtimes return without one; another errno is reported', async () => {
    const eperm = JSON.parse((await emitSample('spo', 'everything', EVERYTHING)).text);
    expect(eperm.spec.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(eperm.spec.defaultErrnoRet).toBeUndefined();
    const enosys = checkPolicy(
      {
        format: 'sbx-policy',
        version: 1,
        arches: ['x86_64'],
        defaultAction: 'errno(ENOSYS)',
        rules: [{ syscall: 'read', action: 'allow' }],
      },
      'enosys.json',
    );
    const { warnings } = await emitSample('spo', 'enosys', enosys, { runtime: 'none' });
    expect(warnings).toEqual([
      'spo: the CRD has no defaultErrnoRet: calls the policy fails with ENOSYS by default fail with EPERM instead',
    ]);
  });

  it("values the CRD's int64 cannot hold: left out of an allow rule with a warning, refused on a deny rule", async () => {
    const { text, warnings } = await emitSample('spo', 'everything', EVERYTHING, { runtime: 'none' });
    expect(warnings).toContain(
      'spo: conditions comparing values above 0x7fffffffffffffff are left out, so these are allowed more widely than the policy says: clone',
    );
    expect(JSON.parse(text).spec.syscalls.find((s: { names: string[] }) => s.names.includes('clone')).args).toBeUndefined();
    const deny = checkPolicy(
      {
        format: 'sbx-policy',
        version: 1,
        arches: ['x86_64'],
        defaultAction: 'allow',
        rules: [{ syscall: 'ioctl', action: 'errno(EPERM)', args: [{ index: 1, op: 'eq', value: '0x8000000000000000' }] }],
      },
      'deny.json',
    );
    await expect(emitSample('spo', 'deny', deny)).rejects.toThrow(
      /^spo: ioctl is denied when arg1 == 0x8000000000000000, which compares a value above 0x7fffffffffffffff the format cannot hold/,
    );
  });

  it('the validator refuses what the API server refuses', () => {
    const ok = {
      apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1',
      kind: 'SeccompProfile',
      metadata: { name: 'x' },
      spec: { defaultAction: 'SCMP_ACT_ERRNO' },
    };
    const v = validators.v1beta1;
    expect(v(ok)).toBeUndefined();
    expect(v({ ...ok, spec: {} })).toBe("/spec: must have required property 'defaultAction'");
    expect(v({ ...ok, spec: { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1 } })).toBe(
      '/spec/defaultErrnoRet: must NOT have additional properties',
    );
    expect(v({ ...ok, spec: { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86_64'] } })).toBe(
      '/spec/architectures: must pass "x-kubernetes-list-type" keyword validation',
    );
    expect(
      v({
        ...ok,
        spec: {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, op: 'SCMP_CMP_EQ', value: 2 ** 64 }] }],
        },
      }),
    ).toBe('/spec/syscalls/0/args/0/value: must match format "int64"');
  });

  it('sbx emit -f spo: a --name Kubernetes refuses is one line, exit 2', async () => {
    const res = await runSbx(['emit', '-f', 'spo', '--name', 'My Profile', join(ROOT, 'samples/policies/ls.allowlist.json')]);
    expect(res.stderr).toBe(
      "sbx: --name \"My Profile\": not a Kubernetes object name (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, 253 at most)\n",
    );
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
  });
});

// ---- systemd ----

/** What systemd allows for the unit lines (allow list: @default implied; deny list: all but the listed). */
function systemdAllowed(text: string, universe: Set<string>): { allowed: Set<string>; denyList: boolean } {
  const groups = systemdAnalyzeExpanded();
  const items = (spec: string) =>
    spec
      .split(/\s+/)
      .filter(Boolean)
      .flatMap((item) => {
        const name = item.split(':')[0]!;
        return name.startsWith('@') ? [...groups.get(name)!] : [name];
      });
  const filters = text
    .split('\n')
    .filter((l) => l.startsWith('SystemCallFilter='))
    .map((l) => l.slice('SystemCallFilter='.length));
  const denyList = filters[0]!.startsWith('~');
  const allowed = denyList ? new Set(universe) : new Set(groups.get('@default'));
  for (const f of filters) for (const name of items(f.replace(/^~/, ''))) f.startsWith('~') ? allowed.delete(name) : allowed.add(name);
  return { allowed: new Set([...allowed].filter((n) => universe.has(n))), denyList };
}

describe('systemd: documented syntax, systemd-analyze verify, and the same allowed set', () => {
  const LINE =
    /^(#.*|\[Service\]|SystemCallArchitectures=(x86-64|x86|x32|arm64)( (x86-64|x86|x32|arm64))*|SystemCallFilter=~?[@a-z0-9_:A-Z -]+|SystemCallErrorNumber=E[A-Z0-9]+)$/;

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
    const all = new Set(
      [...systemdAnalyzeExpanded().get('@known')!].filter((n) => syscallNumber('x86_64', n) !== undefined && n !== 'uretprobe'),
    );
    const { allowed, denyList } = systemdAllowed(text, all);
    // What the policy allows without conditions (conditions are reported, see the warnings test).
    const policyAllows = (n: string) => {
      const d = policyDecisions(policy).find((x) => x.name === n);
      if (!d) return ACTION_OPS[policy.defaultAction.kind].permits;
      return d.when.length ? (denyList ? true : ACTION_OPS[d.action.kind].permits) : ACTION_OPS[d.action.kind].permits;
    };
    const want = new Set([...all].filter(policyAllows));
    expect(
      [...allowed].filter((n) => !want.has(n)),
      'allowed by systemd, not by the policy',
    ).toEqual([]);
    expect(
      [...want].filter((n) => !allowed.has(n)),
      'allowed by the policy, not by systemd',
    ).toEqual([]);
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
  const STATEMENT =
    /^(#.*|@frequency \.\/\S+\.frequency|@default (kill-process|kill-thread|trap)|@denylist|[a-z0-9_]+(\[arch=[a-z0-9_]+\])?: .+)$/;
  const FILTER =
    /^(allow|log|kill-process|kill-thread|trap|trace|return \d+|\{ .+, [a-z-]+( \d+)? \}|(arg[0-5] (==|!=|<|<=|>|>=|&|in) ~?0x[0-9a-f]+)( (&&|\|\|) arg[0-5] (==|!=|<|<=|>|>=|&|in) ~?0x[0-9a-f]+)*(; .+)?)$/;

  it.each(ALL_SAMPLES)("%s: statements follow minijail's grammar, and a frequency file comes along", async (name) => {
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
    expect(text).toContain(
      'clone: { arg0 in 0x3d0fff && arg0 & 0x100 && arg0 & 0x200 && arg0 & 0x400 && arg0 & 0x800 && arg0 & 0x10000 && arg0 & 0x40000 && arg0 & 0x80000 && arg0 & 0x100000 && arg0 & 0x200000, return 1 }',
    );
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
    expect(warnings).toEqual([
      'strace: cannot filter on arguments; these are traced for every argument, not only when allowed: clone, lseek, mmap, socket',
    ]);
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
  it("writes the file and minijail's frequency file next to it", async () => {
    const dir = tempDir();
    const res = await runSbx(['emit', '-f', 'minijail', join(ROOT, 'samples/policies/ls.allowlist.json'), '-o', join(dir, 'ls.policy')]);
    expect(res.code).toBe(0);
    expect(readFileSync(join(dir, 'ls.policy'), 'utf8')).toContain('@frequency ./ls.frequency');
    expect(readFileSync(join(dir, 'ls.frequency'), 'utf8')).toMatch(/^getxattr: \d+$/m);
  });

  it('-o to a FIFO or device: the output goes there, the second file is not written beside it (it once made /dev/null.frequency)', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'out');
    spawnSync('mkfifo', [fifo]);
    const reader = runCommand('cat', [fifo]);
    const res = await runSbx(['emit', '-f', 'minijail', join(ROOT, 'samples/policies/ls.allowlist.json'), '-o', fifo]);
    expect(res.code, res.stderr).toBe(0);
    expect((await reader).stdout).toContain('@frequency ./out.frequency');
    expect(res.stderr).toContain(`sbx: minijail frequency file not written (${fifo} is not a regular file)\n`);
    expect(readdirSync(dir)).toEqual(['out']);
  });

  it.each([
    ['emit', '-f', 'oci', 'samples/policies/ls.allowlist.json'],
    ['propose', '-q', 'samples/profiles/ls.profile.json'],
    ['report', 'samples/profiles/ls.profile.json'],
    ['bpf', 'samples/policies/ls.allowlist.json'],
    ['diff', 'samples/profiles/ls.profile.json', 'samples/profiles/dd.profile.json'],
  ])('%s to a stdout that fails (a full disk): one line, exit 2, never 0', async (...args) => {
    const res = await runCommand('bash', ['-c', `"$@" > /dev/full`, 'sbx', join(ROOT, 'bin', 'sbx'), ...args], { cwd: ROOT });
    expect(res.stderr).toMatch(/^(sbx: .*\n)*sbx: cannot write to stdout: ENOSPC\n$/);
    expect(res.code).toBe(2);
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
      policy: {
        format: 'sbx-policy',
        version: 1,
        arches: ['x86_64'],
        defaultAction: 'kill-process',
        rules: [
          { syscall: 'read', action: 'allow' },
          { syscall: 'opne', action: 'allow' },
        ],
      },
      message: 'bad.json: /rules/1/syscall: unknown syscall "opne" on x86_64 (did you mean open?)',
    },
    {
      name: 'priority out of range',
      policy: {
        format: 'sbx-policy',
        version: 1,
        arches: ['x86_64'],
        defaultAction: 'kill-process',
        rules: [{ syscall: 'read', action: 'allow', priority: 999 }],
      },
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
        rules: [
          { syscall: 'read', action: 'allow' },
          { syscall: 'read', action: 'errno(EPERM)' },
        ],
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

  it('-o naming the input policy (or a link to it): one line, exit 2, the policy kept', async () => {
    const dir = tempDir();
    const policy = readFileSync(join(ROOT, 'samples/policies/ls.allowlist.json'), 'utf8');
    writeFileSync(join(dir, 'p.json'), policy);
    symlinkSync('p.json', join(dir, 'link.json'));
    for (const output of ['p.json', 'link.json', './p.json']) {
      const res = await runSbx(['emit', '-f', 'oci', 'p.json', '-o', output], { cwd: dir });
      expect(res.stderr).toBe(`sbx: cannot write ${output}: it is the input p.json (give another -o)\n`);
      expect(res.code).toBe(2);
    }
    expect(readFileSync(join(dir, 'p.json'), 'utf8')).toBe(policy);
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
