#!/bin/sh
# 20 simulated guests in assorted states: status --json gives each guest's
# verdict, the table matches its golden copy, colour only when asked or on a TTY.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
test_tmpdir
H=$T/h
sim_start "$H"
LIST=$top_srcdir/tests/monitor/status-guests.list
create_guests "$LIST"

monitor status --json >"$T/json" || fail "status --json"
jq -r '.[] | "\(.domid) \(.name) \(.verdict)"' "$T/json" >"$T/verdicts" || fail "status --json is not JSON"
grep -v '^#' "$LIST" | awk '{ print $1, $2, $4 }' >"$T/expected"
diff -u "$T/expected" "$T/verdicts" || fail "verdicts"

expect_eq "failing checks of web2" "console,grub_terminal" \
	"$(jq -r '.[] | select(.domid == 2) | .failing | join(",")' "$T/json")"
expect_eq "an unknown check counts as failing" "console,future_check" \
	"$(jq -r '.[] | select(.domid == 7) | .failing | sort | join(",")' "$T/json")"
no_duplicate_keys "$T/json"
expect_eq "invalid schema reported" "charset" \
	"$(jq -r '.[] | select(.domid == 10) | .invalid.schema' "$T/json")"
expect_eq "invalid verdict reported" "enum" \
	"$(jq -r '.[] | select(.domid == 9) | .invalid.verdict' "$T/json")"
expect_eq "incompatible agent shows its version" "2.0.1" \
	"$(jq -r '.[] | select(.domid == 8) | .agent_version' "$T/json")"
expect_eq "incompatible agent: nothing else read" "null" \
	"$(jq -r '.[] | select(.domid == 8) | .guest_type' "$T/json")"
expect_eq "report-only guests (agent/actions without prepare or rollback)" "4 6 20" \
	"$(jq -r '[.[] | select(.report_only) | .domid] | join(" ")' "$T/json")"
expect_eq "last answer" "prepare done ready" \
	"$(jq -r '.[] | select(.domid == 12) | .last_answer | "\(.action) \(.state) \(.message)"' "$T/json")"
expect_eq "check reason" "GRUB_TERMINAL=serial in /etc/default/grub" \
	"$(jq -r '.[] | select(.domid == 2) | .checks[] | select(.id == "grub_terminal") | .reason' "$T/json")"

# Selection by domid and by name, in domid order, without duplicates.
expect_eq "select" "3 5" "$(monitor status --json build 3 db1 | jq -r '[.[].domid] | join(" ")')"
monitor status nosuchguest >/dev/null 2>&1 && fail "an unknown domain is an error"
[ $? -eq 1 ] || fail "unknown domain: exit status"

monitor status >"$T/table" || fail "status"
diff -u "$GOLDEN/status-20.txt" "$T/table" || fail "table differs from golden"
grep -q "$(printf '\033')" "$T/table" && fail "colour in a pipe"
monitor status --color=always 2 | grep -q "$(printf '\033\\[33mfixable')" || fail "--color=always"
monitor status --color=never 2 | grep -q "$(printf '\033')" && fail "--color=never"
monitor status --color=sometimes 2>/dev/null && fail "bad --color accepted"
exit 0
