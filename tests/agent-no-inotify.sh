#!/bin/sh
# An agent that inotify refuses (its per-user instance limit, as when many
# agents share one kernel, or a sandbox) still starts and publishes, and reads
# the files it would have watched on a timer: a new kernel and a changed
# owner's file reach the published state without an event. The test hook
# PVH_AGENT_NO_INOTIFY refuses inotify; PVH_AGENT_FS_POLL=1 makes the timer
# fire every second instead of every 10 minutes.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent
require_fault_injection
test_tmpdir

H=$T/h
sim_start "$H" >/dev/null
"$XENSIM" create "$H" 5 noinotify >/dev/null || fail "create"
make_root debian12-bookworm "$T/root"
LOG=$T/agent-5.log

env "$(sim_env "$H" 5)" PVH_AGENT_NO_INOTIFY=1 PVH_AGENT_FS_POLL=1 "$AGENT" daemon -f -v \
	--root "$T/root" --state-dir "$T/state" >>"$LOG" 2>&1 &
AGENT_PID=$!
track "$AGENT_PID"
wait_for 100 state "$H" 5 || fail "no valid state without inotify: $(cat "$LOG")"
expect_eq "verdict" ready "$(state_key "$H" 5 verdict)"
grep -q 'Cannot watch the boot files and /etc/pvh-agent/agent.conf: Too many open files; reading them every 1 s instead' "$LOG" ||
	fail "the agent did not say that it reads the files on a timer: $(cat "$LOG")"
echo "ok: published without inotify"

echo "# a new kernel without PVH support becomes the default: the timer finds it"
install_pv_kernel "$T/root"
wait_state "$H" 5 next_boot/release 6.1.0-99-amd64
wait_state "$H" 5 checks/kernel_pvh/status fail
echo "ok: the new kernel is published"

echo "# the owner's file turns prepare off: the timer reads it"
mkdir -p "$T/root/etc/pvh-agent"
printf 'prepare = deny\n' >"$T/root/etc/pvh-agent/agent.conf"
wait_state "$H" 5 agent/actions "ping probe rollback"
echo "ok: the owner's file is read"
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
echo PASS
