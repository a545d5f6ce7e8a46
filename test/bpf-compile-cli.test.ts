/** `sbx bpf` end to end on the built CLI: every output agrees with the library it wires up. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readPolicy } from '../src/policy/policy.js';
import { compilePolicy, LAYOUTS } from '../src/policy/compile/compile.js';
import { disassemble, formatRaw, parseRaw } from '../src/bpf/disasm.js';
import { compileProgram } from '../src/bpf/program.js';
import { expectedCost, type CallMix } from '../src/policy/compile/stats.js';
import { syscallTable } from '../src/linux/syscalls.js';
import { runSbx, tempDir } from './helpers.js';

let dir = '';
let policyFile = '';
let profileFile = '';

const policyJson = {
  format: 'sbx-policy',
  version: 1,
  arches: ['x86_64'],
  defaultAction: 'errno(EPERM)',
  runs: [{ command: ['demo'], calls: 1111 }],
  rules: [
    { syscall: 'read', action: 'allow', observed: { calls: 600, runs: [0] } },
    { syscall: 'write', action: 'allow', observed: { calls: 400, runs: [0] } },
    { syscall: 'ioctl', action: 'allow', args: [{ index: 1, op: 'eq', value: '0x5413' }], observed: { calls: 100, runs: [0] } },
    { syscall: 'clone3', action: 'errno(ENOSYS)', observed: { calls: 11, runs: [0] } },
  ],
};

/** A minimal profile: the calls the policy saw, with ioctl's request histogram. */
function profileJson(): unknown {
  const entry = (name: string, nr: number, count: number, args?: unknown[]) => ({
    arch: 'x86_64',
    nr,
    name,
    count,
    perRun: [count],
    firstSeen: 1,
    ...(args ? { args } : {}),
  });
  return {
    format: 'sbx-profile',
    version: 1,
    tool: { name: 'sbx', version: '0' },
    arches: ['x86_64'],
    runs: [
      {
        command: ['demo'],
        mode: 'seccomp',
        kernel: '6',
        hostname: 'h',
        start: '',
        end: '',
        exit: { kind: 'exited', code: 0 },
        processes: 1,
        threads: 1,
        calls: 1111,
      },
    ],
    totals: { calls: 1111, errors: 0, processes: 1, threads: 1 },
    syscalls: [
      entry('read', 0, 600),
      entry('write', 1, 400),
      entry('ioctl', 16, 100, [{ index: 1, name: 'request', values: [{ value: '0x5413', count: 100 }], other: 0 }]),
      entry('clone3', 435, 11),
    ],
    executables: [],
    notes: [],
  };
}

beforeAll(() => {
  dir = tempDir('sbx-bpf-cli-');
  policyFile = join(dir, 'policy.json');
  profileFile = join(dir, 'profile.json');
  writeFileSync(policyFile, JSON.stringify(policyJson));
  writeFileSync(profileFile, JSON.stringify(profileJson()));
});

describe('sbx bpf', () => {
  it('prints the disassembly of the default (cache-aware) layout', async () => {
    const res = await runSbx(['bpf', policyFile]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(disassemble(compilePolicy(readPolicy(policyFile))));
  });

  it.each(LAYOUTS)('--layout %s --json: the instructions, and -o writes the same to a file', async (layout) => {
    const res = await runSbx(['bpf', policyFile, '--layout', layout, '--json']);
    const out = JSON.parse(res.stdout) as {
      layout: string;
      length: number;
      instructions: { code: number; jt: number; jf: number; k: number }[];
    };
    const want = compilePolicy(readPolicy(policyFile), { layout });
    expect(out.layout).toBe(layout);
    expect(out.length).toBe(want.length);
    expect(compileProgram(out.instructions).instructions).toEqual(want.instructions);
    const file = join(dir, `${layout}.txt`);
    expect((await runSbx(['bpf', policyFile, '--layout', layout, '-o', file])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(disassemble(want));
  });

  it('--emit raw writes the sock_filter bytes the kernel takes', async () => {
    const file = join(dir, 'filter.bpf');
    const res = await runSbx(['bpf', policyFile, '--profile', profileFile, '--emit', 'raw', '-o', file]);
    expect(res.code, res.stderr).toBe(0);
    const bytes = new Uint8Array(readFileSync(file));
    const profile = JSON.parse(readFileSync(profileFile, 'utf8'));
    expect(bytes).toEqual(formatRaw(compilePolicy(readPolicy(policyFile), { profile })));
    expect(parseRaw(bytes).length * 8).toBe(bytes.length);
  });

  it('--emit c writes a C initializer', async () => {
    const res = await runSbx(['bpf', policyFile, '--emit', 'c']);
    const program = compilePolicy(readPolicy(policyFile));
    expect(res.stdout).toContain(`policy.json: cache-aware layout, ${program.length} instructions`);
    expect(res.stdout).toContain('struct sock_filter filter[] = {\n  { 0x20, 0, 0, 0x00000004 },');
    expect(res.stdout.match(/^ {2}\{ 0x/gm)).toHaveLength(program.length);
  });

  it('--stats --json: the same numbers as expectedCost for every layout', async () => {
    const res = await runSbx(['bpf', policyFile, '--profile', profileFile, '--stats', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as {
      calls: number;
      layouts: Record<string, unknown>[];
      actionCache: { arch: string; nrs: number[] }[];
    };
    expect(out.calls).toBe(1111);
    const mix: CallMix = [
      { arch: 'x86_64', nr: 0, count: 600 },
      { arch: 'x86_64', nr: 1, count: 400 },
      { arch: 'x86_64', nr: 16, count: 100, args: [0n, 0x5413n] },
      { arch: 'x86_64', nr: 435, count: 11 },
    ];
    for (const layout of LAYOUTS) {
      const want = expectedCost(compilePolicy(readPolicy(policyFile), { layout, profile: mix }), mix);
      expect(out.layouts.find((l) => l.layout === layout)).toEqual({ layout, ...want });
    }
    expect(out.actionCache).toEqual([{ arch: 'x86_64', syscalls: 2, nrs: [0, 1] }]);
  });

  it('--stats: a table of the layouts and what the action cache decides', async () => {
    const res = await runSbx(['bpf', policyFile, '--stats']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain("1111 calls from the rules' observed counts");
    for (const layout of LAYOUTS) expect(res.stdout).toMatch(new RegExp(`^${layout}( \\*)? +\\d+ +\\d+\\.\\d\\d`, 'm'));
    expect(res.stdout).toContain(
      'action cache (Linux >= 5.11): 2 syscalls are decided without running the filter, 1000 of 1111 calls (90.0%)',
    );
    expect(res.stdout).toContain('  x86_64: read write');
    expect(res.stdout).toContain('run the filter: ioctl (100) clone3 (11)');
  });
});

describe('sbx bpf -o', () => {
  it('takes the stats when nothing is emitted, the filter when something is', async () => {
    const stats = join(dir, 'stats.json');
    expect((await runSbx(['bpf', policyFile, '--stats', '--json', '-o', stats])).stdout).toBe('');
    expect(JSON.parse(readFileSync(stats, 'utf8')).layouts).toHaveLength(3);
    const filter = join(dir, 'both.bpf');
    const res = await runSbx(['bpf', policyFile, '--emit', 'raw', '--stats', '--json', '-o', filter]);
    expect(JSON.parse(res.stdout).layouts).toHaveLength(3);
    expect(new Uint8Array(readFileSync(filter))).toEqual(formatRaw(compilePolicy(readPolicy(policyFile))));
  });
});

describe('sbx bpf: errors are one line pointing at the input', () => {
  it('a missing file', async () => {
    const res = await runSbx(['bpf', join(dir, 'nope.json')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`sbx: cannot read ${join(dir, 'nope.json')}: ENOENT\n`);
  });

  it.each([
    { name: 'the policy', source: () => policyFile, args: (copy: string) => [copy, '--emit', 'c', '-o', copy] },
    {
      name: 'the --profile',
      source: () => profileFile,
      args: (copy: string) => [policyFile, '--profile', copy, '--stats', '-o', copy],
    },
  ])('-o naming $name: one line, exit 2, the input kept', async ({ source, args }) => {
    const copy = join(tempDir(), 'input.json');
    const text = readFileSync(source(), 'utf8');
    writeFileSync(copy, text);
    const res = await runSbx(['bpf', ...args(copy)]);
    expect(res.stderr).toBe(`sbx: cannot write ${copy}: it is the input ${copy} (give another -o)\n`);
    expect(res.code).toBe(2);
    expect(readFileSync(copy, 'utf8')).toBe(text);
  });

  it('a bad policy names the JSON pointer', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...policyJson, rules: [{ syscall: 'raed', action: 'allow' }] }));
    const res = await runSbx(['bpf', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`sbx: ${file}: /rules/0/syscall: unknown syscall "raed" on x86_64 (did you mean read?)\n`);
  });

  it('a policy too long for one filter says by how much and what to do', async () => {
    const file = join(dir, 'big.json');
    const rules = syscallTable('x86_64')
      .slice(0, 300)
      .flatMap((e) =>
        [1, 2, 3].map((v) => ({
          syscall: e.name,
          action: 'allow',
          args: [
            { index: 0, op: 'eq', value: `0x1${v}00000000` },
            { index: 1, op: 'ne', value: String(e.nr) },
          ],
        })),
      );
    writeFileSync(file, JSON.stringify({ ...policyJson, rules }));
    const res = await runSbx(['bpf', file, '--layout', 'tree']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      new RegExp(
        `^sbx: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the tree filter needs \\d+ instructions, more than the kernel accepts \\(BPF_MAXINSNS = 4096\\): use fewer argument rules \\(\\d+ instructions check arguments\\)\\n$`,
      ),
    );
  });

  it('conflicting options', async () => {
    expect((await runSbx(['bpf', policyFile, '--emit', 'raw', '--json'])).stderr).toBe(
      'sbx: --emit writes the filter itself: leave out --json\n',
    );
    expect((await runSbx(['bpf', policyFile, '--emit', 'c', '--stats'])).stderr).toBe(
      'sbx: --emit with --stats needs -o for the filter (the stats go to stdout)\n',
    );
    const res = await runSbx(['bpf', policyFile, '--layout', 'bst']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("argument 'bst' is invalid. Allowed choices are linear, tree, cache-aware.");
  });
});
