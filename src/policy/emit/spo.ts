/**
 * `spo`: a Security Profiles Operator `SeccompProfile` custom resource
 * (security-profiles-operator.x-k8s.io/v1beta1), which the operator writes to every node for
 * pods to use as a localhost profile: `kubectl apply -f profile.json`. The spec is the OCI
 * seccomp object (the same one `oci` writes, the container runtime's start-up calls
 * included); metadata.name is `--name` or the program's name made a DNS-1123 label.
 *
 * Written as JSON, which kubectl reads as it reads YAML: no YAML library at run time, and the
 * arguments' 64-bit numbers print exactly. The CRD has no defaultErrnoRet (EPERM is what the
 * runtimes return then) and types argument values as int64, so a
 * condition on a larger value is left out of an allow rule (widened, with a warning) and
 * refused on a deny rule.
 */
import { baseName, headerLines, refuse, seccompJson, seccompJsonText, type EmitContext, type EmitResult } from './shared.js';
import { errnoLabel, type Policy } from '../policy.js';

const EPERM = 1;
export const SPO_API_VERSION = 'security-profiles-operator.x-k8s.io/v1beta1';
const INT64_MAX = (1n << 63n) - 1n;

/** A DNS-1123 subdomain, what Kubernetes takes as an object's name. */
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** "ls", "my_server.py" -> "my-server-py": a DNS-1123 label (63 characters at most). */
export function dnsLabel(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

/** The resource's name: --name as given (checked), else the program's (or the policy file's) name. */
function resourceName(policy: Policy, context: EmitContext): string {
  if (context.name !== undefined) {
    if (context.name.length > 253 || !DNS_1123_SUBDOMAIN.test(context.name))
      refuse(
        `--name ${JSON.stringify(context.name)}: not a Kubernetes object name (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, 253 at most)`,
      );
    return context.name;
  }
  const program = policy.runs?.[0]?.command[0];
  const from = program !== undefined ? baseName(program) : baseName(context.source).replace(/\.json$/, '');
  return dnsLabel(from) || 'sbx-profile';
}

export function emit(policy: Policy, context: EmitContext): EmitResult {
  const name = resourceName(policy, context);
  const { profile: oci, warnings, notes, runtimeLine } = seccompJson(policy, context, { format: 'spo', maxArgValue: INT64_MAX });
  // The CRD has no defaultErrnoRet; runc and crun return EPERM for an errno default without one.
  const { defaultErrnoRet, ...profile } = oci;
  if (defaultErrnoRet !== undefined && defaultErrnoRet !== EPERM && policy.defaultAction.kind === 'errno')
    warnings.push(
      `spo: the CRD has no defaultErrnoRet: calls the policy fails with ${errnoLabel(policy.defaultAction.errno)} by default fail with EPERM instead`,
    );
  const resource = {
    apiVersion: SPO_API_VERSION,
    kind: 'SeccompProfile',
    metadata: {
      name,
      annotations: { description: [...headerLines(policy, context, 'Seccomp profile'), ...(runtimeLine ? [runtimeLine] : [])].join(' ') },
    },
    spec: profile,
  };
  return { text: seccompJsonText(resource), warnings, notes: [...notes, `spo: metadata.name is ${name}`] };
}
