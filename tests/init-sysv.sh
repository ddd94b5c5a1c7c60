#!/bin/sh
# The SysV init script (dist/sysv/pvh-agent) with the agent of this build on
# the simulated host: start returns once the daemon is in the background
# with its pid file, and it publishes; start again is a no-op; status says
# running (0), then stopped (3); reload sends SIGHUP; stop ends it and the
# pid file goes; a start that cannot succeed (no such root) fails; outside a
# Xen guest nothing starts. The script runs in a mount namespace of its own
# where /etc/default holds the test's settings (its DAEMON, state directory,
# pid file and XENSTORED_PATH) and systemd looks absent, so that Debian's
# init-functions does not hand the script over to systemctl.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent
command -v unshare >/dev/null || skip "unshare is missing"
unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"
test_tmpdir
SCRIPT=$top_srcdir/dist/sysv/pvh-agent
PIDFILE=$T/pvh-agent.pid

H=$T/h
sim_start "$H" >/dev/null
"$XENSIM" create "$H" 8 sysv >/dev/null || fail "create"
make_root debian12-bookworm "$T/root"
mkdir -p "$T/default"

# settings OPTS XENSTORED_PATH: the /etc/default/pvh-agent the script reads.
settings() {
	cat >"$T/default/pvh-agent" <<EOS
DAEMON=$AGENT
STATE_DIR=$T/state
PIDFILE=$PIDFILE
PVH_AGENT_OPTS="-v --root $1"
XENSTORED_PATH=$2
EOS
}

# init ACTION: the script, as root in a namespace with our /etc/default.
init() {
	unshare -m sh -c '
		mount --bind "$1" /etc/default || exit 99
		if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd || exit 99; fi
		exec sh "$2" "$3"' sh "$T/default" "$SCRIPT" "$1"
}

guest_sock=$(sim_env "$H" 8 | sed 's/^XENSTORED_PATH=//')
settings "$T/root" "$guest_sock"

out=$(init start) || fail "start: $out"
echo "start: $out"
[ -s "$PIDFILE" ] || fail "no pid file after start returned"
pid=$(cat "$PIDFILE")
track "$pid"
expect_eq "the daemon" "pvh-agent" "$(cat "/proc/$pid/comm")"
wait_state "$H" 8 verdict ready
out=$(init start) || fail "a second start: $out"
case $out in *"already running (pid $pid)"*) ;; *) fail "a second start: $out" ;; esac

out=$(init status)
expect_eq "status while running" "0 pvh-agent is running (pid $pid)." "$? $out"
instance=$(state_key "$H" 8 agent/instance)
"$XENSIM" restart-xenstored "$H" >/dev/null || fail "restart-xenstored"
# After the restart the store is empty; SIGHUP (reload) republishes at once
# (it would also reconnect by itself, later).
out=$(init reload) || fail "reload: $out"
wait_state "$H" 8 agent/instance "$instance"
expect_eq "the daemon after reload" "$pid" "$(cat "$PIDFILE")"

out=$(init stop) || fail "stop: $out"
echo "stop: $out"
# Its parent is the test harness, which reaps it only at the end: a zombie is gone.
state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
[ -z "$state" ] || [ "$state" = Z ] || fail "the agent still runs after stop (state $state)"
[ -e "$PIDFILE" ] && fail "the pid file is left after stop"
init status >/dev/null
expect_eq "status once stopped" 3 "$?"
out=$(init stop) || fail "stop when stopped: $out"

echo "# a start that cannot succeed fails, and leaves nothing running"
settings "$T/no-such-root" "$guest_sock"
out=$(init start) && fail "start with no root succeeded: $out"
echo "start: $out"
[ -e "$PIDFILE" ] && fail "a pid file after a failed start"

echo "# outside a Xen guest nothing starts"
if [ ! -e /dev/xen/xenbus ] && [ ! -e /proc/xen/xenbus ]; then
	settings "$T/root" ""
	out=$(init start) || fail "start outside Xen: $out"
	case $out in *"not a Xen guest"*) ;; *) fail "start outside Xen: $out" ;; esac
	[ -e "$PIDFILE" ] && fail "started outside a Xen guest"
fi
echo PASS
