#!/bin/sh
# A guest whose first PVH boots triple-fault: each fault is a reboot to Xen,
# and the toolstack's daemon creates the domain again under a new domid (the
# stand-in's crash-loop: 3 faults, then a good boot). With --max-restarts 2
# its verification fails at the second restart, with the count and the
# toolstack's shutdown reason in its reason and in the journal's event,
# while its boot timeout is far off: the reason is the restarts', not the
# timeout's. The guest ends PV. The same guest with --max-restarts 5 gets
# through its faults and is verified at its 4th boot: the count, and
# nothing else in the stand-in, is what fails the first one.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
mig_setup

# event NAME EVENT: the detail of the guest's first such event in the journal.
event() {
	sqlite3 "$DB" "SELECT detail FROM migration_events WHERE name = '$1' AND event = '$2' ORDER BY seq LIMIT 1"
}

# loop_run NAME N: a crash-loop guest migrated with --max-restarts N, far from
# its boot timeout; sets rc, the run's lines in $T/NAME.jsonl.
loop_run() {
	guest_add "$1" debian12-bookworm crash-loop
	guests_up
	plan "$1" --max-restarts "$2" --boot-timeout 900 >/dev/null || fail "$1: plan"
	rc=0
	mig run --json >"$T/$1.jsonl" 2>"$T/$1.err" || rc=$?
}

echo "# --max-restarts 2: verify fails at the second restart"
loop_run loop 2
expect_eq "run's exit status" 1 "$rc"
expect_pv loop failed
reason=$(greason loop)
echo "reason: $reason"
want='booting as PVH: restarted 2 times by the toolstack (last shutdown: reboot)'
case $reason in
*"$want"*) ;;
*) fail "loop: reason '$reason', expected '$want'" ;;
esac
case $reason in
*"not booted as PVH after"*) fail "the boot timeout ended it: $reason" ;;
esac
failed=$(jq -r 'select(.event == "step-failed" and .guest == "loop") | .step' "$T/loop.jsonl" | head -n 1)
expect_eq "the step that failed" verify "$failed"
case $(event loop step-failed) in
*"restarted 2 times by the toolstack"*) ;;
*) fail "journal: step-failed says '$(event loop step-failed)'" ;;
esac
faults=$(grep -c '^fault loop [0-9]* reboot$' "$MIG_DIR/xl.log")
[ "$faults" -ge 2 ] || fail "the stand-in's guest faulted $faults times: $(cat "$MIG_DIR/xl.log")"
"$XL" shutdown -w loop || fail "shutdown loop"
GUESTS=

# On the way back the domain to shut down may be between two boots: shut
# down for the reboot that its fault is, while the toolstack's daemon
# replaces it from its saved (PVH) configuration. xl shutdown fails on it.
# The run waits for the replacement, shuts that one down too, and creates
# the guest as PV: it must not stay PVH, its file saying PV.
echo "# the way back meets a domain the toolstack is restarting"
guest_add back debian12-bookworm crash-loop
echo "3 0 3" >"$MIG_DIR/back/crash-loop"
guests_up
plan back --max-restarts 1 --boot-timeout 120 >/dev/null || fail "back: plan"
rc=0
mig run --json >"$T/back.jsonl" 2>"$T/back.err" || rc=$?
expect_eq "run's exit status" 1 "$rc"
expect_pv back failed
grep -q '^error shutdown back: libxl: error: invalid domain identifier' "$MIG_DIR/xl.log" ||
	fail "no shutdown met a domain between two boots: $(cat "$MIG_DIR/xl.log")"
replaced=$(sqlite3 "$DB" "SELECT count(*) FROM migration_events WHERE name = 'back' AND event = 'replaced'")
[ "$replaced" -ge 1 ] || fail "no 'replaced' event in the journal: $(cat "$T/back.jsonl")"
echo "replaced: $(event back replaced)"
case $(greason back) in
*"invalid domain identifier"*) fail "the shutdown's failure stayed in the reason: $(greason back)" ;;
esac
expect_eq "back: domains of its name" 1 "$("$XENSIM" list "$H" | awk '$3 == "back"' | wc -l)"
"$XL" shutdown -w back || fail "shutdown back"
GUESTS=

# A boot that never acts on a shutdown request (pvhgrub without a kernel it
# can load ignores it): on the way back the shutdown is given the toolstack
# timeout, then the domain is turned off (xl destroy, a 'forced' event) and
# the guest created as PV.
echo "# the way back turns off a failed boot that ignores its shutdown"
mkdir -p "$MIG_DIR/console"
guest_add stuck debian12-bookworm grub-error
: >"$MIG_DIR/stuck/ignores-shutdown"
guests_up
plan stuck --toolstack-timeout 5 --boot-timeout 120 --console-log "$MIG_DIR/console/guest-%n.log" \
	>/dev/null || fail "stuck: plan"
rc=0
mig run --json >"$T/stuck.jsonl" 2>"$T/stuck.err" || rc=$?
expect_eq "run's exit status" 1 "$rc"
expect_pv stuck failed
grep -q '^shutdown stuck: ignored$' "$MIG_DIR/xl.log" || fail "stuck: its shutdown was not tried: $(cat "$MIG_DIR/xl.log")"
grep -q '^destroy stuck [0-9]*$' "$MIG_DIR/xl.log" || fail "stuck: not turned off: $(cat "$MIG_DIR/xl.log")"
case $(event stuck forced) in
*"did not shut down (shutdown: no end after 5 s): turned off") ;;
*) fail "stuck: the journal's forced event says '$(event stuck forced)'" ;;
esac
greason stuck | grep -q 'GRUB could not load the kernel' || fail "stuck: $(greason stuck)"
case $(greason stuck) in
*"no end after"*) fail "the shutdown's failure stayed in the reason: $(greason stuck)" ;;
esac
"$XL" shutdown -w stuck || fail "shutdown stuck"
GUESTS=

echo "# --max-restarts 5: the same guest gets through its 3 faults"
loop_run loop5 5
expect_eq "run's exit status" 0 "$rc"
expect_eq "loop5 state" done "$(gstate loop5)"
expect_eq "loop5 config type" pvh "$(cfg_type loop5)"
expect_eq "loop5 guest_type" PVH "$(gkey loop5 guest_type)"
expect_eq "loop5 faults" 3 "$(grep -c '^fault loop5 [0-9]* reboot$' "$MIG_DIR/xl.log")"
echo "PASS"
