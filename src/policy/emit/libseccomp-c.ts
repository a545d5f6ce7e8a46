/**
 * `libseccomp-c`: a C file with `int sbx_load_filter(void)` (seccomp_init, per-arch contexts
 * merged with seccomp_merge, seccomp_syscall_priority, seccomp_rule_add_exact_array with the
 * argument comparisons, seccomp_load) and, unless compiled with -DSBX_NO_MAIN, a standalone
 * wrapper `main` that loads the filter and execvp()s its arguments:
 *
 *     gcc -o sandbox policy.c -lseccomp && ./sandbox ls -la /
 *     gcc -c -DSBX_NO_MAIN policy.c        # just the function, to link into a program
 *
 * Syscalls are looked up by name at run time (so libseccomp maps them to every arch); when the
 * installed libseccomp is older than a syscall, the number from sbx's table is used on the
 * native arch.
 */
import { formatAction, type Policy } from '../policy.js';
import {
  BAD_ARCH_ACTION,
  BAD_ARCH_COMMENT,
  SCMP_ARCH,
  cAction,
  cArgCmp,
  cComment,
  cHeader,
  policyDecisions,
  type EmitContext,
  type EmitResult,
} from './shared.js';

export function emit(policy: Policy, context: EmitContext): EmitResult {
  const rows: string[] = [];
  for (const d of policyDecisions(policy)) {
    const sets = d.when.length ? d.when : [[]];
    const why = d.rules[0]!.rule.reason;
    rows.push(`\t/* ${cComment(`${d.name}: ${formatAction(d.action)}${why ? ` (${why})` : ''}`)} */`);
    for (const set of sets) {
      const args = set.length ? `{ ${set.map(cArgCmp).join(', ')} }` : '{ { 0 } }';
      rows.push(`\t{ ${SCMP_ARCH[d.arch]}, "${d.name}", ${d.nr}, ${d.priority ?? -1}, ${cAction(d.action)}, ${set.length}, ${args} },`);
    }
  }
  const lines = [
    ...cHeader(policy, context, 'Seccomp filter for libseccomp', [
      '',
      'Build the wrapper:   gcc -o sandbox THIS.c -lseccomp      then: ./sandbox program [args...]',
      'Just the function:   gcc -c -DSBX_NO_MAIN THIS.c           and call sbx_load_filter()',
    ]),
    '#define _GNU_SOURCE',
    '#include <errno.h>',
    '#include <seccomp.h>',
    '#include <stddef.h>',
    '#include <stdint.h>',
    '#include <stdio.h>',
    '#include <string.h>',
    '#include <unistd.h>',
    '',
    'struct sbx_rule {',
    '\tuint32_t arch;         /* SCMP_ARCH_* the rule is for */',
    '\tconst char *name;',
    '\tint nr;                /* number on that arch, for a libseccomp that does not know the name */',
    '\tint priority;          /* seccomp_syscall_priority hint, -1 for none */',
    '\tuint32_t action;',
    '\tunsigned int arg_cnt;  /* all comparisons must hold */',
    '\tstruct scmp_arg_cmp args[6];',
    '};',
    '',
    `static const uint32_t sbx_arches[] = { ${policy.arches.map((a) => SCMP_ARCH[a]).join(', ')} };`,
    '',
    ...(rows.length
      ? ['static const struct sbx_rule sbx_rules[] = {', ...rows, '};', '#define SBX_RULE_COUNT (sizeof(sbx_rules) / sizeof(sbx_rules[0]))']
      : ['static const struct sbx_rule *const sbx_rules = NULL;', '#define SBX_RULE_COUNT ((size_t)0)']),
    '',
    "/* By name, so libseccomp maps it onto the context's arch; by our number when this libseccomp",
    ' * predates the syscall and the rule is for the native arch. */',
    'static int sbx_resolve(const struct sbx_rule *r)',
    '{',
    '\tint nr = seccomp_syscall_resolve_name(r->name);',
    '\tif (nr != __NR_SCMP_ERROR)',
    '\t\treturn nr;',
    '\treturn r->arch == seccomp_arch_native() ? r->nr : __NR_SCMP_ERROR;',
    '}',
    '',
    '/* One context per arch (so a rule for one arch does not leak to another), merged, loaded.',
    ' * Returns 0, or a negative errno. */',
    'int sbx_load_filter(void)',
    '{',
    '\tscmp_filter_ctx merged = NULL;',
    '\tint rc = 0;',
    '',
    '\tfor (size_t a = 0; a < sizeof(sbx_arches) / sizeof(sbx_arches[0]); a++) {',
    `\t\tscmp_filter_ctx ctx = seccomp_init(${cAction(policy.defaultAction)});`,
    '\t\tif (ctx == NULL) {',
    '\t\t\trc = -ENOMEM;',
    '\t\t\tgoto out;',
    '\t\t}',
    `\t\t/* ${BAD_ARCH_COMMENT} */`,
    `\t\tif ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, ${BAD_ARCH_ACTION})) < 0) {`,
    '\t\t\tseccomp_release(ctx);',
    '\t\t\tgoto out;',
    '\t\t}',
    '\t\tif (sbx_arches[a] != seccomp_arch_native()) {',
    '\t\t\tif ((rc = seccomp_arch_add(ctx, sbx_arches[a])) < 0 || (rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) < 0) {',
    '\t\t\t\tseccomp_release(ctx);',
    '\t\t\t\tgoto out;',
    '\t\t\t}',
    '\t\t}',
    '\t\tfor (size_t i = 0; i < SBX_RULE_COUNT; i++) {',
    '\t\t\tconst struct sbx_rule *r = &sbx_rules[i];',
    '\t\t\tif (r->arch != sbx_arches[a])',
    '\t\t\t\tcontinue;',
    '\t\t\tint nr = sbx_resolve(r);',
    '\t\t\tif (nr == __NR_SCMP_ERROR) {',
    '\t\t\t\tfprintf(stderr, "sbx: this libseccomp does not know the syscall %s\\n", r->name);',
    '\t\t\t\trc = -EINVAL;',
    '\t\t\t} else if (r->priority >= 0 && (rc = seccomp_syscall_priority(ctx, nr, (uint8_t)r->priority)) < 0) {',
    '\t\t\t\tfprintf(stderr, "sbx: seccomp_syscall_priority(%s): %s\\n", r->name, strerror(-rc));',
    '\t\t\t} else if ((rc = seccomp_rule_add_exact_array(ctx, r->action, nr, r->arg_cnt, r->args)) < 0) {',
    '\t\t\t\tfprintf(stderr, "sbx: seccomp_rule_add(%s): %s\\n", r->name, strerror(-rc));',
    '\t\t\t}',
    '\t\t\tif (rc < 0) {',
    '\t\t\t\tseccomp_release(ctx);',
    '\t\t\t\tgoto out;',
    '\t\t\t}',
    '\t\t}',
    '\t\tif (merged == NULL) {',
    '\t\t\tmerged = ctx;',
    '\t\t} else if ((rc = seccomp_merge(merged, ctx)) < 0) {',
    '\t\t\tseccomp_release(ctx);',
    '\t\t\tgoto out;',
    '\t\t}',
    '\t}',
    '\t/* Every thread of the caller, not just this one (as QEMU does). */',
    '\tif ((rc = seccomp_attr_set(merged, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)',
    '\t\tgoto out;',
    '\trc = seccomp_load(merged);',
    'out:',
    '\tif (merged != NULL)',
    '\t\tseccomp_release(merged);',
    '\treturn rc;',
    '}',
    '',
    '#ifndef SBX_NO_MAIN',
    'int main(int argc, char **argv)',
    '{',
    '\tif (argc < 2) {',
    '\t\tfprintf(stderr, "usage: %s program [arguments...]\\n"',
    '\t\t\t\t"runs program under the seccomp filter generated by sbx\\n", argv[0]);',
    '\t\treturn 2;',
    '\t}',
    '\tint rc = sbx_load_filter();',
    '\tif (rc < 0) {',
    '\t\tfprintf(stderr, "%s: cannot load the seccomp filter: %s\\n", argv[0], strerror(-rc));',
    '\t\treturn 126;',
    '\t}',
    '\texecvp(argv[1], argv + 1);',
    '\tfprintf(stderr, "%s: cannot run %s: %s\\n", argv[0], argv[1], strerror(errno));',
    '\treturn 127;',
    '}',
    '#endif',
    '',
  ];
  return { text: lines.join('\n'), warnings: [] };
}
