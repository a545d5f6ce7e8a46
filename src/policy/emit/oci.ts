/**
 * `oci`: the OCI runtime-spec seccomp object (config.json `linux.seccomp`, also what
 * `docker run --security-opt seccomp=FILE` and runc take): defaultAction, defaultErrnoRet,
 * architectures, syscalls[] with names, action, errnoRet and args {index, value, valueTwo, op}.
 * Numbers above 2^53 are written exactly (the spec's uint64). The container runtime's own
 * calls after it loads the filter are added (`--runtime`, default runc; ./runtime.ts).
 *
 * The spec has no priorities (entries come out in priority order anyway) and no per-arch
 * rules: a rule for one arch applies to every listed arch, which the emitter reports.
 */
import type { Policy } from '../policy.js';
import { seccompJson, seccompJsonText, type EmitContext, type EmitResult } from './shared.js';

export function emit(policy: Policy, context: EmitContext): EmitResult {
  const { profile, warnings, notes } = seccompJson(policy, context, { format: 'oci' });
  return { text: seccompJsonText(profile), warnings, notes };
}
