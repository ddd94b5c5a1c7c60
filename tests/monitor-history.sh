#!/bin/sh
# History by guest identity. A database with known rows gives history's
# golden outputs (every guest, one guest by UUID, by name across two
# identities, --since, --json); then serve on the simulated host records a
# guest through a verdict change, an upgrade of its kernel and agent, its
# destruction and its creation again under the same UUID with a new domid,
# and a namesake created without a fixed UUID: `history NAME` shows both.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
test_tmpdir

echo "# golden outputs from known rows"
DB=$T/known.db
"$MONITOR" history --db "$DB" >/dev/null 2>&1 && fail "history made a database"
[ ! -e "$DB" ] || fail "history created $DB"
sqlite3 "$DB" 'PRAGMA user_version = 0;' || fail "sqlite3"
env -u XENSTORED_PATH "$MONITOR" history --db "$DB" >"$T/empty" 2>/dev/null || fail "history of an empty database"
[ ! -s "$T/empty" ] || fail "an empty history printed: $(cat "$T/empty")"
W=0b8a2f8e-2c55-4c1e-9d0a-1f0e6b3e2a01
W2=7d1e5c3b-9a0f-4e2d-8c6b-5a4f3e2d1c0b
D=c3a1f4e2-6b5d-4c3e-9f8a-7b6c5d4e3f2a
sqlite3 "$DB" <<EOSQL || fail "insert"
INSERT INTO guest_changes(uuid, name, domid, at, what, old, new) VALUES
 ('$W', 'web1', 3, 1767261600, 'seen', NULL, 'fixable'),
 ('$D', 'db1', 4, 1767261600, 'seen', NULL, 'blocked'),
 ('$W', 'web1', 3, 1767262500, 'verdict', 'fixable', 'ready'),
 ('$W', 'web1', 3, 1767348000, 'kernel', '6.1.0-18-amd64', '6.1.0-20-amd64'),
 ('$W', 'web1', 3, 1767348000, 'agent', '0.1.0', '0.2.0'),
 ('$D', 'db1', 4, 1767348060, 'gone', 'blocked', NULL),
 ('$W', 'web1', 3, 1767434400, 'gone', 'ready', NULL),
 ('$W', 'web1', 7, 1767434460, 'back', 'gone', NULL),
 ('$W', 'web1', 7, 1767434460, 'domid', '3', '7'),
 ('$W', 'web1', 7, 1767434520, 'guest_type', 'PV', 'PVH'),
 ('$W2', 'web1', 9, 1767520800, 'seen', NULL, 'ready'),
 ('$W2', 'web1', 9, 1767520860, 'risk', 'none', 'next-boot-fails'),
 ('$W2', 'web1', 9, 1767520900, 'name', 'web1', 'web1-old');
INSERT INTO guests(uuid, name, verdict, guest_type, kernel, agent_version, risk, domid, first_seen, updated, present)
 VALUES ('$W', 'web1', 'ready', 'PVH', '6.1.0-20-amd64', '0.2.0', 'none', 7, 1767261600, 1767434520, 1),
        ('$W2', 'web1-old', 'ready', 'PV', '4.19.0-27-686-pae', '0.2.0', 'next-boot-fails', 9, 1767520800, 1767520900, 1),
        ('$D', 'db1', 'blocked', 'PV', '4.9.0-19-amd64', '0.1.0', 'none', 4, 1767261600, 1767348060, 0);
EOSQL
hist() { env -u XENSTORED_PATH "$MONITOR" history --db "$DB" "$@"; }
hist >"$T/all" || fail "history"
diff -u "$GOLDEN/history.txt" "$T/all" || fail "history differs from golden"
hist "$W" >"$T/one" || fail "history UUID"
diff -u "$GOLDEN/history-uuid.txt" "$T/one" || fail "history of one UUID differs from golden"
hist web1 >"$T/name" || fail "history NAME"
diff -u "$GOLDEN/history-name.txt" "$T/name" || fail "history of a name differs from golden"
hist --since 2026-01-03T10:00 web1 >"$T/since" || fail "history --since"
diff -u "$GOLDEN/history-since.txt" "$T/since" || fail "history --since differs from golden"
expect_eq "--since @SECONDS is the same" "$(cat "$T/since")" "$(hist --since @1767434400 web1)"
expect_eq "a domid serve saw last" "$(cat "$T/one")" "$(hist 7)"
hist --json db1 >"$T/json" || fail "history --json"
diff -u "$GOLDEN/history-db1.json" "$T/json" || fail "history --json differs from golden"
no_duplicate_keys "$T/json"
hist nosuch >/dev/null 2>&1 && fail "history of an unknown guest"
[ $? -eq 1 ] || fail "unknown guest: exit status"
hist --since yesterday-ish >/dev/null 2>&1 && fail "a bad --since accepted"
[ $? -eq 4 ] || fail "bad --since: exit status"
hist a b >/dev/null 2>&1 && fail "two DOMAINs accepted"

echo "# serve records a guest by its UUID across a restart"
require_sim
H=$T/h
DB=$T/state.db
sim_start "$H"
"$XENSIM" create "$H" 1 web1 "$W" || fail "create web1"
"$XENSIM" create "$H" 2 db1 || fail "create db1"
guest_publish 1 fixable-console
guest_publish 2 blocked-old-kernel
serve_start
sql() { sqlite3 "$DB" "$1"; }
sql_is() { [ "$(sql "$2")" = "$1" ]; }
changes_of() { sql "SELECT count(*) FROM guest_changes WHERE uuid = '$1'"; }
wait_for 300 sql_is 2 "SELECT count(*) FROM guests WHERE present = 1" || fail "guests not recorded"
guest_publish 1 ready-debian12
wait_for 300 sql_is ready "SELECT verdict FROM guests WHERE uuid = '$W'" || fail "verdict change not seen"
printf 'kernel/release 6.1.0-20-amd64\nagent/version 0.2.0\n' >"$T/upgrade"
guest_publish_file() { as "$H" "$1" "$FAKE_GUEST" publish "$2" || fail "publish $2"; }
guest_publish_file 1 "$T/upgrade"
wait_for 300 sql_is 0.2.0 "SELECT agent_version FROM guests WHERE uuid = '$W'" || fail "upgrade not seen"
n=$(changes_of "$W")
"$XENSIM" destroy "$H" 1 || fail "destroy"
wait_for 300 sql_is 0 "SELECT present FROM guests WHERE uuid = '$W'" || fail "gone not seen"
# As xl creates a domain again from a configuration with uuid=: a new domid, the same guest.
"$XENSIM" create "$H" 5 web1 "$W" || fail "create again"
guest_publish 5 risk-686pae
wait_for 300 sql_is next-boot-fails "SELECT risk FROM guests WHERE uuid = '$W'" || fail "risk not seen"
expect_eq "one identity" 1 "$(sql "SELECT count(*) FROM guests WHERE name = 'web1'")"
expect_eq "its domain" 5 "$(sql "SELECT domid FROM guests WHERE uuid = '$W'")"
# A namesake without a fixed UUID is another guest; history NAME shows both.
"$XENSIM" destroy "$H" 2 || fail "destroy db1"
"$XENSIM" create "$H" 6 db1 || fail "create db1 again"
# Seen first without its agent, as a booting guest is: then the agent appears.
wait_for 300 sql_is none "SELECT verdict FROM guests WHERE domid = 6 AND present = 1" ||
	fail "the new db1 not seen"
guest_publish 6 blocked-old-kernel
wait_for 300 sql_is blocked "SELECT verdict FROM guests WHERE domid = 6" || fail "the new db1's agent not seen"

# Times and generated UUIDs differ each run: TIME and, for db1, UUID become placeholders.
monitor history --db "$DB" web1 | sed -E 's/^[0-9T:Z-]{20}/TIME                /' >"$T/web1" ||
	fail "history web1"
diff -u "$GOLDEN/history-serve-web1.txt" "$T/web1" || fail "web1's history differs from golden"
monitor history --db "$DB" db1 | sed -E -e 's/^[0-9T:Z-]{20}/TIME                /' \
	-e 's/^(TIME +db1 +)[0-9a-f]{8}/\1UUID    /' >"$T/db1" || fail "history db1"
diff -u "$GOLDEN/history-serve-db1.txt" "$T/db1" || fail "db1's history differs from golden"
expect_eq "db1: two guests" 2 "$(monitor history --db "$DB" --json db1 | jq '[.[].uuid] | unique | length')"
expect_eq "by domid: the running domain's guest" "$(cat "$T/web1")" \
	"$(monitor history --db "$DB" 5 | sed -E 's/^[0-9T:Z-]{20}/TIME                /')"
expect_eq "--json: the guest's UUID" "$W" "$(monitor history --db "$DB" --json 5 | jq -r '.[0].uuid')"
exit 0
