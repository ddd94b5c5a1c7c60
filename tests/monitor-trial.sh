#!/bin/sh
# pvh-monitor trial on the simulated host: a throwaway copy of a PV guest is
# booted as PVH on snapshots of its disks while the guest keeps running.
# File-backed disks live on a real XFS file system (mkfs.xfs on a loop
# device) and are copied with the real cp --reflink=always; one on ext4 is
# refused; one on a real Btrfs boots too (left out where Btrfs cannot be
# mounted). Logical volumes are the LVM stand-in's (tests/trial/lvm: lvs,
# lvcreate, lvremove on files), not a real volume group. The copies are
# created and destroyed by tests/migrate/xl; the one that boots runs the
# real agent on a copy of the guest's tree. Asserted: the outcome and its
# reason (booted; crashed, with the console's line; no PVH boot in time;
# refused), the copy's configuration (its name, half the memory, a UUID of
# its own, no network card, the snapshots as its only disks), and that
# afterwards no trial domain and no snapshot is left, the guests' disks are
# unchanged (checksums) and their domains untouched (same domid, still PV).
# The outcomes are stored in the database. A trial killed (SIGKILL) at each
# step leaves a journal row, and trial --cleanup, or the next trial, removes
# the copy and every snapshot; a second trial is refused while one runs.
# A guest without an agent gets a copy without one, which booted once the
# toolstack runs it as PVH with its frontends connected and it stayed up
# --settle seconds (one that crashes meanwhile failed).
# Each trial keeps the verdict predicted when it began (the agent's, or for
# a guest without one its disks' newest inspection); --all tries every
# running guest. show prints the newest trial; migrate plan --require-trial
# plans only the guests whose newest trial booted since serve last saw
# their kernel change, and run checks that again at each guest's turn.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
[ "$(id -u)" = 0 ] || skip "needs root to mount the XFS and ext4 images (loop devices)"
command -v mkfs.xfs >/dev/null || skip "mkfs.xfs is not installed (xfsprogs)"
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 is not installed (e2fsprogs)"

trial_cleanup() {
	rc=$?
	for _m in "$T/xfs" "$T/ext4" "$T/btrfs"; do
		mountpoint -q "$_m" 2>/dev/null && umount "$_m"
	done
	(exit $rc)
	mig_cleanup
}
mig_setup
trap trial_cleanup EXIT

# fs TYPE: a small file system of that type on a loop device, at $T/TYPE.
fs() {
	truncate -s 300M "$T/$1.img" && "mkfs.$1" -q "$T/$1.img" >/dev/null 2>&1 || fail "mkfs.$1"
	mkdir -p "$T/$1"
	mount -o loop "$T/$1.img" "$T/$1" 2>"$T/mount.err" || skip "cannot mount a loop device here: $(cat "$T/mount.err")"
}
fs xfs
fs ext4

LVM_DIR=$T/lvm
mkdir -p "$LVM_DIR/vg0" "$MIG_DIR/console"
echo $((1 << 30)) >"$LVM_DIR/vg0/.free"
export LVM_DIR PATH="$top_srcdir/tests/trial:$PATH"

# trial_guest NAME FS [LV]: a PV guest whose xvda is a file on FS, and xvdb the logical volume LV.
trial_guest() {
	mkdir -p "$MIG_DIR/$1"
	make_root debian12-bookworm "$MIG_DIR/$1/root"
	head -c 4194304 /dev/urandom >"$T/$2/$1.img" || fail "disk of $1"
	write_cfg "$1"
	_disks="'file:$T/$2/$1.img,xvda,w'"
	if [ -n "${3:-}" ]; then
		head -c 2097152 /dev/urandom >"$LVM_DIR/vg0/$3" || fail "volume of $1"
		_disks="$_disks, 'phy:/dev/vg0/$3,xvdb,w'"
	fi
	sed -i "s|^disk = .*|disk = [ $_disks ]|" "$(cfg_of "$1")"
	"$XL" create "$(cfg_of "$1")" || fail "boot $1"
	GUESTS="$GUESTS $1"
}
trial_guest good xfs good-data
trial_guest crashy xfs
echo crash-early >"$MIG_DIR/crashy/trial-behave"
trial_guest slow xfs
echo no-agent >"$MIG_DIR/slow/trial-behave"
trial_guest onext4 ext4
guests_up

sums() { sha256sum "$T"/xfs/*.img "$T"/ext4/*.img "$LVM_DIR"/vg0/*; }
sums >"$T/sums.before"
domids() { for _n in $GUESTS; do echo "$_n $(domid_of "$_n")"; done; }
domids >"$T/domids.before"
free_before=$(cat "$LVM_DIR/vg0/.free")

trial() {
	as "$H" 0 "$MONITOR" trial --db "$DB" --config "$T/etc/%n.cfg" --xl "$XL" --pvgrub "$PVGRUB" \
		--pvhgrub "$PVHGRUB" --console-log "$MIG_DIR/console/guest-%n.log" --toolstack-timeout 60 "$@"
}

# nothing_left WHAT: no trial domain, no snapshot, the guests and their disks as they were.
nothing_left() {
	"$XENSIM" list "$H" | grep -- -pvhtrial && fail "$1: a trial domain is left"
	ls "$T"/xfs "$T"/ext4 "$LVM_DIR"/vg0 | grep -- -pvhtrial && fail "$1: a snapshot is left"
	expect_eq "$1: the volume group's free space" "$free_before" "$(cat "$LVM_DIR/vg0/.free")"
	sums | cmp -s - "$T/sums.before" || fail "$1: a guest's disk changed: $(sums | diff "$T/sums.before" -)"
	domids | cmp -s - "$T/domids.before" || fail "$1: a guest's domain changed: $(domids | diff "$T/domids.before" -)"
	for _n in $GUESTS; do
		expect_eq "$1: $_n still runs PV" PV "$(gkey "$_n" guest_type)"
	done
}

# field FILE KEY: a key of the JSON line.
field() { jq -r ".$2 // \"\"" "$1"; }

echo "# success: the copy of good boots as PVH"
trial --timeout 60 --json good >"$T/good.json" 2>"$T/good.err" || fail "trial good: $(cat "$T/good.json" "$T/good.err")"
expect_eq "good: outcome" booted "$(field "$T/good.json" trial)"
expect_eq "good: reason" "its agent published guest_type PVH" "$(field "$T/good.json" reason)"
grep -q '^create good-pvhtrial PVH [0-9]*$' "$MIG_DIR/xl.log" || fail "good: no PVH create: $(cat "$MIG_DIR/xl.log")"
grep -q '^destroy good-pvhtrial [0-9]*$' "$MIG_DIR/xl.log" || fail "good: the copy was not destroyed"
grep -q '^lvcreate vg0/good-data-pvhtrial of vg0/good-data 2097152$' "$MIG_DIR/xl.log" ||
	fail "good: the snapshot's size is not bounded by its origin's: $(grep lvcreate "$MIG_DIR/xl.log")"
grep -q '^lvremove vg0/good-data-pvhtrial$' "$MIG_DIR/xl.log" || fail "good: the snapshot was not removed"
c=$MIG_DIR/good-pvhtrial/saved.cfg
expect_eq "copy: its name" 'name = "good-pvhtrial"' "$(grep '^name' "$c")"
expect_eq "copy: PVH" 'type = "pvh"' "$(grep '^type' "$c")"
expect_eq "copy: pvhgrub" "kernel = \"$PVHGRUB\"" "$(grep '^kernel' "$c")"
expect_eq "copy: half the memory" "memory = 512" "$(grep '^memory' "$c")"
expect_eq "copy: no network card" "vif = [ ]" "$(grep '^vif' "$c")"
expect_eq "copy: the snapshots only" \
	"disk = [ '$T/xfs/good.img-pvhtrial,raw,xvda,w', '/dev/vg0/good-data-pvhtrial,raw,xvdb,w' ]" \
	"$(grep '^disk' "$c")"
expect_eq "copy: one disk line, one vif line" "1 1" "$(grep -c 'disk' "$c") $(grep -c 'vif' "$c")"
grep -q '^uuid = "[0-9a-f-]\{36\}"$' "$c" || fail "copy: no UUID of its own: $(cat "$c")"
expect_eq "copy: the guest's configuration is untouched" pv "$(cfg_type good)"
nothing_left "after the success"

echo "# failure: the copy of crashy crashes before its agent runs"
trial --timeout 60 crashy >"$T/crashy.txt" 2>&1 && fail "trial crashy succeeded: $(cat "$T/crashy.txt")"
grep -q '^crashy: trial failed (it crashed)$' "$T/crashy.txt" || fail "crashy: $(cat "$T/crashy.txt")"
grep -q '^  console: .*BUG: unable to handle page fault' "$T/crashy.txt" || fail "crashy: no console: $(cat "$T/crashy.txt")"
grep -q '^destroy crashy-pvhtrial [0-9]*$' "$MIG_DIR/xl.log" || fail "crashy: the copy was not destroyed"
nothing_left "after the crash"

echo "# timeout: the copy of slow never shows a PVH boot"
trial --timeout 3 --json slow >"$T/slow.json" 2>&1 && fail "trial slow succeeded: $(cat "$T/slow.json")"
expect_eq "slow: outcome" failed "$(field "$T/slow.json" trial)"
expect_eq "slow: reason" "no PVH boot within 3 s (no agent published guest_type PVH)" "$(field "$T/slow.json" reason)"
nothing_left "after the timeout"

echo "# GRUB cannot load the copy's kernel: it fails on its console's word, not at its timeout"
echo grub-error >"$MIG_DIR/slow/trial-behave"
trial --timeout 30 --json slow >"$T/grub.json" 2>&1 && fail "trial slow succeeded: $(cat "$T/grub.json")"
expect_eq "grub: outcome" failed "$(field "$T/grub.json" trial)"
expect_eq "grub: reason" \
	"its console log $MIG_DIR/console/guest-slow-pvhtrial.log shows GRUB could not load the kernel (error: invalid magic number)" \
	"$(field "$T/grub.json" reason)"
echo no-agent >"$MIG_DIR/slow/trial-behave"
nothing_left "after GRUB's error"

# A triple fault is a reboot to Xen: the copy (on_reboot = "preserve") stays
# shut down, so the trial tells a reboot from a copy that vanished, and
# destroys it itself, then removes its snapshots.
echo "# the copy faults and reboots: kept shut down, the trial says so and destroys it"
echo crash-loop >"$MIG_DIR/slow/trial-behave"
echo "1 0 2" >"$MIG_DIR/slow/trial-crash-loop"
trial --timeout 30 --json slow >"$T/fault.json" 2>"$T/fault.err" && fail "trial slow succeeded: $(cat "$T/fault.json")"
expect_eq "fault: outcome" failed "$(field "$T/fault.json" trial)"
expect_eq "fault: reason" "it shut down (reboot)" "$(field "$T/fault.json" reason)"
grep -q '^fault slow-pvhtrial [0-9]* preserved (on_reboot preserve)$' "$MIG_DIR/xl.log" ||
	fail "fault: the toolstack did not keep the copy: $(cat "$MIG_DIR/xl.log")"
grep -q '^destroy slow-pvhtrial [0-9]*$' "$MIG_DIR/xl.log" ||
	fail "fault: the trial did not destroy the copy: $(cat "$MIG_DIR/xl.log")"
echo no-agent >"$MIG_DIR/slow/trial-behave"
rm -f "$MIG_DIR/slow/trial-crash-loop"
nothing_left "after the fault"

echo "# refused: a file on ext4, and a volume group without room for the snapshot"
trial --timeout 60 onext4 >"$T/ext4.txt" 2>&1 && fail "trial onext4 succeeded"
grep -q "^onext4: trial refused ($T/ext4/onext4.img: ext2/3/4 has no reflink copies" "$T/ext4.txt" ||
	fail "onext4: $(cat "$T/ext4.txt")"
grep -q '^create onext4-pvhtrial' "$MIG_DIR/xl.log" && fail "onext4: a copy was created"
echo 1000 >"$LVM_DIR/vg0/.free"
trial --timeout 60 good >"$T/full.txt" 2>&1 && fail "trial good succeeded on a full volume group"
grep -q "^good: trial refused (/dev/vg0/good-data: volume group vg0 has 1000 bytes free, a snapshot needs 2097152)" \
	"$T/full.txt" || fail "full: $(cat "$T/full.txt")"
echo "$free_before" >"$LVM_DIR/vg0/.free"
expect_eq "good: created once" 1 "$(grep -c '^create good-pvhtrial' "$MIG_DIR/xl.log")"
nothing_left "after the refusals"

echo "# the outcomes are kept, with their time and reason"
expect_eq "stored outcomes" "good|booted|its agent published guest_type PVH
crashy|failed|it crashed
slow|failed|no PVH boot within 3 s (no agent published guest_type PVH)
slow|failed|its console log $MIG_DIR/console/guest-slow-pvhtrial.log shows GRUB could not load the kernel (error: invalid magic number)
slow|failed|it shut down (reboot)
onext4|refused|1
good|refused|1" "$(sqlite3 "$DB" "SELECT name, outcome, CASE outcome WHEN 'refused' THEN reason != '' ELSE reason END
	FROM trials WHERE at > 0 ORDER BY rowid")"
sqlite3 "$DB" "SELECT console FROM trials WHERE name = 'crashy'" | grep -q 'BUG: unable to handle page fault' ||
	fail "crashy: no console stored"
# Every guest's agent said ready when its trial began.
expect_eq "stored predictions" "ready ready ready ready ready ready ready" \
	"$(sqlite3 "$DB" "SELECT predicted FROM trials ORDER BY rowid" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "good: --json's prediction" ready "$(field "$T/good.json" predicted)"
grep -q '^  predicted: ready$' "$T/crashy.txt" || fail "crashy: no prediction printed: $(cat "$T/crashy.txt")"

# killed WHAT VERB WHEN: a trial of good killed (SIGKILL) by the stand-in VERB before or after its work.
killed() {
	echo "$2 $3 KILL" >"$MIG_DIR/signal"
	trial --timeout 60 good >"$T/killed.txt" 2>&1
	rc=$?
	# The stand-in xl lingers as a command its killed run left behind: it goes first.
	case $2 in
	create | destroy)
		wait_for 100 test -s "$MIG_DIR/lingering" || fail "$1: xl did not linger"
		kill -9 "$(cat "$MIG_DIR/lingering")"
		rm -f "$MIG_DIR/lingering"
		;;
	esac
	[ ! -f "$MIG_DIR/signal" ] || fail "$1: the stand-in never reached $2 $3: $(cat "$T/killed.txt")"
	expect_eq "$1: killed" 137 "$rc"
	expect_eq "$1: a journal row is left" 1 "$(sqlite3 "$DB" 'SELECT count(*) FROM trial_journal')"
}

# cleaned WHAT: trial --cleanup removes what the killed trial left.
cleaned() {
	trial --cleanup >"$T/cleanup.txt" 2>&1 || fail "$1: cleanup: $(cat "$T/cleanup.txt")"
	grep -q '^1 trial(s) left something behind: removed.$' "$T/cleanup.txt" || fail "$1: $(cat "$T/cleanup.txt")"
	expect_eq "$1: the journal is empty" 0 "$(sqlite3 "$DB" 'SELECT count(*) FROM trial_journal')"
	ls "$T"/*.cfg 2>/dev/null | grep -q -- -pvhtrial && fail "$1: the copy's configuration is left"
	nothing_left "$1"
}

echo "# kill -9 at every step, then --cleanup"
killed "after the reflink copy, before the LVM snapshot" lvcreate before
ls "$T/xfs" | grep -q good.img-pvhtrial || fail "the reflink copy was not made before the kill"
cleaned "killed before the LVM snapshot"
killed "after the snapshots" lvcreate after
[ -f "$LVM_DIR/vg0/good-data-pvhtrial" ] || fail "the LVM snapshot was not made before the kill"
cleaned "killed after the snapshots"
killed "before create" create before
cleaned "killed before create"
killed "after create" create after
"$XENSIM" list "$H" | grep -q good-pvhtrial || fail "the copy was not running when the trial was killed"
cleaned "killed after create"
killed "before destroy" destroy before
cleaned "killed before destroy"
killed "after destroy" destroy after
cleaned "killed after destroy"
killed "before the snapshot's removal" lvremove before
cleaned "killed before lvremove"
killed "after the snapshot's removal" lvremove after
cleaned "killed after lvremove"

# creates_after N: the copy of slow was created once more than N times.
creates_after() {
	wait_for 300 sh -c "grep -c '^create slow-pvhtrial' '$MIG_DIR/xl.log' | grep -qx $(($1 + 1))"
}

echo "# kill -9 while the copy boots, then a trial: it cleans up first"
n=$(grep -c '^create slow-pvhtrial' "$MIG_DIR/xl.log")
trial --timeout 60 slow >/dev/null 2>&1 &
tpid=$!
creates_after "$n" || fail "the copy of slow was never created"
# The shell may have run pvh-monitor in the background job's own process, or under it.
mpid=$tpid
[ "$(ps -o comm= -p "$tpid")" = pvh-monitor ] || mpid=$(pgrep -P "$tpid" -x pvh-monitor)
[ -n "$mpid" ] || fail "no pvh-monitor in the background trial"
kill -9 "$mpid"
wait "$tpid"
"$XENSIM" list "$H" | grep -q slow-pvhtrial || fail "the copy of slow is not running"
trial --timeout 60 good >"$T/again.txt" 2>&1 || fail "trial after a kill: $(cat "$T/again.txt")"
grep -q "Removed what a trial left: slow-pvhtrial" "$T/again.txt" || fail "no cleanup at start: $(cat "$T/again.txt")"
grep -q '^good: trial booted' "$T/again.txt" || fail "trial after a kill: $(cat "$T/again.txt")"
nothing_left "after a trial that cleaned up first"

echo "# one trial at a time"
n=$(grep -c '^create slow-pvhtrial' "$MIG_DIR/xl.log")
trial --timeout 4 slow >"$T/first.txt" 2>&1 &
tpid=$!
creates_after "$n" || fail "the copy of slow never started"
trial --timeout 60 good >"$T/second.txt" 2>&1 && fail "a second trial ran at once"
grep -q 'Another trial runs on this host (pid [0-9]*): one at a time' "$T/second.txt" || fail "second: $(cat "$T/second.txt")"
wait "$tpid" && fail "the first trial succeeded: $(cat "$T/first.txt")"
grep -q '^slow: trial failed (no PVH boot within 4 s' "$T/first.txt" || fail "first: $(cat "$T/first.txt")"
nothing_left "after the lock"

echo "# show: the newest trial"
as "$H" 0 "$MONITOR" show --db "$DB" crashy >"$T/show.txt" || fail "show crashy"
as "$H" 0 "$MONITOR" show --db "$DB" --json good >"$T/show.json" || fail "show --json good"
expect_eq "show good: the newest trial" "booted its agent published guest_type PVH" \
	"$(jq -r '"\(.trial.outcome) \(.trial.reason)"' "$T/show.json")"

grep -q '^  trial       failed (it crashed), [0-9-]* [0-9:]* UTC; predicted ready$' "$T/show.txt" ||
	fail "show crashy: no prediction: $(cat "$T/show.txt")"
expect_eq "show good: the prediction" ready "$(jq -r .trial.predicted "$T/show.json")"

echo "# status: the newest trial in the table and the JSON"
as "$H" 0 "$MONITOR" status --db "$DB" --wide good crashy >"$T/status.txt" || fail "status"
head -n 1 "$T/status.txt" | grep -q ' TRIAL ' || fail "status: no TRIAL column: $(cat "$T/status.txt")"
grep -qE '^[0-9]+ +good .* booted [0-9]+[smhd] ' "$T/status.txt" || fail "status: good's trial: $(cat "$T/status.txt")"
grep -qE '^[0-9]+ +crashy .* failed [0-9]+[smhd] ' "$T/status.txt" || fail "status: crashy's trial: $(cat "$T/status.txt")"
as "$H" 0 "$MONITOR" status --db "$DB" --json good crashy >"$T/status.json" || fail "status --json"
expect_eq "status --json: the trials" "booted ready failed" \
	"$(jq -r '[.[] | .trial.outcome, (select(.name == "good") | .trial.predicted)] | join(" ")' "$T/status.json")"
as "$H" 0 "$MONITOR" status --db "$T/none.db" --wide good >"$T/status-nodb.txt" 2>/dev/null || fail "status without a database"
head -n 1 "$T/status-nodb.txt" | grep -q TRIAL && fail "a TRIAL column without any trial: $(cat "$T/status-nodb.txt")"
expect_eq "status --json without a database: trial null" null \
	"$(as "$H" 0 "$MONITOR" status --db "$T/none.db" --json good 2>/dev/null | jq -c '.[0].trial')"

echo "# a guest without an agent: its copy judged without one; predicted from its disks' newest inspection"
mkdir -p "$MIG_DIR/bare" "$T/xfs/sub"
make_root debian12-bookworm "$MIG_DIR/bare/root"
head -c 4194304 /dev/urandom >"$T/xfs/sub/bare.img" || fail "disk of bare"
write_cfg bare
sed -i "s|^disk = .*|disk = [ 'file:$T/xfs/sub/bare.img,xvda,w' ]|" "$(cfg_of bare)"
: >"$MIG_DIR/bare/agentless"
"$XL" create "$(cfg_of bare)" || fail "boot bare"
# Its copy has no agent either: judged as migrate judges such a guest.
trial --timeout 60 --settle 2 --json bare >"$T/bare.json" 2>"$T/bare.err" ||
	fail "trial bare: $(cat "$T/bare.json" "$T/bare.err")"
expect_eq "bare, not inspected: predicted" unknown "$(field "$T/bare.json" predicted)"
expect_eq "bare: booted without an agent" \
	"booted no agent: the toolstack runs it as PVH, its frontends connected, and it stayed up 2 s" \
	"$(jq -r '"\(.trial) \(.reason)"' "$T/bare.json")"
sqlite3 "$DB" "INSERT INTO inspections(name, domid, at, verdict) VALUES ('bare', $(domid_of bare), 1, 'fixable')" ||
	fail "sqlite3"
trial --timeout 60 --settle 2 --json bare >"$T/bare.json" 2>"$T/bare.err" ||
	fail "trial bare: $(cat "$T/bare.json" "$T/bare.err")"
expect_eq "bare: booted" booted "$(field "$T/bare.json" trial)"
expect_eq "bare, inspected: predicted" fixable "$(field "$T/bare.json" predicted)"
echo "# a copy without an agent that crashes a second after its frontends connected: --settle sees it"
echo crash >"$MIG_DIR/bare/trial-behave"
trial --timeout 60 --settle 5 --json bare >"$T/bare.json" 2>"$T/bare.err" &&
	fail "trial bare succeeded: $(cat "$T/bare.json")"
expect_eq "bare: crashed while settling" "failed it crashed" "$(jq -r '"\(.trial) \(.reason)"' "$T/bare.json")"
rm -f "$MIG_DIR/bare/trial-behave"
"$XL" destroy bare || fail "destroy bare"
nothing_left "after bare"

echo "# migrate plan --require-trial: only guests whose newest trial booted since their last kernel change"
plan --require-trial good crashy slow onext4 >"$T/plan.txt" 2>&1 || fail "plan: $(cat "$T/plan.txt")"
expect_eq "good planned" pending "$(gstate good)"
expect_eq "crashy skipped" "skipped its newest trial boot failed: it crashed" "$(gstate crashy) $(greason crashy)"
greason slow | grep -q '^its newest trial boot failed: no PVH boot within 4 s' || fail "slow: $(greason slow)"
greason onext4 | grep -q '^its newest trial boot refused: .*ext2/3/4 has no reflink copies' || fail "onext4: $(greason onext4)"
mig run --dry-run >"$T/dry.txt" 2>&1 || fail "dry run: $(cat "$T/dry.txt")"
grep -q '^    require its newest trial boot since its last kernel change$' "$T/dry.txt" ||
	fail "the dry run does not say the trial is checked again: $(cat "$T/dry.txt")"
# serve saw good's kernel change after its trial; crashy's trials are forgotten.
sqlite3 "$DB" "INSERT INTO guest_changes(uuid, name, domid, at, what, old, new)
	VALUES ('u', 'good', 1, strftime('%s', 'now') + 60, 'kernel', '6.1.0-12', '6.1.0-13');
	DELETE FROM trials WHERE name = 'crashy'" || fail "sqlite3"
echo "# the plan's --require-trial is checked again when the guest's turn comes"
mig run >"$T/run.txt" 2>&1 && fail "the run switched good: $(cat "$T/run.txt")"
expect_eq "good skipped at its check" \
	"skipped its kernel changed since its trial booted (--require-trial; try it again)" \
	"$(gstate good) $(greason good)"
expect_eq "good untouched" pv "$(cfg_type good)"
expect_eq "good never created as PVH" 0 "$(creates good PVH)"
plan --require-trial good crashy >"$T/plan2.txt" 2>&1 && fail "a plan was saved: $(cat "$T/plan2.txt")"
grep -q 'good: its kernel changed since its trial booted (--require-trial; try it again)' "$T/plan2.txt" ||
	fail "good after a kernel change: $(cat "$T/plan2.txt")"
grep -q 'crashy: no trial boot (--require-trial; run pvh-monitor trial first)' "$T/plan2.txt" ||
	fail "crashy without a trial: $(cat "$T/plan2.txt")"

echo "# a guest whose disk is on Btrfs: reflinked too"
if command -v mkfs.btrfs >/dev/null && truncate -s 300M "$T/btrfs.img" && mkfs.btrfs -q "$T/btrfs.img" >/dev/null 2>&1 &&
	mkdir -p "$T/btrfs" && mount -o loop "$T/btrfs.img" "$T/btrfs" 2>/dev/null; then
	trial_guest onbtrfs btrfs
	guests_up
	sums >"$T/sums.before"
	domids >"$T/domids.before"
	trial --timeout 60 --json onbtrfs >"$T/btrfs.json" 2>"$T/btrfs.err" ||
		fail "trial onbtrfs: $(cat "$T/btrfs.json" "$T/btrfs.err")"
	expect_eq "onbtrfs: booted" booted "$(field "$T/btrfs.json" trial)"
	grep -q "^disk = \[ '$T/btrfs/onbtrfs.img-pvhtrial,raw,xvda,w' \]$" "$MIG_DIR/onbtrfs-pvhtrial/saved.cfg" ||
		fail "onbtrfs: the copy's disk: $(grep '^disk' "$MIG_DIR/onbtrfs-pvhtrial/saved.cfg")"
	ls "$T/btrfs" | grep -q -- -pvhtrial && fail "onbtrfs: the snapshot is left"
	"$XL" destroy onbtrfs || fail "destroy onbtrfs"
	GUESTS=$(echo "$GUESTS" | sed 's/ onbtrfs//')
	sums >"$T/sums.before"
	domids >"$T/domids.before"
else
	echo "# no Btrfs here (mkfs.btrfs, or a loop mount of it, failed): left out"
fi

echo "# --all: every running guest but dom0, one line each"
rm -f "$MIG_DIR/slow/trial-behave"
trial --timeout 60 --json --all >"$T/all.json" 2>"$T/all.err" && fail "--all succeeded with crashy among them"
expect_eq "--all: the guests and their outcomes" "crashy failed,good booted,onext4 refused,slow booted" \
	"$(jq -rs 'map("\(.name) \(.trial)") | sort | join(",")' "$T/all.json")"
nothing_left "after --all"
echo PASS
