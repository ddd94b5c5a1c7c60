#!/bin/sh
# serve: metrics scraped over loopback match the guests; the database keeps
# the verdict history and the requests across a kill -9 and a restart; the
# restarted serve notifies its service manager (READY=1 with the STATUS,
# STOPPING=1) through an abstract-namespace $NOTIFY_SOCKET.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
command -v curl >/dev/null || skip "curl is not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
test_tmpdir
H=$T/h
DB=$T/state.db
sim_start "$H"
"$XENSIM" create "$H" 1-4 || fail "create"
guest_publish 1 ready-debian12
guest_publish 2 fixable-console
guest_publish 3 blocked-old-kernel
guest_agent 1 ready

scrape() {
	curl -sf "$URL" >"$T/metrics"
}
# has LINE: the metrics hold that exact sample.
has() {
	scrape && grep -qxF "$1" "$T/metrics"
}
sql() {
	sqlite3 "$DB" "$1"
}
# sql_is EXPECTED QUERY: for wait_for, which re-runs it.
sql_is() {
	[ "$(sql "$2")" = "$1" ]
}

serve_start
wait_for 300 has 'pvh_monitor_guests{guest_type="PV",verdict="ready"} 1' || fail "ready guests: $(cat "$T/metrics")"
has 'pvh_monitor_guests{guest_type="PV",verdict="fixable"} 1' || fail "fixable guests"
has 'pvh_monitor_guests{guest_type="PV",verdict="blocked"} 1' || fail "blocked guests"
has 'pvh_monitor_guests{guest_type="none",verdict="none"} 1' || fail "guests without agent"
has 'pvh_monitor_check_failures{check="console"} 1' || fail "console failures"
has 'pvh_monitor_check_failures{check="kernel_version"} 1' || fail "kernel_version failures"

echo "# serve's own xenstore requests: counted; a burst of one guest's writes is one re-read of it"
reqs() { scrape && awk '$1 == "pvh_monitor_xenstore_requests_total" { print $2 }' "$T/metrics"; }
# settled: no request for a second (keepalives come every 5 s).
settled() {
	_a=$(reqs) && sleep 1 && [ "$(reqs)" = "$_a" ]
}
wait_for 300 settled || fail "serve never settled"
r0=$(reqs)
[ "$r0" -gt 0 ] || fail "no requests counted: '$r0'"
as "$H" 3 "$FAKE_GUEST" cycle os/version_id 1 11 || fail "one write"
wait_for 300 sh -c "[ \"\$(curl -sf '$URL' | awk '\$1 == \"pvh_monitor_xenstore_requests_total\" { print \$2 }')\" -gt $r0 ]" ||
	fail "one write cost no request"
wait_for 300 settled || fail "serve never settled after one write"
one=$(($(reqs) - r0))
# serve stopped meanwhile: every event waits for it, and it reads the guest once per round
# of events it takes (one or two here; without coalescing, fifty).
r1=$(reqs)
kill -STOP "$SERVE"
as "$H" 3 "$FAKE_GUEST" cycle os/version_id 50 10 11 || fail "fifty writes"
kill -CONT "$SERVE"
wait_for 300 settled || fail "serve never settled after the burst"
fifty=$(($(reqs) - r1))
echo "one write: $one requests; a burst of 50: $fifty"
[ "$fifty" -lt $((10 * one)) ] || fail "a burst of 50 writes cost $fifty requests, one write $one: not coalesced"
[ "$fifty" -ge "$one" ] || fail "a burst of 50 writes cost $fifty requests, fewer than one write ($one)"

# The exposition format: HELP and TYPE before each family, well-formed samples.
awk '
	/^# HELP / { help[$3] = 1; next }
	/^# TYPE / { if (!help[$3]) exit 1; type[$3] = 1; next }
	{
		name = $1; sub(/\{.*/, "", name)
		if (!type[name]) exit 2
		if ($0 !~ /^[a-z_]+(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? [0-9]+$/) exit 3
	}' "$T/metrics" || fail "exposition format: $(cat "$T/metrics")"
expect_eq "unknown path" 404 "$(curl -s -o /dev/null -w '%{http_code}' "${URL%/metrics}/other")"
expect_eq "POST" 405 "$(curl -s -o /dev/null -w '%{http_code}' -d x "$URL")"
expect_eq "HEAD" 200 "$(curl -s -I -o /dev/null -w '%{http_code}' "$URL")"

# A request round trip and a verdict change reach the metrics and the database.
monitor request --db "$DB" 1 ping >/dev/null || fail "ping"
wait_for 300 has 'pvh_monitor_requests_total{action="ping",outcome="done"} 1' || fail "request not counted"
guest_publish 2 ready-debian12
wait_for 300 has 'pvh_monitor_guests{guest_type="PV",verdict="ready"} 2' || fail "verdict change not seen"
wait_for 300 sql_is 1 "SELECT count(*) FROM verdict_history WHERE domid = 2 AND old_verdict = 'fixable' AND new_verdict = 'ready'" ||
	fail "verdict change not in the database"
wait_for 300 sql_is 1 "SELECT count(*) FROM requests WHERE domid = 1 AND action = 'ping' AND state = 'done'" ||
	fail "request not in the database"
# The newest schema (the number of steps in monitor/db.c's migrations list).
expect_eq "schema version" 15 "$(sql 'PRAGMA user_version')"
expect_eq "WAL" wal "$(sql 'PRAGMA journal_mode')"
history=$(sql 'SELECT count(*) FROM verdict_history')

# kill -9, then a restart: the history is there, and not written again.
kill -9 $SERVE
wait $SERVE 2>/dev/null || true
LISTEN=$top_builddir/tests/agent/notify-listen
[ -x "$LISTEN" ] || fail "$LISTEN is not built"
"$LISTEN" "@pvh-test-serve/$$" "$T/notify" &
track $!
wait_for 50 test -e "$T/notify" || fail "the notification listener did not start"
NOTIFY_SOCKET=@pvh-test-serve/$$ serve_start
wait_line "$T/notify" READY=1
grep -qx "STATUS=Following [0-9]* guests." "$T/notify" || fail "no STATUS from serve: $(cat "$T/notify")"
wait_for 300 has 'pvh_monitor_requests_total{action="ping",outcome="done"} 1' || fail "requests lost"
expect_eq "history after restart" "$history" "$(sql 'SELECT count(*) FROM verdict_history')"
expect_eq "domain 2's history" "none>fixable fixable>ready" \
	"$(sql "SELECT coalesce(old_verdict, 'none') || '>' || new_verdict FROM verdict_history WHERE domid = 2 ORDER BY seq" | tr '\n' ' ' | sed 's/ $//')"

# Guests without an agent count by their disks' last inspection (a row as
# pvh-monitor inspect writes it); a guest with an agent is counted by it alone.
has 'pvh_monitor_inspected_guests{verdict="ready"} 0' || fail "no inspected guests yet: $(cat "$T/metrics")"
# serve holds its batched write transaction for up to half a second: wait for it, as inspect does.
sqlite3 -cmd '.timeout 10000' "$DB" "INSERT INTO inspections(name, domid, at, verdict, report) VALUES ('guest4', 4, 1, 'blocked', 'verdict=blocked
'), ('guest1', 1, 1, 'ready', 'verdict=ready
')"
wait_for 300 has 'pvh_monitor_inspected_guests{verdict="blocked"} 1' || fail "inspected guest not counted: $(cat "$T/metrics")"
has 'pvh_monitor_inspected_guests{verdict="ready"} 0' || fail "a guest with an agent counted by its inspection"

# A domain that goes is recorded as gone.
"$XENSIM" destroy "$H" 3 || fail "destroy"
wait_for 300 sql_is 0gone "SELECT present || new_verdict FROM domains JOIN verdict_history USING (domid) WHERE domid = 3 ORDER BY seq DESC LIMIT 1" ||
	fail "destroyed domain not recorded"
has 'pvh_monitor_guests{guest_type="PV",verdict="blocked"} 1' && fail "destroyed domain still counted"

# A guest whose agent writes a summary (schema 1.4) is re-read from it: a
# change costs a few requests, not one per key as for the key-by-key guest
# measured above; and it is counted the same.
sed 's/^schema 1\.[0-3]$/schema 1.4/' "$FIXTURES/blocked-old-kernel" >"$T/summary.state"
as "$H" 4 "$FAKE_GUEST" publish --summary "$T/summary.state" || fail "publish a summary as 4"
wait_for 300 has 'pvh_monitor_guests{guest_type="PV",verdict="blocked"} 1' || fail "the summary guest not counted"
has 'pvh_monitor_check_failures{check="kernel_version"} 1' || fail "the summary guest's failing check not counted"
wait_for 300 settled || fail "serve never settled after the summary"
r2=$(reqs)
as "$H" 4 "$FAKE_GUEST" publish --summary "$T/summary.state" || fail "publish the summary again"
wait_for 300 settled || fail "serve never settled after the summary's write"
summary=$(($(reqs) - r2))
echo "one change of a guest with a summary: $summary requests; without: $one"
[ "$summary" -gt 0 ] && [ "$summary" -le $((one / 2)) ] ||
	fail "a summary guest's change cost $summary requests, a key-by-key one's $one"

kill -TERM $SERVE
wait $SERVE || fail "serve did not exit cleanly on SIGTERM"
wait_line "$T/notify" STOPPING=1
exit 0
