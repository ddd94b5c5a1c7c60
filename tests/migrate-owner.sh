#!/bin/sh
# pvh-monitor migrate plan and the guest owner's choice: of two fixable
# guests, the one whose owner allows reports only is skipped with that
# reason and what to fix by hand; the one that allows dry runs only is
# skipped too (no prepare); the other is planned (pending, in a wave).
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
echo PASS
