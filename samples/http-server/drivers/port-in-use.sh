#!/bin/sh
# port-in-use: the program is tools/hold-port-exec.py, which listens on PORT and execs
# http.server on the same port with that socket still open: bind() fails with EADDRINUSE,
# Python prints the OSError traceback and exits 1 by itself. Nothing to talk to; check that it
# ends on its own and never served.
. "$(dirname "$0")/lib.sh"
wait_exit "start (expected: exit 1 on EADDRINUSE)"
say ok
