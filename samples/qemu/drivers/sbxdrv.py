"""Helpers for the scenario drivers of qemu.scenarios.json (python3, standard library only).

A driver runs alongside QEMU (sbx starts it with SBX_SCENARIO_PID = the traced program's pid,
in the scenario's cwd, samples/qemu/); its output goes to sbx's stderr. Drivers exit non-zero
when the scenario did not do what it says, and sbx reports that ("driver exited 1").
"""
import json
import os
import socket
import sys
import time

NAME = os.path.basename(sys.argv[0])


def log(msg):
    print(f"driver {NAME}: {msg}", file=sys.stderr, flush=True)


def fail(msg):
    log(f"FAIL: {msg}")
    sys.exit(1)


def program_pid():
    try:
        return int(os.environ["SBX_SCENARIO_PID"])
    except (KeyError, ValueError):
        fail("SBX_SCENARIO_PID is not set (run me from `sbx learn --scenarios`)")


def alive(pid):
    """True while pid exists and is not a zombie (sbx reaps its tracees a little later)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pid, timeout):
    end = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > end:
            fail(f"program {pid} still running after {timeout} s")
        time.sleep(0.05)


def wait_for_text(path, text, timeout, pid=None):
    """Until the file at path contains text (e.g. the guest's marker in a -serial file: log)."""
    end = time.monotonic() + timeout
    while True:
        try:
            with open(path, "rb") as f:
                if text.encode() in f.read():
                    return
        except FileNotFoundError:
            pass
        if pid is not None and not alive(pid):
            fail(f"program exited before {path} showed {text!r}")
        if time.monotonic() > end:
            fail(f"{path} did not show {text!r} within {timeout} s")
        time.sleep(0.1)


def connect_unix(path, timeout, pid=None):
    """Connect to a unix socket QEMU creates at startup (server=on,wait=off)."""
    end = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            s.settimeout(60)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
        if pid is not None and not alive(pid):
            fail(f"program exited before {path} accepted a connection")
        if time.monotonic() > end:
            fail(f"cannot connect to {path} within {timeout} s")
        time.sleep(0.05)


class QMP:
    """A minimal QMP client: greeting, qmp_capabilities, execute(), events kept aside."""

    def __init__(self, path, timeout=30, pid=None):
        self.sock = connect_unix(path, timeout, pid)
        self.buf = b""
        self.events = []
        greeting = self._read()
        if "QMP" not in greeting:
            fail(f"no QMP greeting: {greeting}")
        self.version = greeting["QMP"]["version"]["qemu"]
        self.execute("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, command, arguments=None, allow_error=False):
        msg = {"execute": command}
        if arguments is not None:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                if allow_error:
                    return reply
                fail(f"{command}: {reply['error']}")
            return reply.get("return")

    def quit(self, pid):
        """`quit`, then wait for QEMU to be gone (QEMU may close the socket before replying)."""
        try:
            self.execute("quit")
        except (EOFError, ConnectionResetError, BrokenPipeError):
            pass
        self.sock.close()
        wait_gone(pid, 60)
