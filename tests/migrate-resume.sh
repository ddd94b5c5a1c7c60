#!/bin/sh
# pvh-monitor migrate killed (SIGKILL) right after its Kth journal write, for
# K over the whole run, then resumed: every guest ends done or failed exactly
# once, none half-done. A fixable guest is prepared once and created as PVH
# once; a guest that crashes when it boots PVH is rolled back to PV and
# created as PV once more. The crash fails that guest at once, so the boot
# timeout can be long: a slow machine does not fail the fixable one. Then
# abort of a killed run: the guest in progress goes back to PV, the rest are
# cancelled. MIGRATE_CRASH_STEP (default 5) is the stride of K,
# MIGRATE_CRASH_FIRST its start; MIGRATE_CRASH_STEP=1 tries every write.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
can_prepare || skip "prepare needs the real grub-mkconfig, root and mount namespaces here"
mig_setup
stride=${MIGRATE_CRASH_STEP:-5}

crash_run() { # K VERB: the run killed after its Kth journal write; sets rc
	rc=0
	PVH_MONITOR_MIGRATE_CRASH_AFTER=$1 mig "$2" --json >>"$T/run.jsonl" 2>>"$T/run.err" || rc=$?
}

no_active() {
	[ "$(status_json | jq '[.guests[] | select(.state == "active" or .state == "pending")] | length')" = 0 ] ||
		fail "K=$1: guests left half-done: $(mig status)"
}

k=${MIGRATE_CRASH_FIRST:-1}
while :; do
	gn=n$k gf=f$k
	guest_add "$gn" debian12-bookworm crash-early
	fixable_add "$gf"
	guests_up
	plan "$gn" "$gf" --canary 2 --max-failures 5 --boot-timeout 60 >/dev/null || fail "K=$k: plan"
	crash_run "$k" run
	if [ "$rc" != 137 ]; then
		# The run ended before its Kth write: every point has been tried.
		# One guest fails, the other is switched: partial.
		expect_eq "K=$k: uninterrupted run's exit status" 2 "$rc"
		echo "ok: the run ends before its write $k"
		break
	fi
	expect_eq "K=$k: state after the kill" interrupted "$(status_json | jq -r .state)"
	mig run >/dev/null 2>&1 && fail "K=$k: run of an interrupted migration succeeded"
	rc=0
	mig resume --json >>"$T/run.jsonl" 2>"$T/resume.err" || rc=$?
	[ "$rc" = 2 ] || fail "K=$k: resume's exit status: expected '2', got '$rc': $(tail -n 5 "$T/resume.err")
$(mig status 2>&1)
$(tail -n 12 "$T/run.jsonl")"
	expect_eq "K=$k: state" partial "$(status_json | jq -r .state)"
	no_active "$k"
	expect_pv "$gn" failed
	expect_eq "K=$k: $gn created as PVH" 1 "$(creates "$gn" PVH)"
	expect_eq "K=$k: $gn created as PV" 2 "$(creates "$gn" PV)"
	expect_pvh "$gf"
	expect_eq "K=$k: $gf created as PV" 1 "$(creates "$gf" PV)"
	expect_eq "K=$k: $gf prepared once" 1 "$(grep -c '^update-grub' "$MIG_DIR/$gf/cmds/log")"
	echo "ok: K=$k"
	# Their agents are done with: stop them, so that the host stays small.
	"$XL" shutdown -w "$gn" 2>>"$T/xl.err" && "$XL" shutdown -w "$gf" 2>>"$T/xl.err" ||
		fail "K=$k: shutdown: $(cat "$T/xl.err"; tail -n 4 "$MIG_DIR/xl.log")"
	GUESTS=
	k=$((k + stride))
done

echo "# abort after a kill: the guest in progress goes back to PV, the rest cancelled"
guest_add ab1 debian12-bookworm
guest_add ab2 ubuntu2204
guests_up
plan ab1 ab2 --canary 1 --boot-timeout 30 >/dev/null || fail "plan"
# Writes: begin, check (2), ready (2), switch started: killed with the PVH configuration written or not.
crash_run 7 run
expect_eq "abort test: killed" 137 "$rc"
mig abort >"$T/abort.out" 2>&1 || fail "abort: $(cat "$T/abort.out")"
expect_eq "aborted" aborted "$(status_json | jq -r .state)"
no_active abort
expect_pv ab1 failed
expect_eq "ab1 reason" aborted "$(greason ab1)"
expect_eq "ab1 never created as PVH" 0 "$(creates ab1 PVH)"
expect_eq "ab2 cancelled" cancelled "$(gstate ab2)"
expect_eq "ab2 untouched" pv "$(cfg_type ab2)"
mig resume >/dev/null 2>&1 && fail "resume of an aborted migration succeeded"
echo "PASS"
