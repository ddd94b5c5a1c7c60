#!/bin/sh
# A command that outlives prepare: prepare is killed (SIGKILL, its main
# process only, not its process tree) while update-grub runs. update-grub
# dies with it; the child doing its work, which has read the prepared
# settings, stays behind in update-grub's process group, waiting. recover
# must kill that group, and wait until it is gone, before it restores
# anything: the leftover is gone when recover returns, says so, and the tree
# is the original byte for byte, also once nothing holds the leftover back.
set -eu
. "$top_srcdir/tests/prepare/lib.sh"

debian_setup
snapshot "$T/before"
: >"$C/hold-update-grub"
"$agent" prepare --root "$R" --state-dir "$S" --command-dir "$C" >"$T/out" 2>&1 &
pid=$!
track "$pid"
wait_for 600 test -s "$C/held-update-grub" || fail "update-grub never started: $(cat "$T/out")"
left=$(cat "$C/held-update-grub")
alive "$left" || fail "the stand-in's worker $left is not running"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true

pa recover
expect_rc 1 "recover"
grep -q 'an interrupted prepare was undone' "$T/out" || fail "recover: $(cat "$T/out")"
grep -q "process(es) update-grub left running" "$T/out" ||
	fail "recover did not stop what update-grub left: $(cat "$T/out")"
! alive "$left" || fail "what update-grub left (pid $left) still runs after recover"
snapshot "$T/now"
same "recover did not give the original back" "$T/before" "$T/now"

# Released, a leftover would write its menu now: there is none.
rm -f "$C/holding-update-grub"
! alive "$left" || fail "what update-grub left (pid $left) still runs"
snapshot "$T/now"
same "the tree changed after recover" "$T/before" "$T/now"

# prepare and rollback work from there.
pa prepare
expect_rc 0 "prepare after recover"
pa rollback
expect_rc 0 "rollback"
snapshot "$T/now"
same "rollback after recover" "$T/before" "$T/now"
echo PASS
