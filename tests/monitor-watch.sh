#!/bin/sh
# watch follows the guests through events: a new verdict, a new domain, a
# destroyed one, and a flooding guest that does not hide a neighbour's change.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
test_tmpdir
H=$T/h
sim_start "$H"
"$XENSIM" create "$H" 1-3 || fail "create"
guest_publish 1 ready-debian12

expect_eq "--count 1: one view" 1 "$(monitor watch --json --count 1 | wc -l)"

env "$(sim_env "$H" 0)" "$MONITOR" watch --json >"$T/w" &
track $!
# last_is JQ-EXPR: the newest view satisfies the expression.
last_is() {
	tail -n 1 "$T/w" | jq -e "$1" >/dev/null
}
wait_for 300 last_is '[.[].domid] == [1,2,3]' || fail "first view: $(tail -n 1 "$T/w")"

guest_publish 2 fixable-console
wait_for 300 last_is '.[] | select(.domid == 2) | .verdict == "fixable"' || fail "new verdict not shown"

"$XENSIM" create "$H" 4 late || fail "create 4"
guest_publish 4 blocked-32bit
wait_for 300 last_is '.[] | select(.domid == 4) | .verdict == "blocked"' || fail "new domain not shown"
"$XENSIM" destroy "$H" 3 || fail "destroy 3"
wait_for 300 last_is '[.[].domid] == [1,2,4]' || fail "destroyed domain still shown"

# Guest 1 floods; guest 2's change still arrives, and so does the flood's end.
as "$H" 1 "$FAKE_GUEST" flood kernel/release 400 &
FLOOD=$!
track $FLOOD
guest_publish 2 ready-debian12
wait_for 300 last_is '.[] | select(.domid == 2) | .verdict == "ready"' || fail "starved by a flood"
wait $FLOOD || fail "flood"
wait_for 300 last_is '.[] | select(.domid == 1) | .kernel_release == "flood-400"' || fail "flood end not shown"

# Each line is a view that differs from the one before it.
[ "$(uniq "$T/w" | wc -l)" = "$(wc -l <"$T/w")" ] || fail "a view was drawn twice in a row"
exit 0
