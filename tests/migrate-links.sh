#!/bin/sh
# pvh-monitor migrate with linked xl configurations, on a simulated host with
# real agents: a configuration reached through a symbolic link (as in
# xendomains' /etc/xen/auto) is switched in its target and the link stays a
# link, with the backup beside the target; one whose PVH boot fails is put
# back through the link, which still leads to the PV configuration; a
# configuration with a second hard link is skipped at the plan, with a
# message, and left as it is.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
mig_setup
mkdir -p "$T/etc/real" "$T/etc/other"

# link_cfg NAME: the configuration moves to etc/real/, etc/NAME.cfg links to it.
link_cfg() {
	mv "$(cfg_of "$1")" "$T/etc/real/$1.cfg" || fail "move $1"
	ln -s "real/$1.cfg" "$(cfg_of "$1")" || fail "link $1"
}
is_link_to_real() {
	[ -L "$(cfg_of "$1")" ] && [ "$(readlink "$(cfg_of "$1")")" = "real/$1.cfg" ]
}
real_type() { sed -n 's/^type = "\(.*\)"/\1/p' "$T/etc/real/$1.cfg"; }

guest_add linked debian12-bookworm
guest_add linkfail ubuntu2204 no-agent
guest_add hardlinked debian12-bookworm
link_cfg linked
link_cfg linkfail
ln "$(cfg_of hardlinked)" "$T/etc/other/hardlinked.cfg" || fail "hard link"
cp "$(cfg_of hardlinked)" "$T/hardlinked.orig"
guests_up

echo "# the plan skips the hard-linked configuration, and says why"
plan linked linkfail hardlinked --canary 2 --boot-timeout 8 >/dev/null || fail "plan"
expect_eq "hardlinked skipped" skipped "$(gstate hardlinked)"
greason hardlinked | grep -q 'has 2 hard links' || fail "hardlinked: reason '$(greason hardlinked)'"

echo "# run: switched through the link; a failed boot put back through it"
rc=0
mig run --json >"$T/run.jsonl" 2>"$T/run.err" || rc=$?
expect_eq "run exit status (one guest failed, one done: partial)" 2 "$rc"
expect_eq "linked: done" done "$(gstate linked)"
is_link_to_real linked || fail "linked: the link was replaced: $(ls -l "$(cfg_of linked)")"
expect_eq "linked: target switched" pvh "$(real_type linked)"
grep -q '^type = "pv"$' "$T/etc/real/linked.cfg.pv-backup" || fail "linked: no backup beside the target"
[ ! -e "$(cfg_of linked).pv-backup" ] || fail "linked: a backup beside the link"
expect_eq "linked: created as PVH" 1 "$(creates linked PVH)"
expect_eq "linked: guest_type" PVH "$(gkey linked guest_type)"

expect_pv linkfail failed
is_link_to_real linkfail || fail "linkfail: the link was replaced: $(ls -l "$(cfg_of linkfail)")"
expect_eq "linkfail: target back to PV" pv "$(real_type linkfail)"
expect_eq "linkfail: back as PV" 2 "$(creates linkfail PV)"

cmp -s "$T/hardlinked.orig" "$(cfg_of hardlinked)" || fail "hardlinked: changed"
expect_eq "hardlinked: still two names" 2 "$(stat -c %h "$(cfg_of hardlinked)")"
expect_eq "hardlinked: untouched" 0 "$(creates hardlinked PVH)"
echo "PASS"
