#!/bin/sh
# serve's HTTP under more connections than it takes: one address holds at
# most 8 connections (the others are closed at once) while another address
# is still answered; 100 idle connections from 13 addresses fill all 64
# slots, and once they are closed the next scrape is answered (it used to
# wait for good). Pipelined requests are all answered, and aborted
# connections are not logged at the default level.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
command -v curl >/dev/null || skip "curl is not installed"
HTTP_CLIENT=$top_builddir/tests/monitor/http-client
[ -x "$HTTP_CLIENT" ] || skip "$HTTP_CLIENT is not built (make check builds it)"
[ -d /proc/self/fd ] || skip "no /proc"
test_tmpdir
H=$T/h
DB=$T/state.db
sim_start "$H"
"$XENSIM" create "$H" 1-2 || fail "create"
guest_publish 1 ready-debian12
guest_publish 2 fixable-console

# The limits serve documents in pvh-monitor(8).
LIMIT=64
PER_IP=8

# sockets: how many sockets serve holds (its listening and xenstore ones,
# and one per HTTP connection it accepted).
sockets() {
	find "/proc/$SERVE/fd" -lname 'socket:*' 2>/dev/null | wc -l
}
sockets_are() { [ "$(sockets)" -eq "$1" ]; }
# scrape_ok [CURL-ARGS...]: a scrape answered with the guests' metrics; the
# time limit only keeps a wedged server from hanging the test.
scrape_ok() {
	curl -sf --max-time 20 "$@" "$URL" >"$T/metrics" &&
		grep -q '^pvh_monitor_guests{guest_type="PV",verdict="ready"} 1$' "$T/metrics"
}
# hold N SRC...: N idle connections from the addresses SRC, until unhold.
hold() {
	: >"$T/hold.out"
	"$HTTP_CLIENT" hold "127.0.0.1:$PORT" "$@" >"$T/hold.out" &
	HOLD=$!
	track $HOLD
	wait_line "$T/hold.out" "opened $1"
}
unhold() {
	kill $HOLD
	wait $HOLD 2>/dev/null || true
}

serve_start
wait_for 300 scrape_ok || fail "first scrape: $(cat "$T/metrics")"
base=$(sockets)

echo "# pipelining: three requests in one write, three answers"
expect_eq "answers to 3 pipelined requests" 3 "$("$HTTP_CLIENT" pipeline "127.0.0.1:$PORT" /metrics 3)"

echo "# the per-address limit: 20 connections from 127.0.0.2, $PER_IP kept"
hold 20 127.0.0.2
wait_for 300 sockets_are $((base + PER_IP)) || fail "held $(($(sockets) - base)) connections, expected $PER_IP"
curl -s --max-time 20 --interface 127.0.0.2 -o /dev/null "$URL" &&
	fail "a connection over the per-address limit was answered"
scrape_ok || fail "another address was not answered while one is at its limit"
sockets_are $((base + PER_IP)) || fail "the limited address holds $(($(sockets) - base)) connections"
unhold
wait_for 300 sockets_are "$base" || fail "connections not closed: $(sockets) sockets"
scrape_ok --interface 127.0.0.2 || fail "127.0.0.2 not answered after its connections closed"

echo "# 100 connections from 13 addresses: all $LIMIT slots taken, then freed"
for round in 1 2 3; do
	hold 100 $(seq -f '127.0.0.%g' 2 14)
	wait_for 300 sockets_are $((base + LIMIT)) ||
		fail "round $round: serve holds $(($(sockets) - base)) connections, expected $LIMIT"
	# serve sleeps while the clients go, so that it finds every connection
	# closed at once, in one round, as a busy host would.
	kill -STOP $SERVE
	unhold
	kill -CONT $SERVE
	wait_for 300 sockets_are "$base" || fail "round $round: connections not closed: $(sockets) sockets"
	scrape_ok || fail "round $round: no answer after the connections closed (wedged)"
done

# Connections closed by their clients are no news at the default log level.
grep -v -e 'Database schema now at version' -e 'Serving metrics on' "$T/serve.err" >"$T/other" &&
	fail "serve logged: $(head -n 20 "$T/other")"

kill -TERM $SERVE
wait $SERVE || fail "serve did not exit cleanly on SIGTERM"
exit 0
