#!/bin/sh
# status reads a guest from the summary its agent writes (schema 1.4), in a
# few xenstore requests, and shows it as it shows the same guest read key
# by key: the table and the JSON are the same with and without summaries;
# a guest whose keys are gone but whose summary is there is still shown
# from it, and --json --full reads the keys; a guest without a summary (an
# older agent) is read key by key; a forged, oversized, malformed or
# self-contradicting summary makes the guest invalid, never shown from it.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
test_tmpdir
H=$T/h
sim_start "$H"
LIST=$top_srcdir/tests/monitor/status-guests.list

# requests ARGS...: the xenstore requests of one status run (its debug log).
requests() {
	monitor -v status "$@" 2>&1 >/dev/null | sed -n 's/.* \([0-9][0-9]*\) xenstore requests\./\1/p'
}

# The guests of monitor-status, as 1.4 agents: each with its summary, made by
# the protocol's encoder, where the encoder takes the fixture's values.
with=0
while read -r d n f _rest; do
	case $d in '#'* | '') continue ;; esac
	"$XENSIM" create "$H" "$d" "$n" || fail "create $d"
	[ "$f" = - ] && continue
	sed 's/^schema 1\.[0-3]$/schema 1.4/' "$FIXTURES/$f" >"$T/$d.state"
	if as "$H" "$d" "$FAKE_GUEST" publish --summary "$T/$d.state" 2>"$T/$d.err"; then
		with=$((with + 1))
	else
		as "$H" "$d" "$FAKE_GUEST" publish "$T/$d.state" || fail "publish $f"
	fi
done <"$LIST"
# The invalid and incompatible fixtures are refused by the encoder; the others take one.
[ "$with" -ge 16 ] || fail "only $with guests got a summary"
grep -q 'summary.*refuses verdict' "$T/9.err" || fail "the encoder took an invalid verdict: $(cat "$T/9.err")"

monitor status >"$T/table" || fail "status"
diff -u "$GOLDEN/status-wide.txt" "$T/table" || fail "the table from summaries differs from golden"
monitor status --json >"$T/json" || fail "status --json"
monitor status --json --full >"$T/full" || fail "status --json --full"
no_duplicate_keys "$T/json"
expect_eq "--json lists no checks" 0 "$(jq '[.[] | select(has("checks"))] | length' "$T/json")"
expect_eq "--json --full lists them" 22 "$(jq '[.[] | select(has("checks"))] | length' "$T/full")"
expect_eq "failing, from the summary" "console grub_terminal" \
	"$(jq -r '.[] | select(.domid == 2) | .failing | join(" ")' "$T/json")"
# Apart from the checks and the last answer's message, --json is --json --full's shape.
jq 'map(del(.checks) | del(.last_answer.message?))' "$T/full" >"$T/full-nochecks"
jq '.' "$T/json" >"$T/json-pretty"
diff -u "$T/full-nochecks" "$T/json-pretty" || fail "--json and --json --full disagree beyond the checks"
n_with=$(requests)

# The same guests without their summaries: read key by key, shown alike.
for d in $(seq 1 22); do
	as "$H" 0 xenstore-rm "/local/domain/$d/data/pvh/summary" 2>/dev/null || :
done
monitor status >"$T/table-keys" || fail "status without summaries"
diff -u "$T/table" "$T/table-keys" || fail "the table read key by key differs"
monitor status --json >"$T/json-keys" || fail "status --json without summaries"
diff -u "$T/json" "$T/json-keys" || fail "the JSON read key by key differs"
n_without=$(requests)
echo "status: $n_with xenstore requests with summaries, $n_without without"
[ "$n_with" -lt "$n_without" ] || fail "summaries did not save requests ($n_with, $n_without)"

# A guest read from its summary alone: its keys gone, it is still shown whole,
# its last answer too, in 3 requests (name, vm, summary).
"$XENSIM" create "$H" 30 only-summary || fail "create 30"
sed 's/^schema 1\.[0-3]$/schema 1.4/' "$FIXTURES/fixable-console" >"$T/30.state"
sed -n '/^last_request /p; /^answer\//p' "$FIXTURES/answered-prepare" >>"$T/30.state"
as "$H" 30 "$FAKE_GUEST" publish --summary "$T/30.state" || fail "publish 30"
sed -n 's/^\([^ #-][^ ]*\) .*/-\1/p' "$T/30.state" >"$T/30.rm"
as "$H" 30 "$FAKE_GUEST" publish "$T/30.rm" || fail "remove 30's keys"
as "$H" 0 xenstore-ls -f /local/domain/30/data/pvh >"$T/30.ls"
expect_eq "only the summary holds a value" "summary" \
	"$(grep -v ' = ""$' "$T/30.ls" | sed 's|^/local/domain/30/data/pvh/\([^ ]*\) .*|\1|')"
expect_eq "shown from its summary" "fixable PV x86_64 console,grub_terminal" \
	"$(monitor status 30 | awk 'NR == 2 { print $8, $3, $4, $10 }')"
expect_eq "its JSON from the summary" "fixable 6.1.0-18-amd64 debian prepare done" \
	"$(monitor status --json 30 | jq -r '.[0] | "\(.verdict) \(.kernel_release) \(.os_id) \(.last_answer.action) \(.last_answer.state)"')"
expect_eq "--json --full reads the keys: none" "none" "$(monitor status --json --full 30 | jq -r '.[0].verdict')"
n_one=$(requests 30)
echo "status 30: $n_one xenstore requests"
# Selecting one guest lists the domains and reads its name; then the guest.
n_empty=$(requests nosuchguest || :)
[ "$((n_one - n_empty))" -le 3 ] || fail "status of one guest with a summary took $n_one requests ($n_empty without it)"

# An older agent (no summary) beside it: read key by key.
"$XENSIM" create "$H" 31 old-agent || fail "create 31"
as "$H" 31 "$FAKE_GUEST" publish "$FIXTURES/fixable-console" || fail "publish 31"
expect_eq "an older agent is read key by key" "fixable console grub_terminal" \
	"$(monitor status --json 31 | jq -r '.[0] | "\(.verdict) \(.failing | join(" "))"')"

# Forged summaries: the guest is invalid, with the summary's error, and
# nothing of the summary is shown (not its verdict, not its kernel).
forge() { # DOMID NAME SUMMARY-VALUE (escaped as fake-guest takes it)
	"$XENSIM" create "$H" "$1" "$2" || fail "create $1"
	sed 's/^schema 1\.[0-3]$/schema 1.4/' "$FIXTURES/ready-debian12" >"$T/$1.state"
	printf 'summary %s\n' "$3" >>"$T/$1.state"
	as "$H" "$1" "$FAKE_GUEST" publish "$T/$1.state" || fail "publish $1"
}
forge 40 conflict 'schema=1.4\nverdict=ready\nkernel/release=forged\nchecks/console/status=fail\n'
forge 41 dup 'schema=1.4\nverdict=ready\nverdict=blocked\n'
forge 42 malformed 'schema=1.4\nverdict=ready\nos/pretty_name=x\x1b[5m\n'
forge 43 old-schema 'schema=1.2\nverdict=ready\n'
forge 44 no-newline 'schema=1.4\nverdict=ready'
forge 45 no-verdict 'schema=1.4\nguest_type=PV\n'
forge 46 bad-key 'schema=1.4\nverdict=ready\nchecks/../status=pass\n'
forge 48 other-answer 'schema=1.4\nverdict=ready\nlast_request=5a1f0c9e-2b3d-4e5f-8a6b-7c8d9e0f1a2b\nanswer/5a1f0c9e-2b3d-4e5f-8a6b-7c8d9e0f1a2c/state=done\n'
# Beyond 2048 bytes: xenstored's default quota refuses it to a guest, not to dom0
# (a host that raised the quota).
forge 47 oversized 'schema=1.4\nverdict=ready\n'
big=$(head -c 2100 /dev/zero | tr '\0' a)
as "$H" 0 xenstore-write /local/domain/47/data/pvh/summary "$(printf 'schema=1.4\nverdict=ready\nos/pretty_name=%s\n' "$big")" ||
	fail "write an oversized summary"
monitor status --json 40 41 42 43 44 45 46 47 48 >"$T/forged" || fail "status of forged summaries"
expect_eq "forged summaries: invalid" "invalid invalid invalid invalid invalid invalid invalid invalid invalid" \
	"$(jq -r '[.[].verdict] | join(" ")' "$T/forged")"
expect_eq "with the summary's error" "conflict duplicate control conflict truncated truncated charset too-long conflict" \
	"$(jq -r '[.[].invalid.summary] | join(" ")' "$T/forged")"
expect_eq "nothing of a forged summary shown" "null" "$(jq -r '.[0].kernel_release' "$T/forged")"
monitor status 40 >"$T/forged-table" || fail "status table of a forged summary"
grep -q '^40 .*invalid' "$T/forged-table" || fail "the table does not show 40 invalid: $(cat "$T/forged-table")"
grep -q forged "$T/forged-table" && fail "the table shows the forged kernel"
# --json --full reads the keys, which are a valid state of their own.
expect_eq "--full reads the keys" ready "$(monitor status --json --full 40 | jq -r '.[0].verdict')"
exit 0
