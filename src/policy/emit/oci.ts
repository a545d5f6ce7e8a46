/**
 * `oci`: the OCI runtime-spec seccomp object (config.json `linux.seccomp`, also what
 * `docker run --security-opt seccomp=FILE` and runc take): defaultAction, defaultErrnoRet,
 * architectures, syscalls[] with names, action, errnoRet and args {index, value, valueTwo, op}.
 * For SCMP_CMP_MASKED_EQ, `value` is the mask and `valueTwo` the value, as runc passes them to
 * libseccomp. Numbers above 2^53 are written exactly (the spec's uint64).
 *
 * The spec has no priorities (entries come out in priority order anyway) and no per-arch
 * rules: a rule for one arch applies to every listed arch, which the emitter reports.
 */
import { formatAction, hex, type Action, type ArgCondition, type Policy } from '../policy.js';
import { SCMP_ACT, SCMP_ARCH, archSpecificNames, policyDecisions, scmpCmp, type EmitContext, type EmitResult } from './shared.js';


/** A uint64 that must print exactly: kept as a marker string, unquoted at the end. */
const U64_MARK = '@sbx-u64@';

function u64(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : `${U64_MARK}${value.toString()}`;
}

function ociArg(c: ArgCondition): Record<string, unknown> {
  return c.op === 'masked-eq'
    ? { index: c.index, value: u64(c.mask), valueTwo: u64(c.value), op: scmpCmp(c) }
    : { index: c.index, value: u64(c.value), op: scmpCmp(c) };
}

function ociAction(action: Action): { action: string; errnoRet?: number } {
  if (action.kind === 'errno') return { action: SCMP_ACT.errno, errnoRet: action.errno };
  if (action.kind === 'trace') return { action: SCMP_ACT.trace, errnoRet: action.data };
  return { action: SCMP_ACT[action.kind] };
}

export function emit(policy: Policy, _context: EmitContext): EmitResult {
  // One entry per (action, condition set); names join an entry in priority order.
  const entries = new Map<string, { names: string[]; action: Action; args: readonly ArgCondition[] }>();
  for (const d of policyDecisions(policy)) {
    for (const set of d.when.length ? d.when : [[]]) {
      const key = `${formatAction(d.action)}|${set.map((c) => `${c.index}${c.op}${hex(c.value)}${c.op === 'masked-eq' ? hex(c.mask) : ''}`).join(',')}`;
      const entry = entries.get(key) ?? { names: [], action: d.action, args: set };
      if (!entry.names.includes(d.name)) entry.names.push(d.name);
      entries.set(key, entry);
    }
  }
  const { action: defaultAction, errnoRet: defaultErrnoRet } = ociAction(policy.defaultAction);
  const profile = {
    defaultAction,
    ...(defaultErrnoRet !== undefined && policy.defaultAction.kind === 'errno' ? { defaultErrnoRet } : {}),
    architectures: policy.arches.map((a) => SCMP_ARCH[a]),
    syscalls: [...entries.values()].map((e) => ({
      names: e.names,
      ...ociAction(e.action),
      ...(e.args.length ? { args: e.args.map(ociArg) } : {}),
    })),
  };
  const text = `${JSON.stringify(profile, null, 2).replace(new RegExp(`"${U64_MARK}(\\d+)"`, 'g'), '$1')}\n`;
  const warnings: string[] = [];
  if (policy.defaultAction.kind === 'trace')
    warnings.push('oci: the spec has no defaultErrnoRet for SCMP_ACT_TRACE; the trace value of the default action is lost');
  const perArch = archSpecificNames(policy);
  if (perArch.length) warnings.push(`oci: rules apply to every listed arch; these differ per arch in the policy: ${perArch.join(', ')}`);
  return { text, warnings };
}
