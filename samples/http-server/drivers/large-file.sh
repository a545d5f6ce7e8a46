#!/bin/sh
# large-file: a 32 MiB file. SimpleHTTPRequestHandler.copyfile() is shutil.copyfileobj(), a
# read()/sendall() loop in 64 KiB pieces: no sendfile(2) (that is only in shutil.copyfile()
# between two files and in socket.sendfile(), which http.server does not call).
. "$(dirname "$0")/lib.sh"
big=$(gen_large large.bin 32)
wait_listen
$CURL -o "$TMP/large.bin" "$BASE/$big" || fail "GET /$big: curl failed"
cmp -s "$big" "$TMP/large.bin" || fail "GET /$big: downloaded file differs ($(wc -c < "$TMP/large.bin") bytes)"
stop_server
say ok
