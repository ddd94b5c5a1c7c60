#!/bin/sh
# A FIFO (or a device, or a socket) where the agent expects a file would block
# open() forever (or act on the device): each one here, made at test time
# (git cannot hold a FIFO), in place of a file check reads, with openat2 and
# without (tests/harness/no-openat2). check must finish (bounded by timeout:
# the test fails, it does not hang) and name the file in the fact
# "unreadable" with "not a regular file"; so must check --cache and prepare
# --dry-run, which refuse with that reason.
set -u
. "$top_srcdir/tests/lib.sh"
agent=$top_builddir/pvh-agent
mkkernel=$top_builddir/tests/kernels/mkkernel
[ -x "$agent" ] || skip "$agent is not built"
[ -x "$mkkernel" ] || skip "$mkkernel is not built (make check builds it)"
command -v timeout >/dev/null || skip "timeout is missing (coreutils)"
for tool in xz zstd cpio; do
	command -v $tool >/dev/null || skip "$tool is missing (scripts/deps installs it)"
done
require_no_openat2
test_tmpdir

# base_tree CASE [DIR]: tests/DIR/CASE (rootfs by default) in $T/CASE.base, with its images.
base_tree() {
	src=$top_srcdir/tests/${2:-rootfs}/$1
	cp -a "$src/root" "$T/$1.base" || fail "copy of $1"
	sh "$top_srcdir/tests/kernels/gen.sh" "$mkkernel" "$src/generate" "$T/$1.base" || fail "gen.sh $1"
}
base_tree debian12-bookworm
base_tree fedora40
mkdir -p "$T/debian12-bookworm.base/etc/default/grub.d"
: >"$T/debian12-bookworm.base/etc/default/grub.d/50-local.cfg"

# special KIND PATH: a FIFO (p), the null device (c) or a socket (s) at PATH.
special() {
	rm -rf "$2"
	case $1 in
	p) mkfifo "$2" ;;
	c) mknod "$2" c 1 3 ;;
	s) python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$2" ;;
	esac
}

# bounded WHAT CMD...: runs CMD with a generous bound; its output in $T/out, exit status in $rc.
bounded() {
	what=$1
	shift
	rc=0
	timeout 120 "$@" >"$T/out" 2>&1 || rc=$?
	[ "$rc" != 124 ] || fail "$what: still blocked after 120 s"
}

# case BASE KIND PATH: check on BASE with PATH made special reports PATH as not a regular file.
case_() {
	base=$1 kind=$2 path=$3
	R=$T/root
	rm -rf "$R"
	cp -a "$T/$base.base" "$R"
	special "$kind" "$R/$path" || { echo "# no special file of kind $kind here: $path left out"; return 0; }
	for how in openat2 no-openat2; do
		run=
		[ "$how" = openat2 ] || run=$NO_OPENAT2
		bounded "$base /$path ($kind, $how)" $run "$agent" check --root "$R" --json
		[ "$rc" -le 3 ] || fail "$base /$path ($kind, $how): check exited $rc: $(cat "$T/out")"
		grep -q "^    \"unreadable\": \".*/$path: not a regular file" "$T/out" || {
			cat "$T/out" >&2
			fail "$base /$path ($kind, $how): not reported as not a regular file"
		}
	done
	echo "ok   $base: /$path ($kind)"
}

for path in boot/vmlinuz-6.1.0-47-amd64 boot/initrd.img-6.1.0-47-amd64 boot/config-6.1.0-47-amd64 \
	boot/grub/grub.cfg etc/os-release etc/default/grub etc/default/grub.d/50-local.cfg \
	sys/hypervisor/guest_type proc/sys/kernel/osrelease; do
	case_ debian12-bookworm p "$path"
done
for path in boot/grub2/grubenv boot/loader/entries/6a8c6b4ec3d54b7c8ee5c2c3a7b8d9e0-6.8.5-301.fc40.x86_64.conf \
	boot/vmlinuz-6.8.5-301.fc40.x86_64 boot/initramfs-6.8.5-301.fc40.x86_64.img; do
	case_ fedora40 p "$path"
done
# A device (only root may make one) and a socket.
if [ "$(id -u)" = 0 ]; then
	case_ debian12-bookworm c etc/os-release
	case_ debian12-bookworm c boot/vmlinuz-6.1.0-47-amd64
fi
command -v python3 >/dev/null && case_ debian12-bookworm s etc/default/grub

# The checks that needed the file say so: the kernel, the menu, the settings.
R=$T/root
rm -rf "$R"
cp -a "$T/debian12-bookworm.base" "$R"
special p "$R/etc/default/grub"
bounded "console" "$agent" check --root "$R"
grep -q "^unknown  console  *could not read /etc/default/grub: not a regular file" "$T/out" ||
	fail "console with a FIFO for /etc/default/grub: $(cat "$T/out")"
special p "$R/boot/vmlinuz-6.1.0-47-amd64"
bounded "next_boot" "$agent" check --root "$R"
grep -q "^unknown  next_boot  *could not read /boot/vmlinuz-6.1.0-47-amd64: not a regular file" "$T/out" ||
	fail "next_boot with a FIFO for the kernel: $(cat "$T/out")"
echo "ok   the checks that needed them say why"

# The kernel cache of check --cache: refused, not waited on.
cp -a "$T/debian12-bookworm.base" "$T/root2"
special p "$T/cache"
bounded "check --cache FIFO" "$agent" check --root "$T/root2" --cache "$T/cache"
[ "$rc" = 5 ] && grep -q "not a regular file" "$T/out" || fail "check --cache FIFO: exit $rc: $(cat "$T/out")"
echo "ok   check --cache on a FIFO: $(cat "$T/out")"

# prepare reads the files it would change: refused with the reason, nothing waits.
base_tree debian-serial rootfs-prepare
for path in etc/initramfs-tools/modules etc/default/grub.d/50-cloud.cfg etc/default/grub; do
	for how in openat2 no-openat2; do
		run=
		[ "$how" = openat2 ] || run=$NO_OPENAT2
		rm -rf "$R" "$T/state"
		cp -a "$T/debian-serial.base" "$R"
		special p "$R/$path"
		bounded "prepare, /$path ($how)" $run "$agent" prepare --dry-run --root "$R" --state-dir "$T/state"
		[ "$rc" = 1 ] && grep -q "not a regular file" "$T/out" ||
			fail "prepare --dry-run with a FIFO at /$path ($how): exit $rc: $(cat "$T/out")"
	done
	echo "ok   prepare --dry-run, a FIFO at /$path: refused"
done
