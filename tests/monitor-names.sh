#!/bin/sh
# Names of 60 characters: status shows them whole, even at 80 columns, so
# that a name copied from its table reaches the same guest through request,
# show and migrate plan; a glob on names selects them.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
test_tmpdir
H=$T/h
sim_start "$H"
LONG=customer-eu-west-production-database-replica-number-0001-abc
OTHER=customer-eu-west-production-database-replica-number-0001-abd
expect_eq "the names are 60 characters" 60 "${#LONG}"
"$XENSIM" create "$H" 1 "$LONG" || fail "create"
"$XENSIM" create "$H" 2 "$OTHER" || fail "create"
"$XENSIM" create "$H" 3 short || fail "create"
guest_publish 1 ready-debian12
guest_publish 2 fixable-console
guest_publish 3 ready-debian12
guest_agent 1 ready

for w in 80 160; do
	COLUMNS=$w monitor status >"$T/table$w" || fail "status at $w"
	name=$(awk '$1 == 1 { print $2 }' "$T/table$w")
	expect_eq "the name at $w columns" "$LONG" "$name"
done

# From status into request: the copied name is the guest.
expect_eq "request by the copied name" "1 $LONG: done: pong" "$(monitor request "$name" ping)"
expect_eq "status by the name" 1 "$(monitor status --json "$name" | jq -r '.[0].domid')"
expect_eq "a glob on names" "1 2" \
	"$(monitor status --json --filter 'name=customer-*-0001-ab?' | jq -r '[.[].domid] | join(" ")')"
expect_eq "request --filter by name" "1 $LONG: done: pong" \
	"$(monitor request --filter "name=$name" ping)"

# And into migrate plan: the plan holds it, whole.
monitor migrate plan --db "$T/db" --config-hook /bin/true "$name" >"$T/plan" || fail "plan: $(cat "$T/plan")"
monitor migrate status --db "$T/db" --json >"$T/plan.json" || fail "migrate status"
expect_eq "the plan's guest" "$LONG" "$(jq -r '.guests[].name' "$T/plan.json")"
exit 0
