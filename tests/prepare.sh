#!/bin/sh
# pvh-agent prepare / rollback / recover on the fixture trees of
# tests/rootfs-prepare/ and tests/rootfs/. Commands run through
# tests/prepare/stub, which records their argv; update-grub runs the real
# grub-mkconfig against the tree when this machine allows it (grub-common,
# root, mount namespaces), else the stub only records it.
set -eu
. "$top_srcdir/tests/prepare/lib.sh"

echo "# debian: dry run"
debian_setup
snapshot "$T/before"
pa prepare --dry-run
expect_rc 0 "dry run"
grep -q '^+++ b/etc/default/grub.d/99-pvh-agent.cfg$' "$T/out" || fail "dry run: no diff of the drop-in"
grep -q '^+xen-blkfront$' "$T/out" || fail "dry run: no diff of /etc/initramfs-tools/modules"
grep -q '^run: /usr/sbin/update-grub$' "$T/out" || fail "dry run: update-grub not shown"
grep -q '^run: /usr/sbin/update-initramfs -u -k 6.1.0-47-amd64$' "$T/out" || fail "dry run: update-initramfs not shown"
snapshot "$T/now"
same "dry run changed the tree" "$T/before" "$T/now"
[ ! -s "$C/log" ] || fail "dry run ran: $(cat "$C/log")"
[ ! -e "$S/tx" ] || fail "dry run left a transaction"

echo "# debian: prepare"
pa prepare
expect_rc 0 "prepare"
expect_eq "commands run" "update-grub |update-initramfs -u -k 6.1.0-47-amd64" "$(paste -sd'|' "$C/log")"
expect_eq "effective settings" "net.ifnames=0 console=tty0 console=hvc0|quiet|console|" "$(effective)"
tail -n1 "$R/etc/initramfs-tools/modules" | grep -qx xen-blkfront || fail "xen-blkfront not listed"
expect_eq "modules mode" "640 1:2" "$(stat -c '%a %u:%g' "$R/etc/initramfs-tools/modules")"
if [ -f "$C/real-grub" ]; then
	echo "  (update-grub was the real grub-mkconfig)"
	lines=$(grep -E '^[[:space:]]*linux[[:space:]]' "$R/boot/grub/grub.cfg")
	[ -n "$lines" ] || fail "grub.cfg has no linux lines"
	echo "$lines" | grep -Eq 'ttyS0|nopv|acpi=off|earlyprintk' && fail "grub.cfg still has: $lines"
	echo "$lines" | while read -r l; do
		last=$(echo "$l" | tr ' \t' '\n\n' | grep '^console=' | tail -n1)
		[ "$last" = console=hvc0 ] || fail "last console= is '$last' in: $l"
	done
	grep -q serial "$R/boot/grub/grub.cfg" && fail "grub.cfg still sets up a serial terminal"
fi
grep -q '^update-initramfs: Generating /boot/initrd.img-6.1.0-47-amd64 (with xen-blkfront)$' "$T/out" ||
	fail "update-initramfs did not rebuild the image with xen-blkfront: $(cat "$T/out")"
rc=0
"$agent" check --root "$R" >"$T/check" 2>&1 || rc=$?
grep -q '^pass     blkfront ' "$T/check" || fail "blkfront after prepare: $(cat "$T/check")"
grep -q '^pass     grub_terminal ' "$T/check" || fail "grub_terminal after prepare: $(cat "$T/check")"
if [ -f "$C/real-grub" ]; then
	# The menu was regenerated from the drop-in: every check prepare touches passes.
	[ "$rc" = 0 ] || { cat "$T/check" >&2; fail "check after prepare: exit status $rc, expected 0 (ready)"; }
	grep -q '^verdict: ready$' "$T/check" || fail "verdict after prepare: $(tail -n1 "$T/check")"
	grep -q 'prepared; verdict ready' "$T/out" || fail "prepare's answer: $(cat "$T/out")"
else
	echo "  (grub.cfg was not regenerated: the verdict after prepare is not judged)"
fi
snapshot "$T/prepared"

echo "# debian: prepare again changes nothing"
: >"$C/log"
pa prepare
expect_rc 0 "second prepare"
grep -q 'already prepared' "$T/out" || fail "second prepare: $(cat "$T/out")"
[ ! -s "$C/log" ] || fail "second prepare ran: $(cat "$C/log")"
snapshot "$T/now"
same "second prepare changed the tree" "$T/prepared" "$T/now"

echo "# debian: rollback restores every byte, mode and owner"
pa rollback
expect_rc 0 "rollback"
expect_eq "rollback ran" "update-grub |update-initramfs -u -k 6.1.0-47-amd64" "$(paste -sd'|' "$C/log")"
snapshot "$T/now"
same "rollback left the tree different" "$T/before" "$T/now"
[ ! -e "$S/tx" ] || fail "rollback left its transaction"
pa rollback
expect_rc 1 "second rollback"
grep -q 'nothing to roll back' "$T/out" || fail "second rollback: $(cat "$T/out")"

echo "# debian: a file changed after prepare is not rolled back without --force"
pa prepare
expect_rc 0 "prepare"
echo "# changed by hand" >>"$R/etc/default/grub.d/99-pvh-agent.cfg"
pa rollback
expect_rc 1 "rollback of a changed file"
grep -q 'was changed after prepare' "$T/out" || fail "no reason given: $(cat "$T/out")"
grep -q '# changed by hand' "$R/etc/default/grub.d/99-pvh-agent.cfg" || fail "the changed file was touched"
pa rollback --force
expect_rc 0 "rollback --force"
snapshot "$T/now"
same "rollback --force left the tree different" "$T/before" "$T/now"

echo "# debian: a failing command undoes everything"
: >"$C/fail-update-initramfs"
pa prepare
expect_rc 1 "prepare with update-initramfs failing"
grep -q 'prepare failed (a command failed)' "$T/out" || fail "failed prepare: $(cat "$T/out")"
rm "$C/fail-update-initramfs"
snapshot "$T/now"
same "failed prepare left the tree different" "$T/before" "$T/now"

echo "# nixos: nothing changed, the manual change answered"
setup "$top_srcdir/tests/rootfs/nixos/root" "$top_srcdir/tests/rootfs/nixos/generate"
snapshot "$T/before"
pa prepare --json
expect_rc 1 "nixos"
grep -q '"reason": "unsupported"' "$T/out" || fail "nixos: $(cat "$T/out")"
grep -q 'boot.kernelParams = \[ \\"console=hvc0\\" \];' "$T/out" || fail "nixos: no manual change: $(cat "$T/out")"
grep -q 'nixos-rebuild boot' "$T/out" || fail "nixos: no nixos-rebuild"
snapshot "$T/now"
same "nixos tree changed" "$T/before" "$T/now"
[ ! -s "$C/log" ] || fail "nixos: ran $(cat "$C/log")"

echo "ok"
