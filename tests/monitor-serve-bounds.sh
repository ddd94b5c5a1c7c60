#!/bin/sh
# serve under guests that flood it: answers to requests the host never sent
# add no row and no series; a guest flapping its verdict keeps at most
# --history rows in the database while the counter still counts every change;
# check ids, actions and words a guest makes up are counted as "other".
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
command -v curl >/dev/null || skip "curl is not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
test_tmpdir
H=$T/h
DB=$T/state.db
HISTORY=5
sim_start "$H"
"$XENSIM" create "$H" 1-3 || fail "create"
guest_publish 1 ready-debian12
guest_publish 2 fixable-console
guest_publish 3 ready-debian12
guest_agent 1 ready

scrape() { curl -sf --max-time 20 "$URL" >"$T/metrics"; }
sql() { sqlite3 "$DB" "$1"; }
sql_is() { [ "$(sql "$2")" = "$1" ]; }
changes() { scrape && sed -n 's/^pvh_monitor_verdict_changes_total //p' "$T/metrics"; }
series() { scrape && grep -c "^$1[{ ]" "$T/metrics" || true; }

serve_start --history $HISTORY
wait_for 300 sql_is 3 "SELECT count(*) FROM domains WHERE present = 1" || fail "guests not recorded"

echo "# a request the host sent is recorded and counted"
monitor request --db "$DB" 1 ping >/dev/null || fail "ping"
wait_for 300 sql_is "ping done" "SELECT action || ' ' || state FROM requests WHERE domid = 1" ||
	fail "the ping: $(sql 'SELECT * FROM requests')"

echo "# 200 final answers to requests nobody sent"
as "$H" 2 "$FAKE_GUEST" forge 200 || fail "forge"
# The last forged answer is still published: once serve has read guest 2
# again after a change that comes later, it has seen it.
printf 'verdict blocked\n' >"$T/blocked"
as "$H" 2 "$FAKE_GUEST" publish "$T/blocked" || fail "publish"
wait_for 300 sql_is blocked "SELECT verdict FROM domains WHERE domid = 2" || fail "guest 2 not re-read"
scrape || fail "scrape"
expect_eq "request rows" "1" "$(sql 'SELECT count(*) FROM requests')"
expect_eq "request series" "1" "$(series pvh_monitor_requests_total)"
grep -qxF 'pvh_monitor_requests_total{action="ping",outcome="done"} 1' "$T/metrics" ||
	fail "the ping is not counted: $(grep requests_total "$T/metrics")"

echo "# made-up check ids are counted as other"
for i in $(seq 1 30); do echo "checks/made_up_$i/status fail"; done >"$T/checks"
as "$H" 2 "$FAKE_GUEST" publish "$T/checks" || fail "publish checks"
has_other() { scrape && grep -qxF 'pvh_monitor_check_failures{check="other"} 1' "$T/metrics"; }
wait_for 300 has_other || fail "made-up checks: $(grep check_failures "$T/metrics")"
grep -q made_up "$T/metrics" && fail "a made-up check id became a label"

echo "# one verdict change at a time: every one counted, $HISTORY rows kept"
before=$(changes)
verdict=ready
for i in $(seq 1 12); do
	if [ $verdict = ready ]; then verdict=blocked; else verdict=ready; fi
	printf 'verdict %s\n' $verdict >"$T/v"
	as "$H" 3 "$FAKE_GUEST" publish "$T/v" || fail "publish $verdict"
	wait_for 300 sql_is $verdict "SELECT verdict FROM domains WHERE domid = 3" || fail "change $i not seen"
done
wait_for 300 sql_is $HISTORY "SELECT count(*) FROM verdict_history WHERE domid = 3" ||
	fail "domain 3 keeps $(sql 'SELECT count(*) FROM verdict_history WHERE domid = 3') rows"
expect_eq "the newest rows are kept" "$verdict" \
	"$(sql 'SELECT new_verdict FROM verdict_history WHERE domid = 3 ORDER BY seq DESC LIMIT 1')"
expect_eq "changes counted" $((before + 12)) "$(changes)"
uuid3=$(sql "SELECT uuid FROM guests WHERE domid = 3")
wait_for 300 sql_is $HISTORY "SELECT count(*) FROM guest_changes WHERE uuid = '$uuid3'" ||
	fail "guest 3 keeps $(sql "SELECT count(*) FROM guest_changes WHERE uuid = '$uuid3'") changes"

echo "# a flood of verdict changes"
as "$H" 3 "$FAKE_GUEST" cycle verdict 400 ready blocked fixable invented || fail "cycle"
printf 'verdict unknown\n' >"$T/v"
as "$H" 3 "$FAKE_GUEST" publish "$T/v" || fail "publish"
wait_for 300 sql_is unknown "SELECT verdict FROM domains WHERE domid = 3" || fail "end of the flood not seen"
for d in 1 2 3; do
	n=$(sql "SELECT count(*) FROM verdict_history WHERE domid = $d")
	[ "$n" -le $HISTORY ] || fail "domain $d keeps $n history rows"
	n=$(sql "SELECT count(*) FROM guest_changes WHERE uuid = (SELECT uuid FROM guests WHERE domid = $d)")
	[ "$n" -le $HISTORY ] || fail "guest $d keeps $n changes"
done
[ "$(changes)" -gt $((before + 12)) ] || fail "the flood's changes are not counted"
expect_eq "request rows after the floods" 1 "$(sql 'SELECT count(*) FROM requests')"

# Every label value is a word of the protocol or one of ours; per guest, also
# the toolstack's name and UUID, and arch and os from their vocabularies
# (error: an inspection of a guest's disks that failed,
# pvh_monitor_inspected_guests; predicted and outcome of pvh_monitor_trials;
# want and answer of pvh_monitor_switch_answers_total).
scrape || fail "scrape"
version=$("$MONITOR" --version | sed 's/^pvh-monitor //')
sed -n 's/^pvh_[a-z_]*{\(.*\)} [0-9]*$/\1/p' "$T/metrics" | tr ',' '\n' |
	grep -v -x -E 'name="guest[1-3]"|uuid="[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"' |
	grep -v -x -E 'arch="(x86_64|i686|other|none)"|os="(debian|other|none)"' |
	grep -v -x -F -e "version=\"$version\"" -e 'part="database"' -e 'part="xenstore"' |
	grep -v -x -E 'guest_type="(PV|PVH|HVM|unknown|none|invalid|other)"' |
	grep -v -x -E 'verdict="(ready|fixable|blocked|unknown|none|incompatible|invalid|missing|other|error)"' |
	grep -v -x -E 'check="(guest_type|next_boot|next_boot_mode|kernel_version|kernel_pvh|kernel_format|blkfront|root_device|grub_menu|console|grub_terminal|kernel_params|pv_rollback|arch|other)"' |
	grep -v -x -E 'action="(ping|probe|prepare|rollback|other)"' |
	grep -v -x -E 'outcome="(done|failed|other|booted|refused)"|predicted="(ready|fixable|blocked|unknown)"' |
	grep -v -x -E 'want="(at-next-boot|cancel)"|answer="(armed|disarmed|not-allowed|not-ready|busy|failed)"' \
		>"$T/unknown" &&
	fail "label values outside the vocabularies: $(cat "$T/unknown")"
echo "$(grep -c -v '^#' "$T/metrics") series"

kill -TERM $SERVE
wait $SERVE || fail "serve did not exit cleanly on SIGTERM"
exit 0
