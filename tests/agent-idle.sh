#!/bin/sh
# Zero cost at idle: once the agent has published, it sends nothing to
# xenstored and wakes up never while nothing changes (no watchdog asked for),
# counted over IDLE_SECONDS (30) in xenstored's own trace and in the kernel's
# context-switch counters of every agent thread.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent
unshare -n true 2>/dev/null || skip "cannot create a network namespace here"
test_tmpdir
idle=${IDLE_SECONDS:-30}

H=$T/h
TEST_HOSTS="$TEST_HOSTS $H"
"$XENSIM" start "$H" -- -T "$H/trace" >/dev/null || fail "xensim start with a trace"
"$XENSIM" create "$H" 7 quiet >/dev/null || fail "create"
"$XENSIM" create "$H" 8 other >/dev/null || fail "create"
make_root debian12-bookworm "$T/root"

# In a network namespace of its own, so that no address change on this
# machine reaches it.
env "$(sim_env "$H" 7)" unshare -n "$AGENT" daemon -f --root "$T/root" --state-dir "$T/state" \
	>>"$T/agent-7.log" 2>&1 &
AGENT_PID=$!
track "$AGENT_PID"
wait_state "$H" 7 verdict ready

switches() { # total context switches of every thread of the agent
	cat /proc/"$AGENT_PID"/task/*/status 2>/dev/null |
		awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'
}
# Let the first publish settle, then count.
sleep 1
mark=$("$XENSIM" trace-mark "$H") || fail "trace-mark"
before=$(switches)
as "$H" 8 xenstore-write data/noise 1 || fail "a write by another guest"
sleep "$idle"
requests=$("$XENSIM" trace-count "$H" 7 --since "$mark") || fail "trace-count"
others=$("$XENSIM" trace-count "$H" 8 --since "$mark") || fail "trace-count"
after=$(switches)
kill -0 "$AGENT_PID" || fail "the agent died: $(cat "$T/agent-7.log")"
echo "idle ${idle}s: $requests xenstore requests from the agent's domain, $((after - before)) context switches"
[ "$others" -ge 1 ] || fail "the trace did not count guest 8's write: is counting broken?"
expect_eq "xenstore requests at idle" 0 "$requests"
expect_eq "context switches at idle" 0 "$((after - before))"
echo PASS
