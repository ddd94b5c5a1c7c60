#!/bin/sh
# The agent daemon on a simulated host, against the real xenstored: the state
# it publishes is complete and valid, follows a kernel install, takes ping and
# probe requests once only, and a restarted agent leaves no stale keys.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent
test_tmpdir

H=$T/h
sim_start "$H" >/dev/null
"$XENSIM" create "$H" 3 bookworm >/dev/null || fail "create"
make_root debian12-bookworm "$T/root"

echo "# the published state is complete and valid"
start_agent "$H" 3 "$T/root"
wait_for 100 state "$H" 3 || { state "$H" 3; fail "no complete, valid state: $(cat "$T/agent-3.log")"; }
state "$H" 3 >"$T/state1" || fail "invalid state"
for kv in schema=1.5 guest_type=PV verdict=ready kernel/release=6.1.0-47-amd64 kernel/arch=x86_64 \
	os/id=debian os/version_id=12 "agent/actions=ping probe prepare rollback" checks/console/status=pass \
	next_boot/kernel=/boot/vmlinuz-6.1.0-47-amd64 next_boot/release=6.1.0-47-amd64; do
	grep -qxF "$kv" "$T/state1" || fail "missing $kv in: $(cat "$T/state1")"
done
instance=$(state_key "$H" 3 agent/instance)
[ -n "$instance" ] || fail "no agent/instance"
# The summary repeats them, written in the same transaction.
# (xenstore-read escapes its newlines.)
summary() { as "$H" 0 xenstore-read /local/domain/3/data/pvh/summary | sed 's/\\n/\n/g'; }
for kv in schema=1.5 verdict=ready checks/console/status=pass "agent/instance=$instance"; do
	summary | grep -qxF "$kv" || fail "the summary lacks $kv: $(summary)"
done
summary | grep -q reason && fail "the summary repeats a reason: $(summary)"
echo "ok: $(wc -l <"$T/state1") valid keys, verdict ready"

echo "# a new kernel without PVH support becomes the default: the verdict follows"
install_pv_kernel "$T/root"
wait_state "$H" 3 next_boot/release 6.1.0-99-amd64
wait_state "$H" 3 checks/kernel_pvh/status fail
verdict=$(state_key "$H" 3 verdict)
[ "$verdict" = blocked ] || fail "verdict after the install: '$verdict', expected blocked"
[ -n "$(state_key "$H" 3 checks/kernel_pvh/fix)" ] || fail "the failing check says not what to do"
echo "ok: verdict ready -> blocked, kernel_pvh fails with a fix"

echo "# requests: ping, probe, a repeated id, a malformed request"
dom0() { env "$(sim_env "$H" 0)" "$@"; }
dom0 xenstore-write /local/domain/3/control/pvh/request "" || fail "create the request node"
dom0 xenstore-chmod /local/domain/3/control/pvh/request n3 || fail "chmod the request node"
id1=6f1c2d3e-0a1b-4c2d-8e3f-a0b1c2d3e4f5
id2=6f1c2d3e-0a1b-4c2d-8e3f-a0b1c2d3e4f6
dom0 xenstore-write /local/domain/3/control/pvh/request "$id1 ping"
wait_state "$H" 3 "answer/$id1/state" done
expect_eq "ping message" pong "$(state_key "$H" 3 "answer/$id1/message")"
expect_eq "request node emptied" "" "$(dom0 xenstore-read /local/domain/3/control/pvh/request)"
dom0 xenstore-write /local/domain/3/control/pvh/request "$id2 probe"
wait_state "$H" 3 "answer/$id2/state" done
expect_eq "probe message" "verdict blocked" "$(state_key "$H" 3 "answer/$id2/message")"
expect_eq "last_request" "$id2" "$(state_key "$H" 3 last_request)"
for kv in verdict=blocked "last_request=$id2" "answer/$id2/state=done" "answer/$id2/action=probe"; do
	summary | grep -qxF "$kv" || fail "the summary lacks $kv after the probe: $(summary)"
done
# The same id again: its answer stands and it does not run again.
dom0 xenstore-rm "/local/domain/3/data/pvh/answer/$id1/message" 2>/dev/null || true
dom0 xenstore-write /local/domain/3/control/pvh/request "$id1 ping"
wait_for 50 sh -c "[ -z \"\$(env '$(sim_env "$H" 0)' xenstore-read /local/domain/3/control/pvh/request)\" ]" ||
	fail "the repeated request was not taken"
expect_eq "repeated id: message not rewritten" "" "$(state_key "$H" 3 "answer/$id1/message")"
dom0 xenstore-write /local/domain/3/control/pvh/request "not-a-request;rm -rf /"
wait_state "$H" 3 answer/00000000-0000-0000-0000-000000000000/state failed
expect_eq "malformed reason" malformed "$(state_key "$H" 3 answer/00000000-0000-0000-0000-000000000000/reason)"
state "$H" 3 --answers >/dev/null || fail "answers are not valid protocol values"
echo "ok: ping, probe, once-only and malformed requests answered"

echo "# xenstored restarts (an empty store): the agent reconnects and republishes"
"$XENSIM" restart-xenstored "$H" || fail "restart-xenstored"
wait_for 100 state "$H" 3 || fail "no valid state after xenstored restarted: $(tail -n 5 "$T/agent-3.log")"
expect_eq "instance after reconnecting" "$instance" "$(state_key "$H" 3 agent/instance)"
grep -q "Lost the connection to xenstore" "$T/agent-3.log" || fail "the agent did not notice"
grep -q "Connected to xenstore; publishing everything again" "$T/agent-3.log" || fail "no reconnect logged"
# It takes requests again: the watch was set anew.
dom0 xenstore-write /local/domain/3/control/pvh/request "" || fail "create the request node"
dom0 xenstore-chmod /local/domain/3/control/pvh/request n3 || fail "chmod the request node"
id3=6f1c2d3e-0a1b-4c2d-8e3f-a0b1c2d3e4f7
dom0 xenstore-write /local/domain/3/control/pvh/request "$id3 ping"
wait_state "$H" 3 "answer/$id3/state" done
echo "ok: republished after the restart, requests taken again"

echo "# a refused write is logged once; the agent keeps running and publishes once allowed"
dom0 xenstore-chmod -r /local/domain/3/data/pvh n0 r3 || fail "chmod data/pvh"
# Something to put right, which the agent may no longer write.
dom0 xenstore-write /local/domain/3/data/pvh/verdict unknown || fail "dom0 write"
kill -HUP "$AGENT_PID"
wait_for 100 grep -q "xenstore refused the guest state" "$T/agent-3.log" || fail "no refusal logged"
# Two more attempts, one at a time (pending signals merge): refused again, not logged again.
for k in 1 2; do
	kill -HUP "$AGENT_PID"
	wait_for 100 sh -c "[ \$(grep -c 'still refuses' '$T/agent-3.log') -ge $k ]" ||
		fail "attempt $k after the refusal not seen"
done
expect_eq "refusals logged" 1 "$(grep -c 'xenstore refused the guest state' "$T/agent-3.log")"
kill -0 "$AGENT_PID" || fail "the agent died after a refused write"
dom0 xenstore-chmod -r /local/domain/3/data/pvh n3 || fail "chmod data/pvh back"
as "$H" 3 xenstore-write data/pvh/verdict stale || fail "guest write"
kill -HUP "$AGENT_PID"
wait_state "$H" 3 verdict blocked
echo "ok: one refusal logged, published again once allowed"

echo "# kill -9 and restart: no stale keys, answers kept"
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
as "$H" 3 xenstore-write data/pvh/stale/key leftover || fail "guest write"
as "$H" 3 xenstore-write data/pvh/net/7/name ghost || fail "guest write"
start_agent "$H" 3 "$T/root"
wait_for 100 sh -c "! env '$(sim_env "$H" 0)' xenstore-read /local/domain/3/data/pvh/agent/instance | grep -qx '$instance'" ||
	fail "the restarted agent did not publish a new instance"
wait_for 100 state "$H" 3 || fail "no valid state after the restart"
state "$H" 3 --answers >"$T/state2"
grep -q '^stale/' "$T/state2" && fail "stale key left: $(grep '^stale/' "$T/state2")"
grep -q '^net/7/' "$T/state2" && fail "stale interface left"
grep -q "^answer/$id3/state=done" "$T/state2" || fail "the restart removed an answer"
echo "ok: stale keys removed, answers kept"

kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
grep -q "Signal 15: stopping" "$T/agent-3.log" || fail "no orderly stop"
echo "PASS"
