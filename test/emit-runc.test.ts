/**
 * `sbx emit -f oci` under the real container runtimes: a busybox container whose profile was
 * learned from the very command it runs (sbx learn -- chroot ROOTFS ...) starts and runs under
 * the emitted profile with runc (and crun), with noNewPrivileges on and off; without the
 * runtime's start-up calls (--runtime none), or with one of them taken out, the runtime's own
 * init is killed before the command runs. And the runtime-needs data is checked against the
 * installed runtimes by tracing them again (scripts/gen-runtime-needs.mjs). Every config.json
 * passes the runtime spec's published schema (test/oci-spec/).
 * Needs root, runc, crun, busybox-static and strace (.ci/run installs them); missing tools fail.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_NEEDS, type TracedRuntime } from '../src/policy/emit/runtime-needs.js';
import { runtimeCalls } from '../src/policy/emit/runtime.js';
import { ROOT, requireTool, runCommand, runSbx, tempDir } from './helpers.js';
import { ociSpecValidator } from './json-schema.js';

const IS_ROOT = process.getuid?.() === 0;
const COMMAND = ['/bin/sh', '-c', 'echo hello from the container; ls / >/dev/null; cat /bin/sh >/dev/null'];
const HELLO = 'hello from the container\n';

async function sbx(args: string[], cwd: string): Promise<string> {
  const res = await runSbx(args, { cwd });
  if (res.code !== 0) throw new Error(`sbx ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
  return res.stderr;
}

/** A busybox rootfs: the static binary and the applets the command uses. */
function busyboxRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'proc', 'dev', 'sys', 'tmp']) mkdirSync(join(rootfs, sub), { recursive: true });
  copyFileSync(requireTool('busybox'), join(rootfs, 'bin', 'busybox'));
  for (const applet of ['sh', 'echo', 'ls', 'cat', 'true']) symlinkSync('busybox', join(rootfs, 'bin', applet));
  return rootfs;
}

/** crun 1.8 refuses hybrid cgroup v1 + v2 hosts; there it runs where the v2 mount is not. */
function runtimeArgv(runtime: TracedRuntime, args: string[]): string[] {
  const hybrid = runtime === 'crun' && spawnSync('test', ['-e', '/sys/fs/cgroup/unified/cgroup.controllers']).status === 0;
  return hybrid
    ? ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified && exec "$@"', 'sh', runtime, ...args]
    : [runtime, ...args];
}

let counter = 0;
const configSchema = ociSpecValidator('config-schema.json');

/** `<runtime> run` of the busybox container under `seccomp` (the linux.seccomp object). */
async function runContainer(runtime: TracedRuntime, bundle: string, seccomp: unknown, noNewPrivileges: boolean) {
  const dir = tempDir(`sbx-${runtime}-`);
  const spec = spawnSync(runtime, ['spec'], { cwd: dir, encoding: 'utf8' });
  if (spec.status !== 0) throw new Error(`${runtime} spec failed: ${spec.stderr}`);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  config.root.path = join(bundle, 'rootfs');
  config.process.terminal = false;
  config.process.args = COMMAND;
  config.process.noNewPrivileges = noNewPrivileges;
  config.linux.seccomp = seccomp;
  const invalid = configSchema(config);
  if (invalid) throw new Error(`config.json does not pass the runtime spec's schema: ${invalid}`);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const [file, ...args] = runtimeArgv(runtime, ['run', '--bundle', dir, `sbx-test-${process.pid}-${++counter}`]);
  return runCommand(file!, args);
}

describe.skipIf(!IS_ROOT)('oci profiles learned in a chroot run the same command under the real runtime', () => {
  let bundle: string;
  let policy: string;
  beforeAll(async () => {
    for (const tool of ['runc', 'crun', 'busybox', 'chroot']) requireTool(tool);
    bundle = tempDir('sbx-bundle-');
    busyboxRootfs(bundle);
    await sbx(['learn', '-q', '--no-progress', '-o', 'profile.json', '--', 'chroot', 'rootfs', ...COMMAND], bundle);
    await sbx(['propose', '-q', 'profile.json', '-o', 'policy.json'], bundle);
    policy = join(bundle, 'policy.json');
  }, 120_000);

  const emitOci = async (...args: string[]) =>
    JSON.parse(await emitText(...args)) as { defaultAction: string; syscalls: { names: string[]; action: string }[] };
  const emitText = async (...args: string[]) => {
    const out = join(tempDir('sbx-oci-'), 'seccomp.json');
    await sbx(['emit', '-f', 'oci', ...args, policy, '-o', out], bundle);
    return readFileSync(out, 'utf8');
  };

  describe.each(['runc', 'crun'] as const)('%s', (runtime) => {
    it.each([true, false])(`--runtime ${runtime}: the container runs (noNewPrivileges %s)`, async (nnp) => {
      const res = await runContainer(runtime, bundle, await emitOci('--runtime', runtime), nnp);
      expect(res.stderr).toBe('');
      expect(res.stdout).toBe(HELLO);
      expect(res.code).toBe(0);
    });

    it(`--runtime none: ${runtime}'s own init is killed before the command runs (noNewPrivileges false)`, async () => {
      const res = await runContainer(runtime, bundle, await emitOci('--runtime', 'none'), false);
      expect(res.stdout).toBe('');
      expect(res.code).not.toBe(0);
    });

    it(`one call ${runtime} needs taken out of the added entry: the container is killed`, async () => {
      const profile = await emitOci('--runtime', runtime);
      const added = profile.syscalls.at(-1)!;
      const needs = runtimeCalls(runtime).map((s) => s.name);
      expect(added.action).toBe('SCMP_ACT_ALLOW');
      expect(added.names.every((n) => needs.includes(n))).toBe(true);
      // Needed on every start (not only with noNewPrivileges off) when there is such a call.
      const always = RUNTIME_NEEDS[runtime].syscalls
        .filter((s) => s.scenarios.includes('run, noNewPrivileges') && s.scenarios.includes('run'))
        .map((s) => s.name);
      const victim = added.names.find((n) => always.includes(n)) ?? added.names[0]!;
      const nnp = always.includes(victim);
      added.names = added.names.filter((n) => n !== victim);
      if (added.names.length === 0) profile.syscalls.pop();
      const res = await runContainer(runtime, bundle, profile, nnp);
      expect(res.stdout, `without ${victim}`).toBe('');
      expect(res.code, `without ${victim}`).not.toBe(0);
      // runc reports its init's death by SIGSYS as 128+31.
      if (runtime === 'runc' && nnp) expect(res.code).toBe(159);
    });
  });

  it.each([
    { policyDefault: 'errno(EPERM)', ociDefault: 'SCMP_ACT_ERRNO' },
    { policyDefault: 'kill-thread', ociDefault: 'SCMP_ACT_KILL_THREAD' },
    { policyDefault: 'trap', ociDefault: 'SCMP_ACT_TRAP' },
    { policyDefault: 'log', ociDefault: 'SCMP_ACT_LOG' },
  ])(
    'runc 1.1 takes $ociDefault as the default action, with x86_64, i386 and x32 as architectures',
    async ({ policyDefault, ociDefault }) => {
      const dir = tempDir('sbx-arches-');
      await sbx(
        [
          'propose',
          '-q',
          '--arch',
          'x86_64,i386,x32',
          '--default',
          policyDefault,
          join(bundle, 'profile.json'),
          '-o',
          join(dir, 'policy.json'),
        ],
        bundle,
      );
      const out = join(dir, 'seccomp.json');
      await sbx(['emit', '-f', 'oci', join(dir, 'policy.json'), '-o', out], bundle);
      const profile = JSON.parse(readFileSync(out, 'utf8'));
      expect(profile.defaultAction).toBe(ociDefault);
      expect(profile.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
      const res = await runContainer('runc', bundle, profile, false);
      expect(res.stderr).toBe('');
      expect(res.stdout).toBe(HELLO);
      expect(res.code).toBe(0);
    },
  );
});

describe.skipIf(!IS_ROOT)('the runtime-needs data matches the installed runtimes', () => {
  it.each(['runc', 'crun'] as const)(
    '%s: the version traced is the one installed, and a new trace finds no call missing from the data',
    (runtime) => {
      requireTool(runtime);
      requireTool('strace');
      const out = spawnSync('node', [join(ROOT, 'scripts', 'gen-runtime-needs.mjs'), '--runtime', runtime, '--runs', '1', '--print'], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      const traced = JSON.parse(out.stdout)[runtime] as (typeof RUNTIME_NEEDS)[TracedRuntime];
      expect(traced.version, 'regenerate with node scripts/gen-runtime-needs.mjs').toBe(RUNTIME_NEEDS[runtime].version);
      // Go's runtime calls (runc) are not on every start; they are in the list from Go's source.
      const known = new Set(runtimeCalls(runtime).map((s) => s.name));
      expect(
        traced.syscalls.map((s) => s.name).filter((n) => !known.has(n)),
        'calls missing from src/policy/emit/runtime-needs.ts',
      ).toEqual([]);
    },
    180_000,
  );
});
