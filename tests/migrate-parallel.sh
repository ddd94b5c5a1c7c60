#!/bin/sh
# pvh-monitor migrate with --parallel: guests of a wave in their steps at
# once, each in a worker process.
# - --parallel is bounded (1 to 16) and kept with the plan; run uses it.
# - A wave of 4 guests with --parallel 3 where the first one's PVH create
#   is held: the 3 others are switched (the 4th starting as one ends) while
#   it is still held, which one guest at a time could never do; once let
#   go, all 4 are switched, and every line of the run names its guest.
# - SIGINT while 3 guests wait in their creates: the run and its workers
#   let the creates end (one killed halfway would leave a domain that never
#   boots) and stop, no toolstack command is left running, the journal says
#   each was interrupted; resume finds the 3 created and ends them switched,
#   each created as PVH once.
# - The run killed (SIGKILL) after its Kth journal write (any of its
#   workers' or its own), K over the whole run, then resumed: each guest
#   has at most one domain and a whole configuration after the kill, and
#   ends fully switched or fully back (one that never boots PVH), created
#   as PVH once. MIGRATE_CRASH_STEP (default 10) is the stride of K.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
mig_setup
stride=${MIGRATE_CRASH_STEP:-10}


shut_all() {
	for _g in $GUESTS; do
		"$XL" shutdown -w "$_g" 2>>"$T/xl.err" || fail "shutdown $_g: $(cat "$T/xl.err")"
	done
	GUESTS=
}

echo "# --parallel is bounded"
for bad in 0 17 x; do
	rc=0
	mig run --parallel "$bad" >/dev/null 2>"$T/err" || rc=$?
	expect_eq "--parallel $bad: exit status" 4 "$rc"
	grep -q "parallel takes 1 to 16" "$T/err" || fail "--parallel $bad: $(cat "$T/err")"
done
rc=0
mig status --parallel 2 >/dev/null 2>"$T/err" || rc=$?
expect_eq "status --parallel: exit status" 4 "$rc"

echo "# 4 guests, 3 at once: the first held in its create while the others are switched"
for g in p1 p2 p3 p4; do
	guest_add "$g" debian12-bookworm
done
echo hold >"$MIG_DIR/p1/behave"
guests_up
plan p1 p2 p3 p4 --canary 4 --parallel 3 --boot-timeout 60 >"$T/plan.out" || fail "plan: $(cat "$T/plan.out")"
expect_eq "parallel kept with the plan" 3 "$(status_json | jq .parallel)"
mig run --dry-run >"$T/dry.out" || fail "dry run"
grep -q "^up to 3 guests of a wave at once" "$T/dry.out" || fail "dry run: $(cat "$T/dry.out")"
# No --parallel: the plan's.
mig run >"$T/run.out" 2>"$T/run.err" &
run_pid=$!
all_but_p1_done() {
	for _g in p2 p3 p4; do
		[ "$(gstate "$_g")" = done ] || return 1
	done
}
wait_for 1200 all_but_p1_done || fail "p2, p3, p4 not switched while p1 is held: $(mig status; cat "$T/run.err")"
expect_eq "p1 still in its chain" active "$(gstate p1)"
expect_eq "p1 still in restart" restart "$(status_json | jq -r '.guests[] | select(.name == "p1") | .step')"
expect_eq "p1 not created as PVH yet" 0 "$(creates p1 PVH)"
touch "$MIG_DIR/release"
rc=0
wait "$run_pid" || rc=$?
expect_eq "run's exit status" 0 "$rc"
expect_eq "state" done "$(status_json | jq -r .state)"
for g in p1 p2 p3 p4; do
	expect_pvh "$g"
	expect_eq "$g created as PV" 1 "$(creates "$g" PV)"
done
# The output: every step line names its guest, each guest's steps in order.
for g in p1 p2 p3 p4; do
	expect_eq "$g's lines" "begin started finished started finished started finished started finished started finished done" \
		"$(awk -v g="$g" '$3 == g && $5 != "waiting" { print $5 }' "$T/run.out" | tr '\n' ' ' | sed 's/ $//')"
done
bad=$(awk '$3 ~ /^(check|ready|switch|restart|verify)$/' "$T/run.out")
[ -z "$bad" ] || fail "lines without a guest: $bad"
# p1 was let go last: its verification ended after the others were done.
expect_eq "p1 done last" p1 "$(awk '$5 == "done" { print $3 }' "$T/run.out" | tail -n 1)"
grep -q "^ *p1 .*done" "$T/run.out" || fail "summary: $(cat "$T/run.out")"
rm -f "$MIG_DIR/release"
shut_all
echo "ok: overlap"

echo "# SIGINT while 3 guests are in their toolstack commands"
for g in i1 i2 i3; do
	guest_add "$g" debian12-bookworm
done
guests_up
for g in i1 i2 i3; do
	echo hold >"$MIG_DIR/$g/behave"
done
plan i1 i2 i3 --canary 3 --boot-timeout 60 >"$T/plan.out" || fail "plan: $(cat "$T/plan.out")"
expect_eq "parallel by default" 1 "$(status_json | jq .parallel)"
as "$H" 0 sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/run.pid" \
	"$MONITOR" migrate run --db "$DB" --parallel 3 >"$T/int.out" 2>"$T/int.err" &
bg=$!
held() {
	for _g in i1 i2 i3; do
		grep -q "^shutdown $_g " "$MIG_DIR/xl.log" || return 1
		ps -eo args= | grep -v grep | grep -qF "$XL create $T/etc/$_g.cfg" || return 1
	done
}
wait_for 1200 held || fail "the 3 creates are not all running: $(mig status; cat "$T/int.err")"
kill -INT "$(cat "$T/run.pid")"
touch "$MIG_DIR/release"
rc=0
wait "$bg" || rc=$?
expect_eq "interrupted run's exit status" 1 "$rc"
toolstack_running && fail "a toolstack command outlived the run: ${TOOLSTACK_LEFT:-}"
expect_eq "state" interrupted "$(status_json | jq -r .state)"
expect_eq "no command recorded" "0 0 0" \
	"$(sqlite3 "$DB" "SELECT child_pgid FROM migration_guests WHERE migration = (SELECT max(id) FROM migrations) ORDER BY pos" | tr '\n' ' ' | sed 's/ $//')"
for g in i1 i2 i3; do
	expect_eq "$g interrupted" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM migration_events WHERE name = '$g' AND
		event = 'interrupted' AND detail LIKE 'by SIGINT during step restart%'")"
	expect_eq "$g: its create ended" 1 "$("$XENSIM" list "$H" | awk -v n="$g" '$3 == n' | wc -l)"
done
consistent "after SIGINT" i1 i2 i3
rm -f "$MIG_DIR"/i?/behave "$MIG_DIR/release"
rc=0
mig resume --parallel 3 >"$T/resume.out" 2>&1 || rc=$?
expect_eq "resume's exit status" 0 "$rc"
for g in i1 i2 i3; do
	expect_pvh "$g"
done
shut_all
echo "ok: SIGINT"

echo "# SIGKILL after the Kth journal write, 3 guests at once, then resume"
k=${MIGRATE_CRASH_FIRST:-1}
while :; do
	gn=n$k ga=a$k gb=b$k
	guest_add "$gn" debian12-bookworm crash-early
	guest_add "$ga" debian12-bookworm
	guest_add "$gb" ubuntu2204
	guests_up
	plan "$gn" "$ga" "$gb" --canary 3 --max-failures 5 --boot-timeout 60 --parallel 3 >/dev/null ||
		fail "K=$k: plan"
	rc=0
	PVH_MONITOR_MIGRATE_CRASH_AFTER=$k mig run --json >>"$T/run.jsonl" 2>>"$T/run.err" || rc=$?
	if [ "$rc" != 137 ]; then
		# The run ended before its Kth write: every point has been tried.
		expect_eq "K=$k: uninterrupted run's exit status" 2 "$rc"
		echo "ok: the run ends before its write $k"
		break
	fi
	# A command a killed worker left runs on, as xl would: the stand-in's
	# work is not atomic as libxl's is, so it is let finish.
	wait_for 600 toolstack_done "$gn" "$ga" "$gb" || fail "K=$k: a command never ended"
	consistent "K=$k: after the kill" "$gn" "$ga" "$gb"
	expect_eq "K=$k: state after the kill" interrupted "$(status_json | jq -r .state)"
	rc=0
	mig resume --json >>"$T/run.jsonl" 2>>"$T/run.err" || rc=$?
	expect_eq "K=$k: resume's exit status" 2 "$rc"
	expect_eq "K=$k: state" partial "$(status_json | jq -r .state)"
	consistent "K=$k: after resume" "$gn" "$ga" "$gb"
	expect_pv "$gn" failed
	expect_eq "K=$k: $gn created as PVH" 1 "$(creates "$gn" PVH)"
	expect_eq "K=$k: $gn created as PV" 2 "$(creates "$gn" PV)"
	for g in "$ga" "$gb"; do
		expect_pvh "$g"
		expect_eq "K=$k: $g created as PV" 1 "$(creates "$g" PV)"
	done
	echo "ok: K=$k"
	shut_all
	k=$((k + stride))
done
echo "PASS"
