#!/bin/sh
# pvh-monitor migrate on a simulated host with real agents: a plan over ten
# guests (ready, fixable, blocked) ordered by risk in growing waves, then a
# run: the ready guests switch, the fixable ones are prepared then switched,
# the blocked ones are skipped with their reasons.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
can_prepare || skip "prepare needs the real grub-mkconfig, root and mount namespaces here"
mig_setup

guest_add bookworm debian12-bookworm
guest_add bullseye debian11-bullseye
guest_add trixie debian13-trixie
guest_add jammy ubuntu2204
guest_add uek7 oracle8-uek7
fixable_add serial1
fixable_add serial2
guest_add alma9 alma9
guest_add nixos nixos
guest_add i386 debian-i386-nopae
guests_up
expect_eq "serial1 verdict" fixable "$(gkey serial1 verdict)"
expect_eq "alma9 verdict" blocked "$(gkey alma9 verdict)"

echo "# plan: ready first, then fixable; blocked skipped with reasons; waves 1, 2, 4"
plan --all --canary 1 --growth 2 >"$T/plan.txt" || fail "plan: $(cat "$T/plan.txt")"
cat "$T/plan.txt"
status_json >"$T/plan.json" || fail "status --json"
expect_eq "planned" planned "$(jq -r .state "$T/plan.json")"
expect_eq "order" "bookworm bullseye jammy trixie uek7 serial1 serial2 alma9 i386 nixos" \
	"$(jq -r '[.guests[].name] | join(" ")' "$T/plan.json")"
expect_eq "waves" "1 2 2 3 3 3 3 null null null" "$(jq -r '[.guests[].wave] | map(tostring) | join(" ")' "$T/plan.json")"
for n in alma9 nixos i386; do
	expect_eq "$n skipped" skipped "$(gstate "$n")"
	greason "$n" | grep -q '^blocked: ' || fail "$n: reason '$(greason "$n")'"
done
greason alma9 | grep -q 'kernel_pvh' || fail "alma9: the failing check is not named: $(greason alma9)"
grep -q '^-    alma9 ' "$T/plan.txt" || fail "the table does not show alma9 without a wave"

echo "# dry run: everything it would do, nothing done"
mig run --dry-run >"$T/dry.txt" || fail "dry run: $(cat "$T/dry.txt")"
grep -q "run: $XL shutdown -w bookworm" "$T/dry.txt" || fail "dry run: no shutdown: $(cat "$T/dry.txt")"
grep -q "run: $XL create $T/etc/serial1.cfg" "$T/dry.txt" || fail "dry run: no create"
grep -q '^    +type = "pvh"$' "$T/dry.txt" || fail "dry run: no config diff"
grep -q 'request prepare' "$T/dry.txt" || fail "dry run: no prepare"
grep -q '^skip alma9: blocked' "$T/dry.txt" || fail "dry run: no skip"
expect_eq "still planned" planned "$(jq -r .state "$(status_json >"$T/s.json"; echo "$T/s.json")")"
expect_eq "nothing created as PVH" 0 "$(grep -c PVH "$MIG_DIR/xl.log")"

echo "# run"
mig run --json >"$T/run.jsonl" 2>"$T/run.err" || fail "run: $(cat "$T/run.err"; tail -n 5 "$T/run.jsonl")"
jq -e . "$T/run.jsonl" >/dev/null || fail "run: not JSON lines"
expect_eq "migration state" done "$(status_json | jq -r .state)"
for n in bookworm bullseye trixie jammy uek7 serial1 serial2; do
	expect_pvh "$n"
done
for n in alma9 nixos i386; do
	expect_eq "$n: skipped" skipped "$(gstate "$n")"
	expect_eq "$n: config untouched" pv "$(cfg_type "$n")"
	[ ! -e "$(cfg_of "$n").pv-backup" ] || fail "$n: backup written"
	expect_eq "$n: never restarted" 0 "$(grep -c "^shutdown $n " "$MIG_DIR/xl.log")"
done
for n in serial1 serial2; do
	grep -q '^update-grub' "$MIG_DIR/$n/cmds/log" || fail "$n: prepare did not run update-grub"
	grep -q 'console=hvc0' "$MIG_DIR/$n/root/boot/grub/grub.cfg" || fail "$n: grub.cfg not prepared"
	expect_eq "$n: verdict after the switch" ready "$(gkey "$n" verdict)"
done
grep -q '"event":"started".*"guest":"serial1","domid":[0-9]*,"step":"prepare"' "$T/run.jsonl" ||
	fail "no prepare step for serial1 in the progress"
# Each request migrate sent is recorded for serve's counters, under its own id.
if command -v sqlite3 >/dev/null; then
	expect_eq "serial1's requests recorded" "prepare" \
		"$(sqlite3 "$DB" "SELECT group_concat(DISTINCT action) FROM requests WHERE name = 'serial1' AND action = 'prepare'")"
fi
expect_eq "waves announced" 3 "$(grep -c '"event":"wave"' "$T/run.jsonl")"
echo "ok: 7 guests PVH, 3 skipped"

echo "# status after the run"
mig status >"$T/status.txt" || fail "status"
grep -q '^migration 1: done' "$T/status.txt" || fail "status: $(cat "$T/status.txt")"
grep -q '7 done, 3 skipped' "$T/status.txt" || fail "status counts: $(head -n 2 "$T/status.txt")"
mig resume >/dev/null 2>&1 && fail "resume of a finished migration succeeded"
mig run >/dev/null 2>&1 && fail "run of a finished migration succeeded"
echo "PASS"
