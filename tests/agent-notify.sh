#!/bin/sh
# The agent speaks sd_notify(3) as a Type=notify service: READY=1 only after
# the state is published, STATUS= with the verdict, WATCHDOG=1 at half of
# WATCHDOG_USEC, STOPPING=1 on SIGTERM.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent
LISTEN=$top_builddir/tests/agent/notify-listen
[ -x "$LISTEN" ] || skip "$LISTEN is not built"
test_tmpdir

H=$T/h
sim_start "$H" >/dev/null
"$XENSIM" create "$H" 6 notified >/dev/null || fail "create"
make_root debian12-bookworm "$T/root"

"$LISTEN" "$T/notify" "$T/messages" &
track $!
wait_for 50 test -S "$T/notify" || fail "the listener did not start"

# 400 ms: the watchdog must be fed every 200 ms.
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=400000 start_agent "$H" 6 "$T/root"
wait_line "$T/messages" READY=1
# READY=1 means published: the state is there, complete, as soon as it is sent.
state "$H" 6 >/dev/null || fail "READY=1 came before a complete state was published"
grep -qx "STATUS=verdict ready; xenstore connected" "$T/messages" ||
	fail "no STATUS with the verdict: $(cat "$T/messages")"
wait_for 100 sh -c "[ \$(grep -cx WATCHDOG=1 '$T/messages') -ge 3 ]" ||
	fail "the watchdog is not fed: $(cat "$T/messages")"
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
wait_line "$T/messages" STOPPING=1
echo "messages: $(sort "$T/messages" | uniq -c | tr -s ' \n' ' ')"
echo PASS
