#!/bin/sh
# Transactions through a guest socket: a commit lands; a conflicting one
# (another client of the same guest changed the node) gets EAGAIN.
set -eu
. "$top_srcdir/tests/lib.sh"
require_sim
test_tmpdir
H=$T/host
sim_start "$H"
"$XENSIM" create "$H" 4 || fail "create"

expect_eq "commit" committed "$(as "$H" 4 "$XS_CLIENT" tx-commit data/t one)"
expect_eq "committed value" one "$(as "$H" 0 "$XS_CLIENT" read /local/domain/4/data/t)"
out=$(as "$H" 4 "$XS_CLIENT" tx-conflict data/t 2>&1) && fail "conflicting commit succeeded: $out"
case $out in *EAGAIN*) ;; *) fail "conflicting commit: expected EAGAIN, got: $out" ;; esac
expect_eq "the other client's write won" theirs "$(as "$H" 0 "$XS_CLIENT" read /local/domain/4/data/t)"
