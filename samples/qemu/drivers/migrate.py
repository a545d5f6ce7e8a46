#!/usr/bin/env python3
"""Drivers of the migration scenarios (QMP), usage:
  migrate.py out QMP_SOCKET CONSOLE_FILE STATE_FILE   save: `migrate` to exec:cat > STATE_FILE
  migrate.py in  QMP_SOCKET CONSOLE_FILE STATE_FILE   restore: QEMU was started with -incoming
For `out` it waits for the guest's marker, migrates the running guest into the file (QEMU runs
`/bin/sh -c 'cat > FILE'`), polls query-migrate until completed, then quits. For `in` it waits
until the incoming migration has finished and the restored guest runs, then quits."""
import os
import sys
import time

from sbxdrv import QMP, fail, log, program_pid, wait_for_text

mode, qmp_path, console, state = sys.argv[1:5]
pid = program_pid()
qmp = QMP(qmp_path, 60, pid)


def wait_migration(timeout):
    end = time.monotonic() + timeout
    while True:
        info = qmp.execute("query-migrate")
        status = info.get("status")
        if status == "completed":
            return info
        if status in ("failed", "cancelled"):
            fail(f"migration {status}: {info}")
        if time.monotonic() > end:
            fail(f"migration not done after {timeout} s: {info}")
        time.sleep(0.2)


if mode == "out":
    wait_for_text(console, "SBX-GUEST-OK", 90, pid)
    if os.path.exists(state):
        os.unlink(state)
    qmp.execute("migrate", {"uri": f"exec:cat > {state}"})
    info = wait_migration(90)
    size = os.path.getsize(state)
    if size < 1024 * 1024:
        fail(f"{state} is only {size} bytes")
    status = qmp.execute("query-status")["status"]
    log(f"migrated to {state}: {size} bytes, {info.get('total-time', '?')} ms, VM now {status}; quit")
elif mode == "in":
    end = time.monotonic() + 90
    while True:
        status = qmp.execute("query-status")["status"]
        if status == "running":
            break
        if status not in ("inmigrate", "prelaunch", "paused"):
            fail(f"unexpected VM status {status}")
        if time.monotonic() > end:
            fail(f"VM still {status} after 90 s")
        time.sleep(0.2)
    info = qmp.execute("query-migrate")
    if info and info.get("status") not in (None, "completed"):
        fail(f"incoming migration: {info}")
    regs = qmp.execute("human-monitor-command", {"command-line": "info registers"})
    if "RIP=" not in regs:
        fail(f"info registers: {regs[:200]!r}")
    time.sleep(1)  # let the restored guest run a little (its hold loop) before quitting
    log(f"restored from {state}, VM {status}; quit")
else:
    fail(f"unknown mode {mode}")
qmp.quit(pid)
