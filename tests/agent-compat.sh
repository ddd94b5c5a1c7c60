#!/bin/sh
# The keys XAPI and Xen Orchestra read (compat = xapi, --compat xapi), on a
# simulated host whose xenstored traces every request:
#   - exact keys and values for an amd64 and an i386 guest, each with two
#     VIFs (veth links in the agent's own network namespace, named VIFs by
#     the tree's sysfs), one turned on by --compat, one by the file;
#   - addresses added and removed appear and disappear under attr/vif, a
#     stale entry from before the start is removed, and what other writers
#     keep in data/ and attr/ is never touched;
#   - control/feature-balloon where control/ is the guest's (as under
#     XAPI), and no write and no warning where it is not (as under xl);
#   - an agent without compat writes none of these keys, and one turned off
#     by its file removes exactly what it wrote;
#   - at idle nothing is sent to xenstored, but the memory figures when they
#     change: counted in xenstored's trace, with the test hook that makes
#     the agent read /proc/meminfo every second instead of every minute.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent
require_fault_injection
command -v unshare >/dev/null && command -v nsenter >/dev/null || skip "unshare/nsenter missing"
unshare -n true 2>/dev/null || skip "cannot create a network namespace here"
test_tmpdir

H=$T/h
sim_start_with "$H" -T "$H/trace" >/dev/null
"$XENSIM" create "$H" 5 amd64 >/dev/null || fail "create 5"
"$XENSIM" create "$H" 6 i386 >/dev/null || fail "create 6"
"$XENSIM" create "$H" 7 without >/dev/null || fail "create 7"

# guest_root CASE DEST MEMAVAILABLE: a tree with two VIFs and a /proc/meminfo.
guest_root() {
	make_root "$1" "$2"
	for i in 0 1; do
		mkdir -p "$2/sys/class/net/v$i/device"
		echo "device/vif/$i" >"$2/sys/class/net/v$i/device/nodename"
	done
	meminfo "$2" "$3"
}
meminfo() { # ROOT MEMAVAILABLE: replaced whole, as the kernel's file reads
	printf 'MemTotal:        2017420 kB\nMemFree:          912000 kB\nMemAvailable:    %s kB\nBuffers:           12000 kB\n' \
		"$2" >"$1/proc/meminfo.new" && mv "$1/proc/meminfo.new" "$1/proc/meminfo"
}
guest_root debian12-bookworm "$T/r5" 1500000
guest_root debian10-buster-i386 "$T/r6" 1400000
guest_root debian12-bookworm "$T/r7" 1300000
# The balloon driver's sysfs directory: the agent offers ballooning where the kernel has it.
mkdir -p "$T/r5/sys/devices/system/xen_memory/xen_memory0" "$T/r6/sys/devices/system/xen_memory/xen_memory0"
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
mkdir -p "$T/r6/etc/pvh-agent"
echo "compat = xapi" >"$T/r6/etc/pvh-agent/agent.conf"

# Guest 5's control/ is its own, as under XAPI; guest 6's is dom0's, as under xl.
as "$H" 0 xenstore-chmod /local/domain/5/control n5 || fail "chmod control"
# Other writers' keys beside the agent's, and a stale VIF entry of an earlier run.
for d in 5 6 7; do
	as "$H" "$d" xenstore-write data/other kept attr/other kept attr/vif/9/ipv4/0 203.0.113.9 ||
		fail "seeding guest $d"
done
as "$H" 7 xenstore-write data/os_name "another agent's" || fail "seeding guest 7"

# start DOMID ARGS...: the agent in a network namespace of its own; PID_<DOMID> is its pid.
start() {
	_d=$1
	shift
	env "$(sim_env "$H" "$_d")" PVH_AGENT_MEMINFO_PERIOD=1 unshare -n "$AGENT" daemon -f -v \
		--root "$T/r$_d" --state-dir "$T/state-$_d" "$@" >>"$T/agent-$_d.log" 2>&1 &
	track $!
	eval "PID_$_d=$!"
}
start 5 --compat xapi
start 6
start 7
for d in 5 6 7; do wait_state "$H" "$d" verdict ready; done

# links DOMID: v0 and v1 (a veth pair) with fixed addresses, no link-local ones.
links() {
	_n="nsenter -t $(eval echo "\$PID_$1") -n"
	$_n ip link add v0 type veth peer name v1 || skip "veth links cannot be created here"
	for i in 0 1; do
		$_n ip link set "v$i" addrgenmode none
		$_n ip link set "v$i" up
	done
	$_n ip addr add 192.0.2.10/24 dev v0
	$_n ip addr add 2001:db8::10/64 dev v0 nodad
	$_n ip addr add 198.51.100.20/24 dev v1
}
for d in 5 6 7; do links "$d"; done
netns() { _d=$1; shift; nsenter -t "$(eval echo "\$PID_$_d")" -n "$@"; }

# tree DOMID: every compat key of the guest, PATH=VALUE, sorted; data/updated
# only as "set" (its value is a time), the other writers' keys as they are.
tree() {
	{
		as "$H" 0 xenstore-ls -f "/local/domain/$1/data" "/local/domain/$1/attr" 2>/dev/null |
			sed -n "s|^/local/domain/$1/||p" | grep -v '^data/pvh' | grep -v '= ""$' |
			sed -e 's/^\([^ ]*\) = "\(.*\)"$/\1=\2/' -e 's/^data\/updated=[0-9]\{1,\}$/data\/updated=set/'
		_b=$(as "$H" 0 xenstore-read "/local/domain/$1/control/feature-balloon" 2>/dev/null) &&
			echo "control/feature-balloon=$_b"
	} | sort
}
has_tree_line() { tree "$1" | grep -qxF "$2"; }
wait_tree() { # DOMID LINE
	wait_for 100 has_tree_line "$1" "$2" || fail "guest $1: no '$2' in: $(tree "$1")"
}
no_tree_line() { ! has_tree_line "$1" "$2"; }
wait_no_tree() { # DOMID LINE
	wait_for 100 no_tree_line "$1" "$2" || fail "guest $1: '$2' is still there"
}
expect_tree() { # DOMID EXPECTED-FILE
	tree "$1" >"$T/tree-$1"
	diff -u "$2" "$T/tree-$1" || fail "guest $1: the keys differ from what is expected"
}

for d in 5 6; do
	wait_tree "$d" attr/vif/1/ipv4/0=198.51.100.20
	wait_tree "$d" attr/vif/0/ipv6/0=2001:db8::10
done
sort >"$T/want-5" <<EOF
attr/PVAddons/BuildVersion=0
attr/PVAddons/MajorVersion=$(echo "$version" | cut -d. -f1)
attr/PVAddons/MicroVersion=$(echo "$version" | cut -d. -f3)
attr/PVAddons/MinorVersion=$(echo "$version" | cut -d. -f2)
attr/other=kept
attr/vif/0/ipv4/0=192.0.2.10
attr/vif/0/ipv6/0=2001:db8::10
attr/vif/1/ipv4/0=198.51.100.20
control/feature-balloon=1
data/meminfo_free=1500000
data/meminfo_total=2017420
data/os_distro=debian
data/os_majorver=12
data/os_name=Debian GNU/Linux 12 (bookworm)
data/os_uname=6.1.0-47-amd64
data/other=kept
data/updated=set
EOF
expect_tree 5 "$T/want-5"
# The i386 guest: its own release, no balloon key (control/ is dom0's), and no warning for it.
sed -e 's/^data\/os_uname=.*/data\/os_uname=4.19.0-27-686-pae/' -e 's/^data\/os_majorver=.*/data\/os_majorver=10/' \
	-e 's/^data\/os_name=.*/data\/os_name=Debian GNU\/Linux 10 (buster)/' -e '/^control\/feature-balloon=/d' \
	-e 's/^data\/meminfo_free=.*/data\/meminfo_free=1400000/' "$T/want-5" | sort >"$T/want-6"
expect_tree 6 "$T/want-6"
expect_eq "guest 6's kernel/arch" i686 "$(state_key "$H" 6 kernel/arch)"
# Refused once, said once in the debug log (-v), not tried again.
expect_eq "lines about the balloon key in guest 6's log" 1 "$(grep -c 'feature-balloon' "$T/agent-6.log")"
grep 'feature-balloon' "$T/agent-6.log" | grep -q 'not tried again' || fail "not the expected balloon message"
# No compat: not one of the keys, and another agent's data/os_name left as it was.
cat >"$T/want-7" <<EOF
attr/other=kept
attr/vif/9/ipv4/0=203.0.113.9
data/os_name=another agent's
data/other=kept
EOF
expect_tree 7 "$T/want-7"

# Addresses come and go with the netlink events.
# Another subnet: deleting a primary address would take its secondaries along.
netns 5 ip addr add 203.0.113.11/24 dev v0
wait_tree 5 attr/vif/0/ipv4/1=203.0.113.11
netns 5 ip addr del 198.51.100.20/24 dev v1
wait_no_tree 5 attr/vif/1/ipv4/0=198.51.100.20
as "$H" 0 xenstore-exists /local/domain/5/attr/vif/1 && fail "an empty attr/vif/1 was left"
netns 5 ip addr del 192.0.2.10/24 dev v0
wait_no_tree 5 attr/vif/0/ipv4/1=203.0.113.11
wait_tree 5 attr/vif/0/ipv4/0=203.0.113.11
has_tree_line 5 attr/vif/0/ipv6/0=2001:db8::10 || fail "the IPv6 address went with the IPv4 ones"

# At idle: nothing but the memory figures, and those only when they change.
# The agents read /proc/meminfo every second here; the window spans several readings.
sleep 1
mark=$("$XENSIM" trace-mark "$H") || fail "trace-mark"
before=$(tree 5)
sleep 4
idle5=$("$XENSIM" trace-count "$H" 5 --since "$mark") || fail "trace-count"
idle6=$("$XENSIM" trace-count "$H" 6 --since "$mark") || fail "trace-count"
expect_eq "guest 5's requests at idle, memory unchanged" 0 "$idle5"
expect_eq "guest 6's requests at idle, memory unchanged" 0 "$idle6"
expect_eq "guest 5's keys at idle" "$before" "$(tree 5)"
mark=$("$XENSIM" trace-mark "$H") || fail "trace-mark"
updated=$(as "$H" 0 xenstore-read /local/domain/5/data/updated)
meminfo "$T/r5" 1234567
wait_tree 5 data/meminfo_free=1234567
sleep 2
tail -c +"$((mark + 1))" "$H/trace" | sed -n 's/^IN [^ ]* [^ ]* [^ ]* \(WRITE\|RM\) (\([^ ]*\) .*/\1 \2/p' |
	sort >"$T/writes"
printf 'WRITE data/meminfo_free\nWRITE data/updated\n' >"$T/want-writes"
diff -u "$T/want-writes" "$T/writes" || fail "writes other than the memory figures"
[ "$(as "$H" 0 xenstore-read /local/domain/5/data/updated)" != "$updated" ] ||
	fail "data/updated was not rewritten with the memory figures"
echo "after the change: $("$XENSIM" trace-count "$H" 5 --since "$mark") request(s) from guest 5"

# Turned off in the file: the agent removes what it wrote, and nothing else.
echo "compat = none" >"$T/r6/etc/pvh-agent/agent.conf"
wait_no_tree 6 data/os_name="Debian GNU/Linux 10 (buster)"
wait_for 100 sh -c "! env '$(sim_env "$H" 0)' xenstore-exists /local/domain/6/attr/PVAddons" ||
	fail "attr/PVAddons left after compat was turned off"
printf 'attr/other=kept\ndata/other=kept\n' >"$T/want-6-off"
expect_tree 6 "$T/want-6-off"

for d in 5 6 7; do
	kill -0 "$(eval echo "\$PID_$d")" || fail "agent $d died: $(tail -n 20 "$T/agent-$d.log")"
done
echo PASS
