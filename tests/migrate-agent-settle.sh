#!/bin/sh
# migrate plan --agent-settle S: a guest with an agent is verified only once
# its PVH boot, reported by its agent, has stayed up S more seconds, the
# same domain, neither crashed nor shut down. A guest whose PVH boot
# crashes 4 s after it connected its disks (its agent reported the boot
# before) fails its verification with that reason, inside the settle time,
# and goes back to PV; a good guest of the same wave is done. The plan
# keeps the setting (status --json), and the dry run says it.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
mig_setup

guest_add good debian12-bookworm
guest_add late debian12-bookworm crash
echo 4 >"$MIG_DIR/late/crash-after"
guests_up
plan good late --canary 2 --max-failures 10 --boot-timeout 120 --agent-settle 15 >/dev/null || fail "plan"
expect_eq "the plan's agent_settle" 15 "$(status_json | jq -r .agent_settle)"
mig run --dry-run >"$T/dry.txt" || fail "dry run: $(cat "$T/dry.txt")"
grep -q 'then 15 s more without a crash, shutdown or restart' "$T/dry.txt" ||
	fail "the dry run does not say the settle time: $(cat "$T/dry.txt")"

rc=0
mig run --json >"$T/run.jsonl" 2>"$T/run.err" || rc=$?
# 2: the waves ran, one guest done and one not.
expect_eq "run's exit status" 2 "$rc"
expect_pvh good
expect_pv late failed
reason=$(greason late)
echo "late: $reason"
want='booted as PVH, then within 15 s: the toolstack shows it crashed'
case $reason in
*"$want"*) ;;
*) fail "late: reason '$reason', expected '$want'" ;;
esac
grep -q "^crash late [0-9]*$" "$MIG_DIR/xl.log" || fail "the stand-in's guest did not crash: $(cat "$MIG_DIR/xl.log")"
# Its agent had reported the PVH boot: the settle time, not the boot, failed it.
failed=$(jq -r 'select(.event == "step-failed" and .guest == "late") | .step' "$T/run.jsonl" | head -n 1)
expect_eq "the step that failed" verify "$failed"

echo "ok"
