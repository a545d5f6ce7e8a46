#!/usr/bin/env python3
"""Driver of the `daemonize` scenario: usage: daemonize.py PIDFILE CONSOLE_FILE.
QEMU -daemonize forks, the parent exits once the child is set up; checks that the pid file
names a live daemon other than the started process, that its guest prints the marker into the
console file, and that the daemon ends by itself (the guest powers off)."""
import sys
import time

from sbxdrv import alive, fail, log, program_pid, wait_for_text, wait_gone

pidfile, console = sys.argv[1], sys.argv[2]
started = program_pid()
end = time.monotonic() + 60
daemon = 0
while not daemon:
    try:
        with open(pidfile) as f:
            daemon = int(f.read().strip() or 0)
    except (FileNotFoundError, ValueError):
        pass
    if time.monotonic() > end:
        fail(f"no pid in {pidfile} within 60 s")
    time.sleep(0.05)
if daemon == started:
    fail(f"pid file names the started process {started}, not a daemon")
log(f"daemon pid {daemon} (started as {started}, which {'still runs' if alive(started) else 'has exited'})")
wait_for_text(console, "SBX-GUEST-OK", 90, daemon)
wait_gone(daemon, 60)
log("the daemon's guest powered off")
