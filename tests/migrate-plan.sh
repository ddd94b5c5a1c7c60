#!/bin/sh
# pvh-monitor migrate plan's selection and its table of boot loaders, on a
# simulated host with real agents: one plan takes a 64-bit guest booting
# grub-x86_64-xen.bin and a 32-bit one booting grub-i386-xen.bin both to the
# one pvhgrub image, and the run switches both; direct kernel and pygrub
# configurations are skipped with their own reasons; a guest whose agent
# died (its data still in xenstore) is planned "no answer", and one whose
# agent dies after the plan is skipped by the run; --filter terms combine
# with AND, --exclude takes guests out, a plan with nothing to do saves
# nothing and exits 1; a planned migration is replaced only with --replace;
# a mistyped --db is an error and creates nothing.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
mig_setup
PVGRUB32=/usr/lib/grub-xen/grub-i386-xen.bin

# guest_kernel NAME CASE LINE: a guest whose configuration's kernel = line is LINE.
guest_kernel() {
	mkdir -p "$MIG_DIR/$1"
	make_root "$2" "$MIG_DIR/$1/root"
	write_cfg "$1"
	sed -i "s|^kernel = .*|$3|" "$(cfg_of "$1")"
	"$XL" create "$(cfg_of "$1")" || fail "boot $1"
	GUESTS="$GUESTS $1"
}

guest_add web64 debian12-bookworm
guest_kernel web32 debian10-buster-i386 "kernel = \"$PVGRUB32\""
guest_add db64 ubuntu2204
guest_kernel direct debian12-bookworm 'kernel = "/boot/vmlinuz-6.1.0-13-amd64"'
guest_kernel pygrub debian12-bookworm 'bootloader = "pygrub"'
guest_add dead debian11-bullseye
guest_add late debian13-trixie
guests_up
expect_eq "web32's arch" i686 "$(gkey web32 kernel/arch)"

echo "# a dead agent: its data stays, it answers no ping"
kill -9 "-$(cat "$MIG_DIR/dead/pid")" 2>/dev/null
rm -f "$MIG_DIR/dead/pid"
expect_eq "dead's verdict still published" ready "$(gkey dead verdict)"

# dplan ARGS...: a plan with the default table of boot loaders (no settings file).
dplan() { mig plan --config "$T/etc/%n.cfg" --xl "$XL" --settings "$T/none.conf" "$@"; }
pending() { status_json | jq -r '[.guests[] | select(.state == "pending") | .name] | join(" ")'; }

echo "# the default table: both pvgrub2 images to pvhgrub"
dplan --all >"$T/plan.txt" 2>"$T/plan.err" ||
	fail "plan: $(cat "$T/plan.err" "$T/plan.txt")"
cat "$T/plan.txt"
expect_eq "planned" "db64 late web32 web64" "$(pending)"
greason direct | grep -q '^.*: direct kernel boot: kernel = "/boot/vmlinuz-6.1.0-13-amd64"' ||
	fail "direct: $(greason direct)"
greason pygrub | grep -q 'bootloader = "pygrub"' || fail "pygrub: $(greason pygrub)"
greason dead | grep -q '^no answer: ' || fail "dead: $(greason dead)"
expect_eq "the table's PV images" "/usr/lib/grub-xen/grub-x86_64-xen.bin
$PVGRUB32" "$(status_json | jq -r .pvgrub)"
ID1=$(status_json | jq -r .id)

echo "# a second plan is refused while the first is planned"
dplan --all >"$T/out" 2>"$T/err" && fail "a second plan replaced the first"
expect_eq "exit status" 1 "$?"
grep -q -- '--replace' "$T/err" || fail "the refusal does not say --replace: $(cat "$T/err")"
expect_eq "the first plan stays" "$ID1 planned" "$(status_json | jq -r '"\(.id) \(.state)"')"

echo "# --filter terms combine with AND; --exclude"
dplan --replace --filter 'name=*64' --filter arch=x86_64 --filter 'os=debian 12' >/dev/null || fail "plan with filters"
expect_eq "name AND arch AND os (db64 has no arch)" web64 "$(pending)"
expect_eq "the first plan replaced" "aborted replaced by a new plan" \
	"$(mig status --id "$ID1" --json | jq -r '"\(.state) \(.reason)"')"
dplan --replace --filter verdict=ready --exclude arch=x86_64 >/dev/null || fail "plan with --exclude"
expect_eq "verdict ready, not x86_64" "db64 web32" "$(pending)"
dplan --replace --exclude 'name=web*' --exclude 'name=late' --filter 'name=[dw]*' >/dev/null || fail "plan: globs"
expect_eq "globs, two excludes" db64 "$(pending)"
dplan --replace --filter kind=x >/dev/null 2>&1 && fail "an unknown filter key is taken"
expect_eq "exit status of a bad key" 4 "$?"

echo "# a plan with nothing to do saves nothing and exits 1"
ID=$(status_json | jq -r .id)
dplan --replace --filter 'name=nosuch*' >"$T/out" 2>"$T/err" && fail "an empty plan succeeded"
expect_eq "exit status" 1 "$?"
grep -q 'Nothing to do' "$T/err" || fail "no word of it: $(cat "$T/err")"
dplan --replace direct pygrub >"$T/out" 2>"$T/err" && fail "a plan of skipped guests succeeded"
grep -q 'direct: .*: direct kernel boot' "$T/err" || fail "the reasons are not told: $(cat "$T/err")"
expect_eq "the newest migration is still the last plan" "$ID planned" "$(status_json | jq -r '"\(.id) \(.state)"')"

echo "# a mistyped --db is an error, for every command but plan"
for v in status run resume abort; do
	as "$H" 0 "$MONITOR" migrate "$v" --db "$T/typo.db" >/dev/null 2>"$T/err" && fail "$v on a mistyped --db"
	grep -q "No database '$T/typo.db'" "$T/err" || fail "$v: $(cat "$T/err")"
	[ ! -e "$T/typo.db" ] || fail "$v created $T/typo.db"
done
as "$H" 0 "$MONITOR" request --db "$T/typo.db" web64 ping >/dev/null 2>"$T/err" && fail "request on a mistyped --db"
[ ! -e "$T/typo.db" ] || fail "request created $T/typo.db"

echo "# the settings file's table; the command line's replaces it"
custom=/opt/pvh-test/pvgrub-custom.bin
sed -i "s|^kernel = .*|kernel = \"$custom\"|" "$(cfg_of db64)"
printf '# a table\nboot-loader = %s %s\n  boot-loader = %s %s  \n' "$custom" "$PVHGRUB" \
	/usr/lib/grub-xen/grub-x86_64-xen.bin "$PVHGRUB" >"$T/migrate.conf"
mig plan --replace --config "$T/etc/%n.cfg" --xl "$XL" --settings "$T/migrate.conf" db64 web32 >/dev/null 2>&1 ||
	fail "plan with the settings file"
expect_eq "custom loader planned, the 32-bit one not in the table" db64 "$(pending)"
greason web32 | grep -q "not a PV boot loader of the table" || fail "web32: $(greason web32)"
mig plan --replace --config "$T/etc/%n.cfg" --xl "$XL" --settings "$T/migrate.conf" \
	--boot-loader "$PVGRUB32=$PVHGRUB" db64 web32 >/dev/null 2>&1 || fail "plan with --boot-loader"
expect_eq "--boot-loader replaces the file's table" web32 "$(pending)"
printf 'boot-loader = %s\n' "$custom" >"$T/bad.conf"
mig plan --replace --config "$T/etc/%n.cfg" --xl "$XL" --settings "$T/bad.conf" db64 >/dev/null 2>"$T/err" &&
	fail "a bad settings file is taken"
grep -q "bad.conf: line 1: boot-loader takes PV-IMAGE PVH-IMAGE" "$T/err" || fail "bad settings: $(cat "$T/err")"
printf 'boot-loaders = a b\n' >"$T/bad.conf"
mig plan --replace --config "$T/etc/%n.cfg" --xl "$XL" --settings "$T/bad.conf" db64 >/dev/null 2>"$T/err" &&
	fail "an unknown key is taken"
grep -q "line 1: unknown key 'boot-loaders'" "$T/err" || fail "unknown key: $(cat "$T/err")"
sed -i "s|^kernel = .*|kernel = \"$PVGRUB\"|" "$(cfg_of db64)"

echo "# one run switches the 64- and the 32-bit guest to pvhgrub; an agent dead since the plan is skipped"
mig plan --replace --config "$T/etc/%n.cfg" --xl "$XL" --pvgrub "$PVGRUB" --pvgrub "$PVGRUB32" \
	--pvhgrub "$PVHGRUB" --toolstack-timeout 60 --request-timeout 120 --canary 1 --growth 10 \
	web64 web32 late >/dev/null || fail "plan for the run"
expect_eq "planned for the run" "late web32 web64" "$(pending)"
kill -9 "-$(cat "$MIG_DIR/late/pid")" 2>/dev/null
rm -f "$MIG_DIR/late/pid"
mig run --json >"$T/run.jsonl" 2>"$T/run.err"
echo "run: exit status $?"
expect_pvh web64
expect_pvh web32
grep -q "^kernel = \"$PVGRUB32\"" "$(cfg_of web32).pv-backup" || fail "web32: the backup is not the 32-bit original"
expect_eq "late: skipped" skipped "$(gstate late)"
greason late | grep -q '^no answer: ' || fail "late: $(greason late)"
expect_eq "late: never shut down" 0 "$(grep -c '^shutdown late ' "$MIG_DIR/xl.log")"
expect_eq "late: config untouched" pv "$(cfg_type late)"
echo "ok"
