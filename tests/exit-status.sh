#!/bin/sh
# One exit-status scheme for both programs: the statuses in
# shared/exitcode.h, in pvh-agent(8) and in pvh-monitor(8) are the same
# numbers with the same names, and both programs exit with the usage status
# on a bad option, an unknown command and no command at all.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bad() {
	echo "FAIL: $*"
	fail=1
}

# "N NAME" lines from the header's "EXIT_NAME = N," entries, NAME in lower case.
sed -n 's/^ *EXIT_\([A-Z]*\) = \([0-9]*\),.*/\2 \1/p' "$top_srcdir/shared/exitcode.h" |
	tr 'A-Z' 'a-z' >"$tmp/header"
[ -s "$tmp/header" ] || bad "no statuses in shared/exitcode.h"

# "N NAME" lines from a page's EXIT STATUS section: each ".B N" and the first
# word of the line after it.
page_statuses() {
	sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$1" |
		awk '/^\.B [0-9]+$/ { n = $2; next }
		     n != "" { w = tolower($1); gsub(/[^a-z]/, "", w); print n, w; n = "" }'
}
for page in pvh-agent pvh-monitor; do
	page_statuses "$top_builddir/man/$page.8" >"$tmp/$page"
	diff -u "$tmp/header" "$tmp/$page" >"$tmp/diff" ||
		bad "$page.8 and shared/exitcode.h differ: $(cat "$tmp/diff")"
done

usage=$(awk '$2 == "usage" { print $1 }' "$tmp/header")
[ -n "$usage" ] || bad "no usage status in shared/exitcode.h"

# exits WANT PROGRAM ARGS...: PROGRAM ARGS exits with WANT.
exits() {
	want=$1
	shift
	rc=0
	"$@" >"$tmp/out" 2>&1 </dev/null || rc=$?
	[ "$rc" = "$want" ] || bad "${1##*/} ${2:-}${3:+ $3}: exit status $rc, want $want"
}
agent=$top_builddir/pvh-agent
monitor=$top_builddir/pvh-monitor
exits "$usage" "$agent"
exits "$usage" "$agent" --no-such-option
exits "$usage" "$agent" no-such-command
exits "$usage" "$agent" check --no-such-option
exits "$usage" "$agent" daemon --no-such-option
exits "$usage" "$agent" prepare --no-such-option
exits "$usage" "$monitor"
exits "$usage" "$monitor" --no-such-option
exits "$usage" "$monitor" no-such-command
exits "$usage" "$monitor" status --no-such-option

# No command prints the usage on stderr, and starts no daemon.
"$agent" >"$tmp/out" 2>"$tmp/err" || true
[ -s "$tmp/out" ] && bad "pvh-agent without a command wrote to stdout"
grep -q '^Usage: pvh-agent' "$tmp/err" || bad "pvh-agent without a command: no usage on stderr"

# --help lists every command; --version names the program and the version.
for c in check daemon prepare rollback recover; do
	"$agent" --help | grep -q "^  $c  " || bad "pvh-agent --help does not list $c"
done
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
expect_version() { # PROGRAM
	out=$("$top_builddir/$1" --version) || bad "$1 --version failed"
	[ "$out" = "$1 $version" ] || bad "$1 --version printed '$out', want '$1 $version'"
}
expect_version pvh-agent
expect_version pvh-monitor
exit $fail
