#!/bin/sh
# serve's metrics for a fleet: one pvh_guest_info per guest with its identity
# and bounded labels, pvh_guest_next_boot_fails for the upgraded 32-bit guest,
# a series per failing check, unanswered requests, the newest migration's
# progress, the trials' predicted verdicts against their outcomes,
# build_info, the xenstore connection (serve outlives a restart of
# xenstored and connects again) and the scrape's errors; every exposition
# passes `promtool check metrics`.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
command -v curl >/dev/null || skip "curl is not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
command -v promtool >/dev/null || skip "promtool is not installed (package prometheus)"
test_tmpdir
H=$T/h
DB=$T/state.db
sim_start "$H"
create_guests "$top_srcdir/tests/monitor/status-guests.list"
serve_start

scrape() { curl -sf --max-time 20 "$URL" >"$T/metrics"; }
lint() { promtool check metrics <"$T/metrics" >"$T/lint" 2>&1 || fail "promtool check metrics: $(cat "$T/lint")"; }
value() { scrape && sed -n "s/^$1 //p" "$T/metrics"; }
uuid_of() { jq -r ".[] | select(.domid == $1) | .uuid" "$T/status.json"; }
monitor status --json >"$T/status.json" || fail "status"
U21=$(uuid_of 21)
U2=$(uuid_of 2)

has_guests() { scrape && [ "$(grep -c '^pvh_guest_info{' "$T/metrics")" = 22 ]; }
wait_for 300 has_guests || fail "not 22 guests: $(grep -c '^pvh_guest_info{' "$T/metrics")"
lint
grep -qxF "pvh_guest_info{name=\"upgraded32\",uuid=\"$U21\",guest_type=\"PV\",verdict=\"ready\",arch=\"i686\",os=\"debian\"} 1" \
	"$T/metrics" || fail "upgraded32's info: $(grep upgraded32 "$T/metrics")"
expect_eq "the next boot fails" 1 "$(sed -n "s/^pvh_guest_next_boot_fails{name=\"upgraded32\",uuid=\"$U21\"} //p" "$T/metrics")"
expect_eq "guests whose next boot fails" 1 "$(grep -c '^pvh_guest_next_boot_fails{.*} 1$' "$T/metrics")"
expect_eq "web2's failing checks" "console grub_terminal" \
	"$(sed -n "s/^pvh_guest_check_failing{name=\"web2\",uuid=\"$U2\",check=\"\([a-z_]*\)\"} 1$/\1/p" "$T/metrics" | sort | tr '\n' ' ' | sed 's/ $//')"
grep -q '^pvh_guest_check_failing{name="next",.*check="other"} 1$' "$T/metrics" || fail "an unknown check is not other"
grep -q 'future_check' "$T/metrics" && fail "a made-up check id became a label"
expect_eq "build_info" "$("$MONITOR" --version | sed 's/^pvh-monitor //')" \
	"$(sed -n 's/^pvh_monitor_build_info{version="\(.*\)"} 1$/\1/p' "$T/metrics")"
expect_eq "connected" 1 "$(sed -n 's/^pvh_monitor_xenstore_connected //p' "$T/metrics")"
expect_eq "no scrape error" "0 0" "$(sed -n 's/^pvh_monitor_scrape_errors{part="[a-z]*"} //p' "$T/metrics" | tr '\n' ' ' | sed 's/ $//')"

echo "# labels a guest chooses stay in their vocabularies; names are the toolstack's, escaped"
printf 'kernel/arch sparc64_9000\nos/id my-own-distro\n' >"$T/odd"
as "$H" 1 "$FAKE_GUEST" publish "$T/odd" || fail "publish"
as "$H" 0 "$XS_CLIENT" write /local/domain/3/name "$(printf 'db"1\\\303\251')" || fail "name"
odd_seen() { scrape && grep -q '^pvh_guest_info{name="web1",.*arch="other",os="other"} 1$' "$T/metrics"; }
wait_for 300 odd_seen || fail "odd labels: $(grep 'name="web1"' "$T/metrics")"
named() { scrape && grep -qF 'pvh_guest_info{name="db\"1\\\\\\u00E9",' "$T/metrics"; }
wait_for 300 named || fail "escaped name: $(grep pvh_guest_info "$T/metrics" | sed -n 3p)"
lint
sed -n 's/^pvh_guest_info{.*arch="\([^"]*\)",os="\([^"]*\)"} 1$/\1 \2/p' "$T/metrics" | sort -u >"$T/words"
grep -v -x -E '(x86_64|i686|none|other) (debian|ubuntu|arch|none|other)' "$T/words" && fail "a label outside its vocabulary"
# Series per guest: info, next_boot_fails, unanswered, and at most one per known check and one other.
per=$(grep -c "^pvh_guest_[a-z_]*{name=\"web2\"" "$T/metrics")
expect_eq "web2's series" 5 "$per"

echo "# the bound per guest: every check the protocol defines failing, and made-up ones, as one guest"
sed -n '/^### Checks/,/^\*\*`next_boot_mode`/p' "$top_srcdir/protocol/PROTOCOL.md" |
	sed -n 's/^| `\([a-z_]*\)` |.*/\1/p' >"$T/ids"
n_ids=$(wc -l <"$T/ids")
[ "$n_ids" -ge 14 ] || fail "the check ids of PROTOCOL.md: $(cat "$T/ids")"
{
	sed 's|.*|checks/&/status fail|' "$T/ids"
	for i in 1 2 3 4 5 6 7 8 9 10; do echo "checks/made_up_$i/status fail"; done
} >"$T/allfail"
as "$H" 13 "$FAKE_GUEST" publish "$T/allfail" || fail "publish"
all_failing() { scrape && [ "$(grep -c '^pvh_guest_check_failing{name="win",' "$T/metrics")" = $((n_ids + 1)) ]; }
wait_for 300 all_failing || fail "win's failing checks: $(grep '^pvh_guest_check_failing{name="win",' "$T/metrics")"
lint
# info, next_boot_fails, request_unanswered_seconds, and one per check id and other.
expect_eq "the most series a guest has" $((3 + n_ids + 1)) "$(grep -c '^pvh_guest_[a-z_]*{name="win",' "$T/metrics")"

echo "# a request without an answer, then one answered"
monitor request --db "$DB" --wait 1 legacy32 probe >/dev/null 2>&1 && fail "nobody answers legacy32"
U4=$(uuid_of 4)
unanswered() { v=$(value "pvh_guest_request_unanswered_seconds{name=\"legacy32\",uuid=\"$U4\"}") && [ "${v:-0}" -ge 1 ]; }
wait_for 300 unanswered || fail "the unanswered request: $(grep legacy32 "$T/metrics")"
guest_agent 4 blocked
# The agent takes the probe still waiting in the node first; a ping sent
# before that would find the node busy.
stale_taken() { [ -z "$(as "$H" 0 xenstore-read /local/domain/4/control/pvh/request 2>/dev/null)" ]; }
wait_for 300 stale_taken || fail "the agent did not take the waiting probe"
monitor request --db "$DB" legacy32 ping >/dev/null || fail "ping"
answered() { [ "$(value "pvh_guest_request_unanswered_seconds{name=\"legacy32\",uuid=\"$U4\"}")" = 0 ]; }
wait_for 300 answered || fail "the answer does not clear it: $(grep legacy32 "$T/metrics")"

echo "# the newest migration's progress"
# The plan pings each guest's agent: these answer.
for d in 1 12 17 21; do guest_agent "$d" ready; done
monitor migrate plan --db "$DB" --config-hook /bin/true --canary 1 --growth 2 web1 web4 prepared upgraded32 >/dev/null ||
	fail "plan"
scrape || fail "scrape"
lint
expect_eq "planned" 1 "$(sed -n 's/^pvh_migration_state{state="planned"} //p' "$T/metrics")"
expect_eq "running" 0 "$(sed -n 's/^pvh_migration_state{state="running"} //p' "$T/metrics")"
expect_eq "pending guests" 4 "$(sed -n 's/^pvh_migration_guests{state="pending"} //p' "$T/metrics")"
expect_eq "waves" 3 "$(sed -n 's/^pvh_migration_waves //p' "$T/metrics")"
expect_eq "current wave" 0 "$(sed -n 's/^pvh_migration_current_wave //p' "$T/metrics")"
sqlite3 -cmd '.timeout 20000' "$DB" "UPDATE migration_guests SET state = 'failed' WHERE wave = 0;
	UPDATE migration_guests SET state = 'done' WHERE wave = 1; UPDATE migrations SET state = 'stopped'" ||
	fail "sqlite3"
scrape || fail "scrape"
expect_eq "failed guests" 1 "$(sed -n 's/^pvh_migration_guests{state="failed"} //p' "$T/metrics")"
expect_eq "stopped" 1 "$(sed -n 's/^pvh_migration_state{state="stopped"} //p' "$T/metrics")"
expect_eq "current wave, after two" 2 "$(sed -n 's/^pvh_migration_current_wave //p' "$T/metrics")"

echo "# trials: each guest's newest, by the verdict predicted and the outcome"
sqlite3 -cmd '.timeout 20000' "$DB" "INSERT INTO trials(name, at, outcome, reason, predicted) VALUES
	('a', 10, 'failed', 'x', 'ready'), ('a', 20, 'booted', 'x', 'ready'),
	('b', 10, 'failed', 'x', 'ready'), ('c', 10, 'booted', 'x', 'fixable'),
	('d', 10, 'refused', 'x', NULL), ('e', 10, 'exploded', 'x', 'bogus\"label'),
	('f', 30, 'booted', 'x', 'blocked'), ('f', 30, 'failed', 'x', 'blocked')" || fail "sqlite3"
scrape || fail "scrape"
trials() { sed -n "s/^pvh_monitor_trials{predicted=\"$1\",outcome=\"$2\"} //p" "$T/metrics"; }
expect_eq "trials: ready, booted (a's newest)" 1 "$(trials ready booted)"
expect_eq "trials: ready, failed (b; a's older one not counted)" 1 "$(trials ready failed)"
expect_eq "trials: fixable, booted" 1 "$(trials fixable booted)"
expect_eq "trials: no prediction" 1 "$(trials unknown refused)"
expect_eq "trials: unknown words" 1 "$(trials unknown other)"
expect_eq "trials: the newest of two at the same time" 1 "$(trials blocked failed)"
expect_eq "trials: blocked, booted" 0 "$(trials blocked booted)"
expect_eq "trials: every pair given" 16 "$(grep -c '^pvh_monitor_trials{' "$T/metrics")"
lint

echo "# the database unreadable for a scrape"
sqlite3 -cmd '.timeout 20000' "$DB" 'ALTER TABLE requests RENAME TO requests_away' || fail "sqlite3"
db_error() { [ "$(value 'pvh_monitor_scrape_errors{part="database"}')" = 1 ]; }
wait_for 300 db_error || fail "no database error: $(grep scrape_errors "$T/metrics")"
grep -c '^pvh_guest_info{' "$T/metrics" | grep -qx 22 || fail "the guests' series went with the database"
lint
sqlite3 -cmd '.timeout 20000' "$DB" 'ALTER TABLE requests_away RENAME TO requests' || fail "sqlite3"

echo "# xenstored restarts: serve connects again"
"$XENSIM" restart-xenstored "$H" || fail "restart-xenstored"
wait_for 300 grep -q 'Lost xenstore' "$T/serve.err" || fail "the loss is not seen: $(cat "$T/serve.err")"
wait_for 300 grep -q 'Connected to xenstore again' "$T/serve.err" || fail "not connected again: $(cat "$T/serve.err")"
guest_publish 21 risk-686pae
back() { scrape && grep -q "^pvh_guest_next_boot_fails{name=\"upgraded32\",uuid=\"$U21\"} 1$" "$T/metrics" &&
	[ "$(sed -n 's/^pvh_monitor_xenstore_connected //p' "$T/metrics")" = 1 ]; }
wait_for 300 back || fail "not connected again: $(grep -e connected -e upgraded32 "$T/metrics")"
kill -0 "$SERVE" || fail "serve is gone"
lint
exit 0
