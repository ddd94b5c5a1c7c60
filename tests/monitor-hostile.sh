#!/bin/sh
# Hostile guests: terminal escapes, NUL, invalid UTF-8, bidi overrides,
# values over their bound and a guest creating ~1000 nodes are shown as
# invalid or escaped, never raw; the other guests are shown as usual. The
# monitor's memory stays within what the protocol's bounds allow, and a guest
# flooding hostile writes neither reaches the screen nor starves the others.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed (package time)"
test_tmpdir
H=$T/h
sim_start "$H"
"$XENSIM" create "$H" 1-7 || fail "create"
guest_publish 1 hostile
guest_publish 2 ready-debian12
guest_publish 3 ready-debian12
# Values near 2 KiB (xenstored's limit) where the bounds are far smaller.
long=$(head -c 1900 /dev/zero | tr '\0' 'A')
printf 'kernel/release %s\nos/pretty_name %s\\x1b[5m\nchecks/console/reason %s\n' \
	"$long" "$long" "$long" >"$T/long"
as "$H" 3 "$FAKE_GUEST" publish "$T/long" || fail "publish long values"
# 900 keys, near xenstored's quota of 1000 nodes per domain.
guest_publish 4 ready-debian12
made=$(as "$H" 4 "$FAKE_GUEST" nodes 900) || fail "nodes"
[ "$made" -ge 900 ] || fail "only $made nodes created"
# Sane neighbours, to compare memory with.
for d in 5 6 7; do guest_publish $d ready-debian12; done

monitor status >"$T/table" || fail "status"
monitor status --json --full >"$T/json" || fail "status --json --full"
for f in "$T/table" "$T/json"; do
	LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$f" && fail "control byte in $f"
	iconv -f UTF-8 -t UTF-8 "$f" >/dev/null || fail "invalid UTF-8 in $f"
	grep -q "$(printf '\342\200\256')" "$f" && fail "bidi override in $f"
	LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$f" && fail "C1 control in $f"
done
LC_ALL=C grep -q "$(printf '[\200-\377]')" "$T/json" && fail "JSON is not ASCII"

j() { jq -r "$1" "$T/json"; }
expect_eq "escape in agent/version" control "$(j '.[0].invalid.agent_version')"
expect_eq "OSC in kernel/release" control "$(j '.[0].invalid.kernel_release')"
expect_eq "NUL in os/version_id" nul "$(j '.[0].invalid.os_version_id')"
expect_eq "bad UTF-8 in pretty_name" utf8 "$(j '.[0].invalid.os_pretty_name')"
expect_eq "malformed check ids" charset "$(j '.[0].invalid.checks')"
expect_eq "a check named id" enum "$(j '.[0].invalid["checks/id"]')"
no_duplicate_keys "$T/json"
expect_eq "a raw C1 byte in a status" charset "$(j '.[0].invalid["checks/grub_terminal"]')"
expect_eq "escape in a reason" control "$(j '.[0].invalid["checks/console"]')"
expect_eq "invalid values are not shown" "null null" "$(j '.[0] | "\(.agent_version) \(.kernel_release)"')"
expect_eq "hostile guest's verdict is still its own" fixable "$(j '.[0].verdict')"
expect_eq "2 KiB release" too-long "$(j '.[2].invalid.kernel_release')"
expect_eq "2 KiB pretty name" too-long "$(j '.[2].invalid.os_pretty_name')"
expect_eq "2 KiB reason" too-long "$(j '.[2].invalid["checks/console"]')"
expect_eq "too many nodes" "invalid too-many" "$(j '.[3] | "\(.verdict) \(.invalid.nodes)"')"
expect_eq "a sane neighbour" "ready debian" "$(j '.[1] | "\(.verdict) \(.os_id)"')"

# Memory: what a reader keeps of one guest is bounded by the protocol: at
# most PROTO_NODES_MAX (400) values of at most 2 KiB (800 KiB), and one
# directory listing (one 4 KiB message). status --json holds one guest at a
# time, the table all of them. Max RSS with the three hostile guests (1, 3, 4)
# against three sane ones (5, 6, 7), with a generous 1 MiB per guest held.
rss() {
	as "$H" 0 /usr/bin/time -f %M -o "$T/rss" "$MONITOR" "$@" >/dev/null || fail "status $*"
	cat "$T/rss"
}
# AddressSanitizer keeps freed memory in quarantine, so RSS says nothing of
# what the program holds there: under it, the figures are printed, not judged.
judge_rss=yes
if ldd "$MONITOR" 2>/dev/null | grep -q libasan; then
	judge_rss=no
	echo "(built with AddressSanitizer: memory figures not judged)"
fi
for args in "--json" ""; do
	sane=$(rss status $args 5 6 7)
	hostile=$(rss status $args 1 3 4)
	bound=$([ -n "$args" ] && echo 1024 || echo 3072)
	echo "max RSS of status $args: $sane KiB with sane guests, $hostile KiB with hostile ones"
	[ "$judge_rss" = no ] || [ "$hostile" -le $((sane + bound)) ] ||
		fail "status $args: $hostile KiB with hostile guests, $sane KiB without (bound +$bound)"
done

grep -q '^1 .* invalid:control .* fixable ' "$T/table" || fail "table row 1: $(sed -n 2p "$T/table")"
grep -q '^3 .* invalid:too-long ' "$T/table" || fail "table row 3"
grep -q '^4 .* invalid ' "$T/table" || fail "table row 4"

# A flood of writes while the monitor reads: it still answers, and the
# flooder's last value is what it shows once the flood is over.
as "$H" 2 "$FAKE_GUEST" flood kernel/release 300 &
FLOOD=$!
track $FLOOD
monitor status --json >/dev/null || fail "status during a flood"
wait $FLOOD || fail "flood"
expect_eq "after the flood" flood-300 "$(monitor status --json 2 | jq -r '.[0].kernel_release')"

# A flood of terminal escapes under watch: a neighbour's change still shows,
# no escape reaches the output, and watch's memory does not grow with it.
env "$(sim_env "$H" 0)" "$MONITOR" watch --color=always >"$T/watch" &
WATCH=$!
track $WATCH
env "$(sim_env "$H" 0)" "$MONITOR" watch --json >"$T/wjson" &
WJSON=$!
track $WJSON
last_is() {
	tail -n 1 "$T/wjson" | jq -e "$1" >/dev/null
}
wait_for 300 last_is 'length == 7' || fail "watch: first view: $(tail -n 1 "$T/wjson")"
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
# The baseline is taken once watch has redrawn for a change: its first view
# can come before it has read and rendered every guest in full.
guest_publish 7 fixable-console
wait_for 300 last_is '.[] | select(.domid == 7) | .verdict == "fixable"' || fail "watch: no redraw"
before=$(hwm $WJSON)
as "$H" 5 "$FAKE_GUEST" flood os/pretty_name 3000 '\x1b]0;pwned\x07\x1b[2J\xc2\x9b' &
FLOOD=$!
track $FLOOD
guest_publish 6 fixable-console
wait_for 300 last_is '.[] | select(.domid == 6) | .verdict == "fixable"' || fail "watch starved by a flood"
wait $FLOOD || fail "hostile flood"
wait_for 300 last_is '.[] | select(.domid == 5) | .invalid.os_pretty_name == "control"' ||
	fail "flood end not shown: $(tail -n 1 "$T/wjson" | jq -c '.[] | select(.domid == 5)')"
after=$(hwm $WJSON)
echo "watch --json peak RSS: $before KiB before the flood, $after KiB after"
[ "$judge_rss" = no ] || [ "$after" -le $((before + 1024)) ] ||
	fail "watch grew from $before to $after KiB under a flood"
kill $WATCH $WJSON
wait $WATCH $WJSON 2>/dev/null || true
for f in "$T/watch" "$T/wjson"; do
	[ -s "$f" ] || fail "$f is empty"
	# Colour (SGR) and the view's own clearing are ours; nothing else.
	LC_ALL=C sed 's/\x1b\[[0-9;]*m//g; s/\x1b\[H\x1b\[2J//g; s/\x1b\[[0-9;]*[HJK]//g' "$f" >"$T/stripped"
	LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/stripped" && fail "control byte in $f"
	LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$T/stripped" && fail "C1 control in $f"
	grep -q pwned "$f" && fail "a flooded value was shown raw in $f"
	iconv -f UTF-8 -t UTF-8 "$f" >/dev/null || fail "invalid UTF-8 in $f"
done

# Names are the toolstack's, but are escaped all the same.
as "$H" 0 xenstore-write /local/domain/2/name "$(printf 'evil\033[2Jname')"
monitor status 2 | grep -q 'evil\\x1b\[2Jname' || fail "name not escaped: $(monitor status 2)"
exit 0
