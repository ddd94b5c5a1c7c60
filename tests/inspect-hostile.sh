#!/bin/sh
# Hostile disks, inspected in one run with good ones (and a disk that is not
# there): a corrupt file system,
# a next-boot kernel that is a symlink loop, a 4 GiB (sparse) kernel, a menu
# path that climbs out of the root, and an initramfs that decompresses to
# gigabytes. Each gets its own clear error, the good guests beside them are
# judged, nothing outside the sandbox is written, the images are not
# changed, and the inspector ran with the sandbox's identity and limits
# (it reports them). A good guest on a block device (a read-only loop
# device) is read through a device node of the sandbox's own. The
# sandbox's user running 40 processes of its own does not stop the
# inspector (its process limit is 32 beyond what the user runs).
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/inspect/lib.sh"
require_inspect
command -v cpio >/dev/null || skip "cpio is not installed"
test_tmpdir
LOOP=
cleanup_loop() {
	rc=$?
	[ -z "$LOOP" ] || losetup -d "$LOOP" 2>/dev/null
	(exit $rc)
	test_cleanup
}
trap cleanup_loop EXIT
H=$T/h
sim_start "$H" >/dev/null
mkdir -p "$T/img"
CASE=debian12-bookworm
REL=6.1.0-47-amd64
source_tree "$CASE" "$T/good"

# variant NAME: a copy of the good tree to spoil.
variant() {
	cp -a "$T/good" "$T/$1"
}
image() { # NAME LAYOUT TREE
	"$MKIMAGE" "$2" "$3" "$T/img/$1" || fail "mkimage $1"
	chmod 0600 "$T/img/$1"
}

image good mbr-ext4 "$T/good"
image good2 gpt-btrfs "$T/good"

image corrupt ext4 "$T/good"
# The primary superblock (1 KiB in) gone: GRUB, as pvhgrub, finds no file system.
dd if=/dev/zero of="$T/img/corrupt" bs=1024 seek=1 count=1 conv=notrunc status=none

variant loop
rm "$T/loop/boot/vmlinuz-$REL"
ln -s "vmlinuz-$REL" "$T/loop/boot/vmlinuz-$REL"
image loop ext4 "$T/loop"

variant huge
truncate -s 4G "$T/huge/boot/vmlinuz-$REL"
image huge ext4 "$T/huge"

ESCAPE=/tmp/pvh-escape-$$
variant escape
mkdir -p "$T/escape$ESCAPE"
cp "$T/good/boot/vmlinuz-$REL" "$T/escape$ESCAPE/vmlinuz"
sed -i "s|linux\t/boot/vmlinuz-$REL|linux\t/../../../..$ESCAPE/vmlinuz|" "$T/escape/boot/grub/grub.cfg"
grep -q "/../../../..$ESCAPE/vmlinuz" "$T/escape/boot/grub/grub.cfg" || fail "escape: grub.cfg not changed"
image escape ext4 "$T/escape"

# 48 archives of a 64 MiB file of zeros, each xz-compressed to a few KiB:
# 3 GiB to decompress, seconds of CPU, more than the limit this run allows.
variant bomb
mkdir "$T/bombsrc"
truncate -s 64M "$T/bombsrc/zeros"
(cd "$T/bombsrc" && echo zeros | cpio -o -H newc --quiet | xz -0 -T1 >"$T/bomb.seg") || fail "bomb segment"
: >"$T/bomb/boot/initrd.img-$REL"
for i in $(seq 48); do cat "$T/bomb.seg" >>"$T/bomb/boot/initrd.img-$REL"; done
image bomb ext4 "$T/bomb"

for n in good good2 corrupt loop huge escape bomb; do
	sha256sum "$T/img/$n" >>"$T/sums"
done
guest_disk 1 good PV "$T/img/good"
guest_disk 2 corrupt PV "$T/img/corrupt"
guest_disk 3 loop PV "$T/img/loop"
guest_disk 4 huge PV "$T/img/huge"
guest_disk 5 escape PV "$T/img/escape"
guest_disk 6 bomb PV "$T/img/bomb"
guest_disk 7 good2 PV "$T/img/good2"
guest_disk 9 gone PV "$T/img/no-such-image"
if LOOP=$(losetup -r -f --show "$T/img/good" 2>/dev/null); then
	guest_disk 8 blockdev PV "$LOOP"
else
	LOOP=
	echo "# no loop device here: the block device case is left out"
fi

inspect --json --all --time-limit 2 >"$T/out.json" 2>"$T/err"
rc=$?
jq -e . "$T/out.json" >/dev/null || fail "not JSON: $(cat "$T/err")"
expect_eq "exit status: some inspections failed" 1 $rc
field() { jq -r --arg n "$1" ".[] | select(.name == \$n) | $2" "$T/out.json"; }
failure() { field "$1" '.inspection.failure // ""'; }
expect_failure() { # NAME ERROR TEXT
	expect_eq "$1: verdict" error "$(field "$1" .verdict)"
	expect_eq "$1: error" "$2" "$(field "$1" '.inspection.error // "-"')"
	failure "$1" | grep -q "$3" || fail "$1: failure '$(failure "$1")' does not say '$3'"
	echo "ok: $1: $(failure "$1")"
}

for n in good good2 ${LOOP:+blockdev}; do
	expect_eq "$n: judged beside the hostile ones" ready "$(field "$n" .verdict)"
done
expect_failure corrupt no-filesystem "no file system GRUB can read on xvda"
expect_failure loop unreadable "/boot/vmlinuz-$REL on (xvda) cannot be read: .*symlink"
expect_failure huge limit "/boot/vmlinuz-$REL on (xvda) is 4096 MiB, larger than the 256 MiB"
expect_failure escape unreadable "climbs above the root"
[ ! -e "$ESCAPE" ] || fail "escape: $ESCAPE was written on the host"
expect_eq "gone: verdict" error "$(field gone .verdict)"
failure gone | grep -q "^cannot read disk xvda ($T/img/no-such-image): No such file or directory" ||
	fail "gone: $(failure gone)"
expect_failure bomb limit "CPU time limit of 2 s was reached while scanning the initramfs /boot/initrd.img-$REL"
sha256sum -c --quiet "$T/sums" || fail "an image changed"

# The sandbox the inspector ran in, as it reports it.
sandbox=$(field good .inspection.sandbox)
echo "sandbox: $sandbox"
has() {
	case " $sandbox " in *" $1 "*) ;; *) fail "sandbox: no '$1' in '$sandbox'" ;; esac
}
uid=$(echo " $sandbox " | sed -n 's/.* uid=\([0-9]*\) .*/\1/p')
[ -n "$uid" ] && [ "$uid" != 0 ] || fail "sandbox: runs as uid '$uid'"
for w in caps=0 no_new_privs=1 pid=1 net=lo host_files=hidden groups=0 cpu=2 fsize=269484032 nofile=64 \
	nproc=32 core=0; do
	has "$w"
done
if grep -q '^SAN_CFLAGS = -fsanitize=address' "$top_builddir/Makefile"; then
	has as=unlimited
else
	has as=1073741824
fi
[ -z "$LOOP" ] || expect_eq "blockdev: read through a device node" "xvda=$LOOP" "$(field blockdev .inspection.disks)"

echo "# the sandbox's user runs 40 other processes (nobody often does): the inspector still starts"
command -v setpriv >/dev/null || skip "setpriv is not installed (util-linux)"
for i in $(seq 40); do
	setpriv --reuid "$uid" --regid "$uid" --clear-groups sleep 600 &
	track $!
done
busy() { [ "$(ps -o pid= -u "$uid" | wc -l)" -ge 40 ]; }
wait_for 100 busy || fail "the user's 40 processes did not start"
inspect --json --time-limit 20 good >"$T/busy.json" 2>"$T/busy.err" || fail "inspect good: $(cat "$T/busy.err")"
expect_eq "with the user busy: verdict" ready "$(jq -r '.[0].verdict' "$T/busy.json")"
nproc=$(jq -r '.[0].inspection.sandbox' "$T/busy.json" | sed -n 's/.* nproc=\([0-9]*\).*/\1/p')
[ -n "$nproc" ] && [ "$nproc" -ge 72 ] || fail "nproc=$nproc: not 32 beyond the user's 40 processes"
echo PASS
