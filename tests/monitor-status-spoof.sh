#!/bin/sh
# A guest that tries to spoof the status table: full-width letters, combining
# accents, zero-width and bidi marks in its pretty name, a zero-width space
# and an RLM in its name. The table is printable ASCII (characters beyond it
# as \uXXXX), so every column stays in line; the invisible characters are
# invalid text since schema 1.1; the table matches its golden copy.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
test_tmpdir
H=$T/h
sim_start "$H"
"$XENSIM" create "$H" 1 wide || fail "create"
"$XENSIM" create "$H" 2 invisible || fail "create"
"$XENSIM" create "$H" 3 combining || fail "create"
"$XENSIM" create "$H" 4 || fail "create"
"$XENSIM" create "$H" 5 plain || fail "create"
guest_publish 1 spoof-fullwidth
guest_publish 2 spoof-invisible
guest_publish 3 spoof-combining
guest_publish 4 ready-debian12
guest_publish 5 ready-debian12
# The toolstack's name is not the protocol's text, but it is shown escaped all the same.
as "$H" 0 xenstore-write /local/domain/4/name "$(printf 'r\342\200\217eady\342\200\213')" || fail "name"

monitor status >"$T/table" || fail "status"
diff -u "$GOLDEN/status-spoof.txt" "$T/table" || fail "table differs from golden"
LC_ALL=C grep -n '[^ -~]' "$T/table" && fail "a byte beyond printable ASCII in the table"
# Each row's verdict starts where the VERDICT title does.
col=$(head -n 1 "$T/table" | awk '{ print index($0, "VERDICT") }')
tail -n +2 "$T/table" | while IFS= read -r line; do
	v=$(printf '%s\n' "$line" | cut -c "$col"- | awk '{ print $1 }')
	case $v in
	ready | fixable | blocked | unknown | none | invalid | incompatible | missing) ;;
	*) fail "not a verdict under VERDICT: '$v' in: $line" ;;
	esac
done

monitor status --json >"$T/json" || fail "status --json"
j() { jq -r "$1" "$T/json"; }
expect_eq "invisible marks" control "$(j '.[1].invalid.os_pretty_name')"
expect_eq "full-width pretty name" "$(printf 'Debian\343\200\200\343\200\200\357\275\222\357\275\205\357\275\201\357\275\204\357\275\231')" \
	"$(j '.[0].os_pretty_name')"
expect_eq "the verdict is the guest's" blocked "$(j '.[0].verdict')"
exit 0
