#!/bin/sh
# pvh-monitor migrate with guests that have no agent, on the simulated host:
# without --agentless they are skipped; with it, they are planned from an
# inspection of their disks (made by the real tools from tests/rootfs trees,
# read by the real pvh-inspect in its sandbox): the ready ones go to the
# last waves, a fixable one is skipped with the manual change for its owner,
# a blocked one with its reasons. Each is inspected again before its switch
# (a disk changed since the plan fails it, unswitched), and verified without
# an agent: the toolstack (tests/migrate/xl) runs it as PVH, its block and
# network frontends connect, and it stays up for the settle time; a guest
# whose kernel never connects, that crashes in the settle time, or whose
# console log shows a kernel panic since its switch, goes back to PV the
# same way as a guest with an agent (a panic of an earlier boot in the log
# does not count), or GRUB unable to load the kernel (also for a guest
# with an agent: it fails at once, not at its boot timeout). Armed for their next reboot (--at-next-reboot), two
# guests without an agent are verified by serve when they reboot: one
# switched, one that crashes as PVH back on PV.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
. "$top_srcdir/tests/inspect/lib.sh"
require_migrate
require_inspect
mig_setup

# agentless_add NAME CASE LAYOUT [BEHAVE]: a guest without an agent on a disk image of CASE.
agentless_add() {
	mkdir -p "$MIG_DIR/$1"
	: >"$MIG_DIR/$1/agentless"
	[ -d "$T/src/$2" ] || source_tree "$2" "$T/src/$2"
	"$MKIMAGE" "$3" "$T/src/$2" "$MIG_DIR/$1/disk.img" || fail "image of $1"
	chmod 0600 "$MIG_DIR/$1/disk.img"
	[ -z "${4:-}" ] || echo "$4" >"$MIG_DIR/$1/behave"
	write_cfg "$1"
	sed -i "s|^disk = .*|disk = [ 'file:$MIG_DIR/$1/disk.img,xvda,w' ]|" "$(cfg_of "$1")"
	"$XL" create "$(cfg_of "$1")" || fail "boot $1"
}
mkdir -p "$T/src" "$MIG_DIR/console"

guest_add withagent debian12-bookworm
guest_add zgrub debian12-bookworm grub-error
agentless_add plain debian12-bookworm mbr-ext4
agentless_add jammy ubuntu2204 gpt-btrfs
agentless_add changed debian11-bullseye ext4
agentless_add serial serial-terminal ext4
agentless_add alma alma9 gpt-boot-xfs
agentless_add crashes debian12-bookworm ext4 crash
agentless_add dark debian12-bookworm ext4 no-connect
agentless_add panics debian12-bookworm ext4 panic
agentless_add rawkernel debian12-bookworm ext4 grub-error
# An earlier boot of plain panicked: its line is in the log before the switch.
echo "[    2.000000] Kernel panic - not syncing: an earlier boot" >>"$MIG_DIR/console/guest-plain.log"
guests_up

aplan() {
	plan --all --canary 1 --growth 10 --max-failures 10 --boot-timeout 10 --settle 2 --inspector "$INSPECTOR" \
		--console-log "$MIG_DIR/console/guest-%n.log" "$@"
}

echo "# without --agentless, guests without an agent are skipped"
aplan >"$T/plan0.txt" || fail "plan: $(cat "$T/plan0.txt")"
expect_eq "plain skipped" skipped "$(gstate plain)"
greason plain | grep -q 'no agent (plan with --agentless' || fail "plain: $(greason plain)"
expect_eq "withagent planned" pending "$(gstate withagent)"

echo "# with --agentless: planned from their disks"
aplan --agentless >/dev/null 2>&1 && fail "the planned migration was replaced without --replace"
aplan --agentless --replace >"$T/plan.txt" || fail "plan --agentless: $(cat "$T/plan.txt")"
cat "$T/plan.txt"
status_json >"$T/plan.json"
expect_eq "order: the agent's guest first, then the ready ones without an agent" \
	"withagent zgrub changed crashes dark jammy panics plain rawkernel" \
	"$(jq -r '[.guests[] | select(.state == "pending") | .name] | join(" ")' "$T/plan.json")"
expect_eq "agentless flag" "false true" "$(jq -r '[.guests[] | select(.name == "withagent" or .name == "plain") | .agentless | tostring] | join(" ")' "$T/plan.json")"
expect_eq "serial skipped" skipped "$(gstate serial)"
greason serial | grep -q '^fixable, but no agent can prepare it: send its owner the manual change: grub_terminal: ' ||
	fail "serial: $(greason serial)"
expect_eq "alma skipped" skipped "$(gstate alma)"
greason alma | grep -q '^blocked (inspected): .*kernel_pvh' || fail "alma: $(greason alma)"
# The inspections are in the database: status shows the guests without an agent by them.
as "$H" 0 "$MONITOR" status --db "$DB" --json >"$T/status.json" || fail "status"
expect_eq "status: plain from its inspection" "inspection ready" \
	"$(jq -r '.[] | select(.name == "plain") | "\(.source) \(.verdict)"' "$T/status.json")"
# show, for the owner's mail: the inspection's checks, and what it read.
as "$H" 0 "$MONITOR" show --db "$DB" serial >"$T/show.txt" || fail "show serial"
grep -q '^Inspection from dom0 (.*UTC; the disks as they were then' "$T/show.txt" || fail "show: $(cat "$T/show.txt")"
grep -q '^  disks  *xvda=' "$T/show.txt" || fail "show: no disks: $(cat "$T/show.txt")"
grep -q 'grub_terminal' "$T/show.txt" || fail "show: the failing check is missing: $(cat "$T/show.txt")"
as "$H" 0 "$MONITOR" show --db "$DB" --json serial >"$T/show.json" || fail "show --json serial"
expect_eq "show --json: from the inspection" "inspection fixable true" \
	"$(jq -r '.guest | "\(.source) \(.verdict) \(.inspection.ok)"' "$T/show.json")"

mig run --dry-run >"$T/dry.txt" || fail "dry run"
grep -q '^  plain (verdict ready, by its disks: no agent)' "$T/dry.txt" || fail "dry run: $(cat "$T/dry.txt")"
grep -q 'inspect its disks again' "$T/dry.txt" || fail "dry run: no re-inspection"

echo "# the disk of 'changed' changes after the plan: it now boots a kernel without PVH support"
[ -d "$T/src/alma9" ] || source_tree alma9 "$T/src/alma9"
"$MKIMAGE" ext4 "$T/src/alma9" "$MIG_DIR/changed/disk.img" || fail "new image of changed"

echo "# run"
mig run --json >"$T/run.jsonl" 2>"$T/run.err"
jq -e . "$T/run.jsonl" >/dev/null || fail "run: not JSON lines: $(cat "$T/run.err")"
expect_pvh withagent
xl_type() { "$XL" list -l "$1" | jq -r '.[0].config.c_info.type'; }
for n in plain jammy; do
	[ "$(gstate "$n")" = done ] || fail "$n: state $(gstate "$n"), expected done: $(greason "$n")"
	expect_eq "$n: config type" pvh "$(cfg_type "$n")"
	grep -q '^type = "pv"$' "$(cfg_of "$n").pv-backup" || fail "$n: no PV backup"
	expect_eq "$n: created as PVH" 1 "$(creates "$n" PVH)"
	expect_eq "$n: the toolstack runs it as PVH" pvh "$(xl_type "$n")"
	expect_eq "$n: frontends connected" 4 "$(gkey_raw "$n" device/vbd/51712/state)"
done
expect_eq "changed: failed" failed "$(gstate changed)"
greason changed | grep -q '^before the switch, blocked (inspected)' || fail "changed: $(greason changed)"
expect_eq "changed: never restarted" 0 "$(grep -c '^shutdown changed ' "$MIG_DIR/xl.log")"
expect_eq "changed: config untouched" pv "$(cfg_type changed)"
for n in crashes dark panics rawkernel zgrub; do
	expect_eq "$n: failed" failed "$(gstate "$n")"
	expect_eq "$n: config back to PV" pv "$(cfg_type "$n")"
	expect_eq "$n: created as PVH once" 1 "$(creates "$n" PVH)"
	expect_eq "$n: running PV again" pv "$(xl_type "$n")"
	expect_eq "$n: frontends connected as PV" 4 "$(gkey_raw "$n" device/vbd/51712/state)"
done
greason crashes | grep -q 'booted as PVH, then within 2 s: the toolstack shows it crashed' || fail "crashes: $(greason crashes)"
greason panics | grep -q "booting as PVH: its console log $MIG_DIR/console/guest-panics.log shows a kernel panic" ||
	fail "panics: $(greason panics)"
for n in rawkernel zgrub; do
	greason $n | grep -q "booting as PVH: its console log $MIG_DIR/console/guest-$n.log shows GRUB could not load the kernel (error: invalid magic number)" ||
		fail "$n: $(greason $n)"
done
greason dark | grep -q 'not booted as PVH after 10 s: frontend vbd/51712 is not connected' || fail "dark: $(greason dark)"
for n in serial alma; do
	expect_eq "$n: never restarted" 0 "$(grep -c "^shutdown $n " "$MIG_DIR/xl.log")"
done

echo "# armed for the next reboot without an agent: serve verifies each the same way"
agentless_add arm1 debian12-bookworm ext4
agentless_add arm2 debian12-bookworm ext4 crash
plan arm1 arm2 --agentless --at-next-reboot --canary 2 --max-failures 10 --boot-timeout 10 --settle 2 \
	--inspector "$INSPECTOR" --console-log "$MIG_DIR/console/guest-%n.log" >"$T/plan-arm.txt" ||
	fail "plan --at-next-reboot: $(cat "$T/plan-arm.txt")"
mig run >"$T/run-arm.txt" 2>&1 || fail "run: $(cat "$T/run-arm.txt")"
saved_type() { sed -n 's/^type *= *"\(.*\)"/\1/p' "$MIG_DIR/$1/saved.cfg"; }
for n in arm1 arm2; do
	expect_eq "$n: armed" armed "$(gstate "$n")"
	expect_eq "$n: saved configuration" pvh "$(saved_type "$n")"
	expect_eq "$n: not restarted" 0 "$(creates "$n" PVH)"
done
env "$(sim_env "$H" 0)" "$MONITOR" serve --db "$DB" --listen 127.0.0.1:0 2>"$T/serve.log" &
SERVE=$!
track $SERVE
"$XL" _reboot arm1 || fail "reboot arm1"
"$XL" _reboot arm2 || fail "reboot arm2"
settled() { [ "$(gstate arm1)" = done ] && [ "$(gstate arm2)" = failed ]; }
wait_for 600 settled || fail "arm1 $(gstate arm1): $(greason arm1); arm2 $(gstate arm2): $(greason arm2); serve: $(tail -n 10 "$T/serve.log")"
expect_eq "arm1: the toolstack runs it as PVH" pvh "$(xl_type arm1)"
greason arm2 | grep -Eq 'the toolstack shows it (crashed|shut down \(crash\))' || fail "arm2: $(greason arm2)"
expect_eq "arm2: config back to PV" pv "$(cfg_type arm2)"
wait_for 300 sh -c "[ \"\$('$XL' list -l arm2 | jq -r '.[0].config.c_info.type')\" = pv ]" ||
	fail "arm2: not running PV again: $(xl_type arm2)"
kill "$SERVE"
wait "$SERVE" || fail "serve did not exit cleanly: $(tail -n 5 "$T/serve.log")"
echo PASS
