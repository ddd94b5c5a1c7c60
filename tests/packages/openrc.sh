#!/bin/sh
# The OpenRC service for real: a Debian bookworm root with Debian's openrc
# (cached, scripts/roots.sh); the x86_64 tarball's install.sh there picks
# OpenRC by itself; openrc-run starts the agent (which publishes on the
# simulated host, its guest socket bind-mounted in, XENSTORED_PATH from
# /etc/conf.d/pvh-agent), reports it started, and stops it. The root was not
# booted by OpenRC: /run/openrc/softlevel says it was, as openrc-run asks.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/packages/lib.sh"
require_root_tools
require_sim
[ -x "$PVH_STATE" ] || skip "$PVH_STATE is not built"
tarball=$(ls "$PKGDIR"/tarball/pvh-agent-*-x86_64.tar.gz 2>/dev/null) || fail "no x86_64 tarball in $PKGDIR/tarball"
test_tmpdir
trap 'cleanup_mounts; test_cleanup' EXIT

R=$T/root
unpack_root bookworm amd64 openrc "$R"
[ -x "$R/sbin/openrc-run" ] || [ -x "$R/usr/sbin/openrc-run" ] || fail "the root has no openrc-run"
tar -xzf "$tarball" -C "$R/tmp"
out=$(in_root "$R" "" sh -c 'cd /tmp/pvh-agent-*-x86_64 && ./install.sh --prefix /usr') ||
	fail "install.sh: $out"
echo "$out"
case $out in *"for openrc;"*) ;; *) fail "install.sh did not pick OpenRC: $out" ;; esac

H=$T/h
sim_start "$H" >/dev/null
"$XENSIM" create "$H" 7 openrc >/dev/null || fail "create"
bind_socket "$H/guest/7.sock" "$R" /run/xenbus.sock
echo 'XENSTORED_PATH="/run/xenbus.sock"' >>"$R/etc/conf.d/pvh-agent"
mkdir -p "$R/run/openrc"
: >"$R/run/openrc/softlevel"
key() { env "$(sim_env "$H" 0)" "$PVH_STATE" 7 2>/dev/null | sed -n "s|^$1=||p"; }
has_verdict() { [ -n "$(key verdict)" ]; }

out=$(in_root "$R" "" openrc-run /etc/init.d/pvh-agent start 2>&1) || fail "openrc-run start: $out"
echo "start: $out"
pid=$(cat "$R/run/pvh-agent.pid" 2>/dev/null) || fail "no pid file: $out"
track "$pid"
wait_for 300 has_verdict || fail "the agent OpenRC started did not publish"
echo "published: verdict=$(key verdict) kernel/arch=$(key kernel/arch)"
out=$(in_root "$R" "" openrc-run /etc/init.d/pvh-agent status 2>&1)
case $out in *started*) ;; *) fail "openrc-run status: $out" ;; esac
out=$(in_root "$R" "" openrc-run /etc/init.d/pvh-agent stop 2>&1) || fail "openrc-run stop: $out"
echo "stop: $out"
state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
[ -z "$state" ] || [ "$state" = Z ] || fail "the agent still runs after stop (state $state)"
out=$(in_root "$R" "" openrc-run /etc/init.d/pvh-agent status 2>&1)
case $out in *stopped*) ;; *) fail "openrc-run status after stop: $out" ;; esac
echo PASS
