#!/bin/sh
# Crash safety of prepare and rollback: the agent kills itself with SIGKILL
# after its K-th durable step (PVH_AGENT_CRASH_AT=K), for every K. After each
# crash, recover must leave the tree byte-identical to before prepare (to
# fully prepared only after the last step, the journal's "done"), and say
# which; then prepare and rollback must still work from there. The Debian
# path (drop-in, update-grub, update-initramfs) with a menu edited by hand,
# which regenerating would lose, and the Fedora/RHEL one (/etc/default/grub,
# grubby on the BLS entries and grubenv, grub2-mkconfig, links) both.
# PREPARE_CRASH_STEP=N kills at every Nth step only (tests/prepare-no-openat2.sh).
set -eu
. "$top_srcdir/tests/prepare/lib.sh"
step=${PREPARE_CRASH_STEP:-1}

# crash_case NAME SETUP...: every crash point of prepare and of rollback on the tree SETUP makes.
crash_case() {
	name=$1
	shift
	"$@"
	snapshot "$T/before"
	rm -rf "$T/pristine"
	cp -a "$R" "$T/pristine"
	PVH_AGENT_CRASH_COUNT=$T/count pa prepare
	expect_rc 0 "prepare"
	n=$(cat "$T/count")
	snapshot "$T/prepared"
	PVH_AGENT_CRASH_COUNT=$T/count pa rollback
	expect_rc 0 "rollback"
	m=$(cat "$T/count")
	snapshot "$T/now"
	same "rollback" "$T/before" "$T/now"
	[ "$n" -gt 3 ] && [ "$m" -gt 3 ] || fail "too few crash points: prepare $n, rollback $m"
	echo "# $name: prepare has $n steps, rollback $m"

	k=1
	while [ "$k" -le "$n" ]; do
		fresh
		PVH_AGENT_CRASH_AT=$k pa prepare
		expect_rc 137 "prepare killed at step $k"
		pa recover
		snapshot "$T/now"
		if [ "$k" -lt "$n" ] && ! cmp -s "$T/before" "$T/now"; then
			cat "$T/out" >&2
			diff -u "$T/before" "$T/now" >&2 || true
			fail "after a crash at step $k of $n of prepare and recover, the tree is not the original"
		fi
		if [ "$k" -eq "$n" ] && ! cmp -s "$T/prepared" "$T/now"; then
			cat "$T/out" >&2
			fail "after a crash at the last step of prepare ($k) and recover, the tree is not prepared"
		fi
		if cmp -s "$T/before" "$T/now"; then
			# Before the transaction was committed nothing had changed: nothing to undo.
			if [ "$rc" = 0 ]; then
				grep -q 'nothing to do' "$T/out" || fail "recover after step $k: $(cat "$T/out")"
				state="original (crash before the commit)"
			else
				expect_rc 1 "recover after step $k"
				grep -q 'an interrupted prepare was undone' "$T/out" || fail "recover after step $k: $(cat "$T/out")"
				state="original (undone)"
			fi
		elif cmp -s "$T/prepared" "$T/now"; then
			expect_rc 0 "recover after step $k"
			state=prepared
		else
			diff -u "$T/before" "$T/now" >&2 || true
			fail "after a crash at step $k of prepare and recover, the tree is neither original nor prepared"
		fi
		pa prepare
		expect_rc 0 "prepare after a crash at step $k"
		snapshot "$T/now"
		same "prepare after a crash at step $k" "$T/prepared" "$T/now"
		pa rollback
		expect_rc 0 "rollback after a crash at step $k"
		snapshot "$T/now"
		same "rollback after a crash at step $k" "$T/before" "$T/now"
		echo "ok   $name: prepare killed at step $k: $state"
		k=$((k + step))
	done

	k=1
	while [ "$k" -le "$m" ]; do
		fresh
		pa prepare
		expect_rc 0 "prepare"
		PVH_AGENT_CRASH_AT=$k pa rollback
		expect_rc 137 "rollback killed at step $k"
		pa recover
		snapshot "$T/now"
		cmp -s "$T/before" "$T/now" || cat "$T/out" >&2
		same "recover after a crash at step $k of rollback" "$T/before" "$T/now"
		[ ! -e "$S/tx" ] || fail "recover after step $k of rollback left the transaction"
		echo "ok   $name: rollback killed at step $k: original"
		k=$((k + step))
	done
}

debian_hand_edited() {
	debian_setup
	hand_edit
}

crash_case debian debian_hand_edited
crash_case alma8-serial fedora_setup alma8-serial
echo "ok"
