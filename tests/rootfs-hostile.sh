#!/bin/sh
# --root is a boundary, with openat2 and without (under tests/harness/no-openat2,
# as on Linux before 5.6): trees whose files and directories are symlinks out
# of the root, absolute and ../../.., with sentinel files at the targets
# outside. check must read nothing of them (their contents would show in the
# report: SENTINEL), and prepare must write nothing outside the root (the
# directory outside is hashed before and after). A symlink pointing inside
# the root by an absolute path is followed there, not on this host.
set -eu
. "$top_srcdir/tests/prepare/lib.sh"
require_no_openat2

# lib.sh: the tree is $T/root, so ../../outside from its /etc is $T/outside.
O=$T/outside
up=../../../../../../../../../../../../../../../..

# What is outside: readable, valid, and marked, so that a read shows in the report.
mkdir -p "$O/grubdir" "$O/default/grub.d" "$O/grub.d" "$O/initramfs-tools" "$O/state" "$O/lib"
printf 'kernel vmlinuz xz xenpvh 64 6.1.0-47-amd64 SENTINEL-kernel #1 SMP\n' >"$T/outside.spec"
sh "$top_srcdir/tests/kernels/gen.sh" "$mkkernel" "$T/outside.spec" "$O" || fail "gen.sh outside"
printf 'ID=debian\nPRETTY_NAME="SENTINEL os-release"\n' >"$O/os-release"
printf 'GRUB_CMDLINE_LINUX="console=SENTINEL"\nGRUB_TERMINAL=serial\n' >"$O/grub"
cp "$O/grub" "$O/default/grub"
cat >"$O/grub.cfg" <<'EOF'
menuentry 'SENTINEL menu' {
	linux /boot/vmlinuz-6.1.0-47-amd64 root=/dev/xvda1 console=SENTINEL
}
EOF
cp "$O/grub.cfg" "$O/grubdir/grub.cfg"
printf 'SENTINEL modules\n' >"$O/initramfs-tools/modules"

hash_outside() {
	(cd "$O" && find . -printf '%p %y %m %s %l\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum)
}
hash_outside >"$T/outside.before"

# The readiness tree, its images made once.
bookworm=$top_srcdir/tests/rootfs/debian12-bookworm
cp -a "$bookworm/root" "$T/check-base"
sh "$top_srcdir/tests/kernels/gen.sh" "$mkkernel" "$bookworm/generate" "$T/check-base" || fail "gen.sh bookworm"

# hostile TREE PATH TARGET: PATH in the tree becomes a symlink to TARGET.
hostile() {
	rm -rf "${1:?}/${2:?}"
	ln -s "$3" "$1/$2"
}

# check_case NAME PATH TARGET [WANT]: check reads nothing outside; WANT, when given, is in its report.
check_case() {
	name=$1 path=$2 target=$3 want=${4:-}
	rm -rf "$R"
	cp -a "$T/check-base" "$R"
	hostile "$R" "$path" "$target"
	for how in openat2 no-openat2; do
		run=
		[ "$how" = openat2 ] || run=$NO_OPENAT2
		rc=0
		$run "$agent" check --root "$R" --json >"$T/report" 2>&1 || rc=$?
		[ "$rc" -le 3 ] || fail "$name ($how): check exited $rc: $(cat "$T/report")"
		if grep -q SENTINEL "$T/report"; then
			grep SENTINEL "$T/report" >&2
			fail "$name ($how): check read a file outside the root through /$path -> $target"
		fi
		if [ -n "$want" ] && ! grep -q -- "$want" "$T/report"; then
			cat "$T/report" >&2
			fail "$name ($how): the report does not say '$want'"
		fi
	done
	echo "ok   check: $name"
}

kernel=boot/vmlinuz-6.1.0-47-amd64
check_case "kernel, absolute" $kernel "$O/vmlinuz" "$kernel, which does not exist"
check_case "kernel, ../" $kernel "../../outside/vmlinuz" "$kernel, which does not exist"
check_case "os-release, absolute" etc/os-release "$O/os-release" '"os_name": null'
check_case "os-release, ../" etc/os-release "../../outside/os-release" '"os_name": null'
check_case "default/grub, absolute" etc/default/grub "$O/grub"
check_case "default/grub, ../ past /" etc/default/grub "$up$O/grub"
check_case "grub.cfg, absolute" boot/grub/grub.cfg "$O/grub.cfg" "no boot menu found"
check_case "grub.cfg, ../" boot/grub/grub.cfg "../../../outside/grub.cfg" "no boot menu found"
check_case "boot/grub, a directory, absolute" boot/grub "$O/grubdir" "no boot menu found"
check_case "etc/default, a directory, ../" etc/default "../../outside/default"
# Inside the root by an absolute path: followed there (this host's /usr/lib/os-release says Debian's name).
mkdir -p "$T/check-base/usr/lib"
printf 'ID=debian\nPRETTY_NAME="inside the root"\n' >"$T/check-base/usr/lib/os-release"
check_case "os-release, absolute inside the root" etc/os-release /usr/lib/os-release '"os_name": "inside the root"'

# prepare_case NAME PATH TARGET: prepare (default state directory) writes nothing outside the root.
deb=$fixtures/debian-serial
cp -a "$deb/root" "$T/prepare-base"
sh "$top_srcdir/tests/kernels/gen.sh" "$mkkernel" "$deb/generate" "$T/prepare-base" || fail "gen.sh debian-serial"
mkdir -p "$T/prepare-base/var/lib"
prepare_case() {
	name=$1 path=$2 target=$3
	for how in openat2 no-openat2; do
		run=
		[ "$how" = openat2 ] || run=$NO_OPENAT2
		rm -rf "$R"
		cp -a "$T/prepare-base" "$R"
		hostile "$R" "$path" "$target"
		mkcmds
		rm -f "$C/real-grub"
		for action in prepare rollback recover; do
			rc=0
			$run "$agent" $action --root "$R" --command-dir "$C" >"$T/out" 2>&1 || rc=$?
			[ "$rc" -lt 128 ] || fail "$name ($how): $action killed by signal $((rc - 128)): $(cat "$T/out")"
			hash_outside >"$T/outside.now"
			if ! cmp -s "$T/outside.before" "$T/outside.now"; then
				diff -u "$T/outside.before" "$T/outside.now" >&2 || true
				fail "$name ($how): $action changed the directory outside the root"
			fi
		done
	done
	echo "ok   prepare: $name"
}

prepare_case "etc/default/grub.d, absolute" etc/default/grub.d "$O/grub.d"
prepare_case "etc/default/grub.d, ../" etc/default/grub.d "../../../outside/grub.d"
prepare_case "etc/default/grub, absolute" etc/default/grub "$O/grub"
prepare_case "etc/default, a directory, ../" etc/default "$up$O/default"
prepare_case "etc/initramfs-tools, ../ past /" etc/initramfs-tools "$up$O/initramfs-tools"
prepare_case "boot/grub, absolute" boot/grub "$O/grubdir"
prepare_case "the state directory, absolute" var/lib/pvh-agent "$O/state"
prepare_case "the state directory's parent, ../" var/lib "../../outside/lib"
prepare_case "the state directory's parent, absolute" var/lib "$O/lib"
echo "ok"
