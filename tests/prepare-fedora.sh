#!/bin/sh
# pvh-agent prepare / rollback on the Fedora/RHEL family: fedora40 (BLS
# entries with their own options) and rootfs-prepare/alma8-serial (RHEL 8:
# options "$kernelopts" from grubenv, a serial terminal). grubby and
# grub2-mkconfig are the stand-ins of tests/prepare/stub, which really edit
# the BLS entries and grubenv and write a menu, so the checker afterwards
# sees what they did; the real tools do not run on this system.
set -eu
. "$top_srcdir/tests/prepare/lib.sh"

for case in fedora40 alma8-serial; do
	fedora_setup "$case"
	snapshot "$T/before"

	echo "# $case: dry run"
	pa prepare --dry-run
	expect_rc 0 "$case: dry run"
	grep -q '^+++ b/etc/default/grub$' "$T/out" || fail "$case: dry run: no diff of /etc/default/grub"
	grep -q '^+GRUB_ENABLE_BLSCFG="false"$' "$T/out" || fail "$case: dry run: blscfg not turned off"
	grep -q '^link: /boot/grub/grub.cfg -> \.\./grub2/grub.cfg$' "$T/out" || fail "$case: dry run: no link shown"
	grep -q '^run: /usr/sbin/grubby --update-kernel=ALL --args=console=hvc0 ' "$T/out" ||
		fail "$case: dry run: grubby not shown"
	grep -q '^run: /usr/sbin/grub2-mkconfig -o /boot/grub2/grub.cfg$' "$T/out" ||
		fail "$case: dry run: grub2-mkconfig not shown"
	snapshot "$T/now"
	same "$case: dry run changed the tree" "$T/before" "$T/now"
	[ ! -s "$C/log" ] || fail "$case: dry run ran: $(cat "$C/log")"

	echo "# $case: prepare"
	pa prepare
	expect_rc 0 "$case: prepare"
	grep -q 'prepared; verdict ready' "$T/out" || fail "$case: prepare: $(cat "$T/out")"
	rc=0
	"$agent" check --root "$R" >"$T/check" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$T/check" >&2; fail "$case: check after prepare: exit status $rc, not ready"; }
	expect_eq "$case: commands run" "grubby|grub2-mkconfig" "$(cut -d' ' -f1 "$C/log" | paste -sd'|')"
	[ "$(readlink "$R/boot/grub/grub.cfg")" = ../grub2/grub.cfg ] || fail "$case: no /boot/grub/grub.cfg link"
	[ "$(readlink "$R/boot/grub/grubenv")" = ../grub2/grubenv ] || fail "$case: no /boot/grub/grubenv link"
	grep -q blscfg "$R/boot/grub2/grub.cfg" && fail "$case: the menu still runs blscfg"
	# What grubby changed: every command line ends with console=hvc0, without ttyS or nopv.
	if [ "$case" = alma8-serial ]; then
		lines=$(grep -a '^kernelopts=' "$R/boot/grub2/grubenv")
		expect_eq "$case: grubenv size" 1024 "$(stat -c %s "$R/boot/grub2/grubenv")"
	else
		lines=$(grep -h '^options ' "$R"/boot/loader/entries/*.conf)
	fi
	echo "$lines" | grep -Eq 'ttyS|nopv|earlyprintk' && fail "$case: grubby left: $lines"
	echo "$lines" | grep -Eq 'console=hvc0$' || fail "$case: console=hvc0 not last: $lines"
	snapshot "$T/prepared"

	echo "# $case: prepare again changes nothing"
	: >"$C/log"
	pa prepare
	expect_rc 0 "$case: second prepare"
	grep -q 'already prepared' "$T/out" || fail "$case: second prepare: $(cat "$T/out")"
	[ ! -s "$C/log" ] || fail "$case: second prepare ran: $(cat "$C/log")"
	snapshot "$T/now"
	same "$case: second prepare changed the tree" "$T/prepared" "$T/now"

	echo "# $case: rollback restores every byte, the entries and the menu included"
	pa rollback
	expect_rc 0 "$case: rollback"
	[ ! -s "$C/log" ] || fail "$case: rollback ran: $(cat "$C/log")"
	snapshot "$T/now"
	same "$case: rollback left the tree different" "$T/before" "$T/now"

	echo "# $case: a failing grub2-mkconfig undoes grubby's changes too"
	: >"$C/fail-grub2-mkconfig"
	pa prepare
	expect_rc 1 "$case: prepare with grub2-mkconfig failing"
	grep -q 'prepare failed (a command failed)' "$T/out" || fail "$case: failed prepare: $(cat "$T/out")"
	grep -q '^grubby ' "$C/log" || fail "$case: grubby did not run before the failure"
	rm "$C/fail-grub2-mkconfig"
	snapshot "$T/now"
	same "$case: failed prepare left the tree different" "$T/before" "$T/now"
done

echo "# alma9: blocked (no CONFIG_XEN_PVH): nothing changed, the reasons answered"
fedora_setup alma9 rootfs
snapshot "$T/before"
pa prepare
expect_rc 1 "alma9"
grep -q 'checks fail that prepare cannot fix' "$T/out" || fail "alma9: $(cat "$T/out")"
grep -q '^kernel_pvh: ' "$T/out" || fail "alma9: no reason given: $(cat "$T/out")"
snapshot "$T/now"
same "alma9 tree changed" "$T/before" "$T/now"
[ ! -s "$C/log" ] || fail "alma9: ran $(cat "$C/log")"
echo "ok"
