#!/usr/bin/env python3
"""Driver of the `hmp-savevm` scenario: usage: hmp.py MONITOR_SOCKET CONSOLE_FILE.
Talks to the human monitor on a unix socket: info status, info block, savevm (an internal
snapshot of RAM and device state into the qcow2 disk), info snapshots, delvm, quit."""
import sys
import time

from sbxdrv import connect_unix, fail, log, program_pid, wait_for_text, wait_gone

sock_path, console = sys.argv[1], sys.argv[2]
pid = program_pid()
sock = connect_unix(sock_path, 60, pid)
buf = b""
PROMPT = b"(qemu) "


def until_prompt():
    global buf
    while PROMPT not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            fail(f"monitor closed; got {buf[-300:]!r}")
        buf += chunk
    out, buf = buf.split(PROMPT, 1)
    return out.decode(errors="replace")


def command(line):
    sock.sendall(line.encode() + b"\n")
    # The monitor echoes the command line (with terminal escapes) before its output.
    return until_prompt()


until_prompt()  # banner
wait_for_text(console, "SBX-GUEST-OK", 90, pid)
if "running" not in command("info status"):
    fail("info status: VM not running")
blocks = command("info block")
if "disk.qcow2" not in blocks:
    fail(f"info block shows no disk.qcow2: {blocks!r}")
started = time.monotonic()
out = command("savevm sbx-snap")
if "Error" in out:
    fail(f"savevm: {out!r}")
snaps = command("info snapshots")
if "sbx-snap" not in snaps:
    fail(f"info snapshots does not list sbx-snap: {snaps!r}")
out = command("delvm sbx-snap")
if "Error" in out:
    fail(f"delvm: {out!r}")
log(f"savevm + info snapshots + delvm in {time.monotonic() - started:.1f} s; quit")
sock.sendall(b"quit\n")
wait_gone(pid, 60)
