#!/bin/sh
# xenstored enforces permissions on simulated guests: EACCES for another
# domain's keys and for dom0-owned keys.
set -eu
. "$top_srcdir/tests/lib.sh"
require_sim
test_tmpdir
H=$T/host
sim_start "$H"
"$XENSIM" create "$H" 1-2 || fail "create"

# expect_eacces DOMID OP ARGS...
expect_eacces() {
	d=$1
	shift
	if out=$(as "$H" "$d" "$XS_CLIENT" "$@" 2>&1); then
		fail "dom$d: '$*' succeeded"
	fi
	case $out in *EACCES*) ;; *) fail "dom$d: '$*': expected EACCES, got: $out" ;; esac
}

expect_eacces 1 write /local/domain/2/data/x stolen
expect_eacces 1 read /local/domain/2/name
expect_eacces 1 write name renamed
expect_eacces 1 write domid 9
expect_eacces 1 write control/new-request 1
expect_eacces 1 write /tool/x 1
expect_eacces 2 rm /local/domain/1/data
expect_eq "dom2's name untouched" guest2 "$(as "$H" 0 "$XS_CLIENT" read /local/domain/2/name)"
expect_eq "dom1's name untouched" guest1 "$(as "$H" 0 "$XS_CLIENT" read /local/domain/1/name)"
# and what is allowed still is
as "$H" 1 "$XS_CLIENT" write data/ok 1 || fail "dom1 cannot write its data/"
