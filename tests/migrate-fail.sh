#!/bin/sh
# pvh-monitor migrate when guests do not come back as PVH, on a simulated
# host with real agents: a guest that never boots and one that still says PV
# are rolled back to their PV configuration and restarted; the failure
# threshold keeps the next wave from starting; a fixable guest that fails is
# rolled back by its agent too; a failed create is undone, and a guest that
# comes back without its network addresses; a canary failure
# stops the run; abort stops a run in progress after its current guest.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
can_prepare || skip "prepare needs the real grub-mkconfig, root and mount namespaces here"
mig_setup

guest_add a-good debian12-bookworm
guest_add x-noboot debian12-bookworm no-agent
guest_add y-staypv ubuntu2204 stay-pv
fixable_add serial-bad no-agent
guest_add bad-canary debian11-bullseye stay-pv
guest_add c-good debian13-trixie hold
guest_add d-good ubuntu2204
guest_add z-createfail debian12-bookworm create-fails
guest_add z-nonet debian12-bookworm no-net
guests_up

echo "# two failures in wave 2 reach the threshold: wave 3 does not start"
plan a-good x-noboot y-staypv serial-bad --canary 1 --growth 2 --max-failures 2 --boot-timeout 8 \
	>/dev/null || fail "plan"
expect_eq "waves" "1 2 2 3" "$(status_json | jq -r '[.guests[].wave] | map(tostring) | join(" ")')"
rc=0
mig run --json >"$T/run1.jsonl" 2>"$T/run1.err" || rc=$?
expect_eq "run exit status" 1 "$rc"
expect_eq "migration state" stopped "$(status_json | jq -r .state)"
status_json | jq -r .reason | grep -q '^2 failed, the threshold is 2$' || fail "reason: $(status_json | jq -r .reason)"
expect_pvh a-good
expect_pv x-noboot failed
greason x-noboot | grep -q 'not booted as PVH after 8 s: no agent' || fail "x-noboot: $(greason x-noboot)"
expect_pv y-staypv failed
greason y-staypv | grep -q 'a new boot came up with guest_type PV, expected PVH' || fail "y-staypv: $(greason y-staypv)"
for n in x-noboot y-staypv; do
	expect_eq "$n: created as PVH once" 1 "$(creates "$n" PVH)"
	expect_eq "$n: back as PV" 2 "$(creates "$n" PV)"
	grep -q '^type = "pv"$' "$(cfg_of "$n").pv-backup" || fail "$n: backup lost"
done
expect_eq "serial-bad: cancelled" cancelled "$(gstate serial-bad)"
expect_eq "serial-bad: untouched" 0 "$(creates serial-bad PVH)"
grep -q '"event":"stopped"' "$T/run1.jsonl" || fail "no stopped event"
echo "ok: rolled back, threshold gate"

echo "# a fixable guest that does not come back: PV again, and its prepare rolled back"
plan serial-bad --boot-timeout 8 >/dev/null || fail "plan 2"
rc=0
mig run --json >"$T/run2.jsonl" 2>"$T/run2.err" || rc=$?
expect_eq "run 2 exit status" 1 "$rc"
expect_pv serial-bad failed
# What prepare wrote is gone again (the agent's rollback restores every file).
[ ! -e "$MIG_DIR/serial-bad/root/etc/default/grub.d/99-pvh-agent.cfg" ] ||
	fail "the prepare drop-in is still there: $(cat "$MIG_DIR/serial-bad/cmds/log")"
greason serial-bad | grep -q rollback && fail "the rollback request failed: $(greason serial-bad)"
grep -q '"event":"finished".*"step":"rollback"' "$T/run2.jsonl" || fail "no rollback step: $(cat "$T/run2.jsonl")"
expect_eq "serial-bad: verdict back" fixable "$(gkey serial-bad verdict)"
echo "ok: prepare rolled back"

echo "# the toolstack fails to create the PVH domain: created again as PV"
plan z-createfail --boot-timeout 30 >/dev/null || fail "plan"
mig run --json >"$T/run5.jsonl" 2>&1 && fail "run 5 succeeded"
expect_pv z-createfail failed
greason z-createfail | grep -q '^create: exit status 1: xl: create z-createfail: failing as asked$' ||
	fail "z-createfail: $(greason z-createfail)"
expect_eq "z-createfail: created as PV again" 2 "$(creates z-createfail PV)"
echo "ok: failed create"

echo "# the guest comes back PVH without its addresses: rolled back"
if [ -z "$(state "$H" "$(domid_of z-nonet)" | grep '^net/[0-9]*/ipv[46]/')" ]; then
	echo "skipped: this host has no network address for the agents to publish"
else
plan z-nonet --boot-timeout 8 >/dev/null || fail "plan"
mig run --json >"$T/run6.jsonl" 2>&1 && fail "run 6 succeeded"
[ -n "$(status_json | jq -r '.guests[0].addresses_before')" ] || fail "no addresses recorded"
expect_pv z-nonet failed
greason z-nonet | grep -q 'not booted as PVH after 8 s: addresses missing: ' || fail "z-nonet: $(greason z-nonet)"
expect_eq "z-nonet: created as PVH" 1 "$(creates z-nonet PVH)"
echo "ok: addresses verified"
fi

echo "# the canary fails: the next wave does not start"
plan c-good d-good bad-canary --canary 1 --max-failures 5 --boot-timeout 8 >/dev/null || fail "plan 3"
expect_eq "canary" bad-canary "$(status_json | jq -r '.guests[0].name')"
rc=0
mig run --json >"$T/run3.jsonl" 2>&1 || rc=$?
expect_eq "run 3 exit status" 1 "$rc"
expect_eq "migration 3 state" stopped "$(status_json | jq -r .state)"
status_json | jq -r .reason | grep -q '^the canary bad-canary failed' || fail "reason: $(status_json | jq -r .reason)"
expect_pv bad-canary failed
for n in c-good d-good; do
	expect_eq "$n cancelled" cancelled "$(gstate "$n")"
	expect_eq "$n untouched" pv "$(cfg_type "$n")"
done
echo "ok: canary gate"

echo "# abort while a run is in progress: it stops after its current guest"
plan c-good d-good --canary 1 --growth 1 --boot-timeout 30 >/dev/null || fail "plan 4"
mig run --json >"$T/run4.jsonl" 2>&1 &
run_pid=$!
track $run_pid
# The stand-in xl holds c-good's PVH create until the file release exists.
wait_for 300 grep -q '"guest":"c-good","domid":[0-9]*,"step":"restart"' "$T/run4.jsonl" ||
	fail "the run did not reach the restart: $(cat "$T/run4.jsonl")"
mig abort >"$T/abort.out" 2>&1 || fail "abort: $(cat "$T/abort.out")"
grep -q 'abort requested: the run in progress (pid [0-9]*)' "$T/abort.out" || fail "abort: $(cat "$T/abort.out")"
: >"$MIG_DIR/release"
rc=0
wait $run_pid || rc=$?
expect_eq "run 4 exit status" 1 "$rc"
expect_eq "migration 4 state" aborted "$(status_json | jq -r .state)"
expect_pvh c-good
expect_eq "d-good cancelled" cancelled "$(gstate d-good)"
expect_eq "d-good untouched" pv "$(cfg_type d-good)"
echo "PASS"
