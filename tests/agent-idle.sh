#!/bin/sh
# Zero cost at idle: once the agent has published, it sends nothing to
# xenstored and wakes up never while nothing changes (no watchdog asked for),
# counted over IDLE_SECONDS (30) in xenstored's own trace and in the kernel's
# context-switch counters of every agent thread.
# Before that, 2 s after its publication, it gives back the program pages
# its start ran (one wake-up, logged): its resident set shrinks, and it
# still answers a ping and a probe afterwards, running code it gave back.
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
env "$(sim_env "$H" 7)" unshare -n "$AGENT" daemon -f -v --root "$T/root" --state-dir "$T/state" \
	>>"$T/agent-7.log" 2>&1 &
AGENT_PID=$!
track "$AGENT_PID"
wait_state "$H" 7 verdict ready
rss() { awk '$1 == "Rss:" { print $2 }' /proc/"$AGENT_PID"/smaps_rollup; }
trimmed() { grep -q 'Gave back the pages of [0-9]* KiB of code and constants' "$T/agent-7.log"; }
# Read before the pages are given back, unless this machine was too slow.
trimmed_early=no
rss_before=$(rss)
trimmed && trimmed_early=yes
wait_for 100 trimmed || fail "the agent did not give back its pages: $(tail -n 5 "$T/agent-7.log")"
gave=$(sed -n 's/.*Gave back the pages of \([0-9]*\) KiB of code and constants.*/\1/p' "$T/agent-7.log" | tail -n 1)
rss_after=$(rss)
echo "gave back $gave KiB; RSS $rss_before KiB before, $rss_after KiB after"
[ "$gave" -gt 0 ] || fail "it gave back 0 KiB"
[ $trimmed_early = yes ] || [ "$rss_after" -lt "$rss_before" ] ||
	fail "RSS did not shrink: $rss_before KiB before, $rss_after KiB after"

switches() { # total context switches of every thread of the agent
	cat /proc/"$AGENT_PID"/task/*/status 2>/dev/null |
		awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'
}
# Let the first publish and the pages given back settle, then count.
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

# It still works, on code it gave back: a ping and a probe.
dom0() { env "$(sim_env "$H" 0)" "$@"; }
dom0 xenstore-write /local/domain/7/control/pvh/request "" || fail "create the request node"
dom0 xenstore-chmod /local/domain/7/control/pvh/request n7 || fail "chmod the request node"
id1=0e1c2d3e-0a1b-4c2d-8e3f-a0b1c2d3e4f5
id2=0e1c2d3e-0a1b-4c2d-8e3f-a0b1c2d3e4f6
dom0 xenstore-write /local/domain/7/control/pvh/request "$id1 ping" || fail "ping"
wait_state "$H" 7 "answer/$id1/state" done
expect_eq "ping message" pong "$(state_key "$H" 7 "answer/$id1/message")"
dom0 xenstore-write /local/domain/7/control/pvh/request "$id2 probe" || fail "probe"
wait_state "$H" 7 "answer/$id2/state" done
expect_eq "probe message" "verdict ready" "$(state_key "$H" 7 "answer/$id2/message")"
kill -0 "$AGENT_PID" || fail "the agent died: $(cat "$T/agent-7.log")"
echo PASS
