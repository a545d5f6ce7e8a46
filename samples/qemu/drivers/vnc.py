#!/usr/bin/env python3
"""Driver of the `vnc` scenario: usage: vnc.py VNC_SOCKET QMP_SOCKET CONSOLE_FILE.
A VNC client on QEMU's unix-socket VNC server: RFB 3.8 handshake (security type None),
ClientInit/ServerInit, SetEncodings raw, one full FramebufferUpdateRequest whose pixels it
reads; then `quit` over QMP (VNC has no way to end QEMU)."""
import struct
import sys

from sbxdrv import QMP, connect_unix, fail, log, program_pid, wait_for_text

vnc_path, qmp_path, console = sys.argv[1:4]
pid = program_pid()
qmp = QMP(qmp_path, 60, pid)
wait_for_text(console, "SBX-GUEST-OK", 90, pid)
s = connect_unix(vnc_path, 30, pid)


def recv_exact(n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            fail(f"VNC server closed the connection ({len(data)} of {n} bytes)")
        data += chunk
    return data


banner = recv_exact(12)
if not banner.startswith(b"RFB "):
    fail(f"not an RFB banner: {banner!r}")
s.sendall(b"RFB 003.008\n")
(ntypes,) = struct.unpack("B", recv_exact(1))
if ntypes == 0:
    (n,) = struct.unpack(">I", recv_exact(4))
    fail(f"server refused: {recv_exact(n)!r}")
types = list(recv_exact(ntypes))
if 1 not in types:
    fail(f"security type None not offered: {types}")
s.sendall(b"\x01")
(result,) = struct.unpack(">I", recv_exact(4))
if result != 0:
    fail(f"security result {result}")
s.sendall(b"\x01")  # ClientInit: shared
width, height = struct.unpack(">HH", recv_exact(4))
pixfmt = recv_exact(16)
bpp = pixfmt[0]
(namelen,) = struct.unpack(">I", recv_exact(4))
name = recv_exact(namelen).decode(errors="replace")
log(f"{banner.strip().decode()}: {width}x{height}, {bpp} bpp, desktop {name!r}")
s.sendall(struct.pack(">BxHi", 2, 1, 0))  # SetEncodings: raw only
s.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, width, height))  # full FramebufferUpdateRequest
pixels = 0
while True:
    (msg,) = struct.unpack("B", recv_exact(1))
    if msg == 0:  # FramebufferUpdate
        _, nrects = struct.unpack(">BH", recv_exact(3))
        for _ in range(nrects):
            x, y, w, h, enc = struct.unpack(">HHHHi", recv_exact(12))
            if enc == 0:
                recv_exact(w * h * bpp // 8)
                pixels += w * h
            elif enc == -223:  # DesktopSize pseudo-encoding
                width, height = w, h
            else:
                fail(f"unexpected encoding {enc}")
        break
    elif msg == 2:  # Bell
        continue
    elif msg == 3:  # ServerCutText
        recv_exact(3)
        (n,) = struct.unpack(">I", recv_exact(4))
        recv_exact(n)
    else:
        fail(f"unexpected server message {msg}")
if pixels == 0:
    fail("framebuffer update carried no pixels")
log(f"read a framebuffer update of {pixels} pixels; quit over QMP")
s.close()
qmp.quit(pid)
