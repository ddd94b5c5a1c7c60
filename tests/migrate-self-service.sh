#!/bin/sh
# The owner's switch at the next boot on a simulated host with real agents:
# pvh-agent switch --at-next-boot publishes ~/data/pvh/switch, serve answers
# in ~/control/pvh/switch and pvh-agent status shows it. Without
# --self-service serve arms nothing and answers not-allowed; with it, and no
# migration to take the settings of, not-allowed too; a blocked guest is not
# ready; the owner's report-only policy refuses the request inside the guest;
# hostile values of the request node are ignored, and a guest cannot write
# an answer of its own. Allowed: the guest is armed (PVH in its file and its
# saved configuration, nothing restarted), --cancel disarms it (PV in both),
# armed again at once it is answered busy (--self-service-interval), and
# serve's metrics count each answer. With no interval it is armed again,
# and its own reboot through the stand-in switches it to PVH.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
command -v xenstore-write >/dev/null || skip "xenstore-write is not installed"
command -v curl >/dev/null || skip "curl is not installed"
mig_setup

saved_type() { sed -n 's/^type *= *"\(.*\)"/\1/p' "$MIG_DIR/$1/saved.cfg" 2>/dev/null; }

SERVES=0
serves_up() { [ "$(grep -c 'Serving metrics on' "$T/serve.log")" = "$SERVES" ]; }
serve_up() { # DB [--self-service]
	SERVES=$((SERVES + 1))
	_db=$1
	shift
	env "$(sim_env "$H" 0)" "$MONITOR" serve --db "$_db" --listen 127.0.0.1:0 "$@" 2>>"$T/serve.log" &
	SERVE=$!
	track $SERVE
	wait_for 300 serves_up || fail "serve did not start: $(cat "$T/serve.log")"
}
serve_down() {
	kill "$SERVE"
	wait "$SERVE" || fail "serve did not exit cleanly: $(tail -n 5 "$T/serve.log")"
}

# agent_as NAME ARGS...: pvh-agent inside guest NAME, on its root.
agent_as() {
	_n=$1
	shift
	as "$H" "$(domid_of "$_n")" "$AGENT" "$@" --root "$MIG_DIR/$_n/root"
}
at_next_boot() { agent_as "$1" status | sed -n 's/^PVH at next boot: //p'; }
shows() { at_next_boot "$1" | grep -q "^$2"; }
# until_shows NAME TEXT: pvh-agent status in the guest says TEXT (a prefix).
until_shows() {
	wait_for 300 shows "$1" "$2" ||
		fail "$1: status '$(at_next_boot "$1")', expected '$2'; serve: $(tail -n 5 "$T/serve.log")"
}
# ask NAME --at-next-boot|--cancel: the owner asks; prints the request id.
ask() {
	agent_as "$1" switch "$2" >"$T/ask.out" 2>&1 || fail "$1: switch $2: $(cat "$T/ask.out")"
	sed -n 's/.*(request \([0-9a-f-]*\)).*/\1/p' "$T/ask.out"
}
answer() { gkey_raw "$1" control/pvh/switch; }
armed_nothing() { # NAME
	expect_eq "$1: config type" pv "$(cfg_type "$1")"
	expect_eq "$1: config-update" 0 "$(grep -c "^config-update $1 " "$MIG_DIR/xl.log")"
}

guest_add own debian12-bookworm
guest_add strict debian12-bookworm
guest_add blk alma9
mkdir -p "$MIG_DIR/strict/root/etc/pvh-agent"
echo 'report-only = yes' >"$MIG_DIR/strict/root/etc/pvh-agent/agent.conf"
guests_up
domid_own=$(domid_of own)

echo "# nothing asked yet"
expect_eq "own: before" "not requested" "$(at_next_boot own)"

echo "# the owner's policy refuses inside the guest: nothing published"
agent_as strict switch --at-next-boot >"$T/strict.out" 2>&1 && fail "strict: switch allowed: $(cat "$T/strict.out")"
grep -q "Not allowed by this guest's owner" "$T/strict.out" || fail "strict: $(cat "$T/strict.out")"
expect_eq "strict: request node" "" "$(gkey_raw strict data/pvh/switch)"
until_shows strict "not allowed by this guest's owner"

echo "# the host's settings: a migration planned and aborted"
plan own --at-next-reboot >/dev/null || fail "plan"
mig abort >/dev/null 2>&1 || fail "abort the plan"

echo "# serve without --self-service: not allowed, nothing armed"
serve_up "$DB"
id=$(ask own --at-next-boot)
[ -n "$id" ] || fail "no request id: $(cat "$T/ask.out")"
expect_eq "request node" "$id at-next-boot" "$(gkey_raw own data/pvh/switch)"
until_shows own "not allowed by the host"
expect_eq "answer" "$id not-allowed" "$(answer own)"
grep -q "$id (at-next-boot): not-allowed: serve runs without --self-service" "$T/serve.log" ||
	fail "serve's reason: $(tail -n 5 "$T/serve.log")"
armed_nothing own
serve_down

echo "# --self-service without a migration to take the settings of: not allowed"
serve_up "$T/fresh.db" --self-service
id=$(ask own --at-next-boot)
until_shows own "not allowed by the host"
expect_eq "answer" "$id not-allowed" "$(answer own)"
grep -q "$id (at-next-boot): not-allowed: no migration to take the settings of" "$T/serve.log" ||
	fail "serve's reason: $(tail -n 5 "$T/serve.log")"
armed_nothing own
serve_down

serve_up "$DB" --self-service --self-service-interval 3600
echo "# a blocked guest is not ready"
id=$(ask blk --at-next-boot)
until_shows blk "not ready"
expect_eq "blk: answer" "$id not-ready" "$(answer blk)"
armed_nothing blk

echo "# hostile values of the request node: ignored, never answered"
d=$(domid_of blk)
for v in "$(printf 'x%.0s' $(seq 1 80))" "not-a-uuid at-next-boot" \
	"00000000-0000-0000-0000-000000000000 at-next-boot" \
	"5a1f0c9e-2b3d-4e5f-8a6b-7c8d9e0f1a2b" "5a1f0c9e-2b3d-4e5f-8a6b-7c8d9e0f1a2b reboot-now" \
	"5a1f0c9e-2b3d-4e5f-8a6b-7c8d9e0f1a2b  at-next-boot" "$(printf '5a1f0c9e-2b3d-4e5f-8a6b-7c8d9e0f1a2b at-next-boot\033[2J')"; do
	n=$(grep -c 'invalid switch request\|switch request longer than' "$T/serve.log")
	as "$H" "$d" xenstore-write "/local/domain/$d/data/pvh/switch" "$v" || fail "write '$v'"
	wait_for 300 sh -c "[ \$(grep -c 'invalid switch request\|switch request longer than' '$T/serve.log') -gt $n ]" ||
		fail "serve did not refuse '$v': $(tail -n 3 "$T/serve.log")"
	expect_eq "blk: answer after '$v'" "$id not-ready" "$(answer blk)"
done
grep -q "Domain $d: invalid switch request (uuid)" "$T/serve.log" || fail "no uuid error"
grep -q "Domain $d: invalid switch request (enum)" "$T/serve.log" || fail "no enum error"
grep -q "Domain $d: switch request longer than 64 bytes" "$T/serve.log" || fail "no length error"
as "$H" "$d" xenstore-write "/local/domain/$d/control/pvh/switch" "$id armed" 2>/dev/null &&
	fail "the guest wrote the host's answer"
expect_eq "blk: answer kept" "$id not-ready" "$(answer blk)"
armed_nothing blk

echo "# allowed: armed, nothing restarted"
id=$(ask own --at-next-boot)
until_shows own "armed"
expect_eq "answer" "$id armed" "$(answer own)"
expect_eq "own: state" armed "$(gstate own)"
expect_eq "own: config type" pvh "$(cfg_type own)"
expect_eq "own: saved configuration" pvh "$(saved_type own)"
expect_eq "own: same domain" "$domid_own" "$(domid_of own)"
expect_eq "own: still PV" PV "$(gkey own guest_type)"

echo "# --cancel disarms"
id=$(ask own --cancel)
until_shows own "not armed"
expect_eq "answer" "$id disarmed" "$(answer own)"
expect_eq "own: state" disarmed "$(gstate own)"
expect_eq "own: config type" pv "$(cfg_type own)"
expect_eq "own: saved configuration" pv "$(saved_type own)"

echo "# armed again at once: busy, within --self-service-interval"
id=$(ask own --at-next-boot)
until_shows own "not now"
expect_eq "answer" "$id busy" "$(answer own)"
grep -q "$id (at-next-boot): busy: armed less than 3600 s ago: ask again in [0-9]* s" "$T/serve.log" ||
	fail "serve's reason: $(tail -n 5 "$T/serve.log")"
expect_eq "own: still disarmed" disarmed "$(gstate own)"
expect_eq "own: config type" pv "$(cfg_type own)"

echo "# the answers counted in the metrics"
url=$(sed -n 's/.*Serving metrics on \(http:[^ ]*metrics\)\.$/\1/p' "$T/serve.log" | tail -n 1)
curl -sf --max-time 20 "$url" >"$T/metrics" || fail "scrape $url"
answers() { sed -n "s/^pvh_monitor_switch_answers_total{want=\"$1\",answer=\"$2\"} //p" "$T/metrics"; }
expect_eq "at-next-boot armed" 1 "$(answers at-next-boot armed)"
expect_eq "at-next-boot not-ready" 1 "$(answers at-next-boot not-ready)"
expect_eq "at-next-boot busy" 1 "$(answers at-next-boot busy)"
expect_eq "cancel disarmed" 1 "$(answers cancel disarmed)"
expect_eq "cancel armed" 0 "$(answers cancel armed)"
expect_eq "every pair given" 12 "$(grep -c '^pvh_monitor_switch_answers_total{' "$T/metrics")"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/metrics" >"$T/lint" 2>&1 || fail "promtool: $(cat "$T/lint")"
fi
serve_down

echo "# armed again, the owner's reboot switches it"
serve_up "$DB" --self-service --self-service-interval 0
id=$(ask own --at-next-boot)
until_shows own "armed"
expect_eq "answer" "$id armed" "$(answer own)"
"$XL" _reboot own || fail "reboot own"
wait_for 600 sh -c "[ \"\$(env '$(sim_env "$H" 0)' '$MONITOR' migrate status --json --db '$DB' | jq -r '.guests[0].state')\" = done ]" ||
	fail "own: state $(gstate own): $(greason own); serve: $(tail -n 10 "$T/serve.log")"
expect_eq "own: created as PVH" 1 "$(creates own PVH)"
wait_for 100 has_gkey own guest_type PVH || fail "own: not PVH: $(gkey own guest_type)"
expect_eq "own: new domain, no request" "" "$(gkey_raw own data/pvh/switch)"
serve_down
echo "PASS"
