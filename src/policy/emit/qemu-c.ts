/**
 * `qemu-c`: the policy in the shape of QEMU's 2012 qemu-seccomp.c: `seccomp_whitelist[]`, an
 * array of {syscall number, priority} most frequent first, and `seccomp_start()`, the loop
 * that adds each entry with seccomp_rule_add and seccomp_syscall_priority. Rules the 2012
 * table could not hold (other actions, argument conditions) go in `seccomp_rules[]`, shaped
 * like QEMU's later table ({num, priority, action, narg, arg_cmp}).
 *
 * Numbers are the arch's own, so each arch gets its own block under `#if`; a build for an
 * arch the policy does not cover stops with #error.
 */
import { formatAction, type Policy, type SyscallDecision } from '../policy.js';
import {
  BAD_ARCH_ACTION,
  BAD_ARCH_COMMENT,
  C_ARCH_GUARD,
  cAction,
  cArgCmp,
  cComment,
  cHeader,
  permits,
  policyDecisions,
  type EmitContext,
  type EmitResult,
} from './shared.js';

/** An allow with no conditions fits the 2012 table; everything else is a rule. */
function isWhitelistEntry(d: SyscallDecision, policy: Policy): boolean {
  return d.action.kind === 'allow' && d.when.length === 0 && !permits(policy.defaultAction);
}

function archBlock(policy: Policy, arch: Policy['arches'][number]): { lines: string[]; hasWhitelist: boolean; hasRules: boolean } {
  const decisions = policyDecisions(policy).filter((d) => d.arch === arch);
  const whitelist = decisions.filter((d) => isWhitelistEntry(d, policy));
  const rules = decisions.filter((d) => !isWhitelistEntry(d, policy));
  const lines: string[] = [];
  if (whitelist.length) {
    lines.push('static const struct QemuSeccompSyscall seccomp_whitelist[] = {');
    for (const d of whitelist)
      lines.push(
        `    { ${d.nr}, ${d.priority ?? 0} },${' '.repeat(Math.max(1, 16 - `${d.nr}, ${d.priority ?? 0}`.length))}/* ${d.name} */`,
      );
    lines.push('};');
  }
  if (rules.length) {
    const entries: string[] = [];
    rules.forEach((d, i) => {
      const sets = d.when.length ? d.when : [[]];
      sets.forEach((set, j) => {
        const name = `arg_${d.name}_${i}_${j}`;
        if (set.length) lines.push(`static const struct scmp_arg_cmp ${name}[] = { ${set.map(cArgCmp).join(', ')} };`);
        entries.push(
          `    { ${d.nr}, ${d.priority ?? 0}, ${cAction(d.action)}, ${set.length}, ${set.length ? name : 'NULL'} }, /* ${cComment(`${d.name}: ${formatAction(d.action)}`)} */`,
        );
      });
    });
    lines.push('static const struct QemuSeccompRule seccomp_rules[] = {', ...entries, '};');
  }
  return { lines, hasWhitelist: whitelist.length > 0, hasRules: rules.length > 0 };
}

export function emit(policy: Policy, context: EmitContext): EmitResult {
  const blocks = policy.arches.map((arch) => ({ arch, ...archBlock(policy, arch) }));
  const out = [
    ...cHeader(policy, context, 'Seccomp filter in the style of QEMU 2012', ['Call seccomp_start() once, early; link with -lseccomp.']),
    '#include <errno.h>',
    '#include <stddef.h>',
    '#include <stdint.h>',
    '#include <seccomp.h>',
    '',
    '#ifndef ARRAY_SIZE',
    '#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))',
    '#endif',
    '',
    'struct QemuSeccompSyscall {',
    '    int32_t num;',
    '    uint8_t priority;',
    '};',
    '',
    'struct QemuSeccompRule {',
    '    int32_t num;',
    '    uint8_t priority;',
    '    uint32_t action;',
    '    uint8_t narg;',
    '    const struct scmp_arg_cmp *arg_cmp;',
    '};',
    '',
  ];
  blocks.forEach((b, i) => {
    out.push(`#${i === 0 ? 'if' : 'elif'} ${C_ARCH_GUARD[b.arch]}`, `/* ${b.arch} syscall numbers */`);
    if (b.hasWhitelist) out.push('#define HAVE_SECCOMP_WHITELIST 1');
    if (b.hasRules) out.push('#define HAVE_SECCOMP_RULES 1');
    out.push(...b.lines);
  });
  out.push('#else', `#error "this seccomp filter was generated for ${policy.arches.join(', ')} only"`, '#endif', '');
  out.push(
    'int seccomp_start(void)',
    '{',
    '    int rc = 0;',
    '    unsigned int i = 0;',
    '    scmp_filter_ctx ctx;',
    '',
    `    ctx = seccomp_init(${cAction(policy.defaultAction)});`,
    '    if (ctx == NULL) {',
    '        return -ENOMEM;',
    '    }',
    `    /* ${BAD_ARCH_COMMENT} */`,
    `    rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, ${BAD_ARCH_ACTION});`,
    '    if (rc < 0) {',
    '        goto seccomp_return;',
    '    }',
    '',
    '#ifdef HAVE_SECCOMP_WHITELIST',
    '    for (i = 0; i < ARRAY_SIZE(seccomp_whitelist); i++) {',
    '        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_whitelist[i].num, 0);',
    '        if (rc < 0) {',
    '            goto seccomp_return;',
    '        }',
    '        rc = seccomp_syscall_priority(ctx, seccomp_whitelist[i].num,',
    '                                      seccomp_whitelist[i].priority);',
    '        if (rc < 0) {',
    '            goto seccomp_return;',
    '        }',
    '    }',
    '#endif',
    '#ifdef HAVE_SECCOMP_RULES',
    '    for (i = 0; i < ARRAY_SIZE(seccomp_rules); i++) {',
    '        rc = seccomp_rule_add_array(ctx, seccomp_rules[i].action, seccomp_rules[i].num,',
    '                                    seccomp_rules[i].narg, seccomp_rules[i].arg_cmp);',
    '        if (rc < 0) {',
    '            goto seccomp_return;',
    '        }',
    '        rc = seccomp_syscall_priority(ctx, seccomp_rules[i].num, seccomp_rules[i].priority);',
    '        if (rc < 0) {',
    '            goto seccomp_return;',
    '        }',
    '    }',
    '#endif',
    '',
    '    rc = seccomp_load(ctx);',
    '',
    '  seccomp_return:',
    '    seccomp_release(ctx);',
    '    return rc;',
    '}',
    '',
  );
  const warnings =
    policy.arches.length > 1
      ? [
          `qemu-c: each build gets its own arch's table only (${policy.arches.join(', ')}); a process calling through another ABI is killed — use libseccomp-c for one filter covering several arches`,
        ]
      : [];
  return { text: out.join('\n'), warnings };
}
