#!/usr/bin/env bash
# The fidelity measurement of docs/fidelity.md, from the committed suite profiles: a policy is
# proposed from a suite's base scenario alone, and every other scenario of the suite is held
# out. sbx propose then reports, of the syscalls the held-out runs made that the base runs
# never did, how many family completion, the executables' static hints and all static hints
# flag, and how many unobserved syscalls each proposes. Re-learn a suite first to measure
# today's binaries: see samples/qemu/README.md and samples/http-server (docs/*-suite.md).
#
# With --validate, each suite is then run for real (sbx validate, complain mode) under the
# policy proposed from its base with --candidates none and with --candidates main (QEMU: about
# 4 minutes; needs samples/qemu/build.sh done first).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sbx="$root/bin/sbx"

measure() { # suite-dir base-scenario
  local dir="$1" base="$2"
  local held=()
  for f in "$dir"/*.profile.json; do
    case "$(basename "$f")" in "$base".*|*merged*) ;; *) held+=("$f") ;; esac
  done
  echo "== $(basename "$(dirname "$dir")"): policy from '$base', ${#held[@]} held-out profiles"
  "$sbx" propose "$dir/$base".*.profile.json --held-out "${held[@]}" -o /dev/null 2>&1 | sed -n '/^sbx: fidelity:/,$p'
}

validate() { # suite-dir base-scenario scenario-file
  local dir="$1" base="$2" scenarios="$3" tmp
  tmp="$(mktemp -d)"
  for candidates in none main; do
    "$sbx" propose -q "$dir/$base".*.profile.json --candidates "$candidates" -o "$tmp/$candidates.json"
    echo "== sbx validate: policy from '$base' with --candidates $candidates"
    "$sbx" validate --no-progress "$tmp/$candidates.json" --scenarios "$scenarios" </dev/null 2>&1 >/dev/null | tail -n 1 || true
  done
  rm -rf "$tmp"
}

measure "$root/samples/qemu/suite" boot
measure "$root/samples/http-server/suite" base
if [ "${1:-}" = --validate ]; then
  validate "$root/samples/qemu/suite" boot "$root/samples/qemu/qemu.scenarios.json"
  validate "$root/samples/http-server/suite" base "$root/samples/http-server/http.scenarios.json"
fi
