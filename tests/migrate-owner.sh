#!/bin/sh
# pvh-monitor migrate plan and the guest owner's choice: of two fixable
# guests, the one whose owner allows reports only is skipped with that
# reason and what to fix by hand; the one that allows dry runs only is
# skipped too (no prepare); the other is planned (pending, in a wave).
# plan --no-prepare skips every fixable guest, saying why, and plans the
# ready ones; a guest ready at plan time that is fixable again when the run
# reaches it (its owner rolled prepare back) is skipped by the run, neither
# prepared nor restarted.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
can_prepare || skip "a fixable guest needs the real grub-mkconfig, root and mount namespaces here"
mig_setup

fixable_add open
fixable_add closed
fixable_add dry
guests_up
owner() { # NAME TEXT ACTIONS: the owner's file, and the actions it gives
	mkdir -p "$MIG_DIR/$1/root/etc/pvh-agent"
	printf '%s\n' "$2" >"$MIG_DIR/$1/root/etc/pvh-agent/agent.conf"
	wait_for 100 has_gkey "$1" agent/actions "$3" || fail "$1: agent/actions is '$(gkey "$1" agent/actions)'"
}
owner closed "report-only = yes" "ping probe"
owner dry "prepare = dry-run" "ping probe prepare-dry-run rollback"
for n in open closed dry; do
	expect_eq "$n verdict" fixable "$(gkey "$n" verdict)"
done

plan --all >"$T/plan.txt" || fail "plan: $(cat "$T/plan.txt")"
cat "$T/plan.txt"
expect_eq "open" pending "$(gstate open)"
expect_eq "closed" skipped "$(gstate closed)"
expect_eq "dry" skipped "$(gstate dry)"
greason closed | grep -q '^fixable, but its owner allows reports only: fix by hand in the guest' ||
	fail "closed: reason '$(greason closed)'"
greason closed | grep -q 'console' || fail "closed: the failing check is not named: $(greason closed)"
greason dry | grep -q '^fixable, but its agent does not take prepare' || fail "dry: reason '$(greason dry)'"

echo "# --no-prepare: only guests ready as they are"
plan --replace --no-prepare --all >"$T/plan.txt" 2>"$T/plan.err" && fail "a plan with nothing ready succeeded"
grep -q 'open: fixable, and the migration prepares no guest (--no-prepare): .*console' "$T/plan.err" ||
	fail "open: $(cat "$T/plan.err")"
as "$H" 0 "$MONITOR" request --db "$DB" --wait 120 open prepare >"$T/req" || fail "prepare open: $(cat "$T/req")"
wait_for 300 has_gkey open verdict ready || fail "open is not ready after prepare: $(gkey open verdict)"
plan --replace --no-prepare --all >"$T/plan.txt" 2>"$T/plan.err" || fail "plan: $(cat "$T/plan.err")"
expect_eq "open, ready, planned" pending "$(gstate open)"
expect_eq "closed, fixable, skipped" skipped "$(gstate closed)"
greason closed | grep -q '^fixable, but its owner allows reports only' || fail "closed: $(greason closed)"
as "$H" 0 "$MONITOR" request --db "$DB" --wait 120 open rollback >"$T/req" || fail "rollback open: $(cat "$T/req")"
wait_for 300 has_gkey open verdict fixable || fail "open is not fixable after rollback: $(gkey open verdict)"
cp "$MIG_DIR/open/cmds/log" "$T/cmds-before"
mig run --json >"$T/run.jsonl" 2>"$T/run.err"
expect_eq "run's exit status (nothing switched)" 1 "$?"
expect_eq "open, fixable at its turn" skipped "$(gstate open)"
greason open | grep -q '^fixable, and the migration prepares no guest (--no-prepare)' || fail "open: $(greason open)"
cmp -s "$T/cmds-before" "$MIG_DIR/open/cmds/log" || fail "the run prepared open: $(diff "$T/cmds-before" "$MIG_DIR/open/cmds/log")"
expect_eq "open: never shut down" 0 "$(grep -c '^shutdown open ' "$MIG_DIR/xl.log")"
expect_eq "open: still PV" pv "$(cfg_type open)"
expect_eq "open: still fixable" fixable "$(gkey open verdict)"
echo PASS
