#!/bin/sh
# not-modified: If-Modified-Since later than the file's mtime gives 304 (send_head() parses the
# date with email.utils); an older one gives 200 with the body; a malformed one is ignored.
. "$(dirname "$0")/lib.sh"
wait_listen
expect "If-Modified-Since 2099" 304 "$(status -H 'If-Modified-Since: Thu, 01 Jan 2099 00:00:00 GMT' "$BASE/small.txt")"
expect "If-Modified-Since 1999" 200 "$(status -H 'If-Modified-Since: Fri, 01 Jan 1999 00:00:00 GMT' "$BASE/small.txt")"
expect "If-Modified-Since garbage" 200 "$(status -H 'If-Modified-Since: not a date' "$BASE/small.txt")"
lm=$($CURL -I "$BASE/small.txt" | tr -d '\r' | sed -n 's/^Last-Modified: //p')
[ -n "$lm" ] || fail "HEAD /small.txt: no Last-Modified"
expect "If-Modified-Since = Last-Modified" 304 "$(status -H "If-Modified-Since: $lm" "$BASE/small.txt")"
stop_server
say ok
