#!/bin/sh
# The agent tarballs: their scripts parse (sh -n), and install.sh, run by a
# plain POSIX shell (busybox's), picks the init system of the tree it
# installs into (--root) and puts the program and the service there, with
# the paths of --prefix, enabled; --uninstall removes it all but the state
# directory and the settings. Trees: systemd (/sbin/init is systemd), OpenRC
# (openrc-run), EL 6 (/etc/rc.d/init.d, /etc/sysconfig), Debian with
# sysvinit, and none.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/packages/lib.sh"
command -v systemctl >/dev/null || skip "systemctl is missing (systemd)"
SH=sh
busybox=$(command -v busybox) && SH="$busybox sh"
test_tmpdir

for f in "$PKGDIR"/tarball/pvh-agent-*.tar.gz; do
	[ -f "$f" ] || fail "no tarball in $PKGDIR/tarball (scripts/build-packages makes them)"
	mkdir -p "$T/x"
	tar -xzf "$f" -C "$T/x" || fail "tar -x $f"
done
D=$(ls -d "$T"/x/pvh-agent-*-x86_64)
for s in install.sh sysv/pvh-agent openrc/pvh-agent; do
	sh -n "$D/$s" || fail "$s does not parse"
done
for f in pvh-agent pvh-agent.8 pvh-agent.bash-completion systemd/pvh-agent.service sysv/pvh-agent.default \
	 openrc/pvh-agent.confd agent.conf README COPYING; do
	[ -s "$D/$f" ] || fail "the tarball has no $f"
done

# install KIND PREFIX: install.sh into a fresh tree of that kind.
tree() {
	R=$T/$1
	rm -rf "$R"
	mkdir -p "$R/etc"
	case $1 in
	systemd)
		mkdir -p "$R/lib/systemd/system" "$R/sbin" "$R/etc/default"
		: >"$R/lib/systemd/systemd"
		ln -s ../lib/systemd/systemd "$R/sbin/init"
		;;
	openrc)
		mkdir -p "$R/sbin" "$R/etc/init.d"
		printf '#!/bin/sh\n' >"$R/sbin/openrc-run"
		chmod 755 "$R/sbin/openrc-run"
		;;
	el6) mkdir -p "$R/etc/rc.d/init.d" "$R/etc/sysconfig" && ln -s rc.d/init.d "$R/etc/init.d" ;;
	debian-sysv)
		mkdir -p "$R/etc/init.d" "$R/etc/default" "$R/sbin"
		printf '\177ELF' >"$R/sbin/init"
		chmod 755 "$R/sbin/init"
		;;
	none) ;;
	esac
}

run() {
	$SH "$D/install.sh" "$@" >"$T/out" 2>&1 || fail "install.sh $*: $(cat "$T/out")"
	cat "$T/out"
}

# installed PREFIX: the program, its page and completion, the state directory.
installed() {
	for f in "$1/sbin/pvh-agent" "$1/share/man/man8/pvh-agent.8" \
		 "$1/share/bash-completion/completions/pvh-agent"; do
		[ -f "$R$f" ] || fail "$f is not installed in $R"
	done
	[ -x "$R$1/sbin/pvh-agent" ] || fail "$1/sbin/pvh-agent is not executable"
	cmp -s "$D/agent.conf" "$R/etc/pvh-agent/agent.conf" || fail "/etc/pvh-agent/agent.conf is not the tarball's"
	expect_eq "state directory" 700 "$(stat -c %a "$R/var/lib/pvh-agent")"
}

# uninstalled PREFIX FILES...: --uninstall leaves none of FILES, nor the
# program; the state directory stays.
uninstalled() {
	_p=$1
	shift
	run --root "$R" --prefix "$_p" --uninstall
	for f in "$_p/sbin/pvh-agent" "$@"; do
		[ -e "$R$f" ] && fail "--uninstall left $f"
	done
	[ -d "$R/var/lib/pvh-agent" ] || fail "--uninstall removed the state directory"
}

echo "# systemd"
tree systemd
run --root "$R" --prefix /usr/local
installed /usr/local
grep -qx 'ExecStart=/usr/local/sbin/pvh-agent daemon -f --state-dir /var/lib/pvh-agent' \
	"$R/etc/systemd/system/pvh-agent.service" || fail "unit's ExecStart: $(grep ExecStart "$R/etc/systemd/system/pvh-agent.service")"
[ -L "$R/etc/systemd/system/multi-user.target.wants/pvh-agent.service" ] || fail "the unit is not enabled"
# The owner's settings survive a reinstall and an uninstall.
echo 'prepare = deny' >>"$R/etc/pvh-agent/agent.conf"
run --root "$R" --prefix /usr/local | grep -q 'keeping /etc/pvh-agent/agent.conf' || fail "reinstall did not say it kept agent.conf"
grep -qx 'prepare = deny' "$R/etc/pvh-agent/agent.conf" || fail "reinstall replaced the owner's agent.conf"
uninstalled /usr/local /etc/systemd/system/pvh-agent.service /etc/systemd/system/multi-user.target.wants/pvh-agent.service
grep -qx 'prepare = deny' "$R/etc/pvh-agent/agent.conf" || fail "--uninstall removed the owner's agent.conf"

echo "# OpenRC"
tree openrc
run --root "$R" --prefix /usr
installed /usr
grep -qx 'command=/usr/sbin/pvh-agent' "$R/etc/init.d/pvh-agent" || fail "openrc script's command"
head -n 1 "$R/etc/init.d/pvh-agent" | grep -qx '#!/sbin/openrc-run' || fail "not the OpenRC script"
[ -f "$R/etc/conf.d/pvh-agent" ] || fail "no /etc/conf.d/pvh-agent"
[ -L "$R/etc/runlevels/default/pvh-agent" ] || fail "not in the default runlevel"
echo 'PVH_AGENT_OPTS="-v"' >>"$R/etc/conf.d/pvh-agent"
uninstalled /usr /etc/init.d/pvh-agent /etc/runlevels/default/pvh-agent
grep -q '^PVH_AGENT_OPTS="-v"$' "$R/etc/conf.d/pvh-agent" || fail "--uninstall removed the administrator's settings"

echo "# EL 6 (SysV, /etc/rc.d)"
tree el6
run --root "$R" --prefix /opt/pvh
installed /opt/pvh
grep -qx 'DAEMON=/opt/pvh/sbin/pvh-agent' "$R/etc/rc.d/init.d/pvh-agent" || fail "SysV script's DAEMON"
[ -f "$R/etc/sysconfig/pvh-agent" ] || fail "no /etc/sysconfig/pvh-agent"
[ -L "$R/etc/rc.d/rc3.d/S80pvh-agent" ] && [ -L "$R/etc/rc.d/rc0.d/K20pvh-agent" ] || fail "no rc links"
uninstalled /opt/pvh /etc/rc.d/init.d/pvh-agent /etc/rc.d/rc3.d/S80pvh-agent /etc/rc.d/rc0.d/K20pvh-agent

echo "# Debian with sysvinit"
tree debian-sysv
run --root "$R" --prefix /usr/local
grep -qx 'DAEMON=/usr/local/sbin/pvh-agent' "$R/etc/init.d/pvh-agent" || fail "SysV script's DAEMON"
[ -f "$R/etc/default/pvh-agent" ] || fail "no /etc/default/pvh-agent"
[ -L "$R/etc/rc2.d/S80pvh-agent" ] || fail "no rc2.d link"

echo "# no init system"
tree none
run --root "$R" --prefix /usr/local
installed /usr/local
[ -e "$R/etc/init.d/pvh-agent" ] || [ -e "$R/etc/systemd/system/pvh-agent.service" ] && fail "a service without an init system"
echo "PASS (install.sh run by ${SH})"
