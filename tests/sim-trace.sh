#!/bin/sh
# xensim trace-count: the requests a domain sent to xenstored, counted in
# xenstored's own trace (-T). A guest's requests through its socket count
# for it and for no one else; dom0's count for dom0.
set -eu
. "$top_srcdir/tests/lib.sh"
require_sim
test_tmpdir
H=$T/host
sim_start_with "$H" -T "$H/trace"
"$XENSIM" create "$H" 3-4 || fail "create"

count() { "$XENSIM" trace-count "$H" "$1" --since "$m"; }
count_is() { [ "$(count "$1")" = "$2" ]; }

m=$("$XENSIM" trace-mark "$H")
expect_eq "guest 3, nothing done" 0 "$(count 3)"
K=7
i=0
while [ $i -lt $K ]; do
	as "$H" 3 "$XS_CLIENT" write "data/k$i" "$i" || fail "guest write $i"
	i=$((i + 1))
done
expect_eq "guest 3 after $K writes" $K "$(count 3)"
expect_eq "guest 4, which did nothing" 0 "$(count 4)"
expect_eq "dom0, which did nothing" 0 "$(count 0)"

# dom0 working on guest 3's directory is dom0's request, not guest 3's; a
# request of guest 4 denied by xenstored is still guest 4's.
m=$("$XENSIM" trace-mark "$H")
as "$H" 0 "$XS_CLIENT" read /local/domain/3/data/k0 >/dev/null || fail "dom0 read"
as "$H" 0 "$XS_CLIENT" write /local/domain/3/data/from-dom0 x || fail "dom0 write"
as "$H" 4 "$XS_CLIENT" read /local/domain/3/data/k0 2>/dev/null && fail "guest 4 read guest 3's data"
expect_eq "dom0's two requests" 2 "$(count 0)"
expect_eq "guest 4's denied request" 1 "$(count 4)"
expect_eq "guest 3, idle" 0 "$(count 3)"

# Several clients of one guest socket are one domain.
m=$("$XENSIM" trace-mark "$H")
env "$(sim_env "$H" 3)" "$XS_CLIENT" watch data/w 1 >"$T/w.out" 2>&1 &
track $!
wait_line "$T/w.out" ready
as "$H" 3 "$XS_CLIENT" write data/w 1 || fail "guest write"
wait $! || fail "guest watch: $(cat "$T/w.out")"
# XS_WATCH and XS_WRITE; the watch's owner left, and the guest side's
# XS_UNWATCH on its behalf goes over the same ring.
wait_for 300 count_is 3 3 || fail "guest 3 with two clients: $(count 3), expected 3"
expect_eq "guest 4 meanwhile" 0 "$(count 4)"

# Without --since: everything since xenstored started, a total that only grows.
all=$("$XENSIM" trace-count "$H" 3)
[ "$all" -ge $((K + 3)) ] || fail "guest 3 in all: $all"

# A domid used again gets a new connection, and only the new domain's
# requests count for it from then on.
"$XENSIM" destroy "$H" 4 || fail "destroy 4"
m=$("$XENSIM" trace-mark "$H")
"$XENSIM" create "$H" 4 || fail "create 4 again"
as "$H" 4 "$XS_CLIENT" write data/x 1 || fail "new guest 4 write"
expect_eq "new guest 4" 1 "$(count 4)"
expect_eq "guest 3 meanwhile" 0 "$(count 3)"

# Across a restart of xenstored: the trace goes on in the same file.
m=$("$XENSIM" trace-mark "$H")
"$XENSIM" restart-xenstored "$H" || fail "restart-xenstored"
expect_eq "guest 3 after the restart, idle" 0 "$(count 3)"
as "$H" 3 "$XS_CLIENT" write data/y 1 || fail "guest write after the restart"
as "$H" 3 "$XS_CLIENT" read data/y >/dev/null || fail "guest read after the restart"
expect_eq "guest 3 after the restart" 2 "$(count 3)"
expect_eq "guest 4 after the restart" 0 "$(count 4)"
"$XENSIM" trace-count "$H" 3 --since "$(( $("$XENSIM" trace-mark "$H") + 1000000 ))" >"$T/far" ||
	fail "a mark past the end"
expect_eq "past the end" 0 "$(cat "$T/far")"

# Usage errors and a host without a trace.
"$XENSIM" trace-count "$H" x 2>/dev/null && fail "bad domid accepted"
"$XENSIM" trace-count "$H" 3 --since x 2>/dev/null && fail "bad mark accepted"
H2=$T/h2
sim_start "$H2"
"$XENSIM" trace-mark "$H2" 2>"$T/err" && fail "trace-mark without -T"
grep -q 'without a trace' "$T/err" || fail "message: $(cat "$T/err")"
