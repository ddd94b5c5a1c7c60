#!/bin/sh
# The agent in a network namespace of its own: an address added to or
# removed from an interface is published or withdrawn from the netlink
# event, without polling. The time each took is printed for the record.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent
command -v unshare >/dev/null && command -v nsenter >/dev/null || skip "unshare/nsenter missing"
unshare -n true 2>/dev/null || skip "cannot create a network namespace here"
test_tmpdir

H=$T/h
sim_start "$H" >/dev/null
"$XENSIM" create "$H" 4 netguest >/dev/null || fail "create"
make_root debian12-bookworm "$T/root"
# The VIF id comes from sysfs, read through --root like everything else.
mkdir -p "$T/root/sys/class/net/v0/device"
echo device/vif/0 >"$T/root/sys/class/net/v0/device/nodename"

# unshare execs the agent: $! is the agent, in its own network namespace.
env "$(sim_env "$H" 4)" unshare -n "$AGENT" daemon -f -v --root "$T/root" --state-dir "$T/state" \
	>>"$T/agent-4.log" 2>&1 &
AGENT_PID=$!
track "$AGENT_PID"
wait_state "$H" 4 verdict ready
netns() { nsenter -t "$AGENT_PID" -n "$@"; }
state "$H" 4 | grep -q '^net/' && fail "interfaces published before any exist: $(state "$H" 4 | grep '^net/')"

ms() { date +%s%3N; }
# slot NAME: the net/$IF slot an interface was published in (slots follow ifindex order).
slot() { state "$H" 4 | sed -n "s|^net/\([0-9]*\)/name=$1\$|\1|p"; }
has_addr() { state "$H" 4 | grep -qx "net/$(slot v0)/$1"; }
netns ip link add v0 type veth peer name v1 || skip "veth links cannot be created here"
netns ip link set v0 up
t0=$(ms)
netns ip addr add 198.51.100.7/24 dev v0 || fail "ip addr add"
wait_for 100 has_addr ipv4/0=198.51.100.7/24 || fail "address not published: $(state "$H" 4 | grep ^net/)"
t1=$(ms)
v0=$(slot v0) v1=$(slot v1)
[ -n "$v0" ] && [ -n "$v1" ] && [ "$v0" != "$v1" ] || fail "v0 and v1 not both published"
expect_eq "VIF id of v0" 0 "$(state_key "$H" 4 "net/$v0/vif")"
[ -z "$(state_key "$H" 4 "net/$v1/vif")" ] || fail "v1 has no VIF, yet one was published"

netns ip addr add 2001:db8:0:0::7/64 dev v0 nodad || fail "ip addr add (v6)"
wait_for 100 has_addr ipv6/0=2001:db8::7/64 || fail "IPv6 address not published"

t2=$(ms)
netns ip addr del 198.51.100.7/24 dev v0 || fail "ip addr del"
wait_for 100 sh -c "! env '$(sim_env "$H" 0)' '$PVH_STATE' 4 | grep -q '/ipv4/0=198.51.100.7/24'" ||
	fail "the removed address is still published"
has_addr ipv6/0=2001:db8::7/64 || fail "the IPv6 address went with the IPv4 one"
t3=$(ms)
state "$H" 4 >/dev/null || fail "the state is not valid after the changes"

netns ip link del v0
wait_for 100 sh -c "! env '$(sim_env "$H" 0)' '$PVH_STATE' 4 | grep -q '^net/'" ||
	fail "interfaces left after the link was deleted: $(state "$H" 4 | grep '^net/')"
echo "ok: address published in $((t1 - t0)) ms, withdrawn in $((t3 - t2)) ms (for the record)"
echo PASS
