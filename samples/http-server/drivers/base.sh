#!/bin/sh
# base: one small file, then SIGINT.
. "$(dirname "$0")/lib.sh"
wait_listen
expect "GET /small.txt" "hello from sbx http suite" "$($CURL "$BASE/small.txt")"
stop_server
say ok
