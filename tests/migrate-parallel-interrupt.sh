#!/bin/sh
# pvh-monitor migrate run --parallel 3 interrupted as an operator would,
# then resumed. The run is started in a session of its own, so that its
# process group is the run and its workers and nothing of this script. Each
# time, one wave of 3 guests: one that boots PV when switched, two ready.
# - SIGHUP to the process group after every journal write changes nothing;
#   that run counts the journal writes of such a run.
# - After the Kth journal write (any of the workers' or the run's, K over
#   that count), by turns: SIGINT or SIGTERM to the process group (a
#   terminal's Ctrl-C) or to the run's process (kill PID), and SIGKILL to
#   the run's process only. Then no process of the group is left, and no
#   toolstack command either after SIGINT and SIGTERM (which also leave no
#   command recorded and say in the journal by which signal the run
#   stopped); after SIGKILL the workers died with the run and the journal
#   did not change after it: nothing acts on the guests once the run is
#   gone. Each guest has at most one domain and a whole configuration;
#   resume then ends the ready guests fully switched (created as PVH once)
#   and the other fully back (PV, created as PVH once and as PV once more).
#   No create is cut short (a domain and no agent after the run): SIGINT and
#   SIGTERM let a running create end, SIGKILL leaves it running.
#   MIGRATE_INTERRUPT_STEP (default 4) sets the stride of K, 3 times it;
#   MIGRATE_INTERRUPT_FIRST its start.
# - SIGINT to the group while 3 creates run: they are not killed, the run
#   ends once they have, and resume finds the guests created.
# - migrate abort from another process while 3 guests of a wave of 4 are
#   in their creates: abort says the run stops, status still says running;
#   the 3 end switched, the 4th is cancelled and untouched, the run exits
#   1, the migration is aborted, no process of the run is left, the lock is
#   emptied.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
mig_setup
stride=$((${MIGRATE_INTERRUPT_STEP:-4} * 3))
SIGNUM_HUP=1 SIGNUM_INT=2 SIGNUM_KILL=9 SIGNUM_TERM=15

# session_run VERB [VAR=VALUE...]: migrate VERB in a session of its own,
# with the variables in its environment, in the background; sets RUN (its
# pid, which is its process group's id).
session_run() {
	_verb=$1
	shift
	env "$@" "$(sim_env "$H" 0)" setsid "$MONITOR" migrate "$_verb" --db "$DB" --json \
		>>"$T/run.jsonl" 2>>"$T/run.err" &
	RUN=$!
	track "$RUN"
}

# sig_run K SIG TARGET: the run, SIG sent to TARGET (run or group) after
# its Kth journal write; sets rc.
sig_run() {
	eval "_n=\$SIGNUM_$2"
	session_run run PVH_MONITOR_MIGRATE_CRASH_AFTER="$1" PVH_MONITOR_MIGRATE_CRASH_SIGNAL="$_n" \
		PVH_MONITOR_MIGRATE_CRASH_TARGET="$3"
	rc=0
	wait "$RUN" || rc=$?
}

# group_alive PGID: a process of that group still runs (not a zombie).
group_alive() {
	ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { n++ } END { exit !n }'
}

group_gone() { ! group_alive "$1"; }


last_seq() { sqlite3 "$DB" "SELECT coalesce(max(seq), 0) FROM migration_events"; }

# gp, ga, gb: a guest that boots PV when switched (fully back on PV in
# the end) and two ready ones, planned as one wave, 3 at once.
three() {
	gp=p$1 ga=a$1 gb=b$1
	guest_add "$gp" debian12-bookworm stay-pv
	guest_add "$ga" debian12-bookworm
	guest_add "$gb" ubuntu2204
	guests_up
	plan "$gp" "$ga" "$gb" --canary 3 --max-failures 5 --boot-timeout 60 --parallel 3 >/dev/null ||
		fail "$1: plan"
}

# cut NAME: after the run ended, the guest has a domain and no agent: a
# create was cut short, and the stand-in's create is no more atomic than
# libxl's. Not a shutdown cut short (the run kills it): that domain was on
# its way out, its agent stopped first, as a guest's shutdown stops it.
cut() {
	"$XENSIM" list "$H" | awk -v n="$1" '$3 == n { f = 1 } END { exit !f }' &&
		[ ! -f "$MIG_DIR/$1/shutting-down" ] &&
		! ps -eo args= | grep -v grep | grep -qF -- "--root $MIG_DIR/$1/root "
}

# outcome WHAT: gp fully back on PV, ga and gb fully switched, each created
# as PVH once.
outcome() {
	consistent "$1" "$gp" "$ga" "$gb"
	for _g in "$gp" "$ga" "$gb"; do
		[ "$(creates "$_g" PVH)" = 1 ] ||
			fail "$1: $_g created as PVH $(creates "$_g" PVH) times, not once
$(guest_story "$_g")"
		if [ "$_g" = "$gp" ]; then
			expect_pv "$_g" failed
			expect_eq "$1: $_g created as PV" 2 "$(creates "$_g" PV)"
		else
			expect_pvh "$_g"
			expect_eq "$1: $_g created as PV" 1 "$(creates "$_g" PV)"
		fi
	done
}

# retire: the guests are done with; their agents go, so that the host stays
# small (without waiting for each, as xl shutdown -w does).
retire() {
	for _g in $GUESTS; do
		[ -f "$MIG_DIR/$_g/pid" ] && kill -9 "-$(cat "$MIG_DIR/$_g/pid")" 2>/dev/null
		rm -f "$MIG_DIR/$_g/pid"
	done
	GUESTS=
}

echo "# SIGHUP to the process group after every journal write"
three h
sig_run 1 HUP group
expect_eq "SIGHUP: exit status" 2 "$rc"
expect_eq "SIGHUP: state" partial "$(status_json | jq -r .state)"
writes=$(grep -c 'signal 1\.' "$T/run.err")
[ "$writes" -gt 20 ] || fail "SIGHUP was not sent at every write: $(cat "$T/run.err")"
outcome SIGHUP
retire
echo "ok: SIGHUP, $writes journal writes"

echo "# signals after the Kth journal write, then resume"
k=${MIGRATE_INTERRUPT_FIRST:-1} i=0
while [ "$k" -le "$writes" ]; do
	case $((i % 3)) in
	0) sig=INT ;;
	1) sig=TERM ;;
	2) sig=KILL ;;
	esac
	to=group
	[ $((i % 2)) = 1 ] || [ $sig = KILL ] && to=run
	i=$((i + 1))
	what="K=$k SIG$sig to the $to"
	three "$k"
	sig_run "$k" "$sig" "$to"
	seq=$(last_seq)
	if [ "$(status_json | jq -r .state)" = partial ]; then
		# This run wrote less than the first: it ended before its Kth write.
		expect_eq "$what: uninterrupted run's exit status" 2 "$rc"
	else
		wait_for 50 group_gone "$RUN" ||
			fail "$what: the run's processes outlived it: $(ps -eo pid,pgid,stat,args | awk -v g="$RUN" '$2 == g')"
		expect_eq "$what: state" interrupted "$(status_json | jq -r .state)"
		if [ $sig = KILL ]; then
			expect_eq "$what: exit status" 137 "$rc"
			expect_eq "$what: journal writes after the run died" "$seq" "$(last_seq)"
			# A command a killed worker left runs on, as xl would (see migrate-parallel.sh).
			wait_for 600 toolstack_done "$gp" "$ga" "$gb" || fail "$what: a command never ended"
		else
			expect_eq "$what: exit status" 1 "$rc"
			toolstack_running "$gp" "$ga" "$gb" &&
				fail "$what: a toolstack command outlived the run: $(ps -eo pid,pgid,args | grep -F "$XL")"
			expect_eq "$what: no command recorded" "0 0 0" "$(sqlite3 "$DB" "SELECT child_pgid FROM
				migration_guests WHERE migration = (SELECT max(id) FROM migrations) ORDER BY pos" |
				tr '\n' ' ' | sed 's/ $//')"
			ev=$(sqlite3 "$DB" "SELECT detail FROM migration_events WHERE event = 'interrupted' AND
				migration = (SELECT max(id) FROM migrations) ORDER BY seq DESC LIMIT 1")
			case $ev in
			"by SIG$sig "*) ;;
			*) fail "$what: the journal's interruption says '$ev'" ;;
			esac
		fi
		consistent "$what" "$gp" "$ga" "$gb"
		for g in "$gp" "$ga" "$gb"; do
			cut "$g" && fail "$what: $g has a domain that never booted: its create was cut short"
		done
		rc=0
		mig resume --json >>"$T/run.jsonl" 2>>"$T/run.err" || rc=$?
		expect_eq "$what: resume's exit status" 2 "$rc"
		expect_eq "$what: state after resume" partial "$(status_json | jq -r .state)"
	fi
	outcome "$what"
	echo "ok: $what"
	retire
	k=$((k + stride))
done

echo "# Ctrl-C while creates run: they are left to end"
for g in c1 c2 c3; do
	guest_add "$g" debian12-bookworm
done
guests_up
plan c1 c2 c3 --canary 3 --boot-timeout 60 --parallel 3 >/dev/null || fail "plan c"
for g in c1 c2 c3; do
	echo hold >"$MIG_DIR/$g/behave"
done
rm -f "$MIG_DIR/release"
session_run run
creating() {
	for _g in "$@"; do
		ps -eo args= | grep -v grep | grep -qF "$XL create $T/etc/$_g.cfg" || return 1
	done
}
wait_for 1200 creating c1 c2 c3 || fail "the 3 creates are not all running: $(mig status; cat "$T/run.err")"
kill -INT -- -"$RUN"
# The run ends only when its creates have: none is killed halfway. (A second
# is time enough for the handler to have killed them, as it did before.)
sleep 1
creating c1 c2 c3 || fail "a create was killed by the first SIGINT: $(cat "$MIG_DIR/xl.log")"
: >"$MIG_DIR/release"
rc=0
wait "$RUN" || rc=$?
expect_eq "Ctrl-C during creates: exit status" 1 "$rc"
expect_eq "Ctrl-C during creates: state" interrupted "$(status_json | jq -r .state)"
for g in c1 c2 c3; do
	expect_eq "$g created as PVH before resume" 1 "$(creates "$g" PVH)"
	cut "$g" && fail "$g: a domain with no agent after the run"
done
consistent "Ctrl-C during creates" c1 c2 c3
rc=0
mig resume --json >>"$T/run.jsonl" 2>>"$T/run.err" || rc=$?
expect_eq "resume after Ctrl-C during creates" 0 "$rc"
for g in c1 c2 c3; do
	expect_pvh "$g"
done
echo "ok: Ctrl-C during creates"
retire

echo "# migrate abort while 3 guests of a wave of 4 are in their creates"
for g in w1 w2 w3 w4; do
	guest_add "$g" debian12-bookworm
done
guests_up
plan w1 w2 w3 w4 --canary 4 --boot-timeout 60 --parallel 3 >/dev/null || fail "plan w"
for g in w1 w2 w3; do
	echo hold >"$MIG_DIR/$g/behave"
done
rm -f "$MIG_DIR/release"
session_run run
held() {
	for _g in w1 w2 w3; do
		ps -eo args= | grep -v grep | grep -qF "$XL create $T/etc/$_g.cfg" || return 1
	done
}
wait_for 1200 held || fail "the 3 creates are not all running: $(mig status; cat "$T/run.err")"
rc=0
mig abort >"$T/abort.out" 2>&1 || rc=$?
expect_eq "abort's exit status" 0 "$rc"
grep -qx "abort requested: the run in progress (pid $RUN) stops before its next guest" "$T/abort.out" ||
	fail "abort: $(cat "$T/abort.out")"
expect_eq "state while the run ends its guests" running "$(status_json | jq -r .state)"
expect_eq "w4 not begun" pending "$(gstate w4)"
: >"$MIG_DIR/release"
rc=0
wait "$RUN" || rc=$?
expect_eq "aborted run's exit status" 1 "$rc"
group_alive "$RUN" && fail "the run's processes outlived it: $(ps -eo pid,pgid,args | awk -v g="$RUN" '$2 == g')"
toolstack_running w1 w2 w3 w4 && fail "a toolstack command outlived the run"
expect_eq "state" aborted "$(status_json | jq -r .state)"
consistent "abort" w1 w2 w3 w4
for g in w1 w2 w3; do
	expect_pvh "$g"
done
expect_eq "w4 cancelled" cancelled "$(gstate w4)"
expect_eq "w4 untouched" pv "$(cfg_type w4)"
expect_eq "w4 not restarted" 1 "$(creates w4 PV)"
grep -q '"event":"begin".*"guest":"w4"\|"guest":"w4".*"event":"begin"' "$T/run.jsonl" &&
	fail "w4 began after the abort"
expect_eq "the lock is emptied at the end" 0 "$(wc -c <"$DB.migrate-lock")"
rc=0
mig resume >/dev/null 2>&1 || rc=$?
expect_eq "resume of the aborted migration" 1 "$rc"
echo "ok: abort"
echo "PASS"
