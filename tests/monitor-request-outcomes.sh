#!/bin/sh
# Request outcomes beyond the round trip: an agent that restarts while the
# monitor waits (restarted, a final answer that wins, a request the new agent
# takes; with the real agent too), and the exit status of --all and --filter
# when some guests have no agent.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_monitor
require_agent
test_tmpdir
H=$T/h
sim_start "$H"
"$XENSIM" create "$H" 1 answers || fail "create"
"$XENSIM" create "$H" 2 bare || fail "create"
"$XENSIM" create "$H" 3 quiet || fail "create"
guest_publish 1 fixable-console
guest_publish 3 ready-debian12
guest_agent 1 fixable

# run_bg ARGS...: pvh-monitor request ARGS in the background, output in $T/out.
run_bg() {
	env "$(sim_env "$H" 0)" "$MONITOR" request "$@" >"$T/out" &
	REQ=$!
	track $REQ
}

# sent DOMID: the id of the request waiting in its node, once it is there.
node() {
	as "$H" 0 xenstore-read "/local/domain/$1/control/pvh/request" 2>/dev/null
}
waiting() {
	[ -n "$(node "$1")" ]
}
sent() {
	wait_for 300 waiting "$1" || fail "request never sent to $1"
	node "$1" | cut -d' ' -f1
}

# finish_bg: waits for the background request; rc is its exit status.
finish_bg() {
	set +e
	wait $REQ
	rc=$?
	set -e
}

# as_agent DOMID LINES: a "KEY VALUE" state update as the guest, one transaction.
as_agent() {
	printf '%s\n' "$2" >"$T/update"
	as "$H" "$1" "$FAKE_GUEST" publish "$T/update" || fail "publish as $1"
}

echo "# taken, then the agent restarts without a final answer: restarted"
run_bg --wait 10 --json quiet probe
id=$(sent 3)
as "$H" 3 "$XS_CLIENT" write control/pvh/request '' || fail "take"
as_agent 3 "answer/$id/state running
answer/$id/action probe"
as_agent 3 "agent/instance 11111111-2222-4333-8444-555555555555"
finish_bg
expect_eq "restarted exit status" 6 "$rc"
expect_eq "restarted" "restarted running" "$(jq -r '"\(.outcome) \(.state)"' "$T/out")"

echo "# a final answer published with the new instance wins"
run_bg --wait 10 --json quiet probe
id=$(sent 3)
as "$H" 3 "$XS_CLIENT" write control/pvh/request '' || fail "take"
as_agent 3 "answer/$id/state running
answer/$id/action probe"
as_agent 3 "agent/instance 22222222-2222-4333-8444-555555555555
answer/$id/state failed
answer/$id/reason interrupted
answer/$id/message the agent stopped while the request ran"
finish_bg
expect_eq "final answer exit status" 1 "$rc"
expect_eq "final answer" "failed interrupted" "$(jq -r '"\(.outcome) \(.reason)"' "$T/out")"

echo "# restarted before taking it: the new agent takes it from the node"
run_bg --wait 30 --json quiet ping
sent 3 >/dev/null
as_agent 3 "agent/instance 33333333-2222-4333-8444-555555555555"
guest_agent 3 ready
finish_bg
expect_eq "taken by the new agent" "0 done pong" "$rc $(jq -r '"\(.outcome) \(.message)"' "$T/out")"

echo "# the real agent, stopped when the request is sent and started again"
"$XENSIM" create "$H" 4 real || fail "create"
make_root debian12-bookworm "$T/root"
start_agent "$H" 4 "$T/root"
published() { monitor status --json real | jq -e '.[0].verdict == "ready"'; }
wait_for 300 published ||
	fail "the agent never published: $(cat "$T/agent-4.log")"
monitor request real ping >/dev/null || fail "ping the real agent"
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
run_bg --wait 60 --json real ping
sent 4 >/dev/null
start_agent "$H" 4 "$T/root"
finish_bg
expect_eq "real agent restarted" "0 done pong" "$rc $(jq -r '"\(.outcome) \(.message)"' "$T/out")"

echo "# --all: guests without an agent are reported, the exit status is the others'"
set +e
monitor request --all --json ping >"$T/all"
rc=$?
set -e
expect_eq "--all exit status" 0 "$rc"
expect_eq "--all outcomes" "1:done 2:no-agent 3:done 4:done" \
	"$(jq -r '"\(.domid):\(.outcome)"' "$T/all" | sort -n | tr '\n' ' ' | sed 's/ $//')"
# Named guests: no agent is a failure to reach it, as before.
set +e
monitor request answers bare ping >/dev/null
rc=$?
set -e
expect_eq "named guest without an agent" 6 "$rc"
# Nothing could be sent at all: the guests without an agent count.
set +e
monitor request --filter verdict=none ping >"$T/none"
rc=$?
set -e
expect_eq "--filter with nothing sent" "6 2 bare: no-agent" "$rc $(cat "$T/none")"
exit 0
