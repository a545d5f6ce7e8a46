/**
 * The emitter registry: format name → what it writes, and how to load it. Emitters load on
 * demand (the CLI stays quick to start); each stands alone, importing only the model and
 * ./shared.ts.
 */
import type { Emitter } from './shared.js';

export type { EmitContext, EmitResult, Emitter } from './shared.js';

export interface EmitterEntry {
  readonly describe: string;
  readonly load: () => Promise<Emitter>;
}

export const EMITTERS = {
  'qemu-c': {
    describe: 'C: QEMU 2012 style seccomp_whitelist[] of {syscall number, priority} and its install loop',
    load: () => import('./qemu-c.js'),
  },
  'libseccomp-c': {
    describe: 'C: sbx_load_filter() with libseccomp, plus a wrapper main() that execs a program under it',
    load: () => import('./libseccomp-c.js'),
  },
  oci: {
    describe: "JSON: OCI runtime-spec / Docker / runc seccomp profile, plus the container runtime's own start-up calls (--runtime)",
    load: () => import('./oci.js'),
  },
  spo: {
    describe: 'JSON: Kubernetes Security Profiles Operator SeccompProfile resource for kubectl apply (--name, --runtime)',
    load: () => import('./spo.js'),
  },
  systemd: {
    describe: 'systemd unit settings: SystemCallFilter= (@groups + names), SystemCallErrorNumber=, SystemCallArchitectures=',
    load: () => import('./systemd.js'),
  },
  minijail: {
    describe: 'Minijail: .policy file (name: filter) plus a .frequency file of call counts',
    load: () => import('./minijail.js'),
  },
  strace: {
    describe: 'strace: -e trace=<set> of the allowed syscalls (deny-by-default) or the denied ones (allow-by-default)',
    load: () => import('./strace.js'),
  },
  csv: {
    describe: 'CSV: ranked table (rank, syscall, action, priority, calls, share %, cumulative %, runs, category, reason)',
    load: () => import('./csv.js'),
  },
  markdown: {
    describe: 'Markdown: summary, ranked table (priority, share, category, reason) and the review list',
    load: () => import('./markdown.js'),
  },
} as const satisfies Record<string, EmitterEntry>;

export type EmitterName = keyof typeof EMITTERS;

/** The formats a container runtime loads, which take --runtime. */
export const CONTAINER_FORMATS: readonly EmitterName[] = ['oci', 'spo'];

export function emitterNames(): EmitterName[] {
  return Object.keys(EMITTERS) as EmitterName[];
}
