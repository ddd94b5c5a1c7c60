#!/bin/sh
# The fleet view end to end: Debian's real Prometheus server scrapes two
# pvh-monitor serve, each on a simulated host of its own, and evaluates the
# rules of contrib/prometheus (their for: durations shortened to 0s). On host
# a, a real pvh-agent runs on the tree of a 32-bit guest running as PV whose
# next-boot kernel has no CONFIG_XEN_PV. Through Prometheus's HTTP API: every
# guest's series with its host's label, the next boot failing on host a, the
# alert PvhGuestNextBootFails firing for that guest with host="a" (and no
# other), and every metric the dashboard and the rules name among the series.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_monitor
require_agent
command -v prometheus >/dev/null || skip "prometheus is not installed (package prometheus)"
command -v curl >/dev/null || skip "curl is not installed"
command -v python3 >/dev/null || skip "python3 is not installed (to pick a free port)"
test_tmpdir

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Host a: the real agent on the 686-pae tree, and a fake fixable guest.
HA=$T/a
sim_start "$HA"
"$XENSIM" create "$HA" 1 upgraded32 || fail "create"
"$XENSIM" create "$HA" 2 web2 || fail "create"
make_root debian12-686pae-pv-next "$T/root32"
start_agent "$HA" 1 "$T/root32"
H=$HA
guest_publish 2 fixable-console
wait_state "$HA" 1 checks/next_boot_mode/status fail

# Host b: two fake guests, and a planned migration.
HB=$T/b
sim_start "$HB"
"$XENSIM" create "$HB" 1 web1 || fail "create"
"$XENSIM" create "$HB" 2 db1 || fail "create"
H=$HB
guest_publish 1 ready-debian12
guest_publish 2 blocked-old-kernel

H=$HA DB=$T/a.db
serve_start
URL_A=$URL PORT_A=$PORT
cp "$T/serve.err" "$T/serve-a.err"
H=$HB DB=$T/b.db
serve_start
URL_B=$URL PORT_B=$PORT
# The plan pings web1's agent: this one answers.
guest_agent 1 ready
monitor migrate plan --db "$DB" --config-hook /bin/true web1 >/dev/null || fail "plan on host b"
# A request the real agent answers, for the requests' counter.
H=$HA
expect_eq "ping" "1 upgraded32: done: pong" "$(monitor request --db "$T/a.db" upgraded32 ping)"

# Prometheus, its own storage, a short scrape interval, the shipped rules at once.
PP=$(free_port) || skip "no free port"
mkdir -p "$T/prom"
sed 's/^\( *for: \).*/\10s/' "$top_srcdir/contrib/prometheus/pvh-monitor.rules.yml" >"$T/prom/rules.yml"
cat >"$T/prom/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - rules.yml
scrape_configs:
  - job_name: pvh-monitor
    static_configs:
      - targets: ['127.0.0.1:$PORT_A']
        labels:
          host: a
      - targets: ['127.0.0.1:$PORT_B']
        labels:
          host: b
EOC
prometheus --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
	--web.listen-address="127.0.0.1:$PP" --log.level=warn >"$T/prom.log" 2>&1 &
track $!
PROM=http://127.0.0.1:$PP
ready() { curl -sf --max-time 5 "$PROM/-/ready" >/dev/null; }
wait_for 600 ready || skip "prometheus cannot run here: $(tail -n 5 "$T/prom.log")"

# q EXPR: the query's result, one "host name value" line per series, sorted.
q() {
	curl -sf --max-time 10 -G "$PROM/api/v1/query" --data-urlencode "query=$1" >"$T/q.json" &&
		jq -r '.data.result[] | "\(.metric.host) \(.metric.name // "-") \(.value[1])"' "$T/q.json" | sort
}
infos() { [ "$(q 'count by (host) (pvh_guest_info)' | tr '\n' ' ')" = "a - 2 b - 2 " ]; }
wait_for 600 infos || fail "guests by host: $(q 'count by (host) (pvh_guest_info)')"
expect_eq "the next boot fails on host a" "a upgraded32 1" "$(q 'pvh_guest_next_boot_fails == 1')"
expect_eq "its info" "a upgraded32 1" "$(q 'pvh_guest_info{arch="i686",verdict="ready",os="debian"}')"
expect_eq "web1 on host b" "b web1 1" "$(q 'pvh_guest_info{name="web1"}')"
expect_eq "the migration on host b" "b - 1" "$(q 'pvh_migration_guests{state="pending"}')"
expect_eq "both serve connected" "a - 1
b - 1" "$(q 'pvh_monitor_xenstore_connected')"

alerts() {
	curl -sf --max-time 10 "$PROM/api/v1/alerts" >"$T/alerts.json" &&
		jq -r '.data.alerts[] | select(.state == "firing") | "\(.labels.alertname) \(.labels.host) \(.labels.name // "-")"' \
			"$T/alerts.json" | sort
}
firing() { alerts | grep -qx 'PvhGuestNextBootFails a upgraded32'; }
wait_for 600 firing || fail "the alert does not fire: $(cat "$T/alerts.json")"
expect_eq "firing alerts" "PvhGuestNextBootFails a upgraded32" "$(alerts)"
jq -e '.data.alerts[] | select(.labels.alertname == "PvhGuestNextBootFails") |
	.annotations.summary == "upgraded32 will not boot at its next reboot"' "$T/alerts.json" >/dev/null ||
	fail "the alert's summary: $(cat "$T/alerts.json")"

# Every metric the dashboard and the rules name is one Prometheus has.
# a's ping above, and b's plan's ping of web1.
counted() { [ "$(q 'sum by (host) (pvh_monitor_requests_total)' | tr '\n' ' ')" = "a - 1 b - 1 " ]; }
wait_for 300 counted || fail "the ping is not counted: $(q 'pvh_monitor_requests_total')"
curl -sf --max-time 10 "$PROM/api/v1/label/__name__/values" | jq -r '.data[]' | sort >"$T/names" ||
	fail "metric names"
{ jq -r '.panels[].targets[].expr' "$top_srcdir/contrib/grafana/pvh-fleet.json"
	sed -n 's/^ *expr: //p' "$top_srcdir/contrib/prometheus/pvh-monitor.rules.yml"; } |
	grep -o 'pvh_[a-z_]*' | sort -u >"$T/used"
comm -23 "$T/used" "$T/names" >"$T/missing"
[ ! -s "$T/missing" ] || fail "named but not scraped: $(cat "$T/missing")"
exit 0
