#!/bin/sh
# What people read of pvh-monitor migrate, its times masked
# (PVH_MONITOR_MIGRATE_MASK_TIMES, a fault-injection build's test hook):
# a run's lines (a time of day and the time since the run began on each)
# and its summary table (per guest the outcome, time and the type its domain
# runs as now), status with its times, list; compared with expected files.
# JSON lines only with --json, piped or not. The final state and exit status:
# partial (2) when some guests are done, failed (1) when none is. While a step
# waits, a line says for what and how long is left.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
mig_setup
EXP=$top_srcdir/tests/migrate/view

guest_add alpha debian12-bookworm
guest_add z-createfail debian12-bookworm create-fails
guest_add z-silent debian11-bullseye no-agent
guests_up

# golden NAME FILE: FILE, without the lines a slow machine adds (waiting), is
# EXP/NAME. MIGRATE_VIEW_UPDATE=1 writes EXP/NAME instead, for a change of the view.
golden() {
	grep -v ' waiting: ' "$2" >"$T/$1" || true
	[ -z "${MIGRATE_VIEW_UPDATE:-}" ] || cp "$T/$1" "$EXP/$1"
	diff -u "$EXP/$1" "$T/$1" || fail "$1 differs from the expected output"
}

echo "# a run for people, piped: one line per step, a summary; partial, exit status 2"
plan alpha z-createfail --canary 1 >/dev/null || fail "plan"
rc=0
PVH_MONITOR_MIGRATE_MASK_TIMES=1 mig run >"$T/run.out" 2>"$T/run.err" || rc=$?
cat "$T/run.out"
expect_eq "run exit status: partial" 2 "$rc"
expect_eq "state" partial "$(status_json | jq -r .state)"
grep -q '^{' "$T/run.out" && fail "JSON without --json"
golden run.txt "$T/run.out"

echo "# status with its times, list with every migration's dates"
PVH_MONITOR_MIGRATE_MASK_TIMES=1 mig status >"$T/status.out" || fail "status"
golden status.txt "$T/status.out"
status_json >"$T/status.json"
for k in .created .started .ended '.guests[0].started' '.guests[0].ended' '.guests[1].ended'; do
	jq -e "$k | numbers" "$T/status.json" >/dev/null || fail "status --json: no $k"
done

echo "# no guest done: failed, exit status 1; --json gives JSON lines only"
plan z-createfail >/dev/null || fail "plan 2"
rc=0
mig run --json >"$T/run2.jsonl" 2>"$T/run2.err" || rc=$?
expect_eq "run 2 exit status: failed" 1 "$rc"
expect_eq "state 2" failed "$(status_json | jq -r .state)"
jq -e . "$T/run2.jsonl" >/dev/null || fail "--json: not JSON lines: $(cat "$T/run2.jsonl")"
expect_eq "--json: last event" failed "$(tail -n 1 "$T/run2.jsonl" | jq -r .event)"

PVH_MONITOR_MIGRATE_MASK_TIMES=1 mig list >"$T/list.out" || fail "list"
golden list.txt "$T/list.out"
expect_eq "list --json" "1 partial,2 failed" \
	"$(mig list --json | jq -rs 'map("\(.id) \(.state)") | join(",")')"

echo "# waiting: a line says for what and how long is left"
plan z-silent --boot-timeout 4 >/dev/null || fail "plan 3"
rc=0
PVH_MONITOR_MIGRATE_NOTE_EVERY=1 mig run >"$T/run3.out" 2>&1 || rc=$?
expect_eq "run 3 exit status" 1 "$rc"
grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2} \+[0-9]+:[0-9]{2} +  z-silent +verify +waiting: for its agent to report PVH, a new boot id and its addresses, [0-9]+ s left$' \
	"$T/run3.out" || fail "no waiting line: $(cat "$T/run3.out")"
echo "ok: the view"
