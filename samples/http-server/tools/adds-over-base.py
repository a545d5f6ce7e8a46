"""What each scenario's runs add over the base scenario's runs, from kept sbx profiles.

    python3 tools/adds-over-base.py suite/            # the --keep-dir of sbx learn --scenarios
    python3 tools/adds-over-base.py suite/ --base base

For every other scenario: the syscalls no base run made (with the executables that made them),
and the argument values (decoded: clone flags, socket families, ioctl requests, open flags, ...)
that no base run used for a syscall base does make. The first list is what sbx's
--cross-validate sees (no argument rules); the second is what a policy with argument rules
(sbx propose --args) would additionally miss. Profiles learned with --mode syscall also carry
errors per errno: the errors no base run got are listed too (error paths with the same syscalls).
"""
import json
import os
import re
import sys
from collections import defaultdict


def load(keep_dir):
    by_scenario = defaultdict(list)
    for name in sorted(os.listdir(keep_dir)):
        m = re.fullmatch(r'(.+)\.(\d+)\.profile\.json', name)
        if m:
            with open(os.path.join(keep_dir, name)) as f:
                by_scenario[m.group(1)].append(json.load(f))
    return by_scenario


def calls(profiles):
    """{(arch, syscall): count}"""
    out = defaultdict(int)
    for p in profiles:
        for s in p['syscalls']:
            out[(s['arch'], s['name'])] += s['count']
    return out


def arg_values(profiles):
    """{(arch, syscall, arg name, value label): count}"""
    out = defaultdict(int)
    for p in profiles:
        for s in p['syscalls']:
            for a in s.get('args', []):
                for v in a['values']:
                    out[(s['arch'], s['name'], a['name'], v.get('label') or v['value'])] += v['count']
    return out


def errors(profiles):
    """{(arch, syscall, errno): count} (profiles learned with --mode syscall only)"""
    out = defaultdict(int)
    for p in profiles:
        for s in p['syscalls']:
            for errno, n in s.get('errors', {}).items():
                out[(s['arch'], s['name'], errno)] += n
    return out


def executables(profiles, arch, syscall):
    key = f'{arch}:{syscall}'
    found = set()
    for p in profiles:
        for e in p['executables']:
            if e['syscalls'].get(key):
                found.add(e['path'])
    return sorted(found)


def main():
    args = sys.argv[1:]
    base = 'base'
    if '--base' in args:
        i = args.index('--base')
        base = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    suite = load(args[0])
    if base not in suite:
        sys.exit(f'no {base}.N.profile.json in {args[0]}')
    base_calls = calls(suite[base])
    base_args = arg_values(suite[base])
    base_errors = errors(suite[base])
    print(f'base: {len(base_calls)} syscalls in {len(suite[base])} run(s)')
    for name, profiles in suite.items():
        if name == base:
            continue
        mine = calls(profiles)
        new = sorted(k for k in mine if k not in base_calls)
        new_args = sorted(k for k in arg_values(profiles) if k not in base_args and (k[0], k[1]) in base_calls)
        print(f'\n{name}: {len(mine)} syscalls in {len(profiles)} run(s), {len(new)} not in base')
        for arch, sc in new:
            arch_tag = '' if arch == 'x86_64' else f'{arch}:'
            print(f'  + {arch_tag}{sc} ({mine[(arch, sc)]} calls; {", ".join(executables(profiles, arch, sc))})')
        if new_args:
            grouped = defaultdict(list)
            for arch, sc, arg, label in new_args:
                grouped[(sc, arg)].append(label)
            for (sc, arg), labels in sorted(grouped.items()):
                print(f'  ~ {sc} {arg}: {", ".join(labels)}')
        mine_errors = errors(profiles)
        for arch, sc, errno in sorted(k for k in mine_errors if k not in base_errors):
            print(f'  ! {sc} -> {errno} ({mine_errors[(arch, sc, errno)]} calls)')


if __name__ == '__main__':
    main()
