#!/bin/sh
# cgi: --cgi runs www/cgi-bin/echo.sh: the handler thread fork()s, the child (as root: setuid to
# nobody) dup2()s the socket onto stdin/stdout and execve()s the script; the parent waitpid()s
# and drains what is left of the request with select().
. "$(dirname "$0")/lib.sh"
wait_listen
expect "GET /cgi-bin/echo.sh?x=1" "method=GET
query=x=1&y=two" "$($CURL "$BASE/cgi-bin/echo.sh?x=1&y=two")"
expect "POST /cgi-bin/echo.sh" "method=POST
query=
body=name=sbx&payload=0123456789" "$($CURL --data-binary 'name=sbx&payload=0123456789' "$BASE/cgi-bin/echo.sh")"
expect "GET /cgi-bin/missing.sh" 404 "$(status "$BASE/cgi-bin/missing.sh")"
expect "GET /small.txt (plain file still served)" "hello from sbx http suite" "$($CURL "$BASE/small.txt")"
stop_server
say ok
