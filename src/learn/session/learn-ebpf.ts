/**
 * `sbx learn --backend ebpf`: resolve what to learn (a command, --pid, --cgroup, --unit,
 * --container), run the eBPF session, write snapshots and the profile.
 */
import { spawnSync } from 'node:child_process';
import { openSync, readFileSync, closeSync } from 'node:fs';
import { UserError, writeFileAtomic } from '../../io.js';
import { inherited } from '../../linux/inherited.js';
import type { Profile } from '../../profile/types.js';
import { resolveCommand } from './resolve-command.js';
import { VDSO_NOTE } from './trace-run.js';

/** The learn options this backend reads. */
export interface EbpfLearnOptions {
  readonly output?: string;
  readonly pid?: number;
  readonly cgroup?: string;
  readonly unit?: string;
  readonly container?: string;
  readonly duration?: number;
  readonly snapshotEvery?: number;
  readonly dumpBpf: boolean;
  readonly maxValues: number;
  readonly argValues: number;
  readonly paths: boolean;
  /** Bytes of the --paths ring buffer. */
  readonly pathBuffer: number;
  readonly tui: boolean;
  readonly traceeOutput?: string;
}

/** Options only the ptrace backend has, by their flag. */
export const PTRACE_ONLY = { tui: '--tui' } as const;

function run(file: string, args: readonly string[], what: string): string {
  const out = spawnSync(file, args, { encoding: 'utf8' });
  if (out.error) throw new UserError(`${what}: cannot run ${file} (${(out.error as NodeJS.ErrnoException).code ?? out.error.message})`);
  if (out.status !== 0)
    throw new UserError(`${what}: ${file} ${args.join(' ')} failed: ${out.stderr.trim().split('\n')[0] ?? `exit ${out.status}`}`);
  return out.stdout.trim();
}

/** Where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems. */
function cgroup2Mount(): string {
  const mount = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .find((f) => f[f.indexOf('-') + 1] === 'cgroup2')?.[4];
  if (!mount)
    throw new UserError(
      'no cgroup v2 hierarchy is mounted (eBPF learning by cgroup needs cgroup v2, or the unified mount of a hybrid setup)',
    );
  return mount;
}

/** A systemd unit's cgroup. */
function unitCgroup(unit: string): string {
  const cgroup = run('systemctl', ['show', '--property=ControlGroup', '--value', unit], `--unit ${unit}`);
  if (!cgroup) throw new UserError(`--unit ${unit}: the unit has no cgroup (not running?)`);
  return `${cgroup2Mount()}${cgroup}`;
}

/** A container's cgroup, from its init process (runc, then podman, then docker). */
function containerCgroup(id: string): string {
  let pid: number | undefined;
  const runc = spawnSync('runc', ['state', id], { encoding: 'utf8' });
  if (runc.status === 0) pid = (JSON.parse(runc.stdout) as { pid?: number }).pid;
  for (const tool of ['podman', 'docker']) {
    if (pid) break;
    const out = spawnSync(tool, ['inspect', '--format', '{{.State.Pid}}', id], { encoding: 'utf8' });
    if (out.status === 0) pid = Number(out.stdout.trim()) || undefined;
  }
  if (!pid) throw new UserError(`--container ${id}: no running container with this id (runc state, podman and docker inspect found none)`);
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'));
  if (!line) throw new UserError(`--container ${id}: its process ${pid} is in no cgroup v2 group`);
  return `${cgroup2Mount()}${line.slice(3)}`;
}

/** Run the eBPF backend for `sbx learn` and write the profile; returns it (none for --dump-bpf alone) with the exit code to use. */
export async function learnEbpf(command: readonly string[], opts: EbpfLearnOptions): Promise<{ profile?: Profile; exitCode: number }> {
  for (const [key, flag] of Object.entries(PTRACE_ONLY))
    if (opts[key as keyof typeof PTRACE_ONLY]) throw new UserError(`${flag} is not available with --backend ebpf (ptrace only)`);
  const targets = [
    command.length > 0,
    opts.pid !== undefined,
    opts.cgroup !== undefined,
    opts.unit !== undefined,
    opts.container !== undefined,
  ].filter(Boolean).length;
  if (targets > 1) throw new UserError('give one of a command, --pid, --cgroup, --unit or --container');
  if (targets === 0 && !opts.dumpBpf)
    throw new UserError(
      'no command given: sbx learn --backend ebpf [options] -- <command> [args...] (or --pid, --cgroup, --unit, --container)',
    );
  const { pathBuffer } = opts;
  if (pathBuffer < 4096 || !Number.isInteger(Math.log2(pathBuffer)))
    throw new UserError(`--path-buffer ${pathBuffer}: the ring buffer size must be a power of two of at least 4096 bytes`);
  if (opts.traceeOutput !== undefined && command.length === 0) throw new UserError('--tracee-output redirects a program sbx starts');
  const [{ learnWithEbpf, cgroupTarget }, { shellExitCode }] = await Promise.all([
    import('../../ebpf/session.js'),
    import('./trace-run.js'),
  ]);
  const cgroupPath =
    opts.cgroup ??
    (opts.unit !== undefined ? unitCgroup(opts.unit) : opts.container !== undefined ? containerCgroup(opts.container) : undefined);
  const label =
    opts.unit !== undefined
      ? ['--unit', opts.unit]
      : opts.container !== undefined
        ? ['--container', opts.container]
        : ['--cgroup', cgroupPath ?? ''];
  let output: number | undefined;
  try {
    const target =
      command.length > 0
        ? (() => {
            const path = resolveCommand(command[0]!);
            output = opts.traceeOutput !== undefined ? openSync(opts.traceeOutput, 'w') : undefined;
            return { kind: 'command' as const, path, argv: command, stdio: { output, inherited: inherited() } };
          })()
        : opts.pid !== undefined
          ? { kind: 'pid' as const, pid: opts.pid }
          : cgroupPath !== undefined
            ? (() => {
                try {
                  return cgroupTarget(cgroupPath, label);
                } catch (err) {
                  throw new UserError((err as Error).message);
                }
              })()
            : undefined;
    const writeProfile = (profile: Profile) =>
      opts.output !== undefined && writeFileAtomic(opts.output, `${JSON.stringify(profile, null, 2)}\n`);
    const notes = [
      VDSO_NOTE,
      'learned with eBPF (--backend ebpf): counted in the kernel at raw_syscalls/sys_enter and sys_exit; the program was not stopped and ran with no filter of sbx',
      "calls the program's own seccomp filter denied are counted and kept under deniedByOwnFilter (ERRNO by errno, TRAP when no errno came back); calls its filter KILLed are not seen",
    ];
    if (!target) {
      // --dump-bpf alone: load (so the verifier checks them), print, unload.
      const { loadPrograms } = await import('../../ebpf/load.js');
      const { formatListing } = await import('../../ebpf/asm.js');
      const loaded = loadPrograms({ kind: 'follow' }, opts.argValues, opts.paths ? pathBuffer : undefined);
      try {
        process.stdout.write(loaded.programs.map(({ program }) => formatListing(program)).join('\n\n') + '\n');
      } finally {
        loaded.close();
      }
      return { exitCode: 0 };
    }
    const result = await learnWithEbpf({
      target,
      maxValues: opts.maxValues,
      argValues: opts.argValues,
      ...(opts.paths ? { pathBuffer } : {}),
      ...(opts.duration !== undefined ? { durationS: opts.duration } : {}),
      ...(opts.snapshotEvery !== undefined ? { snapshotEveryS: opts.snapshotEvery, onSnapshot: writeProfile } : {}),
      ...(opts.dumpBpf ? { dumpBpf: (text: string) => process.stdout.write(text) } : {}),
      ...(target.kind !== 'command'
        ? {
            onFollowing: () =>
              process.stderr.write(
                `sbx: learning ${label[0] === '--cgroup' && target.kind === 'cgroup' ? `cgroup ${target.path}` : target.kind === 'pid' ? `pid ${target.pid}` : label.join(' ')} with eBPF (Ctrl-C stops)\n`,
              ),
          }
        : {}),
      notes,
    });
    if (result.launchFailure !== undefined) throw new UserError(result.launchFailure, shellExitCode(result.exit));
    writeProfile(result.profile);
    return { profile: result.profile, exitCode: shellExitCode(result.exit) };
  } catch (err) {
    if (err instanceof UserError) throw err;
    const message = (err as Error).message;
    throw new UserError(message.includes('\n') ? message : `eBPF: ${message}`, 125);
  } finally {
    if (output !== undefined) closeSync(output);
  }
}
