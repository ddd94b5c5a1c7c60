#!/bin/sh
# migrate plan --at-next-reboot on a simulated host with real agents: run
# arms every guest (PVH in its file and, through xl config-update, in the
# running domain's saved configuration) and restarts nothing. serve then
# watches them: a guest that reboots itself comes back PVH and is verified;
# one whose PVH boot brings no agent is put back on PV, with the reason; one
# whose verdict turns blocked while armed is disarmed (PV in both places);
# and serve killed with SIGKILL while a guest reboots, then started again,
# verifies that guest. The metrics count the guests by state throughout, and
# each guest's history has its outcome. abort disarms an armed guest. A
# gate that stops the waves (a guest whose config-update fails, one failure
# allowed) cancels the later waves; the guests armed before it stay armed,
# the migration stays armed, and serve verifies one that reboots.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
command -v curl >/dev/null || skip "curl is not installed"
mig_setup

saved_type() { sed -n 's/^type *= *"\(.*\)"/\1/p' "$MIG_DIR/$1/saved.cfg"; }

guest_add early debian12-bookworm
guest_add noagent debian11-bullseye no-agent
guest_add blocked debian13-trixie
guest_add late ubuntu2204 hold
guests_up
for n in $GUESTS; do
	eval "domid_$n=$(domid_of "$n")"
done

echo "# plan and run: every guest armed, none restarted"
plan --all --at-next-reboot --canary 4 --boot-timeout 10 >"$T/plan.txt" || fail "plan: $(cat "$T/plan.txt")"
mig run --dry-run >"$T/dry.txt" || fail "dry run"
grep -q "run: $XL config-update early $T/etc/early.cfg" "$T/dry.txt" || fail "dry run: $(cat "$T/dry.txt")"
grep -q 'shutdown -w' "$T/dry.txt" && fail "dry run restarts: $(cat "$T/dry.txt")"
mig run --json >"$T/run.jsonl" 2>"$T/run.err" || fail "run: $(cat "$T/run.err"; tail -n 5 "$T/run.jsonl")"
expect_eq "migration state" armed "$(status_json | jq -r .state)"
for n in $GUESTS; do
	expect_eq "$n: state" armed "$(gstate "$n")"
	expect_eq "$n: config type" pvh "$(cfg_type "$n")"
	grep -q '^type = "pv"$' "$(cfg_of "$n").pv-backup" || fail "$n: no PV backup"
	expect_eq "$n: saved configuration" pvh "$(saved_type "$n")"
	expect_eq "$n: config-update" 1 "$(grep -c "^config-update $n pvh\$" "$MIG_DIR/xl.log")"
	eval "expect_eq \"$n: same domain\" \$domid_$n \"$(domid_of "$n")\""
	expect_eq "$n: still PV" PV "$(gkey "$n" guest_type)"
done
grep -q '^shutdown \|^create [a-z]* PVH' "$MIG_DIR/xl.log" && fail "run restarted a guest: $(cat "$MIG_DIR/xl.log")"
mig status >"$T/status.txt" || fail "status"
grep -q '^migration 1: armed' "$T/status.txt" || fail "status: $(cat "$T/status.txt")"
grep -q '4 armed' "$T/status.txt" || fail "status counts: $(head -n 2 "$T/status.txt")"
mig run >/dev/null 2>&1 && fail "run of an armed migration succeeded"
plan --all --replace >/dev/null 2>&1 && fail "a new plan replaced an armed migration"

echo "# serve: the armed guests in the metrics"
serve_up
expect_eq "armed guests" 4 "$(metric 'pvh_migration_guests{state="armed"}')"
expect_eq "migration armed" 1 "$(metric 'pvh_migration_state{state="armed"}')"

echo "# early reboots itself: PVH, verified"
"$XL" _reboot early || fail "reboot early"
until_state early done
expect_eq "early: created as PVH" 1 "$(creates early PVH)"
wait_for 100 has_gkey early guest_type PVH || fail "early: not PVH: $(gkey early guest_type)"
grep -q '"event":"rebooted",.*"guest":"early"' "$T/serve.log" || fail "no rebooted event in serve's log"

echo "# noagent reboots: no agent comes up as PVH, back on PV"
"$XL" _reboot noagent || fail "reboot noagent"
until_state noagent failed
greason noagent | grep -q 'not booted as PVH after 10 s: no agent' || fail "noagent: reason '$(greason noagent)'"
expect_pv noagent failed
expect_eq "noagent: saved configuration" pv "$(saved_type noagent)"
expect_eq "noagent: created as PVH once" 1 "$(creates noagent PVH)"

echo "# blocked: its verdict turns blocked while armed, it is disarmed"
b=$MIG_DIR/blocked
mv "$b/root" "$b/root.ready"
make_root alma9 "$b/root"
mkdir -p "$b/root/sys/hypervisor"
cp "$b/root.ready/sys/hypervisor/guest_type" "$b/root/sys/hypervisor/"
cp "$b/root.ready/proc/sys/kernel/random/boot_id" "$b/root/proc/sys/kernel/random/"
"$XL" _agent blocked || fail "restart blocked's agent"
until_state blocked disarmed
greason blocked | grep -q '^disarmed: verdict blocked: .*kernel_pvh' || fail "blocked: reason '$(greason blocked)'"
expect_eq "blocked: config type" pv "$(cfg_type blocked)"
expect_eq "blocked: saved configuration" pv "$(saved_type blocked)" || true; expect_eq "blocked: same domain" "$domid_blocked" "$(domid_of blocked)"
expect_eq "blocked: never restarted" 0 "$(grep -c "^reboot blocked\|^shutdown blocked" "$MIG_DIR/xl.log")"

echo "# late reboots, serve is killed meanwhile, then started again: verified"
"$XL" _reboot late &
REBOOT=$!
track $REBOOT
wait_for 300 grep -q '^reboot late ' "$MIG_DIR/xl.log" || fail "late did not reboot"
kill -9 "$SERVE"
wait "$SERVE" 2>/dev/null
: >"$MIG_DIR/release"
wait "$REBOOT" || fail "reboot late"
expect_eq "late: still armed without serve" armed "$(gstate late)"
serve_up
until_state late done
wait_for 100 has_gkey late guest_type PVH || fail "late: not PVH"

echo "# the outcome"
expect_eq "migration state" partial "$(status_json | jq -r .state)"
expect_eq "done" 2 "$(metric 'pvh_migration_guests{state="done"}')"
expect_eq "failed" 1 "$(metric 'pvh_migration_guests{state="failed"}')"
expect_eq "disarmed" 1 "$(metric 'pvh_migration_guests{state="disarmed"}')"
expect_eq "armed" 0 "$(metric 'pvh_migration_guests{state="armed"}')"
for o in early:done noagent:failed blocked:disarmed late:done; do
	as "$H" 0 "$MONITOR" history --db "$DB" "${o%%:*}" >"$T/history.txt" 2>&1 || fail "history ${o%%:*}"
	grep -q "migration armed -> ${o#*:}\$" "$T/history.txt" || fail "history of ${o%%:*}: $(cat "$T/history.txt")"
done
kill "$SERVE"
wait "$SERVE" || fail "serve did not exit cleanly"

echo "# abort disarms: noagent armed again, then the migration aborted"
plan noagent --at-next-reboot >/dev/null || fail "plan noagent"
mig run >/dev/null 2>&1 || fail "run noagent"
expect_eq "noagent: armed again" armed "$(gstate noagent)"
expect_eq "noagent: saved configuration armed" pvh "$(saved_type noagent)"
mig abort >/dev/null 2>&1 || fail "abort"
expect_eq "noagent: disarmed" disarmed "$(gstate noagent)"
expect_eq "noagent: reason" "disarmed: aborted" "$(greason noagent)"
expect_eq "noagent: config type after abort" pv "$(cfg_type noagent)"
expect_eq "noagent: saved configuration after abort" pv "$(saved_type noagent)"
expect_eq "migration aborted" aborted "$(status_json | jq -r .state)"

echo "# a gate stops the waves: the guests armed before it stay armed, and serve follows them"
GUESTS=
for n in w1 w2 w3 w4; do
	guest_add "$n" debian12-bookworm
done
echo config-update-fails >"$MIG_DIR/w2/behave"
guests_up
plan w1 w2 w3 w4 --at-next-reboot --canary 1 --growth 2 --max-failures 1 --boot-timeout 30 >/dev/null ||
	fail "plan w"
expect_eq "waves" "1 2 2 3" "$(status_json | jq -r '[.guests[].wave] | map(tostring) | join(" ")')"
mig run >"$T/run-w.txt" 2>&1
expect_eq "the run: armed guests, so it ends armed" armed "$(status_json | jq -r .state)"
status_json | jq -r .reason | grep -q . || fail "no reason for the stop: $(status_json | jq -c .)"
for n in w1 w3; do
	expect_eq "$n: armed" armed "$(gstate "$n")"
	expect_eq "$n: saved configuration" pvh "$(saved_type "$n")"
done
expect_eq "w2: failed" failed "$(gstate w2)"
expect_eq "w2: config type" pv "$(cfg_type w2)"
expect_eq "w2: saved configuration" pv "$(saved_type w2)"
expect_eq "w4: cancelled by the gate" cancelled "$(gstate w4)"
expect_eq "w4: untouched" "pv 0" "$(cfg_type w4) $(grep -c '^config-update w4 ' "$MIG_DIR/xl.log")"
serve_up
"$XL" _reboot w1 || fail "reboot w1"
until_state w1 done
expect_eq "w1: PVH" 1 "$(creates w1 PVH)"
expect_eq "w3: still armed" armed "$(gstate w3)"
kill "$SERVE"
wait "$SERVE" || fail "serve did not exit cleanly"
echo "PASS"
