#!/bin/sh
# deb-install.sh [DEBDIR]: the Debian packages on a minimal bookworm system.
#
# Builds the .debs from the source tree (or takes pvh-agent_*.deb and
# pvh-monitor_*.deb from DEBDIR), installs them with their dependencies into
# a fresh debootstrap'ed bookworm root, checks their files and that their
# units are enabled, runs the installed agent's check on that root, purges
# them, and checks that nothing is left but dpkg's and apt's own records.
#
# Needs root, debootstrap and a Debian mirror (PVH_DEB_MIRROR, default
# http://deb.debian.org/debian). The minimal root is cached as a tarball in
# PVH_TEST_CACHE (default /var/cache/pvh-agent-tests, see scripts/roots.sh);
# delete it to start afresh. Not in the default test suite: scripts/check
# runs it.
set -eu

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
mirror=${PVH_DEB_MIRROR:-http://deb.debian.org/debian}
cache=${PVH_TEST_CACHE:-/var/cache/pvh-agent-tests}
suite=bookworm
debdir=${1:-}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
step() {
	echo "--- $* ($(date +%T))"
}

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || skip "debootstrap is missing"

work=$(mktemp -d /var/tmp/pvh-deb-install.XXXXXX)
root=$work/root
cleanup() {
	for m in "$root/proc" "$root/dev/pts" "$root/dev"; do
		mountpoint -q "$m" 2>/dev/null && umount -l "$m"
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# ---- the packages
if [ -z "$debdir" ]; then
	step "building the packages"
	command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage is missing (dpkg-dev)"
	git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1 ||
		skip "not a git checkout: give the directory of built .debs"
	src=$work/src/pvh-agent
	mkdir -p "$src"
	# The files git does not ignore, as they are in the working tree.
	(cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
		tar --null --ignore-failed-read -T - -cf - 2>/dev/null) |
		tar -xf - -C "$src"
	(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
		dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
		{ tail -n 40 "$work/build.log"; fail "dpkg-buildpackage failed"; }
	debdir=$work/src
fi
agent_deb=$(ls "$debdir"/pvh-agent_*_amd64.deb 2>/dev/null | tail -n 1)
monitor_deb=$(ls "$debdir"/pvh-monitor_*_amd64.deb 2>/dev/null | tail -n 1)
[ -n "$agent_deb" ] && [ -n "$monitor_deb" ] || fail "no pvh-agent_*_amd64.deb and pvh-monitor_*_amd64.deb in $debdir"

# ---- a minimal bookworm root, cached (scripts/roots.sh: sources.list with
# updates and security, no service starts in it), shared with the package
# tests under its lock
PVH_TEST_CACHE=$cache PVH_DEB_MIRROR=$mirror
. "$top_srcdir/scripts/roots.sh"
step "unpacking the $suite root"
tarball=$(root_tarball "$suite" amd64 "") ||
	skip "debootstrap $suite from $mirror failed"
root_unpack "$tarball" "$root" || fail "unpacking $tarball"
mount -t proc proc "$root/proc"

in_root() {
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
		LC_ALL=C.UTF-8 "$@"
}
# Every path on the root's file system, but for what dpkg, apt and the
# kernel's file systems keep, and the backups of the account files (the
# system user the inspector runs as stays after a purge, as Debian's
# system users do, and so do the backups its creation made).
snapshot() {
	(cd "$root" && find . -xdev \
		\( -path ./proc -o -path ./var/lib/dpkg -o -path ./var/lib/apt -o -path ./var/cache \
		   -o -path ./var/log -o -path ./tmp -o -path ./var/tmp -o -path ./etc/ld.so.cache \) -prune \
		-o -print | grep -v '^\./etc/\(passwd\|group\|shadow\|gshadow\)-$' | sort)
}

step "apt-get update"
in_root apt-get update -qq >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; skip "apt-get update failed"; }
# A dom0 runs systemd, and pvh-monitor depends on it for systemd-sysusers:
# installed first, so that what systemd's own installation makes is not
# counted as ours.
in_root apt-get install -y -q --no-install-recommends systemd >"$work/systemd.log" 2>&1 ||
	{ tail -n 20 "$work/systemd.log"; fail "apt-get install systemd failed"; }
snapshot >"$work/before"

# A provider's image preseeds the owner's answer (debian/pvh-agent.templates).
echo "pvh-agent pvh-agent/host-requests select report-only" | in_root debconf-set-selections ||
	fail "debconf-set-selections"

step "installing $(basename "$agent_deb") and $(basename "$monitor_deb")"
mkdir -p "$root/tmp/debs"
cp "$agent_deb" "$monitor_deb" "$root/tmp/debs/"
in_root apt-get install -y -q --no-install-recommends \
	"/tmp/debs/$(basename "$agent_deb")" "/tmp/debs/$(basename "$monitor_deb")" \
	>"$work/install.log" 2>&1 || { tail -n 40 "$work/install.log"; fail "apt-get install failed"; }

step "checking the installed files"
# bookworm's systemdsystemunitdir.
unitdir=/lib/systemd/system
for f in /usr/sbin/pvh-agent /usr/sbin/pvh-monitor /usr/libexec/pvh-agent/pvh-inspect \
	 /usr/lib/sysusers.d/pvh-monitor.conf \
	 "$unitdir/pvh-agent.service" "$unitdir/pvh-monitor.service" \
	 /etc/init.d/pvh-agent /etc/default/pvh-agent /etc/pvh-monitor/migrate.conf \
	 /usr/share/man/man8/pvh-agent.8.gz /usr/share/man/man8/pvh-monitor.8.gz \
	 /usr/share/man/man7/pvh-protocol.7.gz \
	 /usr/share/bash-completion/completions/pvh-agent \
	 /usr/share/bash-completion/completions/pvh-monitor \
	 /usr/share/doc/pvh-agent/copyright /usr/share/doc/pvh-monitor/copyright; do
	[ -e "$root$f" ] || fail "$f is not installed"
	in_root dpkg -S "$f" >/dev/null 2>&1 || fail "$f belongs to no package"
done
# The host's migrate settings are the administrator's once installed: an upgrade asks before replacing them.
in_root dpkg-query -W -f='${Conffiles}\n' pvh-monitor | grep -q '^ /etc/pvh-monitor/migrate.conf ' ||
	fail "/etc/pvh-monitor/migrate.conf is not a conffile of pvh-monitor"
[ -x "$root/usr/sbin/pvh-agent" ] || fail "/usr/sbin/pvh-agent is not executable"
[ -x "$root/usr/libexec/pvh-agent/pvh-inspect" ] || fail "pvh-inspect is not executable"
in_root getent passwd pvh-inspect >/dev/null || fail "no user pvh-inspect for the inspector's sandbox"
[ "$(in_root id -u pvh-inspect)" != 0 ] || fail "pvh-inspect is root"
for u in pvh-agent pvh-monitor; do
	link=$root/etc/systemd/system/multi-user.target.wants/$u.service
	[ -L "$link" ] || fail "$u.service is not enabled (no $link)"
	[ "$(readlink "$link")" = "$unitdir/$u.service" ] ||
		fail "$u.service is enabled as $(readlink "$link")"
done
out=$(in_root /usr/sbin/pvh-monitor --help) || fail "pvh-monitor --help: $out"

step "the owner's answer: preseeded, then edited by hand"
conf=$root/etc/pvh-agent/agent.conf
in_root dpkg -S /etc/pvh-agent/agent.conf >/dev/null 2>&1 &&
	fail "agent.conf is a file of the package (it is the owner's, written by the postinst)"
grep -qx 'report-only = yes' "$conf" || fail "the preseeded report-only is not in agent.conf: $(grep -v '^#' "$conf")"
[ "$(grep -c '^report-only' "$conf")" = 1 ] || fail "agent.conf sets report-only more than once"
out=$(in_root /usr/sbin/pvh-agent policy 2>&1) || fail "pvh-agent policy: $out"
echo "$out" | grep -qx 'published actions: ping probe' || fail "pvh-agent policy after the preseed: $out"
# The owner edits the file; a reconfigure asks from what the file says and
# leaves the edit as it is.
sed -i 's/^report-only = yes$/report-only = no/; s/^#prepare = allow$/prepare = deny/' "$conf"
cp "$conf" "$work/edited.conf"
in_root dpkg-reconfigure -f noninteractive pvh-agent >"$work/reconfigure.log" 2>&1 ||
	{ cat "$work/reconfigure.log"; fail "dpkg-reconfigure pvh-agent failed"; }
cmp -s "$conf" "$work/edited.conf" || fail "dpkg-reconfigure changed the owner's edit: $(diff "$work/edited.conf" "$conf")"
in_root debconf-show pvh-agent | grep -q 'pvh-agent/host-requests: deny' ||
	fail "the question does not say what the file says: $(in_root debconf-show pvh-agent)"
# A new answer at the question (the readline dialog, as over ssh: it needs a
# terminal, which script(1) gives it; choice 2 is dry-run) changes only its
# own line.
command -v script >/dev/null || fail "script is missing (util-linux)"
printf '2\n' | script -qec "chroot '$root' env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
	LC_ALL=C.UTF-8 dpkg-reconfigure -f readline pvh-agent" /dev/null >"$work/reconfigure.log" 2>&1 ||
	{ cat "$work/reconfigure.log"; fail "dpkg-reconfigure -f readline pvh-agent failed"; }
grep -q 'Changes the Xen host may ask for in this guest' "$work/reconfigure.log" ||
	fail "the readline dialog did not ask: $(cat "$work/reconfigure.log")"
diff "$work/edited.conf" "$conf" | grep '^[<>]' >"$work/conf.diff" || true
expect="< prepare = deny
> prepare = dry-run"
[ "$(cat "$work/conf.diff")" = "$expect" ] || fail "the postinst changed more than the prepare line: $(cat "$work/conf.diff")"

step "pvh-agent check --root / in the root"
set +e
in_root /usr/sbin/pvh-agent check --root / >"$work/check.txt" 2>&1
rc=$?
in_root /usr/sbin/pvh-agent check --root / --json >"$work/check.json" 2>"$work/check.err"
rc_json=$?
set -e
cat "$work/check.txt"
# 0..3 are verdicts (this root has no kernel, so not ready); 4 and 5 are errors.
[ "$rc" -le 3 ] || fail "pvh-agent check exited $rc"
[ "$rc_json" = "$rc" ] || fail "pvh-agent check --json exited $rc_json, the text report $rc"
grep -q . "$work/check.txt" || fail "pvh-agent check printed nothing"
if command -v jq >/dev/null; then
	jq -e .verdict "$work/check.json" >/dev/null || fail "pvh-agent check --json: no verdict"
fi

# What the daemons would leave in their state directories, for purge to remove.
mkdir -p "$root/var/lib/pvh-agent" "$root/var/lib/pvh-monitor"
echo state >"$root/var/lib/pvh-agent/kernel-cache"
echo state >"$root/var/lib/pvh-monitor/state.db"

step "purging"
in_root apt-get purge -y -q --autoremove pvh-agent pvh-monitor >"$work/purge.log" 2>&1 ||
	{ tail -n 40 "$work/purge.log"; fail "apt-get purge failed"; }
in_root dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' pvh-agent pvh-monitor 2>/dev/null |
	grep -v '^un ' | grep . && fail "packages still known to dpkg after purge"
snapshot >"$work/after"
left=$(comm -13 "$work/before" "$work/after")
gone=$(comm -23 "$work/before" "$work/after")
[ -z "$left" ] || fail "left behind after purge:
$left"
[ -z "$gone" ] || fail "removed by install and purge:
$gone"
echo "ok: installed, enabled, checked and purged cleanly"
