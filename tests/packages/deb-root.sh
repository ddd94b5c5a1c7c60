#!/bin/sh
# deb-root.sh SUITE ARCH: the pvh-agent package of ARCH (amd64 or i386) in a
# debootstrapped SUITE root (cached, scripts/roots.sh), as a guest of that
# release has it: dpkg -i installs it with nothing else (no missing
# dependency); the agent, run in the root against the simulated host (its
# guest socket bind-mounted in), publishes guest_type (PV: no
# /sys/hypervisor/guest_type), the kernel, kernel/arch as the root's machine
# (i686 for i386, run under linux32) and a verdict, and answers ping and
# prepare --dry-run sent with pvh-monitor request from dom0; the SysV script
# starts, reports and stops it; purge leaves nothing behind; pvh-agent.8 lists
# the package's files. With systemd in the root (bullseye amd64), the unit is
# enabled and passes that systemd's systemd-analyze verify.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/packages/lib.sh"
suite=${1:?suite} arch=${2:?arch}
require_root_tools
require_sim
for p in "$MONITOR" "$PVH_STATE"; do
	[ -x "$p" ] || skip "$p is not built"
done
deb=$(the_deb pvh-agent "$arch")
case $arch in
amd64) personality= machine=x86_64 extra=systemd ;;
i386) personality=linux32 machine=i686 extra= ;;
*) fail "no such architecture: $arch" ;;
esac
[ "$suite" = bullseye ] || extra=
test_tmpdir
trap 'cleanup_mounts; test_cleanup' EXIT
mkdir -p "$T/x"
dpkg-deb -x "$deb" "$T/x"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print substr($6, 2) }' >"$T/files"
man_lists "$T/files" "The Debian package (" /etc/pvh-agent/agent.conf
require_runnable "$arch" "$T/x/usr/sbin/pvh-agent"
echo "$(basename "$deb") in $suite $arch: $(file -b "$T/x/usr/sbin/pvh-agent" | cut -d, -f1-4)"

R=$T/root
unpack_root "$suite" "$arch" "$extra" "$R"
cp "$deb" "$R/tmp/"

echo "# dpkg -i"
in_root "$R" "$personality" dpkg -i "/tmp/$(basename "$deb")" >"$T/dpkg.log" 2>&1 ||
	fail "dpkg -i in $suite $arch: $(tail -n 20 "$T/dpkg.log")"
in_root "$R" "$personality" dpkg-query -W -f '${db:Status-Abbrev}\n' pvh-agent | grep -q '^ii' ||
	fail "pvh-agent is not installed in $suite $arch"
for f in /usr/sbin/pvh-agent /lib/systemd/system/pvh-agent.service /etc/init.d/pvh-agent \
	 /etc/default/pvh-agent /usr/share/man/man8/pvh-agent.8.gz /var/lib/pvh-agent; do
	[ -e "$R$f" ] || fail "$f is not installed"
done
expect_eq "state directory mode" 700 "$(stat -c %a "$R/var/lib/pvh-agent")"
# Not preseeded, the installation's question keeps its default (allow): the
# owner's file is the shipped one, every setting commented out.
cmp -s "$R/usr/share/pvh-agent/agent.conf" "$R/etc/pvh-agent/agent.conf" ||
	fail "/etc/pvh-agent/agent.conf is not the shipped file after a default install"
ls "$R"/etc/rc2.d/S*pvh-agent >/dev/null 2>&1 || fail "the SysV script is not enabled (no rc2.d link)"
if [ -n "$extra" ]; then
	[ -L "$R/etc/systemd/system/multi-user.target.wants/pvh-agent.service" ] || fail "the unit is not enabled"
	# systemd-analyze wants the cgroup hierarchy; /sys goes again before the
	# agent runs (on a Xen machine it would tell the agent the host's guest type).
	mount -t sysfs sysfs "$R/sys" && mount --bind /sys/fs/cgroup "$R/sys/fs/cgroup" ||
		fail "mount /sys in the root"
	out=$(in_root "$R" "" systemd-analyze verify --man=no /lib/systemd/system/pvh-agent.service 2>&1)
	rc=$?
	umount "$R/sys/fs/cgroup" "$R/sys"
	[ "$rc" = 0 ] || fail "systemd-analyze verify of $suite: $out"
	echo "systemd $(in_root "$R" "" systemctl --version | sed -n '1s/^systemd //p') verifies the unit${out:+: $out}"
fi

H=$T/h
sim_start "$H" >/dev/null
"$XENSIM" create "$H" 5 "$suite-$arch" >/dev/null || fail "create"
bind_socket "$H/guest/5.sock" "$R" /run/xenbus.sock
dom0() { env "$(sim_env "$H" 0)" "$@"; }
key() { dom0 "$PVH_STATE" 5 2>/dev/null | sed -n "s|^$1=||p"; }
has_key() { [ -n "$(key "$1")" ]; }

echo "# the agent in the root, on the simulated host"
$personality chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin XENSTORED_PATH=/run/xenbus.sock \
	/usr/sbin/pvh-agent daemon -f -v --state-dir /var/lib/pvh-agent >"$T/agent.log" 2>&1 &
AGENT_PID=$!
track "$AGENT_PID"
wait_for 300 has_key verdict || fail "no verdict published: $(tail -n 20 "$T/agent.log")"
dom0 "$PVH_STATE" 5 >"$T/state" || fail "the published state is not valid: $(cat "$T/state")"
expect_eq "guest_type" PV "$(key guest_type)"
expect_eq "kernel/release" "$(uname -r)" "$(key kernel/release)"
expect_eq "kernel/arch" "$machine" "$(key kernel/arch)"
echo "published: guest_type=$(key guest_type) kernel/release=$(key kernel/release) kernel/arch=$(key kernel/arch) verdict=$(key verdict)"
expect_eq "ping" "5 $suite-$arch: done: pong" "$(dom0 "$MONITOR" request 5 ping)"
dom0 "$MONITOR" request 5 prepare --dry-run >"$T/dry" 2>&1
rc=$?
[ "$rc" -le 1 ] || fail "prepare --dry-run was not answered (exit $rc): $(cat "$T/dry")"
echo "prepare --dry-run: $(head -n 1 "$T/dry")"
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null

echo "# the SysV script"
echo "XENSTORED_PATH=/run/xenbus.sock" >>"$R/etc/default/pvh-agent"
instance=$(key agent/instance)
out=$(in_root "$R" "$personality" /etc/init.d/pvh-agent start) || fail "init.d start: $out"
echo "start: $out"
wait_for 300 sh -c "[ \"\$(env '$(sim_env "$H" 0)' '$PVH_STATE' 5 2>/dev/null | sed -n 's|^agent/instance=||p')\" != '$instance' ]" ||
	fail "the agent the SysV script started did not publish"
pid=$(cat "$R/run/pvh-agent.pid") || fail "no pid file"
track "$pid"
out=$(in_root "$R" "$personality" /etc/init.d/pvh-agent status) || fail "init.d status: $out"
expect_eq "status" "pvh-agent is running (pid $pid)." "$out"
out=$(in_root "$R" "$personality" /etc/init.d/pvh-agent stop) || fail "init.d stop: $out"
in_root "$R" "$personality" /etc/init.d/pvh-agent status >/dev/null
expect_eq "status after stop" 3 "$?"

echo "# purge"
in_root "$R" "$personality" dpkg --purge pvh-agent >"$T/purge.log" 2>&1 || fail "purge: $(tail "$T/purge.log")"
for f in /usr/sbin/pvh-agent /etc/init.d/pvh-agent /etc/default/pvh-agent /var/lib/pvh-agent; do
	[ -e "$R$f" ] && fail "$f is left after purge"
done
ls "$R"/etc/rc2.d/S*pvh-agent >/dev/null 2>&1 && fail "an rc2.d link is left after purge"
echo "ok: pvh-agent in $suite $arch"
