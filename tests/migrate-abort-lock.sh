#!/bin/sh
# migrate abort while another process holds the migration lock: a migration
# that is only planned is not flagged (the abort is refused and names the
# holder), so that its own run later goes ahead; a lock holder that wrote no
# pid is "another process".
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
command -v flock >/dev/null || skip "flock is not installed (package util-linux)"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
mig_setup
LOCK=$DB.migrate-lock

guest_add solo debian12-bookworm
guests_up
plan solo >/dev/null || fail "plan"
expect_eq "planned" planned "$(status_json | jq -r .state)"

# hold_lock [PIDFILE-TEXT]: a process holds the lock (flock(1), as a stuck
# command would) and, like pvh-monitor, writes its pid into the file; with
# an argument, that text instead.
hold_lock() {
	: >"$T/held"
	flock -x "$LOCK" sh -c 'if [ -n "$3" ]; then printf "%s" "$3"; else echo $$; fi >"$1"; echo $$ >"$2"; exec sleep 600' \
		sh "$LOCK" "$T/held" "${1:-}" &
	HOLDER=$!
	track $HOLDER
	wait_for 300 test -s "$T/held" || fail "the lock was not taken"
	track "$(cat "$T/held")"
}
# The command holds the lock too (it inherits flock's descriptor): it goes first.
release_lock() {
	kill "$(cat "$T/held")"
	wait $HOLDER 2>/dev/null || true
}

echo "# abort of a planned migration while the lock is held"
hold_lock
holder=$(cat "$LOCK")
rc=0
mig abort >"$T/abort.out" 2>&1 || rc=$?
expect_eq "abort exit status" 1 "$rc"
grep -q "Migration 1 is planned, not running, and pid $holder holds the migration lock" "$T/abort.out" ||
	fail "abort: $(cat "$T/abort.out")"
expect_eq "not flagged" 0 "$(sqlite3 "$DB" 'SELECT abort_requested FROM migrations WHERE id = 1')"
expect_eq "still planned" planned "$(status_json | jq -r .state)"
rc=0
mig run >"$T/run-busy.out" 2>&1 || rc=$?
expect_eq "run while locked" 1 "$rc"
grep -q "A migration run is in progress (pid $holder)" "$T/run-busy.out" || fail "run: $(cat "$T/run-busy.out")"
release_lock

echo "# a holder that wrote no pid"
hold_lock " "
mig abort >"$T/abort2.out" 2>&1 && fail "abort succeeded"
grep -q "and another process holds the migration lock" "$T/abort2.out" || fail "abort: $(cat "$T/abort2.out")"
release_lock

echo "# the run, once the lock is free, goes ahead"
mig run --json >"$T/run.jsonl" 2>"$T/run.err" || fail "run: $(cat "$T/run.err")"
expect_eq "done" done "$(status_json | jq -r .state)"
expect_pvh solo
echo "PASS"
