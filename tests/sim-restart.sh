#!/bin/sh
# xensim restart-xenstored: xenstored is killed and a new one started with
# the same arguments; every guest client's connection ends, the toolstack
# keys come back, every domain is introduced again and served on the same
# socket. When xenstored dies by itself, the host stops.
set -eu
. "$top_srcdir/tests/lib.sh"
require_sim
test_tmpdir
H=$T/host
sim_start_with "$H" -T "$H/trace"
"$XENSIM" create "$H" 3 || fail "create 3"
"$XENSIM" create "$H" 4 four || fail "create 4"
"$XENSIM" shutdown "$H" 4 || fail "shutdown 4"
as "$H" 3 "$XS_CLIENT" write data/before 1 || fail "guest write"
vm3=$(as "$H" 0 "$XS_CLIENT" read /local/domain/3/vm)
old_pid=$(cat "$H/xenstored.pid")

# Two clients of guest 3 that stay connected: one with a watch (libxenstore
# reads in a thread then), one without.
mkfifo "$T/go1" "$T/go2"
env "$(sim_env "$H" 3)" "$XS_CLIENT" stale data watch <"$T/go1" >"$T/s1.out" 2>&1 &
track $!
s1=$!
env "$(sim_env "$H" 3)" "$XS_CLIENT" stale data plain <"$T/go2" >"$T/s2.out" 2>&1 &
track $!
s2=$!
exec 3>"$T/go1" 4>"$T/go2"
wait_line "$T/s1.out" ready
wait_line "$T/s2.out" ready

"$XENSIM" restart-xenstored "$H" || fail "restart-xenstored: $(tail -5 "$H/host.log")"
new_pid=$(cat "$H/xenstored.pid")
[ "$new_pid" != "$old_pid" ] || fail "xenstored pid unchanged ($old_pid)"
kill -0 "$old_pid" 2>/dev/null && fail "old xenstored $old_pid still there"

# The connections they had are gone: their next request fails.
echo go >&3
echo go >&4
exec 3>&- 4>&-
if wait $s1; then fail "watching client's request after the restart: $(cat "$T/s1.out")"; fi
if wait $s2; then fail "plain client's request after the restart: $(cat "$T/s2.out")"; fi
grep -q '^xs-client: read data: ' "$T/s1.out" || fail "watching client: $(cat "$T/s1.out")"
grep -q '^xs-client: read data: ' "$T/s2.out" || fail "plain client: $(cat "$T/s2.out")"

# xenstored's -T came along, and it is the same dom0 socket.
expect_eq "instances in the trace" 2 "$(grep -c '^\*\*\*$' "$H/trace")"
expect_eq "dom0 socket" "XENSTORED_PATH=$H/run/socket" "$(sim_env "$H" 0)"

# The store is new: what the guest wrote is gone, the toolstack keys are back,
# with the domain's own uuid.
as "$H" 3 "$XS_CLIENT" read data/before 2>"$T/err" && fail "data/before survived the restart"
grep -q ENOENT "$T/err" || fail "read data/before: $(cat "$T/err")"
expect_eq "name" guest3 "$(as "$H" 3 "$XS_CLIENT" read name)"
expect_eq "domid" 3 "$(as "$H" 3 "$XS_CLIENT" read domid)"
expect_eq "vm" "$vm3" "$(as "$H" 0 "$XS_CLIENT" read /local/domain/3/vm)"
expect_eq "vm name" guest3 "$(as "$H" 0 "$XS_CLIENT" read "$vm3/name")"
expect_eq "libxl type" pvh "$(as "$H" 0 "$XS_CLIENT" read /libxl/3/type)"
expect_eq "name 4" four "$(as "$H" 0 "$XS_CLIENT" read /local/domain/4/name)"

# Guest 3 reconnects to the same socket and is guest 3 with its permissions.
as "$H" 3 "$XS_CLIENT" rw data/after ok || fail "guest 3 cannot write its data"
expect_eq "dom0 reads guest 3's write" ok "$(as "$H" 0 "$XS_CLIENT" read /local/domain/3/data/after)"
as "$H" 3 "$XS_CLIENT" write name other 2>"$T/err" && fail "guest 3 wrote its dom0-owned name"
grep -q EACCES "$T/err" || fail "write name: $(cat "$T/err")"
as "$H" 3 "$XS_CLIENT" read /local/domain/4/name 2>"$T/err" && fail "guest 3 read domain 4's name"
grep -q EACCES "$T/err" || fail "read /local/domain/4/name: $(cat "$T/err")"
as "$H" 3 "$XS_CLIENT" rw control/shutdown "" || fail "guest 3 cannot write control/shutdown"

# Both domains are introduced to the new xenstored, with the shutdown one
# known as such; the state table is unchanged.
expect_eq "introduced 3" yes "$(as "$H" 0 "$XS_CLIENT" introduced 3)"
expect_eq "introduced 4" yes "$(as "$H" 0 "$XS_CLIENT" introduced 4)"
expect_eq "list" "0 running Domain-0
3 running guest3
4 shutdown four" "$("$XENSIM" list "$H")"

# The new xenstored fires @introduceDomain and @releaseDomain as the old one did.
env "$(sim_env "$H" 0)" "$XS_CLIENT" watch @introduceDomain 1 >"$T/intro.out" 2>&1 &
track $!
wait_line "$T/intro.out" ready
"$XENSIM" create "$H" 5 || fail "create 5 after the restart"
wait $! || fail "@introduceDomain: $(cat "$T/intro.out")"
expect_eq "event" "@introduceDomain tok" "$(sed -n 2p "$T/intro.out")"
"$XENSIM" destroy "$H" 4 || fail "destroy the shut down domain after the restart"
as "$H" 0 "$XS_CLIENT" read /local/domain/4 2>/dev/null && fail "/local/domain/4 still there"

# Twice in a row, with a client connected to every guest in between.
"$XENSIM" restart-xenstored "$H" || fail "second restart"
as "$H" 5 "$XS_CLIENT" rw data/k v || fail "guest 5 after the second restart"
expect_eq "name 5" guest5 "$(as "$H" 5 "$XS_CLIENT" read name)"
"$XENSIM" destroy "$H" 3 || fail "destroy 3"
[ ! -e "$H/guest/3.sock" ] || fail "guest 3's socket still there"

# xenstored dying by itself stops the host: no guest socket is left serving.
kill -9 "$(cat "$H/xenstored.pid")"
gone() { [ ! -e "$H/guestd.pid" ] && [ ! -e "$H/guest/5.sock" ]; }
wait_for 300 gone || fail "the host did not stop after xenstored died"
grep -q 'xenstored exited unexpectedly' "$H/host.log" || fail "not logged: $(tail -3 "$H/host.log")"
"$XENSIM" list "$H" 2>/dev/null && fail "list succeeds on a stopped host"
"$XENSIM" stop "$H" || fail "stop after the host stopped itself"
