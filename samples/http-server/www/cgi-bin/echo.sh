#!/bin/sh
# CGI script for the http.server --cgi scenario: echoes the method, the query string and the
# request body (exactly CONTENT_LENGTH bytes: the client keeps the connection open, so reading
# to EOF or to a newline would block).
printf 'Content-Type: text/plain\r\n\r\n'
printf 'method=%s\n' "$REQUEST_METHOD"
printf 'query=%s\n' "$QUERY_STRING"
if [ -n "$CONTENT_LENGTH" ] && [ "$CONTENT_LENGTH" -gt 0 ]; then
  printf 'body='
  head -c "$CONTENT_LENGTH"
  printf '\n'
fi
