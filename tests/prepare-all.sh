#!/bin/sh
# The checker and prepare agree on every tree of tests/rootfs/ (each case
# directory found there, so a new case is covered without a change here),
# judged as committed: its menu is not regenerated first.
#   dry run         exit 0 (ready, fixable) or 1; nothing changed, nothing run
#   fixable         prepare exits 0 and check says ready afterwards; prepare
#                   again changes nothing; rollback gives back every byte,
#                   mode, owner and link
#   ready           prepare exits 0 with "nothing to change"; nothing changed
#   blocked/unknown prepare exits 1 naming each failing check; nothing changed
#   twice           the second prepare changes nothing, in every case
# Commands are the stand-ins of tests/prepare/stub; update-grub is its
# grub-standin mode (tests/prepare/grub-mkconfig.sh: the tree's menu with the
# command lines and terminal of its settings), never the real grub-mkconfig.
# CASES="a b" runs only those.
set -eu
. "$top_srcdir/tests/prepare/lib.sh"

verdict() { # the verdict of check --json on the tree, its reasons in $T/check.json
	"$agent" check --root "$R" --json >"$T/check.json" 2>&1 || :
	sed -n 's/^  "verdict": "\(.*\)",$/\1/p' "$T/check.json"
}

# The ids of the checks with status $1 in $T/check.json.
failing() {
	sed -n "s/^ *{\"id\": \"\([a-z_]*\)\", \"status\": \"$1\".*/\1/p" "$T/check.json"
}

bad=0
fail_case() { # NAME WHAT
	echo "FAIL $1: $2"
	[ ! -s "$T/out" ] || sed 's/^/    /' "$T/out" | head -20
	bad=1
}

unchanged() { # WHAT SNAPSHOT: the tree is as in SNAPSHOT, and no command ran
	snapshot "$T/now"
	if ! cmp -s "$2" "$T/now"; then
		diff -u "$2" "$T/now" | head -20 | sed 's/^/    /'
		return 1
	fi
	[ ! -s "$C/log" ] || { sed 's/^/    ran: /' "$C/log"; return 1; }
}

run_case() { # DIR NAME
	dir=$1 name=$2
	setup "$dir/root" "$dir/generate" keep
	rm -f "$C/real-grub"
	: >"$C/grub-standin"
	v=$(verdict)
	snapshot "$T/before"

	case $v in
	ready | fixable) want=0 ;;
	blocked | unknown) want=1 ;;
	*) fail_case "$name" "check --json gave no verdict"; return ;;
	esac

	pa prepare --dry-run
	[ "$rc" = "$want" ] || { fail_case "$name" "dry run: exit status $rc, expected $want ($v)"; return; }
	unchanged "dry run" "$T/before" || { fail_case "$name" "the dry run changed the tree or ran a command"; return; }
	[ ! -e "$S/tx" ] || { fail_case "$name" "the dry run left a transaction"; return; }

	pa prepare
	[ "$rc" = "$want" ] || { fail_case "$name" "prepare: exit status $rc, expected $want ($v)"; return; }
	case $v in
	fixable)
		after=$(verdict)
		[ "$after" = ready ] || { fail_case "$name" "prepare left the verdict $after, not ready"; return; }
		grep -q 'prepared; verdict ready' "$T/out" || { fail_case "$name" "prepare's answer"; return; }
		what="prepared ($(cut -d" " -f1 "$C/log" | paste -sd, -))"
		;;
	ready)
		grep -q 'nothing to change' "$T/out" || { fail_case "$name" "no 'nothing to change'"; return; }
		unchanged "prepare" "$T/before" || { fail_case "$name" "prepare changed a ready tree"; return; }
		what="nothing to change"
		;;
	*)
		grep -q '^prepare failed (' "$T/out" || { fail_case "$name" "no failure answered"; return; }
		unchanged "prepare" "$T/before" || { fail_case "$name" "prepare changed a $v tree"; return; }
		for id in $(failing "$v"); do
			grep -q "^$id: " "$T/out" || { fail_case "$name" "the answer does not name the failing check $id"; return; }
		done
		what="failed: $(failing "$v" | paste -sd, -)"
		;;
	esac

	snapshot "$T/prepared"
	: >"$C/log"
	pa prepare
	[ "$rc" = "$want" ] || { fail_case "$name" "second prepare: exit status $rc, expected $want"; return; }
	unchanged "second prepare" "$T/prepared" || { fail_case "$name" "the second prepare changed the tree"; return; }

	if [ "$v" = fixable ]; then
		pa rollback
		[ "$rc" = 0 ] || { fail_case "$name" "rollback: exit status $rc"; return; }
		snapshot "$T/now"
		if ! cmp -s "$T/before" "$T/now"; then
			diff -u "$T/before" "$T/now" | head -20 | sed 's/^/    /'
			fail_case "$name" "rollback left the tree different"
			return
		fi
		[ ! -e "$S/tx" ] || { fail_case "$name" "rollback left its transaction"; return; }
		what="$what, rolled back"
	else
		[ ! -e "$S/tx" ] || { fail_case "$name" "a transaction without a change"; return; }
	fi
	printf 'ok   %-30s %-8s %s\n' "$name" "$v" "$what"
}

n=0
for dir in "$top_srcdir"/tests/rootfs/*/; do
	name=$(basename "$dir")
	[ -d "$dir/root" ] || continue
	if [ -n "${CASES:-}" ]; then
		case " $CASES " in *" $name "*) ;; *) continue ;; esac
	fi
	n=$((n + 1))
	run_case "$dir" "$name"
done
[ "$n" -gt 0 ] || fail "no cases ran"
echo "$n cases"
exit $bad
