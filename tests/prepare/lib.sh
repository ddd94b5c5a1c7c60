# Helpers of the prepare tests; sourced, never run.
. "$top_srcdir/tests/lib.sh"
agent=$top_builddir/pvh-agent
mkkernel=$top_builddir/tests/kernels/mkkernel
fixtures=$top_srcdir/tests/rootfs-prepare
[ -x "$agent" ] || skip "$agent is not built"
# Every prepare test runs the commands as stand-ins through --command-dir.
require_fault_injection
[ -x "$mkkernel" ] || skip "$mkkernel is not built (make check builds it)"
for tool in zstd xz cpio sha256sum; do
	command -v $tool >/dev/null || skip "$tool is missing (scripts/deps installs it)"
done
test_tmpdir
R=$T/root S=$T/state C=$T/cmds

mkcmds() {
	rm -rf "$C"
	mkdir -p "$C"
	for c in update-grub grub-mkconfig grub2-mkconfig grubby update-initramfs; do
		ln -s "$top_srcdir/tests/prepare/stub" "$C/$c"
	done
	: >"$C/log"
	if [ "$(id -u)" = 0 ] && command -v grub-mkconfig >/dev/null && unshare -m true 2>/dev/null; then
		: >"$C/real-grub"
	fi
}

# setup TREE GENERATE [keep]: a fresh copy of the tree, its images, and a
# grub.cfg regenerated from its own settings (so that rollback can be
# compared with it), unless keep: the tree's menu as it is.
setup() {
	rm -rf "$R" "$S"
	cp -a "$1" "$R"
	[ -z "$2" ] || sh "$top_srcdir/tests/kernels/gen.sh" "$mkkernel" "$2" "$R" || fail "gen.sh $2"
	mkcmds
	[ -z "$2" ] || cp "$2" "$C/generate"
	if [ "${3:-}" != keep ] && [ -f "$C/real-grub" ] && [ -d "$R/etc/default" ]; then
		PVH_AGENT_ROOT=$R PVH_AGENT_COMMAND=update-grub "$C/update-grub" >/dev/null 2>&1 ||
			fail "grub-mkconfig on the fresh tree"
		: >"$C/log"
	fi
}

# Every file, directory and link with type, mode, owner; the bytes of every file.
snapshot() {
	(cd "$R" && find . -printf '%p %y %m %U:%G %l\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$1"
}

same() { # WHAT A B
	cmp -s "$2" "$3" || { diff -u "$2" "$3" | head -40 >&2; fail "$1"; }
}

pa() { # prepare|rollback|recover ARGS...: exit status in $rc, output in $T/out
	rc=0
	"$agent" "$@" --root "$R" --state-dir "$S" --command-dir "$C" >"$T/out" 2>&1 || rc=$?
}

# alive PID: running, not a zombie (the test harness reaps orphans only at its end).
alive() {
	[ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

expect_rc() { # WANT WHAT
	[ "$rc" = "$1" ] || { cat "$T/out" >&2; fail "$2: exit status $rc, expected $1"; }
}

# What grub-mkconfig would see: the tree's settings sourced in its order.
effective() {
	(cd "$R" && sh -c '. ./etc/default/grub; for f in ./etc/default/grub.d/*.cfg; do [ -f "$f" ] && . "$f"; done
		echo "$GRUB_CMDLINE_LINUX|$GRUB_CMDLINE_LINUX_DEFAULT|$GRUB_TERMINAL|${GRUB_SERIAL_COMMAND-}"')
}

deb=$fixtures/debian-serial
debian_setup() {
	setup "$deb/root" "$deb/generate"
	# Modes and owners that git does not keep: rollback must give them back.
	chmod 0640 "$R/etc/initramfs-tools/modules"
	chown 1:2 "$R/etc/initramfs-tools/modules"
	chmod 0600 "$R/etc/default/grub"
}

# fresh: the tree as it was saved in $T/pristine, no state.
fresh() {
	rm -rf "$R" "$S"
	cp -a "$T/pristine" "$R"
	: >"$C/log"
}

# hand_edit: a menu that grub-mkconfig would not write, as an administrator
# leaves it: a timeout changed by hand, and an entry of their own.
hand_edit() {
	_cfg=$R/boot/grub/grub.cfg
	sed 's/^\([[:space:]]*set timeout=\)5$/\117/' "$_cfg" >"$T/hand.cfg"
	cat >>"$T/hand.cfg" <<-'END'
	# Added by hand.
	menuentry 'Rescue shell (by hand)' {
		linux /boot/vmlinuz-6.1.0-47-amd64 root=/dev/xvda1 ro init=/bin/sh console=ttyS0
	}
	END
	cmp -s "$_cfg" "$T/hand.cfg" && fail "hand_edit changed nothing"
	cat "$T/hand.cfg" >"$_cfg"
}

# fedora_setup CASE [DIR]: tests/DIR/CASE (rootfs-prepare, else rootfs), its
# menu as it is: grub2-mkconfig is a stand-in, and rollback restores the menu
# byte for byte rather than regenerating it.
fedora_setup() {
	_d=$top_srcdir/tests/${2:-rootfs-prepare}/$1
	[ -d "$_d" ] || _d=$top_srcdir/tests/rootfs/$1
	setup "$_d/root" "$_d/generate" keep
}
