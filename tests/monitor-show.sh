#!/bin/sh
# show: everything about one guest, text and JSON, against golden copies: the
# upgraded 32-bit guest whose next PV boot fails (with the fix to switch it),
# its warnings, what its owner let the agent do, its answers, its addresses
# and its history from serve's database; a guest with failing checks; one
# without an agent; an unknown domain.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
test_tmpdir
H=$T/h
DB=$T/state.db
U=0b8a2f8e-2c55-4c1e-9d0a-1f0e6b3e2a01
sim_start "$H"
"$XENSIM" create "$H" 1 upgraded32 "$U" || fail "create"
"$XENSIM" create "$H" 2 web2 7d1e5c3b-9a0f-4e2d-8c6b-5a4f3e2d1c0b || fail "create"
"$XENSIM" create "$H" 3 bare c3a1f4e2-6b5d-4c3e-9f8a-7b6c5d4e3f2a || fail "create"
guest_publish 1 show-686pae
guest_publish 2 fixable-console

# The history: known rows at known times.
sqlite3 "$DB" 'PRAGMA user_version = 0;' || fail "sqlite3"
monitor history --db "$DB" >/dev/null || fail "history"
sqlite3 "$DB" <<EOSQL || fail "insert"
INSERT INTO guest_changes(uuid, name, domid, at, what, old, new) VALUES
 ('$U', 'upgraded32', 1, 1767261600, 'seen', NULL, 'ready'),
 ('$U', 'upgraded32', 1, 1767348000, 'risk', 'none', 'next-boot-fails');
EOSQL

monitor show --db "$DB" upgraded32 >"$T/show.txt" || fail "show"
diff -u "$GOLDEN/show-upgraded32.txt" "$T/show.txt" || fail "show differs from golden"
monitor show --db "$DB" --json 1 >"$T/show.json" || fail "show --json"
jq -S . "$T/show.json" >"$T/show.sorted.json" || fail "show --json is not JSON"
diff -u "$GOLDEN/show-upgraded32.json" "$T/show.sorted.json" || fail "show --json differs from golden"
no_duplicate_keys "$T/show.json"
expect_eq "JSON: the risk" "next-boot-fails" "$(jq -r .guest.risk "$T/show.json")"
expect_eq "JSON: the fix" "switch the domain to PVH before it reboots (it is ready), or make a kernel that runs as PV (4.19.0-27-686-pae) GRUB's default" \
	"$(jq -r '.guest.checks[] | select(.id == "next_boot_mode") | .fix' "$T/show.json")"
expect_eq "JSON: what the owner refuses" "prepare rollback" "$(jq -r '.refuses | join(" ")' "$T/show.json")"

monitor show --db "$T/none.db" web2 >"$T/web2.txt" || fail "show web2"
sed "s|$T/none.db|DB|" "$T/web2.txt" >"$T/web2.norm"
diff -u "$GOLDEN/show-web2.txt" "$T/web2.norm" || fail "show web2 differs from golden"
[ ! -e "$T/none.db" ] || fail "show created a database"
monitor show --db "$DB" bare >"$T/bare.txt" || fail "show bare"
diff -u "$GOLDEN/show-bare.txt" "$T/bare.txt" || fail "show bare differs from golden"
monitor show nosuch >/dev/null 2>&1 && fail "show of an unknown domain"
[ $? -eq 1 ] || fail "unknown domain: exit status"
monitor show >/dev/null 2>&1 && fail "show without DOMAIN"
[ $? -eq 4 ] || fail "no DOMAIN: exit status"
exit 0
