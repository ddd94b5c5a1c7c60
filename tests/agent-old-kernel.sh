#!/bin/sh
# The agent on an old kernel: under tests/agent/old-kernel every system call
# Linux 3.10 (CentOS 7) lacked fails with ENOSYS (openat2, getrandom, statx,
# pidfd_open, close_range, clone3, ...). The process runner still gives its
# programs no descriptor of ours; check reports the same as without the
# filter; the daemon publishes, notifies, takes ping and prepare --dry-run,
# and follows the addresses of its network namespace. With netlink refused
# too, it publishes without addresses and says so once. A tree without
# /sys/hypervisor/guest_type (kernels before 4.13) is a PV guest.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent
OLDK=$top_builddir/tests/agent/old-kernel
LISTEN=$top_builddir/tests/agent/notify-listen
MONITOR=$top_builddir/pvh-monitor
for p in "$OLDK" "$LISTEN" "$MONITOR" "$top_builddir/tests/unit/test-spawn"; do
	[ -x "$p" ] || skip "$p is not built"
done
"$OLDK" true || skip "seccomp filters cannot be installed here"
command -v unshare >/dev/null && command -v nsenter >/dev/null || skip "unshare/nsenter missing"
unshare -n true 2>/dev/null || skip "cannot create a network namespace here"
test_tmpdir
echo "agent: $(file -b "$AGENT" | cut -d, -f1-2)"

"$OLDK" "$top_builddir/tests/unit/test-spawn" || fail "the process runner without close_range"

# The same report, word for word, with and without the old kernel's calls.
for c in centos7 debian12-bookworm debian10-buster-i386; do
	make_root "$c" "$T/$c"
	"$AGENT" check --root "$T/$c" --json >"$T/$c.new" 2>&1
	rc_new=$?
	"$OLDK" "$AGENT" check --root "$T/$c" --json >"$T/$c.old" 2>&1
	rc_old=$?
	expect_eq "$c: exit status on 3.10" "$rc_new" "$rc_old"
	cmp -s "$T/$c.new" "$T/$c.old" || fail "$c: the report differs on 3.10: $(diff "$T/$c.new" "$T/$c.old")"
done

H=$T/h
sim_start "$H" >/dev/null
"$XENSIM" create "$H" 7 oldguest >/dev/null || fail "create"
dom0() { env "$(sim_env "$H" 0)" "$@"; }

# old_agent LOG [--no-netlink]: the daemon on the CentOS 7 tree, in a network
# namespace of its own (unshare execs it: $! is the agent).
old_agent() {
	_log=$1
	shift
	rm -rf "$T/state" "$T/notify" "$T/messages"
	"$LISTEN" "$T/notify" "$T/messages" &
	track $!
	wait_for 50 test -e "$T/messages" || fail "the listener did not start"
	env "$(sim_env "$H" 7)" NOTIFY_SOCKET="$T/notify" WATCHDOG_USEC=400000 unshare -n \
		"$OLDK" "$@" "$AGENT" daemon -f -v --root "$T/centos7" --state-dir "$T/state" >"$_log" 2>&1 &
	AGENT_PID=$!
	track "$AGENT_PID"
	wait_line "$T/messages" READY=1
}

echo "# the daemon with 3.10's system calls"
old_agent "$T/agent.log"
expect_eq "guest type without /sys/hypervisor/guest_type" PV "$(state_key "$H" 7 guest_type)"
expect_eq "verdict" blocked "$(state_key "$H" 7 verdict)"
expect_eq "ping" "7 oldguest: done: pong" "$(dom0 "$MONITOR" request 7 ping)"
dom0 "$MONITOR" request --json 7 prepare --dry-run >"$T/dry"
grep -q '"state": *"\(done\|failed\)"' "$T/dry" || fail "prepare --dry-run was not answered: $(cat "$T/dry")"
wait_for 100 sh -c "[ \$(grep -cx WATCHDOG=1 '$T/messages') -ge 2 ]" || fail "the watchdog is not fed"
nsenter -t "$AGENT_PID" -n ip link add v0 type veth peer name v1 || skip "veth links cannot be created here"
nsenter -t "$AGENT_PID" -n ip link set v0 up
nsenter -t "$AGENT_PID" -n ip addr add 198.51.100.9/24 dev v0 || fail "ip addr add"
wait_for 100 sh -c "env '$(sim_env "$H" 0)' '$PVH_STATE' 7 | grep -q '^net/.*/ipv4/0=198.51.100.9/24$'" ||
	fail "the address is not published on 3.10: $(state "$H" 7 | grep ^net/)"
grep -i "netlink" "$T/agent.log" && fail "netlink complaints with netlink there"
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
wait_line "$T/messages" STOPPING=1

echo "# the daemon with netlink refused"
old_agent "$T/agent-nonl.log" --no-netlink
expect_eq "verdict without netlink" blocked "$(state_key "$H" 7 verdict)"
state "$H" 7 | grep '^net/' && fail "addresses published without netlink"
expect_eq "ping without netlink" "7 oldguest: done: pong" "$(dom0 "$MONITOR" request 7 ping)"
expect_eq "netlink messages" 1 "$(grep -c 'Netlink is not usable' "$T/agent-nonl.log")"
grep 'Netlink is not usable' "$T/agent-nonl.log"
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
echo PASS
