#!/bin/sh
# keepalive: --protocol HTTP/1.1; curl fetches three URLs over one connection, so one handler
# thread loops in handle() over several requests (HTTP/1.0, the default, closes after each).
. "$(dirname "$0")/lib.sh"
wait_listen
out=$($CURL -w '%{num_connects}\n' -o "$TMP/a" "$BASE/small.txt" -o "$TMP/b" "$BASE/docs/alpha.txt" -o "$TMP/c" "$BASE/missing.txt")
expect "connections opened per URL" "1 0 0" "$(echo $out)"
expect "first body" "hello from sbx http suite" "$(cat "$TMP/a")"
expect "second body" "alpha" "$(cat "$TMP/b")"
expect "HTTP version" "1.1" "$($CURL -o /dev/null -w '%{http_version}' "$BASE/small.txt")"
stop_server
say ok
