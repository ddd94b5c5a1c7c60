# Helpers for the monitor's tests; sourced after tests/lib.sh's conventions.
. "$top_srcdir/tests/lib.sh"

MONITOR=$top_builddir/pvh-monitor
FAKE_GUEST=$top_builddir/tests/monitor/fake-guest
FIXTURES=$top_srcdir/tests/monitor/guests
GOLDEN=$top_srcdir/tests/monitor/golden

require_monitor() {
	require_sim
	[ -x "$MONITOR" ] || skip "$MONITOR is not built"
	[ -x "$FAKE_GUEST" ] || skip "$FAKE_GUEST is not built (make check builds it)"
	command -v jq >/dev/null || skip "jq is not installed"
}

# monitor ARGS...: pvh-monitor as dom0 of host $H.
monitor() {
	as "$H" 0 "$MONITOR" "$@"
}

# guest_publish DOMID FIXTURE: the guest's state as its agent would publish it.
guest_publish() {
	as "$H" "$1" "$FAKE_GUEST" publish "$FIXTURES/$2" || fail "publish $2 as $1"
}

# guest_agent DOMID [VERDICT]: something answering the guest's requests, in the
# background until the test ends. The one place to swap in the real agent.
guest_agent() {
	env "$(sim_env "$H" "$1")" "$FAKE_GUEST" answer "${2:-fixable}" &
	track $!
	AGENT_PID=$!
}

# create_guests LIST: "DOMID NAME FIXTURE|-" lines; creates and publishes.
create_guests() {
	while read -r _d _n _f _rest; do
		case $_d in '#'* | '') continue ;; esac
		"$XENSIM" create "$H" "$_d" "$_n" || fail "create $_d"
		[ "$_f" = - ] || guest_publish "$_d" "$_f"
	done <"$1"
}

# serve_start [ARGS...]: pvh-monitor serve on $DB in the background, on a
# free loopback port; sets SERVE (its pid), URL and PORT.
serve_start() {
	: >"$T/serve.err"
	env "$(sim_env "$H" 0)" "$MONITOR" serve --db "$DB" --listen 127.0.0.1:0 "$@" 2>"$T/serve.err" &
	SERVE=$!
	track $SERVE
	wait_for 300 grep -q 'Serving metrics on' "$T/serve.err" || fail "serve did not start: $(cat "$T/serve.err")"
	URL=$(sed -n 's|.*\(http://127.0.0.1:[0-9]*/metrics\).*|\1|p' "$T/serve.err")
	PORT=$(echo "$URL" | sed 's|http://127.0.0.1:\([0-9]*\)/.*|\1|')
}

# no_duplicate_keys FILE: no object in the JSON document has a key twice (jq
# keeps only the last one; its stream shows every value with its path).
no_duplicate_keys() {
	jq -c --stream 'select(length == 2) | .[0]' "$1" | sort | uniq -d >"$1.dups"
	[ ! -s "$1.dups" ] || fail "duplicate keys in $1: $(head -n 5 "$1.dups")"
}
