#!/bin/sh
# Domain life cycle: introduce fires @introduceDomain; shutdown and crash
# fire @releaseDomain; destroy fires it, and xenstored deletes what the dead
# domain owned while xensim removes the rest as libxl does.
set -eu
. "$top_srcdir/tests/lib.sh"
require_sim
test_tmpdir
H=$T/host
sim_start "$H"

env "$(sim_env "$H" 0)" "$XS_CLIENT" watch @introduceDomain 1 >"$T/intro.out" 2>&1 &
track $!
wait_line "$T/intro.out" ready
"$XENSIM" create "$H" 5 || fail "create"
wait $! || fail "@introduceDomain: $(cat "$T/intro.out")"
expect_eq "event" "@introduceDomain tok" "$(sed -n 2p "$T/intro.out")"
"$XENSIM" create "$H" 6-7 || fail "create 6-7"

env "$(sim_env "$H" 0)" "$XS_CLIENT" watch @releaseDomain 1 >"$T/sd.out" 2>&1 &
track $!
wait_line "$T/sd.out" ready
"$XENSIM" shutdown "$H" 6 || fail "shutdown"
wait $! || fail "@releaseDomain on shutdown: $(cat "$T/sd.out")"
expect_eq "state" "6 shutdown guest6" "$("$XENSIM" list "$H" | grep '^6 ')"
"$XENSIM" crash "$H" 7 || fail "crash"
expect_eq "state" "7 crashed guest7" "$("$XENSIM" list "$H" | grep '^7 ')"

# A node outside its directory that dom0 gave to domain 5.
as "$H" 0 "$XS_CLIENT" write /tool/owned-by-5 x || fail "dom0 write"
as "$H" 0 xenstore-chmod /tool/owned-by-5 n5 || fail "chmod"
as "$H" 5 "$XS_CLIENT" write data/k v || fail "guest write"

env "$(sim_env "$H" 0)" "$XS_CLIENT" watch @releaseDomain 1 >"$T/rel.out" 2>&1 &
track $!
wait_line "$T/rel.out" ready
"$XENSIM" destroy "$H" 5 || fail "destroy"
wait $! || fail "@releaseDomain on destroy: $(cat "$T/rel.out")"
expect_eq "event" "@releaseDomain tok" "$(sed -n 2p "$T/rel.out")"
as "$H" 0 "$XS_CLIENT" read /local/domain/5 2>/dev/null && fail "/local/domain/5 still there"
as "$H" 0 "$XS_CLIENT" read /tool/owned-by-5 2>/dev/null && fail "xenstored kept the dead domain's node"
[ ! -e "$H/guest/5.sock" ] || fail "guest socket still there"
"$XENSIM" list "$H" | grep -q '^5 ' && fail "domain 5 still listed"
"$XENSIM" env "$H" 5 2>/dev/null && fail "env for a destroyed domain"

# The domid can be used again.
"$XENSIM" create "$H" 5 again || fail "re-create 5"
as "$H" 5 "$XS_CLIENT" rw data/k v2 || fail "new domain 5 cannot write"
"$XENSIM" destroy "$H" 5-7 || fail "destroy 5-7"
expect_eq "only dom0 left" "0 running Domain-0" "$("$XENSIM" list "$H")"
