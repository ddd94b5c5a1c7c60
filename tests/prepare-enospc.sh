#!/bin/sh
# prepare on a file system that runs out of space: the tree and the state
# directory on a small tmpfs (in a private mount namespace), filled up to
# leave K free pages, for K from 0 up to enough for prepare to succeed. Each
# time, prepare either succeeds, or fails saying so with every change undone
# (the tree byte-identical to before, no transaction left); and once space is
# back, rollback or recover brings the tree back to its original bytes.
# Commands are the recording stand-ins (tests/prepare/stub), not the real
# grub-mkconfig, so that the space they need does not vary.
set -eu
. "$top_srcdir/tests/prepare/lib.sh"

if [ "${PVH_ENOSPC_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	mkdir "$T/probe"
	unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '$T/probe'" 2>/dev/null ||
		skip "cannot mount a tmpfs in a private mount namespace (unshare -m)"
	rm -rf "$T"
	trap - EXIT
	PVH_ENOSPC_INNER=1 exec unshare -m /bin/sh "$0"
fi

debian_setup
rm -f "$C/real-grub"
snapshot "$T/before"
cp -a "$R" "$T/pristine"
small=$T/small
mkdir "$small"
mount -t tmpfs -o size=2m,mode=0755 tmpfs "$small"
enospc_cleanup() {
	rc=$?
	umount "$small" 2>/dev/null
	(exit $rc)
	test_cleanup
}
trap enospc_cleanup EXIT
R=$small/root S=$small/state

# fill K: a fresh tree and state directory, then every page but K taken.
fill() {
	rm -rf "$R" "$S" "$small/filler"
	cp -a "$T/pristine" "$R"
	dd if=/dev/zero of="$small/filler" bs=4096 2>/dev/null || true
	truncate -s "-$(($1 * 4096))" "$small/filler"
	: >"$C/log"
}

k=0 ok=0 failed=0
while [ "$k" -le 64 ]; do
	fill "$k"
	pa prepare
	if [ "$rc" = 0 ]; then
		grep -q 'prepared; verdict' "$T/out" || fail "K=$k: prepare: $(cat "$T/out")"
		ok=$((ok + 1))
		rm "$small/filler"
		pa rollback
		expect_rc 0 "K=$k: rollback after prepare"
	else
		expect_rc 1 "K=$k: prepare without space"
		grep -q 'prepare failed (No space left on device); every change was undone' "$T/out" ||
			fail "K=$k: prepare's answer: $(cat "$T/out")"
		snapshot "$T/now"
		same "K=$k: the tree after a failed prepare" "$T/before" "$T/now"
		[ ! -e "$S/tx" ] && [ ! -e "$S/tx.new" ] || fail "K=$k: a transaction was left: $(ls "$S")"
		failed=$((failed + 1))
		rm "$small/filler"
		pa recover
		expect_rc 0 "K=$k: recover after a failed prepare"
	fi
	snapshot "$T/now"
	same "K=$k: the tree at the end" "$T/before" "$T/now"
	if [ "$ok" -ge 3 ]; then
		break
	fi
	k=$((k + 1))
done
[ "$failed" -gt 0 ] || fail "prepare never ran out of space"
[ "$ok" -gt 0 ] || fail "prepare never succeeded, even with $k free pages"
echo "ok: prepare failed cleanly with 0 to $((failed - 1)) free pages, succeeded from $failed"
