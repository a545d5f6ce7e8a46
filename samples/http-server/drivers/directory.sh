#!/bin/sh
# directory: --directory ../alt-root serves another tree than the cwd; / has an index.html,
# which send_head() serves instead of a listing.
. "$(dirname "$0")/lib.sh"
wait_listen
case "$($CURL "$BASE/")" in *"served with --directory alt-root"*) ;; *) fail "GET /: not alt-root/index.html" ;; esac
expect "GET /small.txt (only in the cwd)" 404 "$(status "$BASE/small.txt")"
stop_server
say ok
