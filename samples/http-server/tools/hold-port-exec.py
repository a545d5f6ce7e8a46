"""Listen on 127.0.0.1:PORT, then exec the rest of argv with that socket left open.

    hold-port-exec.py PORT -- /usr/bin/python3.11 -m http.server PORT --bind 127.0.0.1

The exec'd server finds the port taken (EADDRINUSE) by its own inherited socket: the
"port already in use" error path, with no second program racing for the port.
"""
import os
import socket
import sys

port = int(sys.argv[1])
if sys.argv[2] != '--':
    sys.exit('usage: hold-port-exec.py PORT -- COMMAND...')
holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
holder.bind(('127.0.0.1', port))
holder.listen()
os.set_inheritable(holder.fileno(), True)
os.execv(sys.argv[3], sys.argv[3:])
