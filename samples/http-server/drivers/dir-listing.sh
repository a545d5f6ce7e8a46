#!/bin/sh
# dir-listing: list_directory() (os.listdir, html.escape, urllib.parse.quote) for /docs/ and a
# subdirectory, and the 301 redirect that adds the missing slash.
. "$(dirname "$0")/lib.sh"
wait_listen
page=$($CURL "$BASE/docs/")
for entry in alpha.txt beta.txt gamma.json 'sub/'; do
  case "$page" in *"href=\"$entry\""*) ;; *) fail "GET /docs/: no link to $entry in the listing" ;; esac
done
case "$page" in *"Directory listing for /docs/"*) ;; *) fail "GET /docs/: not a directory listing" ;; esac
case "$($CURL "$BASE/docs/sub/")" in *'href="deep.txt"'*) ;; *) fail "GET /docs/sub/: no link to deep.txt" ;; esac
expect "GET /docs (no slash)" "301 $BASE/docs/" "$($CURL -o /dev/null -w '%{http_code} %{redirect_url}' "$BASE/docs")"
expect "GET /docs/alpha.txt" "alpha" "$($CURL "$BASE/docs/alpha.txt")"
stop_server
say ok
