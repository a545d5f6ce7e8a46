#!/bin/sh
# ipv6: --bind ::1 makes _get_best_family() pick AF_INET6; the server socket and every accepted
# one are IPv6. HTTPServer.server_bind() calls socket.getfqdn('::1'): where /etc/hosts has no
# ::1 line this is a DNS PTR query (UDP socket, sendto/poll/recvfrom to the nameserver), which
# can take the resolver's timeout (2 x 5 s) when no nameserver answers; the scenario's timeout
# is 45 s for that.
HOST=::1 URL_HOST='[::1]'
. "$(dirname "$0")/lib.sh"
wait_listen
expect "GET /small.txt over IPv6" "hello from sbx http suite" "$($CURL -g "$BASE/small.txt")"
expect "remote address" "::1" "$($CURL -g -o /dev/null -w '%{remote_ip}' "$BASE/small.txt")"
stop_server
say ok
