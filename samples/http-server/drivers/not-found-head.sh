#!/bin/sh
# not-found-head: send_error() pages (404 for a missing file, 501 for a method the handler has
# no do_* for), a HEAD that sends headers only, and a path escaping the root that is kept
# inside it.
. "$(dirname "$0")/lib.sh"
wait_listen
expect "GET /missing.txt" 404 "$(status "$BASE/missing.txt")"
case "$($CURL "$BASE/missing.txt")" in *"File not found"*) ;; *) fail "GET /missing.txt: no error page" ;; esac
expect "HEAD /small.txt status" 200 "$(status -I "$BASE/small.txt")"
expect "HEAD /small.txt length" "26" "$($CURL -I "$BASE/small.txt" | tr -d '\r' | sed -n 's/^Content-Length: //p')"
expect "HEAD /small.txt body bytes" 0 "$($CURL -I -o /dev/null -w '%{size_download}' "$BASE/small.txt")"
expect "DELETE /small.txt" 501 "$(status -X DELETE "$BASE/small.txt")"
expect "GET /../../etc/hostname" 404 "$(status --path-as-is "$BASE/../../etc/hostname")"
stop_server
say ok
