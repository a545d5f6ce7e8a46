#!/usr/bin/env node
// Writes src/linux/tables/kernel-versions.ts: for each syscall of each arch sbx knows, the
// Linux release it appeared in, as a range [earliest, latest] (equal when known exactly), so
// `sbx emit --target-kernel X.Y` can leave out names an older kernel's headers lack.
// Plain Node ESM, no dependencies.
//
//   node scripts/gen-syscall-kernels.mjs --man-pages MAN_PAGES_GIT_DIR --libseccomp LIBSECCOMP_GIT_DIR
//
// (git directories of github:mkerrisk/man-pages and github:seccomp/libseccomp; needs dist/ built)
//
// Two public sources, read as data (facts: which version has which name):
//  - man-pages' syscalls(2) table ("Kernel" column; the list is as of Linux 5.14):
//    exact versions. github:mkerrisk/man-pages man2/syscalls.2 (Linux-man-pages-copyleft).
//  - libseccomp's src/syscalls.csv, which its maintainers regenerate for each kernel
//    (v5.7 ... v7.1; LGPL-2.1): every version of the file in git history says which names each
//    arch had at that release. A name first present in the table for vB and absent from the
//    one for vA appeared in (vA, vB]. libseccomp's own *_kver columns are all SCMP_KV_UNDEF,
//    so they cannot be used.
// man-pages wins where it has a version; libseccomp bounds the rest. A name in neither gets no
// row (and is "unknown" to every --target-kernel).

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'src', 'linux', 'tables', 'kernel-versions.ts');

/** sbx arch -> libseccomp's column name. */
const LIBSECCOMP_ARCH = { x86_64: 'x86_64', x32: 'x32', i386: 'x86', aarch64: 'aarch64' };

/** "2.6; 2.4.18" -> "2.4.18" (the earliest release that had it); "" -> undefined. */
function earliest(text) {
  const versions = text
    .split(';')
    .map((v) => v.trim())
    .filter((v) => /^\d+(\.\d+)+$/.test(v));
  return versions.sort(compareVersions)[0];
}

export function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Linux's release after `v` (5.19 -> 6.0: the major number moves after .19 since 3.x). */
function nextRelease(v) {
  const [major, minor] = v.split('.').map(Number);
  if (major === 2) return `2.6.${minor}`; // not reached: libseccomp starts at 5.7
  return minor >= 19 && major >= 4 ? `${major + 1}.0` : `${major}.${minor + 1}`;
}

/**
 * name -> version from the syscalls(2) table: lines `\fBname\fP(2)<TAB>version...`. Where the
 * version column is empty, the note block after it (`T{ ... T}`) may say when the name came:
 * pread64 is `Added as "pread" in 2.2; renamed "pread64" in 2.6`.
 */
function manPagesVersions(text) {
  const out = new Map();
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    const m = /^\\fB([a-z0-9_]+)\\fP\(2\)\t([^\t]*)(?:\t(.*))?/.exec(line);
    if (!m) continue;
    const v = earliest(m[2]) ?? (m[2] === '' && m[3] === 'T{' ? renamedIn(m[1], lines.slice(i + 1)) : undefined);
    if (v && !out.has(m[1])) out.set(m[1], v);
  }
  return out;
}

/** The release a note block names for `name` itself (`... "name" in 2.6`), up to its `T}`. */
function renamedIn(name, rest) {
  const note = rest.slice(0, rest.indexOf('T}')).join(' ');
  return new RegExp(`"${name}" in (\\d+(?:\\.\\d+)+)`).exec(note)?.[1];
}

function git(dir, ...args) {
  return execFileSync('git', ['--git-dir', dir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** Each release's table: [{ version, commit, names: Map<sbxArch, Set<name>> }], oldest first. */
function libseccompSnapshots(gitDir) {
  const commits = git(gitDir, 'log', '--format=%H', '--', 'src/syscalls.csv').trim().split('\n').reverse();
  const byVersion = new Map();
  for (const commit of commits) {
    const text = git(gitDir, 'show', `${commit}:src/syscalls.csv`);
    const [header, ...rows] = text.trim().split('\n');
    const version = /^#syscall \(v(\d+\.\d+)/.exec(header)?.[1];
    if (!version) continue; // the first two versions of the file carry no kernel version
    const columns = header.split(',');
    const names = new Map();
    for (const [arch, column] of Object.entries(LIBSECCOMP_ARCH)) {
      const index = columns.indexOf(column);
      if (index < 0) throw new Error(`${commit}: no ${column} column`);
      const set = new Set();
      for (const row of rows) {
        const cells = row.split(',');
        if (/^\d+$/.test(cells[index] ?? '')) set.add(cells[0]);
      }
      names.set(arch, set);
    }
    byVersion.set(version, { version, commit, names }); // a later commit for the same release wins
  }
  return [...byVersion.values()].sort((a, b) => compareVersions(a.version, b.version));
}

async function sbxNames(arch) {
  const mod = await import(join(ROOT, 'dist', 'src', 'linux', 'syscalls.js'));
  return mod.syscallTable(arch).map((e) => e.name);
}

async function main(argv) {
  let manPages;
  let libseccomp;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--man-pages') manPages = argv[++i];
    else if (argv[i] === '--libseccomp') libseccomp = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!manPages || !libseccomp)
    throw new Error('usage: gen-syscall-kernels.mjs --man-pages MAN_PAGES_GIT_DIR --libseccomp LIBSECCOMP_GIT_DIR');
  const manCommit = git(manPages, 'rev-parse', 'HEAD').trim();
  const exact = manPagesVersions(git(manPages, 'show', `${manCommit}:man2/syscalls.2`));
  const snapshots = libseccompSnapshots(libseccomp);
  const lines = [
    '// generated by scripts/gen-syscall-kernels.mjs, do not edit',
    `// sources: man-pages man2/syscalls.2 at ${manCommit.slice(0, 12)} (versions as of Linux 5.14)`,
    `//          libseccomp src/syscalls.csv at ${snapshots.map((s) => `v${s.version} ${s.commit.slice(0, 12)}`).join(', ')}`,
    '',
    '/**',
    ' * Per arch, per syscall name: the Linux releases it may have appeared in, [earliest, latest]',
    ' * (equal when man-pages gives the version). A name missing here has no known version.',
    ' */',
    'export const SYSCALL_KERNELS: Readonly<Record<string, Readonly<Record<string, readonly [string, string]>>>> = {',
  ];
  for (const arch of Object.keys(LIBSECCOMP_ARCH)) {
    lines.push(`  ${arch}: {`);
    for (const name of await sbxNames(arch)) {
      let range;
      if (exact.has(name)) range = [exact.get(name), exact.get(name)];
      else {
        const first = snapshots.findIndex((s) => s.names.get(arch).has(name));
        if (first > 0) range = [nextRelease(snapshots[first - 1].version), snapshots[first].version];
        else if (first === 0) range = ['1.0', snapshots[0].version];
      }
      if (range) lines.push(`    ${name}: ['${range[0]}', '${range[1]}'],`);
    }
    lines.push('  },');
  }
  lines.push('};', '');
  writeFileSync(OUT, lines.join('\n'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
