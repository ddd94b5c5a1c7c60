#!/bin/sh
# Watches across the ring: dom0 sees a guest's write, a guest sees dom0's,
# and each of two guest clients gets its own event with its own token.
set -eu
. "$top_srcdir/tests/lib.sh"
require_sim
test_tmpdir
H=$T/host
sim_start "$H"
"$XENSIM" create "$H" 3 || fail "create"

env "$(sim_env "$H" 0)" "$XS_CLIENT" watch /local/domain/3/data 1 >"$T/dom0.out" 2>&1 &
track $!
wait_line "$T/dom0.out" ready
as "$H" 3 "$XS_CLIENT" write data/from-guest 1 || fail "guest write"
wait $! || fail "dom0 watch: $(cat "$T/dom0.out")"
expect_eq "dom0's event" "/local/domain/3/data/from-guest tok" "$(sed -n 2p "$T/dom0.out")"

# Two clients of the same guest socket, same path, same token.
env "$(sim_env "$H" 3)" "$XS_CLIENT" watch control 1 >"$T/g1.out" 2>&1 &
track $!
p1=$!
env "$(sim_env "$H" 3)" "$XS_CLIENT" watch control 1 >"$T/g2.out" 2>&1 &
track $!
p2=$!
wait_line "$T/g1.out" ready
wait_line "$T/g2.out" ready
as "$H" 0 "$XS_CLIENT" write /local/domain/3/control/shutdown poweroff || fail "dom0 write"
wait $p1 || fail "guest watch 1: $(cat "$T/g1.out")"
wait $p2 || fail "guest watch 2: $(cat "$T/g2.out")"
expect_eq "guest client 1's event (relative path)" "control/shutdown tok" "$(sed -n 2p "$T/g1.out")"
expect_eq "guest client 2's event (relative path)" "control/shutdown tok" "$(sed -n 2p "$T/g2.out")"
expect_eq "guest reads the request" poweroff "$(as "$H" 3 "$XS_CLIENT" read control/shutdown)"
