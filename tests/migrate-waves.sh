#!/bin/sh
# pvh-monitor migrate over twenty ready guests (real agents) in three
# growing waves, all good: every guest switched and restarted once, the
# progress in JSON lines per wave and per guest. Then two guests whose
# configuration is switched by a hook command instead of the xl rewriting.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
mig_setup
export MIG_PVGRUB=$PVGRUB

i=0
for t in debian12-bookworm debian11-bullseye debian13-trixie ubuntu2204 oracle8-uek7; do
	for k in 1 2 3 4; do
		i=$((i + 1))
		guest_add "$(printf 'g%02d' $i)" "$t"
	done
done
guests_up

echo "# 20 guests, canary 4, growth 2: waves of 4, 8, 8"
plan --all --canary 4 --growth 2 >/dev/null || fail "plan"
expect_eq "wave sizes" "4 8 8" "$(status_json | jq -r '[.guests | group_by(.wave)[] | length] | map(tostring) | join(" ")')"
mig run --json >"$T/run.jsonl" 2>"$T/run.err" || fail "run: $(cat "$T/run.err")"
expect_eq "state" done "$(status_json | jq -r .state)"
for n in $GUESTS; do
	expect_pvh "$n"
	expect_eq "$n: shut down once" 1 "$(grep -c "^shutdown $n " "$MIG_DIR/xl.log")"
done
expect_eq "waves in the progress" "1 2 3" "$(jq -r 'select(.event == "wave") | .wave' "$T/run.jsonl" | paste -sd' ')"
# Wave 2 starts only after the last guest of wave 1 is done.
last1=$(grep -n '"event":"done","wave":1,' "$T/run.jsonl" | tail -n1 | cut -d: -f1)
first2=$(grep -n '"event":"wave","wave":2,' "$T/run.jsonl" | cut -d: -f1)
[ "$last1" -lt "$first2" ] || fail "wave 2 started before wave 1 ended"
expect_eq "done events" 20 "$(jq -r 'select(.event == "done" and .guest != null) | .guest' "$T/run.jsonl" | sort -u | wc -l)"
echo "ok: 20 guests PVH"

echo "# a configuration hook instead of the xl rewriting"
GUESTS=
guest_add h1 debian12-bookworm
guest_add h2 ubuntu2204
guests_up
plan h1 h2 --config-hook "$top_srcdir/tests/migrate/cfg-hook" --canary 1 >/dev/null || fail "plan with a hook"
mig run --json >"$T/run2.jsonl" 2>"$T/run2.err" || fail "run with a hook: $(cat "$T/run2.err")"
for n in h1 h2; do
	expect_eq "$n: state" done "$(gstate "$n")"
	expect_eq "$n: boot.conf" mode=pvh "$(cat "$MIG_DIR/$n/boot.conf")"
	expect_eq "$n: guest_type" PVH "$(gkey "$n" guest_type)"
	[ ! -e "$(cfg_of "$n").pv-backup" ] || fail "$n: the xl rewriting ran"
done
expect_eq "hook calls" "to-pvh h1|to-pvh h2" "$(paste -sd'|' "$MIG_DIR/hook.log")"
echo "PASS"
