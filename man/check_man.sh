#!/bin/sh
# Every man page formats without a single groff warning.
status=0
for page in "$@"; do
	out=$(groff -t -man -ww -z "$page" 2>&1)
	if [ -n "$out" ]; then
		printf '%s:\n%s\n' "$page" "$out"
		status=1
	fi
done
[ $status -eq 0 ] && echo "ok: $# man pages format cleanly"
exit $status
