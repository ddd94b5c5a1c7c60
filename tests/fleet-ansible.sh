#!/bin/sh
# contrib/ansible's fleet migration, with the real ansible-playbook, over
# four "hosts" on this machine (connection local), each its own simulated
# Xen host with guests running real agents, its own database and its own
# stand-in toolstack: a dry run (--check) that changes nothing; a run in
# which a guest of the second host fails, which stops the play after that
# batch, the canary host migrated and the two last hosts untouched; the
# fleet report of that; then the run again with the guest fixed: every
# guest of the fleet PVH, and listed in the fleet report.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
command -v ansible-playbook >/dev/null || skip "ansible-playbook is not installed (package ansible-core)"
PLAYBOOKS=$top_srcdir/contrib/ansible

fleet_cleanup() {
	rc=$?
	for _p in "$T"/h*/g/*/pid; do
		[ -f "$_p" ] && kill -9 "-$(cat "$_p")" "$(cat "$_p")" 2>/dev/null
	done
	(exit $rc)
	test_cleanup
}
test_tmpdir
trap fleet_cleanup EXIT
export MIG_XENSIM=$XENSIM MIG_AGENT=$AGENT MIG_PVHGRUB=$PVHGRUB

# Each host N: $T/hN with its simulated host (h), guests (g), xl
# configurations (etc) and database (state.db).
cfg_of() { echo "$T/$HOST/etc/$1.cfg"; }
host_use() { # HOST
	HOST=$1 H=$T/$1/h MIG_DIR=$T/$1/g MIG_HOST=$T/$1/h
	export MIG_DIR MIG_HOST
}
host_add() { # HOST CASE[:BEHAVE]...
	_host=$1
	shift
	mkdir -p "$T/$_host/g" "$T/$_host/etc"
	host_use "$_host"
	sim_start "$H" >/dev/null
	GUESTS=
	for _c in "$@"; do
		_n=$_host-$(echo "${_c%%:*}" | cut -d- -f1)
		[ "${_c#*:}" = "$_c" ] && guest_add "$_n" "$_c" || guest_add "$_n" "${_c%%:*}" "${_c#*:}"
	done
	guests_up
	cat >>"$T/inventory.yml" <<EOI
    $_host:
      ansible_connection: local
      ansible_python_interpreter: /usr/bin/python3
      pvh_monitor_migrate_command: $MONITOR
      pvh_monitor_migrate_db: $T/$_host/state.db
      pvh_monitor_migrate_environment:
        $(sim_env "$H" 0 | sed 's/=/: /')
        MIG_DIR: $MIG_DIR
        MIG_HOST: $MIG_HOST
        MIG_XENSIM: $XENSIM
        MIG_AGENT: $AGENT
        MIG_PVHGRUB: $PVHGRUB
      pvh_monitor_migrate_plan_options:
        config: $T/$_host/etc/%n.cfg
        xl: $XL
        pvgrub: $PVGRUB
        pvhgrub: $PVHGRUB
        toolstack-timeout: 60
        request-timeout: 120
        boot-timeout: 30
        canary: 1
EOI
}
printf 'xen_hosts:\n  hosts:\n' >"$T/inventory.yml"
host_add h1 debian12-bookworm ubuntu2204
# h2-debian12's PVH create fails (it is put back as PV): the host fails.
host_add h2 debian11-bullseye debian12-bookworm:create-fails debian13-trixie
host_add h3 debian13-trixie oracle8-uek7
host_add h4 debian12-bookworm debian11-bullseye ubuntu2204
ALL="h1-debian12 h1-ubuntu2204 h2-debian11 h2-debian12 h2-debian13 h3-debian13 h3-oracle8 h4-debian12 h4-debian11 h4-ubuntu2204"

# ansible-playbook PLAYBOOK ARGS...: as the operator would, with ansible's
# files under $T.
play() {
	_pb=$1
	shift
	HOME=$T ANSIBLE_CONFIG=$T/ansible.cfg ANSIBLE_LOCAL_TEMP=$T/ansible-tmp ANSIBLE_NOCOLOR=1 \
		ANSIBLE_RETRY_FILES_ENABLED=0 \
		ansible-playbook -i "$T/inventory.yml" "$PLAYBOOKS/$_pb" "$@"
}
: >"$T/ansible.cfg"

# On host HOST: the migration's state, a guest's state, its config type.
hmig() { as "$T/$1/h" 0 "$MONITOR" migrate status --json --db "$T/$1/state.db"; }
hstate() { hmig "$1" | jq -r .state; }
hgstate() { hmig "$1" | jq -r --arg n "$2" '.guests[] | select(.name == $n) | .state'; }
htype() { sed -n 's/^type = "\(.*\)"/\1/p' "$T/$1/etc/$2.cfg"; }
# hcreates HOST NAME TYPE: how many times the toolstack created NAME as TYPE.
hcreates() { grep -c "^create $2 $3 [0-9]*\$" "$T/$1/g/xl.log" || true; }
host_of() { echo "${1%%-*}"; }
# Not touched on HOST: no guest shut down, none created again.
untouched() {
	expect_eq "$1: guests shut down" 0 "$(grep -c '^shutdown ' "$T/$1/g/xl.log" || true)"
	for _n in $ALL; do
		[ "$(host_of "$_n")" = "$1" ] || continue
		expect_eq "$_n: config" pv "$(htype "$1" "$_n")"
		expect_eq "$_n: created" 1 "$(hcreates "$1" "$_n" PV)"
	done
}
# row FILE HOST GUEST: the fleet report's row as "outcome mode".
row() {
	jq -r --arg h "$2" --arg g "$3" '.[] | select(.host == $h and .guest == $g) | "\(.outcome) \(.mode)"' "$1"
}

echo "# dry run (--check): every host planned, nothing switched"
play fleet-migrate.yml --check -e "pvh_monitor_migrate_report_dir=$T/dry" >"$T/dry.out" 2>&1 ||
	fail "dry run: $(tail -n 30 "$T/dry.out")"
for h in h1 h2 h3 h4; do
	expect_eq "$h: dry run planned" planned "$(hstate "$h")"
	untouched "$h"
done
grep -q "run: $XL shutdown -w h3-oracle8" "$T/dry.out" || fail "the dry run does not show h3's plan"
expect_eq "dry report rows" 10 "$(jq length "$T/dry/fleet-report.json")"
expect_eq "dry report h4-debian11" "would be pending PV" "$(row "$T/dry/fleet-report.json" h4 h4-debian11)"
echo "ok: dry run"

echo "# the run: the canary host, then h2 fails: the play stops before h3 and h4"
rc=0
play fleet-migrate.yml -e "pvh_monitor_migrate_report_dir=$T/r" >"$T/run1.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the play succeeded: $(tail -n 30 "$T/run1.out")"
expect_eq "h1 migration" done "$(hstate h1)"
for n in h1-debian12 h1-ubuntu2204; do
	expect_eq "$n" done "$(hgstate h1 "$n")"
	expect_eq "$n: config" pvh "$(htype h1 "$n")"
	expect_eq "$n: created as PVH" 1 "$(hcreates h1 "$n" PVH)"
done
expect_eq "h2-debian11, its canary" done "$(hgstate h2 h2-debian11)"
expect_eq "h2-debian12" failed "$(hgstate h2 h2-debian12)"
expect_eq "h2-debian12: config back" pv "$(htype h2 h2-debian12)"
# The migration's final state with a failed guest differs between versions
# of pvh-monitor (done with a failed guest, or a state of its own); the role
# fails the host either way.
case $(hstate h2) in
planned | running) fail "h2's migration ended $(hstate h2)" ;;
esac
for h in h3 h4; do
	expect_eq "$h: still the dry run's plan" planned "$(hstate "$h")"
	untouched "$h"
done
grep -q '^h1 .* changed=[1-9]' "$T/run1.out" || fail "h1 not changed: $(tail -n 8 "$T/run1.out")"
grep -q '^h2 .* failed=[1-9]' "$T/run1.out" || fail "h2 not failed: $(tail -n 8 "$T/run1.out")"
grep -q '^h[34] ' "$T/run1.out" && fail "h3 or h4 ran: $(tail -n 8 "$T/run1.out")"

play fleet-report.yml -e "pvh_monitor_migrate_report_dir=$T/r" >"$T/report1.out" 2>&1 ||
	fail "report: $(tail -n 30 "$T/report1.out")"
R=$T/r/fleet-report.json
expect_eq "report: h1-ubuntu2204" "done PVH" "$(row "$R" h1 h1-ubuntu2204)"
expect_eq "report: h2-debian12" "failed PV" "$(row "$R" h2 h2-debian12)"
[ -n "$(jq -r '.[] | select(.guest == "h2-debian12") | .reason' "$R")" ] || fail "h2-debian12: no reason"
expect_eq "report: h3" "not run -" "$(row "$R" h3 -)"
expect_eq "report: h4" "not run -" "$(row "$R" h4 -)"
grep -q '^h2  *h2-debian12  *failed  *PV  ' "$T/r/fleet-report.txt" || fail "table: $(cat "$T/r/fleet-report.txt")"
echo "ok: the failure stops the play after its batch"

echo "# the guest fixed, the play again: every guest of the fleet PVH"
rm "$T/h2/g/h2-debian12/behave"
play fleet-migrate.yml -e "pvh_monitor_migrate_report_dir=$T/r" >"$T/run2.out" 2>&1 ||
	fail "run 2: $(tail -n 30 "$T/run2.out")"
grep -q '^h1 .* changed=0 ' "$T/run2.out" || fail "h1 changed with nothing to switch: $(tail -n 8 "$T/run2.out")"
for n in $ALL; do
	h=$(host_of "$n")
	expect_eq "$n: config" pvh "$(htype "$h" "$n")"
	expect_eq "$n: created as PVH" 1 "$(hcreates "$h" "$n" PVH)"
done
R=$T/r/fleet-report.json
expect_eq "report rows" 10 "$(jq length "$R")"
for n in $ALL; do
	# h1 had nothing left to switch: no new plan, its report is the first
	# run's (done). h2's canary, switched by the first run, is skipped in
	# h2's second plan as PVH already.
	case $n in
	h1-*) expect_eq "report: $n" "done PVH" "$(row "$R" h1 "$n")" ;;
	h2-debian11) expect_eq "report: $n" "skipped PVH" "$(row "$R" h2 "$n")" ;;
	h2-debian13) row "$R" h2 "$n" | grep -qx '\(skipped\|done\) PVH' || fail "report: $n: $(row "$R" h2 "$n")" ;;
	*) expect_eq "report: $n" "done PVH" "$(row "$R" "$(host_of "$n")" "$n")" ;;
	esac
	grep -q "^$(host_of "$n")  *$n  " "$T/r/fleet-report.txt" || fail "table: no $n"
done
echo "PASS"
