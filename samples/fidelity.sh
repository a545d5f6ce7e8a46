#!/usr/bin/env bash
# The fidelity measurement of docs/fidelity.md, from the committed suite profiles: a policy is
# proposed from a suite's base scenario alone, and every other scenario of the suite is held
# out. sbx propose then reports, of the syscalls the held-out runs made that the base runs
# never did, how many family completion, the executables' static hints and all static hints
# flag, and how many unobserved syscalls each proposes. Re-learn a suite first to measure
# today's binaries: see samples/qemu/README.md and samples/http-server (docs/*-suite.md).
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

measure "$root/samples/qemu/suite" boot
measure "$root/samples/http-server/suite" base
