#!/usr/bin/env python3
"""Driver of the `qmp` scenario: usage: qmp.py QMP_SOCKET CONSOLE_FILE.
Waits for the guest's marker in the console file, then over QMP: qmp_capabilities,
query-status, query-block, query-cpus-fast, human-monitor-command `info mtree`, quit."""
import sys

from sbxdrv import QMP, fail, log, program_pid, wait_for_text

sock, console = sys.argv[1], sys.argv[2]
pid = program_pid()
qmp = QMP(sock, 60, pid)
log(f"QMP greeting from QEMU {qmp.version['major']}.{qmp.version['minor']}.{qmp.version['micro']}")
wait_for_text(console, "SBX-GUEST-OK", 90, pid)
status = qmp.execute("query-status")
if status.get("status") != "running":
    fail(f"query-status: {status}")
blocks = qmp.execute("query-block")
cpus = qmp.execute("query-cpus-fast")
mtree = qmp.execute("human-monitor-command", {"command-line": "info mtree"})
if "address-space: memory" not in mtree:
    fail(f"info mtree: unexpected output: {mtree[:200]!r}")
log(f"status {status['status']}, {len(blocks)} block device(s), {len(cpus)} vCPU(s), info mtree {len(mtree.splitlines())} lines; quit")
qmp.quit(pid)
