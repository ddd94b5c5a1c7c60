#!/bin/sh
# 22 simulated guests in assorted states: status --json gives each guest's
# verdict and risk, the table matches its golden copies at 80 and 160
# columns and whole (a pipe, or --wide), --filter/--exclude/--sort select and
# order, colour only when asked or on a TTY, and watch has its time line.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
test_tmpdir
H=$T/h
sim_start "$H"
LIST=$top_srcdir/tests/monitor/status-guests.list
create_guests "$LIST"

monitor status --json --full >"$T/json" || fail "status --json --full"
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
# The 32-bit guest upgraded to a kernel without CONFIG_XEN_PV: ready, and at risk.
expect_eq "risk of the upgraded 32-bit guest" "ready next-boot-fails" \
	"$(jq -r '.[] | select(.domid == 21) | "\(.verdict) \(.risk)"' "$T/json")"
expect_eq "its fix is read" "switch the domain to PVH before it reboots (it is ready), or make a kernel that runs as PV (4.19.0-27-686-pae) GRUB's default" \
	"$(jq -r '.[] | select(.domid == 21) | .checks[] | select(.id == "next_boot_mode") | .fix' "$T/json")"
expect_eq "warnings are a risk too" "warn" "$(jq -r '.[] | select(.domid == 5) | .risk' "$T/json")"
expect_eq "the domain's uuid, from its vm path" \
	"$(as "$H" 0 "$XS_CLIENT" read /local/domain/3/vm | sed 's|.*/||')" \
	"$(jq -r '.[] | select(.domid == 3) | .uuid' "$T/json")"

# Selection by domid and by name, in domid order, without duplicates.
expect_eq "select" "3 5" "$(monitor status --json build 3 db1 | jq -r '[.[].domid] | join(" ")')"
monitor status nosuchguest >/dev/null 2>&1 && fail "an unknown domain is an error"
[ $? -eq 1 ] || fail "unknown domain: exit status"

# The table: whole in a pipe and with --wide; fitted at 80 and 160 columns.
monitor status >"$T/table" || fail "status"
diff -u "$GOLDEN/status-wide.txt" "$T/table" || fail "table differs from golden"
COLUMNS=80 monitor status --wide >"$T/wide80" || fail "status --wide"
diff -u "$GOLDEN/status-wide.txt" "$T/wide80" || fail "--wide is not the whole table"
for w in 80 160; do
	COLUMNS=$w monitor status >"$T/table$w" || fail "status at $w columns"
	diff -u "$GOLDEN/status-$w.txt" "$T/table$w" || fail "table at $w columns differs from golden"
done
awk 'length($0) > 160 { exit 1 }' "$T/table160" || fail "a line is longer than 160 columns"
# At 80 columns, a 60-character name leaves room for nothing but what is never hidden.
expect_eq "columns at 80" "DOMID NAME VERDICT RISK" "$(head -n 1 "$T/table80" | tr -s ' ')"
grep -q ' customer-eu-west-production-database-replica-number-0001-abc ' "$T/table80" || fail "name cut at 80 columns"
grep -q '^21 .* ready  *next boot fails' "$T/table80" || fail "no risk at 80 columns"
grep -q "$(printf '\033')" "$T/table" && fail "colour in a pipe"
monitor status --color=always 2 | grep -q "$(printf '\033\\[33mfixable')" || fail "--color=always"
monitor status --color=always 21 | grep -q "$(printf '\033\\[31mnext boot fails')" || fail "--color=always: risk"
monitor status --color=never 2 | grep -q "$(printf '\033')" && fail "--color=never"
monitor status --color=sometimes 2>/dev/null && fail "bad --color accepted"

# --filter and --exclude: AND across terms, globs, several values per key.
sel() { monitor status --json "$@" | jq -r '[.[].domid] | join(" ")'; }
expect_eq "verdict=ready, not w*" "5 12 18 21 22" "$(sel --filter verdict=ready --exclude 'name=w*')"
expect_eq "risk=next-boot-fails" "21" "$(sel --filter risk=next-boot-fails)"
expect_eq "failing=console" "2 7 14 19" "$(sel --filter failing=console)"
expect_eq "os with its version" "4 20" "$(sel --filter 'os=debian 1[01]')"
expect_eq "arch and type" "4 20 21" "$(sel --filter arch=i686 --filter type=PV)"
expect_eq "a glob on names" "22" "$(sel --filter 'name=customer-*-0001-*')"
expect_eq "no agent: no arch to match" "" "$(sel --filter 'arch=*' --filter verdict=none)"
expect_eq "filter and DOMAIN" "2" "$(sel --filter verdict=fixable 1 2 3)"
monitor status --filter colour=red >/dev/null 2>&1 && fail "unknown key accepted"
[ $? -eq 4 ] || fail "unknown key: exit status"
monitor status --filter verdict >/dev/null 2>&1 && fail "KEY without =VALUE accepted"

# --sort: worst verdict first, then by domid; names in byte order.
expect_eq "sort by verdict" "3 4 15 20 6 9 10 8 2 7 14 19 1 5 12 13 17 18 21 22 11 16" \
	"$(monitor status --sort verdict | awk 'NR > 1 { printf "%s%s", s, $1; s = " " }')"
expect_eq "sort by risk" "21 5 18" "$(monitor status --sort risk | awk 'NR > 1 && NR < 5 { printf "%s%s", s, $1; s = " " }')"
expect_eq "sort by name" "arch bare broken" "$(monitor status --sort name | awk 'NR > 1 && NR < 5 { printf "%s%s", s, $2; s = " " }')"
monitor status --sort colour >/dev/null 2>&1 && fail "bad --sort accepted"

# watch: the time line and the counts above the table.
monitor watch --count 1 --filter 'verdict=ready' >"$T/watch" || fail "watch"
head -n 1 "$T/watch" | grep -Eq '^pvh-monitor watch, on every change; [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} ' ||
	fail "no time line: $(head -n 1 "$T/watch")"
expect_eq "counts" "8 guests: 8 ready, 1 whose next boot fails" "$(sed -n 2p "$T/watch")"
sed -n '3,$p' "$T/watch" | sed '/^$/d' >"$T/watch.table"
monitor status --filter verdict=ready >"$T/ready.table"
diff -u "$T/ready.table" "$T/watch.table" || fail "watch's table is not status's"
exit 0
