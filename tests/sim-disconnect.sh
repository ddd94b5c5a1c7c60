#!/bin/sh
# A guest client that dies leaves no watch and no transaction behind in
# xenstored: its per-domain quota counters (XS_CONTROL "quota DOMID") go
# back to zero once the guest side cleans up after it.
set -eu
. "$top_srcdir/tests/lib.sh"
require_sim
test_tmpdir
H=$T/host
sim_start "$H"
"$XENSIM" create "$H" 2 || fail "create"

quota() { as "$H" 0 "$XS_CLIENT" control quota 2 | sed -n "s/^$1 *: *//p"; }
quota_is() { [ "$(quota "$1")" = "$2" ]; }

expect_eq "watches before" 0 "$(quota watches)"
env "$(sim_env "$H" 2)" "$XS_CLIENT" hold data >"$T/hold.out" 2>&1 &
track $!
p=$!
wait_line "$T/hold.out" holding
expect_eq "watches while held" 2 "$(quota watches)"
expect_eq "transactions while held" 1 "$(quota transactions)"
kill -9 $p
wait $p 2>/dev/null || true
wait_for 300 quota_is watches 0 || fail "watches left: $(quota watches)"
wait_for 300 quota_is transactions 0 || fail "transactions left: $(quota transactions)"
# The guest socket still serves new clients.
as "$H" 2 "$XS_CLIENT" rw data/after ok || fail "guest socket broken after the disconnect"
