#!/bin/sh
# Hostile guests: terminal escapes, NUL, invalid UTF-8, bidi overrides,
# values over their bound and a guest creating ~1000 nodes are shown as
# invalid or escaped, never raw; the other guests are shown as usual.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
test_tmpdir
H=$T/h
sim_start "$H"
"$XENSIM" create "$H" 1-4 || fail "create"
guest_publish 1 hostile
guest_publish 2 ready-debian12
guest_publish 3 ready-debian12
# Values near 2 KiB (xenstored's limit) where the bounds are far smaller.
long=$(head -c 1900 /dev/zero | tr '\0' 'A')
printf 'kernel/release %s\nos/pretty_name %s\\x1b[5m\nchecks/console/reason %s\n' \
	"$long" "$long" "$long" >"$T/long"
as "$H" 3 "$FAKE_GUEST" publish "$T/long" || fail "publish long values"
# As many nodes as xenstored's quota lets a guest create.
guest_publish 4 ready-debian12
made=$(as "$H" 4 "$FAKE_GUEST" nodes 2000) || fail "nodes"
[ "$made" -gt "$(( 400 ))" ] || fail "only $made nodes created"

monitor status >"$T/table" || fail "status"
monitor status --json >"$T/json" || fail "status --json"
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
expect_eq "malformed check id" charset "$(j '.[0].invalid["checks/id"]')"
expect_eq "a raw C1 byte in a status" charset "$(j '.[0].invalid["checks/grub_terminal"]')"
expect_eq "escape in a reason" control "$(j '.[0].invalid["checks/console"]')"
expect_eq "invalid values are not shown" "null null" "$(j '.[0] | "\(.agent_version) \(.kernel_release)"')"
expect_eq "hostile guest's verdict is still its own" fixable "$(j '.[0].verdict')"
expect_eq "2 KiB release" too-long "$(j '.[2].invalid.kernel_release')"
expect_eq "2 KiB pretty name" too-long "$(j '.[2].invalid.os_pretty_name')"
expect_eq "2 KiB reason" too-long "$(j '.[2].invalid["checks/console"]')"
expect_eq "too many nodes" "invalid too-many" "$(j '.[3] | "\(.verdict) \(.invalid.nodes)"')"
expect_eq "a sane neighbour" "ready debian" "$(j '.[1] | "\(.verdict) \(.os_id)"')"

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

# Names are the toolstack's, but are escaped all the same.
as "$H" 0 xenstore-write /local/domain/2/name "$(printf 'evil\033[2Jname')"
monitor status 2 | grep -q 'evil\\x1b\[2Jname' || fail "name not escaped: $(monitor status 2)"
exit 0
