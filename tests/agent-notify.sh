#!/bin/sh
# The agent speaks the notification protocol of sd_notify(3) as a
# Type=notify service, through shared/notify (no libsystemd): READY=1 only
# after the state is published, STATUS= with the verdict, WATCHDOG=1 at half
# of WATCHDOG_USEC, STOPPING=1 on SIGTERM; to a socket file and to a name in
# the abstract namespace ($NOTIFY_SOCKET starting with '@'). A WATCHDOG_PID
# naming another process means the watchdog is not this one's to feed.
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

if ldd "$AGENT" 2>/dev/null | grep -q libsystemd; then
	fail "pvh-agent links libsystemd: $(ldd "$AGENT" | grep libsystemd)"
fi

# run_notified NAME MESSAGES [ENV...]: the agent notifying NAME, stopped after
# its watchdog was fed three times (or not, with a foreign WATCHDOG_PID).
run_notified() {
	_name=$1 _msgs=$2
	shift 2
	"$LISTEN" "$_name" "$_msgs" &
	_lpid=$!
	track "$_lpid"
	# The listener creates its output file once it is bound.
	wait_for 50 test -e "$_msgs" || fail "the listener on $_name did not start"
	NOTIFY_SOCKET=$_name start_agent "$H" 6 "$T/root" "$@"
	wait_line "$_msgs" READY=1
	# READY=1 means published: the state is there, complete, as soon as it is sent.
	state "$H" 6 >/dev/null || fail "$_name: READY=1 came before a complete state was published"
	grep -qx "STATUS=verdict ready; xenstore connected" "$_msgs" ||
		fail "$_name: no STATUS with the verdict: $(cat "$_msgs")"
}

stop_notified() {
	kill "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	wait_line "$_msgs" STOPPING=1
	kill "$_lpid"
	wait "$_lpid" 2>/dev/null
	echo "$_name: $(sort "$_msgs" | uniq -c | tr -s ' \n' ' ')"
}

watchdog_fed() {
	[ "$(grep -cx WATCHDOG=1 "$1")" -ge 3 ]
}

# 400 ms: the watchdog must be fed every 200 ms.
export WATCHDOG_USEC=400000
run_notified "$T/notify" "$T/messages"
wait_for 100 watchdog_fed "$T/messages" || fail "the watchdog is not fed: $(cat "$T/messages")"
stop_notified

run_notified "@pvh-test-notify/$$" "$T/messages-abstract"
wait_for 100 watchdog_fed "$T/messages-abstract" ||
	fail "the watchdog is not fed through the abstract socket: $(cat "$T/messages-abstract")"
stop_notified

# The watchdog settings of a parent: WATCHDOG_PID is not the agent's pid.
WATCHDOG_PID=$$ run_notified "$T/notify-foreign" "$T/messages-foreign"
# Ten intervals without a WATCHDOG=1.
sleep 2
grep -qx WATCHDOG=1 "$T/messages-foreign" && fail "fed a watchdog whose WATCHDOG_PID is another process"
stop_notified
echo PASS
