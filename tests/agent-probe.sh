#!/bin/sh
# The daemon probes in a child process: while a probe runs, however long,
# the agent answers requests and stops at once on SIGTERM; a probe that
# outlives its time is stopped and gives verdict unknown, with the reason in
# the checks; a hostile initramfs (64 segments of zero padding) is judged
# within the probe's budget, with the reason in its check.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent
require_fault_injection
test_tmpdir

H=$T/h
sim_start "$H" >/dev/null
dom0() { env "$(sim_env "$H" 0)" "$@"; }
# Running, not a zombie.
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
gone() { ! alive "$1"; }
req_n=0
send() { # DOMID ACTION: a new request; its id in $id
	req_n=$((req_n + 1))
	id=$(printf '5e1f0c2a-3b4d-4e5f-8a9b-%012d' "$req_n")
	dom0 xenstore-write "/local/domain/$1/control/pvh/request" "$id $2" || fail "send $2"
}
answer() { state_key "$H" "$1" "answer/$2/$3"; }
request_node() {
	dom0 xenstore-write "/local/domain/$1/control/pvh/request" "" &&
		dom0 xenstore-chmod "/local/domain/$1/control/pvh/request" "n$1" || fail "create the request node"
}
# A generous bound, so that the test fails rather than hangs; no timing is asserted.
long_wait() { wait_for 600 "$@"; }

echo "# a hostile initramfs: judged within the budget, the agent answering meanwhile"
"$XENSIM" create "$H" 4 padded >/dev/null || fail "create"
make_root initrd-zero-padding "$T/padded"
request_node 4
start_agent "$H" 4 "$T/padded"
send 4 ping
long_wait has_state "$H" 4 "answer/$id/state" done || fail "ping not answered: $(tail -n 5 "$T/agent-4.log")"
long_wait has_state "$H" 4 verdict unknown || fail "no verdict: $(tail -n 5 "$T/agent-4.log")"
reason=$(state_key "$H" 4 checks/blkfront/reason)
case $reason in
*"stopped at the probe's limit of 2 GiB decompressed"*) ;;
*) fail "blkfront reason: '$reason'" ;;
esac
echo "ok: $reason"
kill "$AGENT_PID"
long_wait gone "$AGENT_PID" || fail "the agent did not stop"

echo "# a probe that does not end: ping answered, nothing published yet, SIGTERM obeyed"
"$XENSIM" create "$H" 5 held >/dev/null || fail "create"
make_root debian12-bookworm "$T/root"
request_node 5
: >"$T/hold"
PVH_AGENT_PROBE_HOLD=$T/hold PVH_AGENT_PROBE_TIMEOUT=3600 start_agent "$H" 5 "$T/root"
send 5 ping
long_wait has_state "$H" 5 "answer/$id/state" done || fail "ping not answered while the probe runs"
expect_eq "ping message" pong "$(answer 5 "$id" message)"
expect_eq "verdict while the first probe runs" "" "$(state_key "$H" 5 verdict)"
kill "$AGENT_PID"
long_wait gone "$AGENT_PID" || fail "the agent ignored SIGTERM while a probe ran"
wait "$AGENT_PID"
expect_eq "exit status after SIGTERM" 0 "$?"
grep -q 'Signal 15: stopping' "$T/agent-5.log" || fail "no stop in the log: $(tail -n 5 "$T/agent-5.log")"
echo "ok"

echo "# a probe past its time: stopped, verdict unknown with the reason; a probe request waits for a probe"
PVH_AGENT_PROBE_HOLD=$T/hold PVH_AGENT_PROBE_TIMEOUT=2 start_agent "$H" 5 "$T/root"
long_wait has_state "$H" 5 verdict unknown || fail "no verdict after the probe's time: $(tail -n 5 "$T/agent-5.log")"
state "$H" 5 >"$T/state" || fail "the state published is not valid: $(cat "$T/state")"
for kv in guest_type=PV kernel/release=6.1.0-47-amd64 kernel/arch=x86_64 os/id=debian \
	"checks/blkfront/reason=the probe did not finish within 2 s and was stopped"; do
	grep -qxF "$kv" "$T/state" || fail "missing $kv in: $(cat "$T/state")"
done
send 5 probe
probe_id=$id
long_wait has_state "$H" 5 "answer/$probe_id/state" running || fail "the probe request is not running"
send 5 ping
long_wait has_state "$H" 5 "answer/$id/state" done || fail "ping not answered while a probe request runs"
expect_eq "a ping while a probe request runs" pong "$(answer 5 "$id" message)"
send 5 prepare
long_wait has_state "$H" 5 "answer/$id/state" failed || fail "prepare not answered while a probe request runs"
expect_eq "reason while a probe request runs" busy "$(answer 5 "$id" reason)"
rm "$T/hold"
long_wait has_state "$H" 5 "answer/$probe_id/state" done || fail "the probe request was not answered"
expect_eq "probe message" "verdict ready" "$(answer 5 "$probe_id" message)"
expect_eq "verdict" ready "$(state_key "$H" 5 verdict)"
kill "$AGENT_PID"
long_wait gone "$AGENT_PID" || fail "the agent did not stop"
echo PASS
