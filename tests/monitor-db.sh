#!/bin/sh
# The database when it is not what pvh-monitor wrote: a negative or unknown
# schema version and a dropped table each stop it with a message that says
# so, before anything is written; a table dropped under a running serve is
# named in serve's message. A database of an older schema is brought up to
# the newest, step by step, and keeps its rows.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
test_tmpdir
H=$T/h
DB=$T/state.db

# open_fails WHAT PATTERN: migrate status on $DB fails, and says PATTERN.
open_fails() {
	rc=0
	"$MONITOR" migrate status --db "$DB" >"$T/out" 2>"$T/err" || rc=$?
	expect_eq "$1: exit status" 5 "$rc"
	grep -q "$2" "$T/err" || fail "$1: no message '$2' in: $(cat "$T/err")"
	grep -q 'Input/output error' "$T/err" && fail "$1: $(cat "$T/err")"
	return 0
}

# The newest schema: the number of steps in monitor/db.c's migrations list.
NEWEST=15

echo "# a negative schema version"
sqlite3 "$DB" 'PRAGMA user_version = -3;' || fail "sqlite3"
open_fails "negative version" "has schema version -3, which no version of pvh-monitor writes"
expect_eq "nothing created" "" "$(sqlite3 "$DB" .tables)"

echo "# a newer schema version"
rm -f "$DB"
sqlite3 "$DB" 'PRAGMA user_version = 99;' || fail "sqlite3"
open_fails "newer version" "has schema version 99, newer than this program's"

echo "# a dropped table"
rm -f "$DB"
"$MONITOR" migrate status --db "$DB" >/dev/null 2>&1 && fail "status of a database that does not exist"
[ -e "$DB" ] && fail "migrate status created $DB"
# A database of an old schema, brought up to the newest by a first open.
sqlite3 "$DB" <"$top_srcdir/tests/monitor/db-schema-3.sql" || fail "load schema 3"
"$MONITOR" migrate status --db "$DB" >/dev/null 2>&1
expect_eq "upgraded before the drop" "$NEWEST" "$(sqlite3 "$DB" 'PRAGMA user_version')"
sqlite3 "$DB" 'DROP TABLE verdict_history;' || fail "drop"
open_fails "dropped table" "has no table 'verdict_history'"

for v in 2 3; do
	echo "# schema $v upgraded"
	rm -f "$DB"*
	sqlite3 "$DB" <"$top_srcdir/tests/monitor/db-schema-$v.sql" || fail "load schema $v"
	expect_eq "schema $v: loaded" "$v" "$(sqlite3 "$DB" 'PRAGMA user_version')"
	"$MONITOR" migrate status --db "$DB" --id 1 >"$T/out" 2>"$T/err" ||
		fail "schema $v: migrate status: $(cat "$T/err")"
	grep -q web1 "$T/out" || fail "schema $v: the migration's guest is gone: $(cat "$T/out")"
	expect_eq "schema $v: version" "$NEWEST" "$(sqlite3 "$DB" 'PRAGMA user_version')"
	expect_eq "schema $v: requests kept" "r-1 r-2" \
		"$(sqlite3 "$DB" 'SELECT id FROM requests ORDER BY seq' | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "schema $v: outcomes" "ping|done|1 probe|done|1" \
		"$(sqlite3 "$DB" 'SELECT * FROM request_outcomes ORDER BY 1' | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "schema $v: inspections" 0 "$(sqlite3 "$DB" 'SELECT count(*) FROM inspections')"
	expect_eq "schema $v: an agent's migration" "0|30|0" \
		"$(sqlite3 "$DB" 'SELECT m.agentless, m.settle, g.agentless FROM migrations m
			JOIN migration_guests g ON g.migration = m.id')"
	expect_eq "schema $v: a migration without hooks" "1|1" \
		"$(sqlite3 "$DB" 'SELECT before_guest IS NULL, after_guest IS NULL FROM migrations')"
	expect_eq "schema $v: restarts allowed, no command recorded" "2|0" \
		"$(sqlite3 "$DB" 'SELECT m.max_restarts, g.child_pgid FROM migrations m
			JOIN migration_guests g ON g.migration = m.id')"
	expect_eq "schema $v: one guest at a time" 1 "$(sqlite3 "$DB" 'SELECT parallel FROM migrations')"
	expect_eq "schema $v: prepares fixable guests" 0 "$(sqlite3 "$DB" 'SELECT no_prepare FROM migrations')"
	expect_eq "schema $v: drove xl" "xl|1" "$(sqlite3 "$DB" 'SELECT toolstack, toolstack_uri IS NULL FROM migrations')"
	"$MONITOR" migrate status --db "$DB" --id 1 --json | jq -e '.toolstack == "xl"' >/dev/null ||
		fail "schema $v: status does not say xl"
	expect_eq "schema $v: verified at the agent's report" 0 "$(sqlite3 "$DB" 'SELECT agent_settle FROM migrations')"
	"$MONITOR" migrate status --db "$DB" --id 1 --json | jq -e '.agent_settle == 0' >/dev/null ||
		fail "schema $v: status does not say agent_settle 0"
	expect_eq "schema $v: domains kept" "web1|ready" "$(sqlite3 "$DB" 'SELECT name, verdict FROM domains')"
done

echo "# a version-3 database gets the guests by identity through history, its rows kept"
rm -f "$DB"*
sqlite3 "$DB" <"$top_srcdir/tests/monitor/db-schema-3.sql" || fail "load schema 3"
"$MONITOR" history --db "$DB" >/dev/null 2>"$T/err" || fail "history: $(cat "$T/err")"
expect_eq "migrated to" "$NEWEST" "$(sqlite3 "$DB" 'PRAGMA user_version')"
expect_eq "the new tables" "0 0" "$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM guests) || ' ' || (SELECT count(*) FROM guest_changes)")"
expect_eq "older rows kept" 1 "$(sqlite3 "$DB" 'SELECT count(*) FROM verdict_history')"

echo "# a table dropped while serve runs"
rm -f "$DB"*
sim_start "$H"
"$XENSIM" create "$H" 1 || fail "create"
guest_publish 1 ready-debian12
serve_start
wait_for 300 sh -c "[ \"\$(sqlite3 '$DB' 'SELECT count(*) FROM verdict_history')\" = 1 ]" ||
	fail "guest 1 not recorded"
# serve holds its write transaction for a moment: wait for it as SQLite does.
sqlite3 -cmd '.timeout 20000' "$DB" 'DROP TABLE verdict_history;' || fail "drop"
guest_publish 1 blocked-old-kernel
rc=0
wait $SERVE || rc=$?
expect_eq "serve's exit status" 5 "$rc"
grep -q 'no such table: verdict_history' "$T/serve.err" || fail "serve: $(cat "$T/serve.err")"
exit 0
