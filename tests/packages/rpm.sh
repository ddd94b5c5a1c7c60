#!/bin/sh
# The RPMs (x86_64, i686): the file list (rpm -qpl) is exactly the agent's,
# and the one pvh-agent.8 gives; nothing is required but /bin/sh for the
# scriptlets and rpm features EL 7's rpm 4.11 has (a gzip payload: newer
# rpmbuilds default to zstd); each installs with rpm --root into an empty
# root, verifies (rpm -V) and erases. The empty root has a static busybox as
# /bin/sh, so the scriptlets run; and --nodeps, as its rpm database has no
# package that provides /bin/sh. The scriptlets' choices are checked with a
# stand-in systemctl (a systemd guest) and chkconfig (EL 6) that log their
# arguments.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/packages/lib.sh"
command -v rpm >/dev/null || skip "rpm is missing"
busybox=$(command -v busybox) || skip "busybox is missing (busybox-static)"
file -b "$busybox" | grep -q 'statically linked' || skip "$busybox is not static (busybox-static)"
[ "$(id -u)" = 0 ] || skip "rpm --root needs root"
test_tmpdir

version=$(sed -n 's/^AC_INIT(\[pvh-agent\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
expected="/etc/pvh-agent
/etc/pvh-agent/agent.conf
/etc/rc.d/init.d/pvh-agent
/etc/sysconfig/pvh-agent
/usr/lib/systemd/system/pvh-agent.service
/usr/sbin/pvh-agent
/usr/share/bash-completion
/usr/share/bash-completion/completions
/usr/share/bash-completion/completions/pvh-agent
/usr/share/doc/pvh-agent
/usr/share/doc/pvh-agent/README
/usr/share/licenses/pvh-agent
/usr/share/licenses/pvh-agent/COPYING
/usr/share/man/man8/pvh-agent.8
/var/lib/pvh-agent"

# empty_root DIR [TOOL...]: an empty root with busybox as /bin/sh and
# /dev/null (the scriptlets' output goes there), and
# stand-ins for TOOL (a path) that log "TOOL ARGS" to /tool.log.
empty_root() {
	_r=$1
	shift
	mkdir -p "$_r/bin" "$_r/tmp" "$_r/dev"
	mknod -m 666 "$_r/dev/null" c 1 3 || fail "mknod /dev/null"
	cp "$busybox" "$_r/bin/busybox"
	ln -s busybox "$_r/bin/sh"
	for _t in "$@"; do
		mkdir -p "$_r$(dirname "$_t")"
		printf '#!/bin/sh\necho "%s $*" >>/tool.log\n' "${_t##*/}" >"$_r$_t"
		chmod 755 "$_r$_t"
	done
	rpm --root "$_r" --initdb || fail "rpm --initdb"
}

for arch in x86_64 i686; do
	pkg=$PKGDIR/rpm/pvh-agent-$version-1.$arch.rpm
	[ -f "$pkg" ] || fail "no $pkg (scripts/build-packages makes it)"
	echo "# $(basename "$pkg")"
	expect_eq "name arch" "pvh-agent $arch" "$(rpm -qp --qf '%{NAME} %{ARCH}' "$pkg")"
	expect_eq "$arch file list" "$expected" "$(rpm -qpl "$pkg" | sort)"
	rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$pkg" | awk '$1 !~ /^d/ { print $2 }' >"$T/files"
	man_lists "$T/files" "The RPM ("
	expect_eq "$arch payload" gzip "$(rpm -qp --qf '%{PAYLOADCOMPRESSOR}' "$pkg")"
	rpm -qp --requires "$pkg" | sort -u >"$T/requires"
	if grep -v '^/bin/sh$' "$T/requires" |
		grep -v '^rpmlib(\(CompressedFileNames\|FileDigests\|PayloadFilesHavePrefix\)) <= ' | grep .; then
		fail "$arch requires more than /bin/sh and rpm 4.11's features: $(cat "$T/requires")"
	fi
	unit=$(rpm2cpio "$pkg" | cpio -i --quiet --to-stdout ./usr/lib/systemd/system/pvh-agent.service)
	echo "$unit" | grep -qx 'ExecStart=/usr/sbin/pvh-agent daemon -f --state-dir /var/lib/pvh-agent' ||
		fail "$arch unit's ExecStart: $(echo "$unit" | grep ^ExecStart)"

	R=$T/$arch-empty
	empty_root "$R"
	rpm --root "$R" -i --nodeps "$pkg" || fail "rpm --root -i ($arch)"
	out=$(rpm --root "$R" -V --nodeps pvh-agent) || fail "rpm -V ($arch): $out"
	expect_eq "state directory" "700 0 0" "$(stat -c '%a %u %g' "$R/var/lib/pvh-agent")"
	[ -x "$R/usr/sbin/pvh-agent" ] || fail "no /usr/sbin/pvh-agent ($arch)"
	rpm --root "$R" -e pvh-agent || fail "rpm --root -e ($arch)"
	[ -e "$R/usr/sbin/pvh-agent" ] && fail "rpm -e left /usr/sbin/pvh-agent ($arch)"
	[ -e "$R/var/lib/pvh-agent" ] && fail "rpm -e left the empty state directory ($arch)"

	R=$T/$arch-systemd
	empty_root "$R" /usr/bin/systemctl
	rpm --root "$R" -i --nodeps "$pkg" || fail "rpm -i with systemctl ($arch)"
	mkdir -p "$R/var/lib/pvh-agent/tx"
	echo saved >"$R/var/lib/pvh-agent/tx/original"
	rpm --root "$R" -e pvh-agent || fail "rpm -e with systemctl ($arch)"
	expect_eq "systemctl calls ($arch)" "systemctl enable pvh-agent.service
systemctl --no-reload disable pvh-agent.service" "$(cat "$R/tool.log")"
	[ -f "$R/var/lib/pvh-agent/tx/original" ] || fail "rpm -e removed what prepare saved ($arch)"

	R=$T/$arch-el6
	empty_root "$R" /sbin/chkconfig
	rpm --root "$R" -i --nodeps "$pkg" || fail "rpm -i with chkconfig ($arch)"
	rpm --root "$R" -e pvh-agent || fail "rpm -e with chkconfig ($arch)"
	expect_eq "chkconfig calls ($arch)" "chkconfig --add pvh-agent
chkconfig --del pvh-agent" "$(cat "$R/tool.log")"
done
echo PASS
