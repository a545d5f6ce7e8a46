#!/usr/bin/env python3
"""Driver of the `net` scenario: serve build/www/ on 127.0.0.1:$SBX_HTTP_PORT (the guest's
wget reaches it as 10.0.2.2 through QEMU's user-mode network) until QEMU exits; fail when the
guest never fetched payload.bin."""
import functools
import http.server
import os
import threading

from sbxdrv import fail, log, program_pid, wait_gone

pid = program_pid()
port = int(os.environ.get("SBX_HTTP_PORT", "18431"))
fetched = []


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        log(f"{self.address_string()} {fmt % args}")

    def do_GET(self):
        super().do_GET()
        if self.path == "/payload.bin":
            fetched.append(self.client_address)


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory="build/www"))
threading.Thread(target=server.serve_forever, daemon=True).start()
log(f"serving build/www on 127.0.0.1:{port} until pid {pid} exits")
wait_gone(pid, 300)
server.shutdown()
if not fetched:
    fail("the guest never fetched /payload.bin")
log(f"payload.bin fetched {len(fetched)} time(s)")
