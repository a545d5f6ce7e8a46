#!/bin/sh
# concurrent: 24 transfers from 12 curl connections at once (curl --parallel) plus 4 curls in
# the background: ThreadingHTTPServer starts one thread per connection, several at a time.
. "$(dirname "$0")/lib.sh"
mid=$(gen_large medium.bin 2)
wait_listen
set --
i=0
while [ $i -lt 12 ]; do
  set -- "$@" -o "$TMP/m$i" "$BASE/$mid" -o "$TMP/s$i" "$BASE/small.txt"
  i=$((i + 1))
done
for j in 1 2 3 4; do $CURL -o "$TMP/bg$j" "$BASE/$mid" & done
$CURL --no-progress-meter --parallel --parallel-immediate --parallel-max 12 "$@" || fail "curl --parallel failed"
wait
i=0
while [ $i -lt 12 ]; do
  cmp -s "$mid" "$TMP/m$i" || fail "parallel transfer $i of /$mid differs"
  expect "parallel GET /small.txt $i" "hello from sbx http suite" "$(cat "$TMP/s$i")"
  i=$((i + 1))
done
for j in 1 2 3 4; do cmp -s "$mid" "$TMP/bg$j" || fail "background transfer $j differs"; done
stop_server
say ok
