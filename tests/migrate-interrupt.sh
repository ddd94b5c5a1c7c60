#!/bin/sh
# pvh-monitor migrate interrupted by SIGINT, SIGTERM and SIGHUP, then resumed.
# After the Kth journal write (K over the whole run, the signal alternating
# between SIGINT and SIGTERM): the run stops with exit status 1, status says
# "interrupted", the journal records the signal, each guest has at most one
# domain and a configuration that is either the whole PV original or the
# whole PVH one; resume then ends a ready guest switched (created as PVH
# once) and one that crashes as PVH fully back (PV, created as PVH once
# and as PV once more). SIGHUP after every write changes nothing. Then the
# signals while a toolstack command runs (the stand-in sends them to the
# run before or after its work): the command is killed with its group and
# a domain it created is never created again; a run killed (SIGKILL) while
# a command runs leaves it behind, and resume ends it first and says so,
# and reports the lock its killed owner left. MIGRATE_INTERRUPT_STEP
# (default 4) is the stride of K; 1 tries every write.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
mig_setup
stride=${MIGRATE_INTERRUPT_STEP:-4}
SIGNUM_HUP=1 SIGNUM_INT=2 SIGNUM_TERM=15

# sig_run K SIG VERB: the run sent SIG after its Kth journal write; sets rc.
sig_run() {
	rc=0
	eval "_n=\$SIGNUM_$2"
	PVH_MONITOR_MIGRATE_CRASH_AFTER=$1 PVH_MONITOR_MIGRATE_CRASH_SIGNAL=$_n mig "$3" --json \
		>>"$T/run.jsonl" 2>>"$T/run.err" || rc=$?
}

# interrupted WHAT SIG: the run's state and the journal's record of the signal.
interrupted() {
	expect_eq "$1: exit status" 1 "$rc"
	expect_eq "$1: state" interrupted "$(status_json | jq -r .state)"
	_ev=$(sqlite3 "$DB" "SELECT detail FROM migration_events WHERE event = 'interrupted' AND
		migration = (SELECT max(id) FROM migrations) ORDER BY seq DESC LIMIT 1")
	case $_ev in
	"by SIG$2 "*) ;;
	*) fail "$1: the journal's interruption says '$_ev'" ;;
	esac
}

resume_ok() { # WHAT EXPECTED-RC [EXPECTED-STATE (done)]
	rc=0
	mig resume --json >>"$T/run.jsonl" 2>"$T/resume.err" || rc=$?
	expect_eq "$1: resume's exit status" "$2" "$rc"
	expect_eq "$1: state after resume" "${3:-done}" "$(status_json | jq -r .state)"
}

# alive PID: the process runs (a zombie does not: the reaper may not have reaped it yet).
alive() {
	_st=$(ps -o stat= -p "$1" 2>/dev/null)
	[ -n "$_st" ] && [ "${_st#Z}" = "$_st" ]
}

shut_all() {
	for _g in $GUESTS; do
		"$XL" shutdown -w "$_g" 2>>"$T/xl.err" || fail "shutdown $_g: $(cat "$T/xl.err")"
	done
	GUESTS=
}

echo "# SIGINT and SIGTERM after the Kth journal write"
k=${MIGRATE_INTERRUPT_FIRST:-1} i=0
while :; do
	sig=INT
	[ $((i % 2)) = 1 ] && sig=TERM
	i=$((i + 1))
	a=a$k b=b$k
	guest_add "$a" debian12-bookworm
	guest_add "$b" debian12-bookworm crash-early
	guests_up
	plan "$a" "$b" --canary 2 --max-failures 5 --boot-timeout 60 >/dev/null || fail "K=$k: plan"
	sig_run "$k" "$sig" run
	if [ "$(status_json | jq -r .state)" = partial ]; then
		# The run ended before its Kth write: every point has been tried.
		# One guest switched, the other back on PV: partial.
		expect_eq "K=$k: uninterrupted run's exit status" 2 "$rc"
		echo "ok: the run ends before its write $k"
		break
	fi
	interrupted "K=$k SIG$sig" "$sig"
	consistent "K=$k SIG$sig" "$a" "$b"
	resume_ok "K=$k" 2 partial
	expect_pvh "$a"
	expect_eq "K=$k: $a created as PV" 1 "$(creates "$a" PV)"
	expect_pv "$b" failed
	expect_eq "K=$k: $b created as PVH" 1 "$(creates "$b" PVH)"
	expect_eq "K=$k: $b created as PV" 2 "$(creates "$b" PV)"
	echo "ok: K=$k SIG$sig"
	shut_all
	k=$((k + stride))
done

echo "# SIGHUP after every journal write"
guest_add h1 debian12-bookworm
guest_add h2 debian12-bookworm crash-early
guests_up
plan h1 h2 --canary 2 --max-failures 5 --boot-timeout 60 >/dev/null || fail "plan h"
sig_run 1 HUP run
expect_eq "SIGHUP: exit status" 2 "$rc"
expect_eq "SIGHUP: state" partial "$(status_json | jq -r .state)"
[ "$(grep -c 'signal 1' "$T/run.err")" -gt 20 ] || fail "SIGHUP was not sent at every write: $(cat "$T/run.err")"
expect_pvh h1
expect_pv h2 failed
shut_all

# during VERB WHEN SIG: the signal while the toolstack runs VERB (before or
# after its work); the ready guest ends switched, created as PVH once.
during() {
	g=c$1
	guest_add "$g" debian12-bookworm
	guests_up
	plan "$g" >/dev/null || fail "$g: plan"
	echo "$2 $3 $4" >"$MIG_DIR/signal"
	rc=0
	mig run --json >>"$T/run.jsonl" 2>>"$T/run.err" || rc=$?
	[ ! -f "$MIG_DIR/signal" ] || fail "$g: the stand-in sent no signal at $2 $3"
	if [ "$4" = HUP ]; then
		expect_eq "$g: SIGHUP at $2 $3: exit status" 0 "$rc"
	else
		interrupted "$g: SIG$4 at $2 $3" "$4"
		consistent "$g: SIG$4 at $2 $3" "$g"
		grep -q "^signal $4 to the run at $2 $3\$" "$MIG_DIR/xl.log" || fail "$g: no signal in xl.log"
		resume_ok "$g" 0
	fi
	expect_pvh "$g"
	shut_all
}
echo "# signals while a toolstack command runs"
during 1 shutdown before INT
during 2 shutdown after TERM
during 3 create before TERM
during 4 create after INT
during 5 create after HUP
during 6 shutdown before HUP

echo "# SIGKILL while xl create runs: resume ends what the run left first"
guest_add k1 debian12-bookworm
guests_up
plan k1 >/dev/null || fail "k1: plan"
echo "create after KILL" >"$MIG_DIR/signal"
rc=0
mig run --json >>"$T/run.jsonl" 2>>"$T/run.err" || rc=$?
expect_eq "SIGKILL: exit status" 137 "$rc"
wait_for 100 test -s "$MIG_DIR/lingering" || fail "no lingering xl"
lingering=$(cat "$MIG_DIR/lingering")
alive "$lingering" || fail "the xl the run left is not running"
expect_eq "SIGKILL: state" interrupted "$(status_json | jq -r .state)"
owner=$(cut -d' ' -f1 "$DB.migrate-lock")
[ -n "$owner" ] || fail "the killed run's lock names no owner"
consistent "SIGKILL" k1
resume_ok "SIGKILL" 0
alive "$lingering" && fail "resume left the lingering xl ($lingering) running"
grep -q "The migration lock was left by pid $owner" "$T/resume.err" ||
	fail "the stale lock was not reported: $(cat "$T/resume.err")"
case $(sqlite3 "$DB" "SELECT detail FROM migration_events WHERE name = 'k1' AND event = 'leftover'") in
*"process group "*": killed") ;;
*) fail "the journal has no leftover killed: $(sqlite3 "$DB" "SELECT event, detail FROM migration_events WHERE name = 'k1'")" ;;
esac
case $(sqlite3 "$DB" "SELECT detail FROM migration_events WHERE name = 'k1' AND event = 'resumed'") in
"domain "*" runs as PVH") ;;
*) fail "resume did not record the domain's state: $(sqlite3 "$DB" "SELECT event, detail FROM migration_events WHERE name = 'k1'")" ;;
esac
expect_pvh k1
expect_eq "the lock is emptied at the end" 0 "$(wc -c <"$DB.migrate-lock")"
echo "PASS"
