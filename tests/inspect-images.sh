#!/bin/sh
# pvh-monitor inspect on disk images made by the real tools from the root
# trees of tests/rootfs: every case on an ext4 disk, and a few cases on every
# layout (XFS, Btrfs, whole disks, MBR and GPT partitions, /boot of its own,
# LVM). For each, the verdict and the checks (status, reason, fix) are the
# ones pvh-agent check --root gives on the tree the image was made from.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/inspect/lib.sh"
require_inspect
test_tmpdir
H=$T/h
sim_start "$H" >/dev/null

: "${CASES:=$(cd "$top_srcdir/tests/rootfs" && ls -d */ | tr -d /)}"
: "${LAYOUT_CASES:=debian12-bookworm alma9}"
: "${LAYOUTS:=xfs btrfs mbr-ext4 gpt-xfs gpt-btrfs mbr-boot-ext4 gpt-boot-xfs lvm-ext4}"

domid=1
names=
# add NAME CASE LAYOUT: a guest on an image of CASE.
add() {
	if [ ! -d "$T/src/$2" ]; then
		source_tree "$2" "$T/src/$2"
		echo "$GUEST_TYPE" >"$T/src/$2.type"
	fi
	GUEST_TYPE=$(cat "$T/src/$2.type")
	"$MKIMAGE" "$3" "$T/src/$2" "$T/img/$1" 2>"$T/mkimage.err"
	rc=$?
	if [ $rc = 77 ]; then
		echo "# skipped $3 for $2: $(cat "$T/mkimage.err")"
		return
	fi
	[ $rc = 0 ] || fail "mkimage $3 $2: $(cat "$T/mkimage.err")"
	guest_disk $domid "$1" "$GUEST_TYPE" "$T/img/$1"
	names="$names $1:$2"
	domid=$((domid + 1))
}

mkdir -p "$T/src" "$T/img"
echo "# $(date +%T) making the images"
for c in $CASES; do
	add "$c" "$c" ext4
done
for c in $LAYOUT_CASES; do
	for l in $LAYOUTS; do
		add "$c.$l" "$c" "$l"
	done
done

echo "# $(date +%T) $(echo $names | wc -w) images made; inspecting"
inspect --json --all >"$T/inspect.json" 2>"$T/inspect.err"
rc=$?
jq -e . "$T/inspect.json" >/dev/null || fail "inspect --json: not JSON: $(cat "$T/inspect.err")"
bad=0
for nc in $names; do
	n=${nc%%:*} c=${nc#*:}
	expected_json "$T/src/$c" "$(cat "$T/src/$c.type")" >"$T/want"
	inspected_json "$T/inspect.json" "$n" >"$T/got"
	if ! cmp -s "$T/want" "$T/got"; then
		echo "FAIL: $n: the inspection and check --root differ:"
		diff "$T/want" "$T/got" | head -n 6
		jq -c --arg n "$n" '.[] | select(.name == $n) | .inspection' "$T/inspect.json"
		bad=$((bad + 1))
	fi
done
echo "# $(date +%T) compared"
[ "$bad" = 0 ] || fail "$bad of $(echo $names | wc -w) inspections differ from check --root"
[ $rc = 0 ] || fail "inspect exit status $rc: $(cat "$T/inspect.err")"

# Where the menu was read: pvhgrub's search order on each layout.
menu() { jq -r --arg n "$1" '.[] | select(.name == $n) | .inspection | "\(.menu_device) \(.menu_file) \(.root_device)"' "$T/inspect.json"; }
c=${LAYOUT_CASES%% *}
expect_eq "whole disk" "(xvda) /boot/grub/grub.cfg (xvda)" "$(menu "$c")"
expect_eq "MBR" "(xvda,msdos1) /boot/grub/grub.cfg (xvda,msdos1)" "$(menu "$c.mbr-ext4")"
expect_eq "GPT, /boot of its own" "(xvda,gpt1) /grub/grub.cfg (xvda,gpt2)" "$(menu "$c.gpt-boot-xfs")"
case " $names " in
*" $c.lvm-ext4:"*)
	menu "$c.lvm-ext4" | grep -q '^(xvda,msdos1) /grub/grub.cfg (lvm/pvhtest[0-9]*-root)$' ||
		fail "LVM: $(menu "$c.lvm-ext4")"
	;;
esac

# status shows them from the database, marked as inspected.
as "$H" 0 "$MONITOR" status --db "$T/state.db" "$c" >"$T/status" || fail "status"
grep -q "^[0-9]* *$c .* ready .* inspected [0-9]*[sm] ago" "$T/status" || fail "status: $(cat "$T/status")"
echo "PASS: $(echo $names | wc -w) images"
