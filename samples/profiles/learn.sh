#!/usr/bin/env bash
# Re-learn the sample profiles the policy tests and golden files are built from.
# Run from the repository root after `npm run build`. The profiles are real traces of this
# machine: re-learning changes counts (and so the golden files: UPDATE_GOLDEN=1 npx vitest run test/emit*).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$PWD/samples/profiles
sbx=$PWD/bin/sbx
python=$(python3 -c 'import sys; print(sys.executable)')   # the real interpreter, not a pyenv shim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ls of the root directory
$sbx learn -q -o $out/ls.profile.json -- ls -la / >/dev/null

# dd copying 4 MiB in 4 KiB blocks, and a second, smaller run (merged: two runs of one program)
$sbx learn -q -o $out/dd.profile.json -- dd if=/dev/zero of=/dev/null bs=4k count=1024 status=none
$sbx learn -q -o $out/dd-small.profile.json -- dd if=/dev/zero of=/dev/null bs=512 count=16

# a shell loop that forks and execs
$sbx learn -q -o $out/sh-loop.profile.json -- sh -c 'for i in 1 2 3 4 5; do /bin/true; echo "$i" >/dev/null; done'

# a small multi-threaded C program: 4 threads x 1000 getppid (test/workloads/threads.c)
gcc -O1 -pthread -o "$work/threads" test/workloads/threads.c
$sbx learn -q -o $out/threads.profile.json -- "$work/threads" 4 1000

# python3 -m http.server answering one curl request, then stopped with SIGINT (Ctrl-C)
port=8765
mkdir "$work/www" && echo hello >"$work/www/index.html"
(cd "$work/www" && exec $sbx learn -q -o "$out/http-server.profile.json" -- "$python" -m http.server "$port" --bind 127.0.0.1) >/dev/null 2>&1 &
learner=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
server=$(ss -Hltnp "sport = :$port" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
kill -INT "$server"
wait "$learner"
echo "learned: $(ls "$out"/*.profile.json | xargs -n1 basename | tr '\n' ' ')"
