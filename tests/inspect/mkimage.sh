#!/bin/sh
# Builds a guest disk image from a root tree with the real tools, without
# mounting anything: mkfs.ext4 -d, mkfs.xfs -p PROTOFILE, mkfs.btrfs
# --rootdir; partition tables by sfdisk, with each file system written at
# its partition's offset by dd; LVM by lvm2's own commands on a loop device
# (no device-mapper needed: the logical volume is never activated).
#   mkimage.sh LAYOUT TREE IMAGE
# LAYOUT: FS (ext4, xfs, btrfs: the whole disk), mbr-FS, gpt-FS (one
# partition), mbr-boot-FS, gpt-boot-FS (/boot on an ext4 partition of its
# own, then the root), lvm-FS (MBR: /boot ext4, then an LVM physical volume
# whose logical volume "root" holds the root; needs root and loop devices).
# Exit status 77 when a tool is missing or LVM cannot be made here.
set -eu
layout=$1 tree=$2 image=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
loop=
cleanup() {
	[ -z "$loop" ] || losetup -d "$loop" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
need() {
	command -v "$1" >/dev/null 2>&1 || { echo "mkimage: $1 is missing" >&2; exit 77; }
}

# MiB needed for a tree: twice its size, at least MIN.
size_mib() { # DIR MIN
	_k=$(du -sk "$1" | cut -f1)
	_m=$((_k * 2 / 1024 + 8))
	[ "$_m" -ge "$2" ] || _m=$2
	echo "$_m"
}

# An XFS protofile for DIR (mkfs.xfs(8), "-p"): names, modes, sources.
proto_entries() { # DIR INDENT
	for _e in "$1"/* "$1"/.[!.]*; do
		[ -e "$_e" ] || [ -L "$_e" ] || continue
		_n=${_e##*/}
		if [ -L "$_e" ]; then
			echo "$2$_n l--777 0 0 $(readlink "$_e")"
		elif [ -d "$_e" ]; then
			echo "$2$_n d--755 0 0"
			proto_entries "$_e" "$2 "
			echo "$2\$"
		else
			echo "$2$_n ---$(stat -c %a "$_e") 0 0 $_e"
		fi
	done
}

mkfs_dir() { # FS DIR OUT
	case $1 in
	ext4)
		need mkfs.ext4
		mkfs.ext4 -q -F -d "$2" "$3" "$(size_mib "$2" 32)M" >/dev/null
		;;
	xfs)
		need mkfs.xfs
		# mkfs.xfs refuses file systems under 300 MiB; the image is sparse.
		{ echo /dev/null; echo 0 0; echo d--755 0 0; proto_entries "$2" " "; echo '$'; } >"$tmp/proto"
		rm -f "$3"
		truncate -s "$(size_mib "$2" 320)M" "$3"
		mkfs.xfs -q -f -p "$tmp/proto" "$3"
		;;
	btrfs)
		need mkfs.btrfs
		rm -f "$3"
		truncate -s "$(size_mib "$2" 128)M" "$3"
		mkfs.btrfs -q -f --rootdir "$2" "$3" >/dev/null
		;;
	*) echo "mkimage: unknown file system $1" >&2; exit 99 ;;
	esac
}

# The root without /boot's contents, and /boot alone.
split_boot() {
	mkdir -p "$tmp/root" "$tmp/boot"
	cp -a "$tree/." "$tmp/root/"
	if [ -d "$tree/boot" ]; then
		cp -a "$tree/boot/." "$tmp/boot/"
		rm -rf "$tmp/root/boot"
		mkdir "$tmp/root/boot"
	fi
}

mib_of() { # FILE: its size in MiB, rounded up
	echo $((($(stat -c %s "$1") + 1048575) / 1048576))
}

# assemble LABEL OUT TYPE:PART...: a disk with the partition images, from 1 MiB on.
assemble() {
	need sfdisk
	_label=$1 _out=$2
	shift 2
	_start=1 _script="label: $_label"
	for _p in "$@"; do
		_m=$(mib_of "${_p#*:}")
		_script="$_script
start=$((_start * 2048)), size=$((_m * 2048)), type=${_p%%:*}"
		_start=$((_start + _m))
	done
	rm -f "$_out"
	truncate -s "$((_start + 2))M" "$_out"
	printf '%s\n' "$_script" | sfdisk -q "$_out" >/dev/null
	_start=1
	for _p in "$@"; do
		dd if="${_p#*:}" of="$_out" bs=1M seek="$_start" conv=notrunc,sparse status=none
		_start=$((_start + $(mib_of "${_p#*:}")))
	done
}

# An LVM physical volume image whose logical volume "root" holds ROOTFS.
lvm_pv() { # ROOTFS OUT VG
	need losetup
	need pvcreate
	[ "$(id -u)" = 0 ] || { echo "mkimage: LVM needs root (loop devices)" >&2; exit 77; }
	_cfg='--config=devices{obtain_device_list_from_udev=0 use_devicesfile=0} activation{udev_sync=0 udev_rules=0}'
	_m=$(mib_of "$1")
	truncate -s "$((_m + 8))M" "$2"
	loop=$(losetup -f --show "$2" 2>/dev/null) || { echo "mkimage: no loop device here" >&2; exit 77; }
	pvcreate -q "$_cfg" "$loop" >/dev/null 2>&1 || { echo "mkimage: pvcreate failed" >&2; exit 77; }
	vgcreate -q "$_cfg" -s 1M "$3" "$loop" >/dev/null 2>&1 || { echo "mkimage: vgcreate failed" >&2; exit 77; }
	lvcreate -q "$_cfg" --driverloaded n -an -Zn -L "${_m}M" -n root "$3" >/dev/null 2>&1 ||
		{ echo "mkimage: lvcreate failed" >&2; exit 77; }
	_pe=$(pvs "$_cfg" --noheadings --nosuffix --units b -o pe_start "$loop" 2>/dev/null | tr -d ' ')
	losetup -d "$loop"
	loop=
	[ -n "$_pe" ] || { echo "mkimage: no pe_start" >&2; exit 99; }
	dd if="$1" of="$2" bs=1M seek=$((_pe / 1048576)) conv=notrunc,sparse status=none
}

case $layout in
ext4 | xfs | btrfs)
	mkfs_dir "$layout" "$tree" "$image"
	;;
mbr-* | gpt-*)
	label=dos
	[ "${layout%%-*}" = gpt ] && label=gpt
	fs=${layout##*-}
	case $layout in
	*-boot-*)
		split_boot
		mkfs_dir ext4 "$tmp/boot" "$tmp/boot.img"
		mkfs_dir "$fs" "$tmp/root" "$tmp/root.img"
		assemble "$label" "$image" "L:$tmp/boot.img" "L:$tmp/root.img"
		;;
	*)
		mkfs_dir "$fs" "$tree" "$tmp/root.img"
		assemble "$label" "$image" "L:$tmp/root.img"
		;;
	esac
	;;
lvm-*)
	split_boot
	mkfs_dir ext4 "$tmp/boot" "$tmp/boot.img"
	mkfs_dir "${layout#lvm-}" "$tmp/root" "$tmp/root.img"
	lvm_pv "$tmp/root.img" "$tmp/pv.img" "pvhtest$$"
	assemble dos "$image" "L:$tmp/boot.img" "V:$tmp/pv.img"
	;;
*)
	echo "mkimage: unknown layout $layout" >&2
	exit 99
	;;
esac
