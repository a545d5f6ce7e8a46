# Shared by the http.server scenario drivers (sourced; POSIX sh).
#
# A driver runs in the scenario's cwd (samples/http-server/www) with SBX_SCENARIO_PID (the
# traced python) and PORT (from the scenario's env). It waits until *that* process listens on
# PORT (read from /proc, so waiting sends the server nothing), talks to it with curl, checks
# every answer (exit 1 on a wrong one), waits until the server's request threads are gone, then
# stops it with SIGINT (KeyboardInterrupt -> "Keyboard interrupt received, exiting." -> exit 0)
# and waits until it has exited.

set -u
: "${SBX_SCENARIO_PID:?driver needs SBX_SCENARIO_PID}" "${PORT:?driver needs PORT}"
PID=$SBX_SCENARIO_PID
HOST=${HOST:-127.0.0.1}
URL_HOST=${URL_HOST:-$HOST}
BASE="http://$URL_HOST:$PORT"
NAME=$(basename "$0" .sh)
CURL="curl -sS --max-time 30"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sbx-http-driver.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# A wrong answer: say so, stop the server (so the run ends now rather than at the scenario's
# timeout) and exit 1, which sbx reports on the run's line as "driver exited 1".
fail() {
  echo "driver $NAME: FAIL: $*" >&2
  kill -INT "$PID" 2>/dev/null
  exit 1
}

say() {
  echo "driver $NAME: $*" >&2
}

# The server process still runs (a zombie waiting for sbx to reap it counts as gone).
alive() {
  [ -r "/proc/$PID/stat" ] || return 1
  state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$PID/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Inodes of the TCP sockets (v4 and v6) in LISTEN state on PORT.
listen_inodes() {
  hexport=$(printf ':%04X' "$PORT")
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
    awk -v p="$hexport" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10 }'
}

# PID itself holds one of the listening sockets (not some other program on the same port).
pid_listens() {
  for inode in $(listen_inodes); do
    for fd in /proc/"$PID"/fd/*; do
      [ "$(readlink "$fd" 2>/dev/null)" = "socket:[$inode]" ] && return 0
    done
  done
  return 1
}

wait_listen() {
  i=0
  until pid_listens; do
    alive || fail "server (pid $PID) exited before listening on port $PORT (port already in use?)"
    i=$((i + 1))
    [ $i -lt 600 ] || fail "server (pid $PID) not listening on port $PORT after 30 s"
    sleep 0.05
  done
}

# Only the main thread left: every request thread (ThreadingHTTPServer) has finished.
wait_idle() {
  i=0
  while [ "$(ls "/proc/$PID/task" 2>/dev/null | wc -l)" -gt 1 ]; do
    i=$((i + 1))
    [ $i -lt 400 ] || fail "server (pid $PID) still has request threads after 20 s"
    sleep 0.05
  done
}

wait_exit() {
  i=0
  while alive; do
    i=$((i + 1))
    [ $i -lt 200 ] || fail "server (pid $PID) still running 10 s after $1"
    sleep 0.05
  done
}

# SIGINT -> KeyboardInterrupt in serve_forever -> sys.exit(0).
stop_server() {
  wait_idle
  kill -INT "$PID" || fail "cannot signal the server (pid $PID)"
  wait_exit SIGINT
}

# expect WHAT EXPECTED ACTUAL
expect() {
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# HTTP status code of a request: status [curl args...] URL
status() {
  $CURL -o /dev/null -w '%{http_code}' "$@"
}

# A large file with deterministic content, generated once into www/gen/ (git-ignored):
# gen_large NAME MIB -> prints its path
gen_large() {
  mkdir -p gen
  f="gen/$1"
  want=$(($2 * 1048576))
  if [ ! -f "$f" ] || [ "$(wc -c < "$f")" -ne "$want" ]; then
    yes 'sbx http.server scenario suite: large file line 0123456789abcdef' | head -c "$want" > "$f.$$.tmp"
    mv "$f.$$.tmp" "$f"
  fi
  echo "$f"
}
