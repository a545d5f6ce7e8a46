#!/bin/sh
# client-abort: the client closes the connection after 1 MiB of a 32 MiB file; the server's
# sendall() fails (EPIPE or ECONNRESET: SIGPIPE is ignored by Python), handle_error() prints the
# traceback and the server goes on serving.
. "$(dirname "$0")/lib.sh"
big=$(gen_large large.bin 32)
wait_listen
got=$({ curl -s --max-time 30 "$BASE/$big"; } | head -c 1048576 | wc -c)
expect "bytes read before closing" 1048576 "$got"
wait_idle
expect "GET /small.txt after the abort" "hello from sbx http suite" "$($CURL "$BASE/small.txt")"
stop_server
say ok
