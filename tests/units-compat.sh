#!/bin/sh
# pvh-agent.service is one unit for every systemd a guest may run, v219 (EL 7)
# and later. systemd ignores, with a warning, a directive it does not know and
# a value it cannot parse; so the unit may use newer directives (the sandbox
# is then smaller there), but nothing whose older reading stops the agent:
#   - no allow-list SystemCallFilter: a systemd that does not know the groups
#     named in it allows only its few default calls, and kills the agent;
#   - Exec lines start with the program's absolute path: the prefixes newer
#     systemd knows ("+", "!", ":", "|") make older ones drop the line, and
#     the unit then has no ExecStart=;
#   - every directive is one this table knows, with the version that brought
#     it: a new one must be looked up and added here.
set -u
: "${top_builddir:?}"
unit=$top_builddir/units/pvh-agent.service
[ -f "$unit" ] || { echo "FAIL: $unit is not built"; exit 1; }

# Directive, first systemd version that knows it.
known="
Description 1
Documentation 1
ConditionVirtualization 1
After 1
WantedBy 1
Type 1
ExecStart 1
ExecReload 1
Restart 1
RestartSec 1
TimeoutStopSec 1
WatchdogSec 1
PrivateTmp 1
DevicePolicy 1
DeviceAllow 1
CapabilityBoundingSet 1
NoNewPrivileges 187
SystemCallFilter 187
SystemCallErrorNumber 209
SystemCallArchitectures 209
RestrictAddressFamilies 211
ProtectSystem 214
ProtectHome 214
AmbientCapabilities 229
ReadWritePaths 231
MemoryDenyWriteExecute 231
RestrictRealtime 231
ProtectKernelTunables 232
ProtectControlGroups 232
RemoveIPC 232
RestrictNamespaces 233
StateDirectory 235
StateDirectoryMode 235
LockPersonality 235
IPAddressDeny 235
PrivateMounts 239
RestrictSUIDSGID 242
ProtectHostname 242
ProtectKernelLogs 244
ProtectClock 245
ProtectProc 247
"
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

keys=$(sed -n 's/^\([A-Za-z]*\)=.*/\1/p' "$unit" | sort -u)
[ -n "$keys" ] || bad "no directives found in $unit"
newer=
for k in $keys; do
	v=$(printf '%s\n' "$known" | awk -v k="$k" '$1 == k { print $2 }')
	if [ -z "$v" ]; then
		bad "$k is not in this test's table: find the systemd version that brought it, check what older ones do with it, and add it"
	elif [ "$v" -gt 219 ]; then
		newer="$newer $k($v)"
	fi
done

grep '^SystemCallFilter=' "$unit" | grep -v '^SystemCallFilter=~' | grep -v '^SystemCallFilter=$' |
	while read -r line; do
		echo "FAIL: an allow list kills the agent under a systemd that does not know its groups: $line"
		exit 1
	done || fail=1

grep '^Exec[A-Za-z]*=' "$unit" | grep -v '^Exec[A-Za-z]*=/' |
	while read -r line; do
		echo "FAIL: a prefix older systemd does not know drops the line: $line"
		exit 1
	done || fail=1

echo "directives newer than v219 (ignored there, with a warning):$newer"
[ "$fail" -eq 0 ] && echo "ok: pvh-agent.service loads and runs the agent on systemd v219 and later"
exit "$fail"
