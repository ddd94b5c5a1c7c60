#!/bin/sh
# pvh-agent check on Debian's real linux-image-6.1 kernels (amd64 with xz,
# cloud-amd64 with LZ4), read from the image alone: no config file; and on
# the 32-bit 686-pae kernel, which has no CONFIG_XEN_PV: a guest running
# buster's 4.19 686-pae as PV whose next-boot kernel it is will not boot
# again as PV (next_boot_mode fails), though it is ready for PVH. Its report
# is compared with tests/kernels/debian12-686pae.expected.txt (the ABI
# number and the package version normalized). The packages are fetched with
# apt-get download into a cache outside the source tree; the test skips only
# when they cannot be had (i386 packages need `dpkg --add-architecture i386`
# and `apt-get update`, which scripts/deps does).
set -eu
: "${top_builddir:?}"
agent=$top_builddir/pvh-agent
mkkernel=$top_builddir/tests/kernels/mkkernel
golden=${top_srcdir:-.}/tests/kernels/debian12-686pae.expected.txt
cache=${PVH_AGENT_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-$top_builddir}/.cache}/pvh-agent}/debs

skip() { echo "agent-debian-kernel: skipped: $*" >&2; exit 77; }

for tool in apt-cache apt-get dpkg-deb tar; do
	command -v "$tool" >/dev/null || skip "$tool is missing"
done
mkdir -p "$cache" || skip "cannot create $cache"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The newest linux-image-6.1.0-N-FLAVOUR the apt lists know about.
package_for() { # FLAVOUR
	apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
		grep -E "^linux-image-6\.1\.0-[0-9]+-$1\$" | sort -V | tail -n 1
}

fetch() { # PACKAGE [ARCH]: prints the .deb path
	arch=${2:-amd64}
	deb=$(ls "$cache/$1"_*_"$arch".deb 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$deb" ]; then
		(cd "$cache" && apt-get download -q "$1:$arch" >"$tmp/download.log" 2>&1) ||
			skip "apt-get download $1:$arch failed: $(tail -n 1 "$tmp/download.log")"
		deb=$(ls "$cache/$1"_*_"$arch".deb 2>/dev/null | sort -V | tail -n 1 || true)
	fi
	[ -n "$deb" ] || skip "no .deb for $1 in $cache"
	echo "$deb"
}

fail=0
expect() { # FILE ID STATUS
	if ! grep -q "{\"id\": \"$2\", \"status\": \"$3\"" "$1"; then
		echo "FAIL: $2 is not $3 in $1:"
		grep "\"id\": \"$2\"" "$1" || true
		fail=1
	fi
}

expect_fact() { # FILE KEY VALUE-PATTERN
	if ! grep -Eq "^    \"$2\": \"$3\"" "$1"; then
		echo "FAIL: fact $2 does not match '$3':"
		grep "\"$2\"" "$1" || true
		fail=1
	fi
}

check_flavour() { # FLAVOUR COMPRESSION ROLLBACK-STATUS
	pkg=$(package_for "$1")
	[ -n "$pkg" ] || skip "apt knows no linux-image-6.1.0-N-$1 (run apt-get update)"
	deb=$(fetch "$pkg")
	release=${pkg#linux-image-}
	root=$tmp/$1
	mkdir -p "$root/boot/grub" "$root/etc" "$root/sys/hypervisor" "$root/proc/sys/kernel"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" "./boot/vmlinuz-$release"
	printf 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$root/etc/os-release"
	echo PV >"$root/sys/hypervisor/guest_type"
	echo "$release" >"$root/proc/sys/kernel/osrelease"
	printf "menuentry 'Debian GNU/Linux' {\n\tlinux /boot/vmlinuz-%s root=UUID=x ro console=hvc0\n}\n" \
		"$release" >"$root/boot/grub/grub.cfg"

	rc=0
	"$agent" check --root "$root" --json --cache "$tmp/cache" >"$tmp/$1.json" || rc=$?
	[ "$rc" -lt 4 ] || { echo "FAIL: pvh-agent check exited $rc"; fail=1; }
	expect "$tmp/$1.json" next_boot pass
	expect "$tmp/$1.json" kernel_version pass
	expect "$tmp/$1.json" kernel_pvh pass
	expect "$tmp/$1.json" kernel_format pass
	expect "$tmp/$1.json" pv_rollback "$3"
	expect_fact "$tmp/$1.json" kernel_compression "$2"
	expect_fact "$tmp/$1.json" next_release "$release"
	expect_fact "$tmp/$1.json" xen_notes "elf64 pv_entry phys32_entry features=0x0000[89a-f][0-9a-f]{3}"
	expect "$tmp/$1.json" next_boot_mode pass
	grep -q '"id": "next_boot_mode", "status": "pass", "reason": "running as PV: .*have the PV entry point XEN_ELFNOTE_ENTRY' "$tmp/$1.json" ||
		{ echo "FAIL: next_boot_mode does not name the PV entry note"; fail=1; }
	grep -q '"kernel_config": null' "$tmp/$1.json" || { echo "FAIL: a config file was used"; fail=1; }
	# A second run answers from the cache, the same way.
	"$agent" check --root "$root" --json --cache "$tmp/cache" >"$tmp/$1.cached.json" || true
	cmp -s "$tmp/$1.json" "$tmp/$1.cached.json" || { echo "FAIL: the cached run differs"; fail=1; }
	grep -q "^K " "$tmp/cache" || { echo "FAIL: nothing cached"; fail=1; }
	[ $fail = 0 ] && echo "ok   $pkg: $2, PVH-capable"
	return 0
}

# A root of an upgraded 32-bit guest: buster's 4.19 686-pae runs as PV (its
# release in osrelease), bookworm's 686-pae is GRUB's default, with its config
# when $2 is "config", and an initramfs with xen-blkfront (made by gen.sh).
root_686pae() { # RELEASE config|noconfig: prints the root
	root=$tmp/686pae-$2
	mkdir -p "$root/boot/grub" "$root/etc" "$root/sys/hypervisor" "$root/proc/sys/kernel"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" "./boot/vmlinuz-$1" "./boot/config-$1"
	[ "$2" = config ] || rm "$root/boot/config-$1"
	echo "initrd boot/initrd.img-$1 zstd with" >"$tmp/spec"
	sh "${top_srcdir:-.}/tests/kernels/gen.sh" "$mkkernel" "$tmp/spec" "$root" || return 1
	printf 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$root/etc/os-release"
	echo PV >"$root/sys/hypervisor/guest_type"
	echo 4.19.0-27-686-pae >"$root/proc/sys/kernel/osrelease"
	printf "menuentry 'Debian GNU/Linux' {\n\tlinux /boot/vmlinuz-%s root=UUID=x ro console=hvc0\n\tinitrd /boot/initrd.img-%s\n}\n" \
		"$1" "$1" >"$root/boot/grub/grub.cfg"
	echo "$root"
}

check_686pae() {
	pkg=$(package_for 686-pae)
	[ -n "$pkg" ] || skip "apt knows no linux-image-6.1.0-N-686-pae (dpkg --add-architecture i386; apt-get update)"
	deb=$(fetch "$pkg" i386)
	release=${pkg#linux-image-}
	[ -x "$mkkernel" ] || skip "$mkkernel is not built (make check builds it)"
	root=$(root_686pae "$release" config) || { echo "FAIL: could not make the 686-pae root"; fail=1; return 0; }
	rc=0
	"$agent" check --root "$root" >"$tmp/686.txt" || rc=$?
	[ "$rc" = 0 ] || { echo "FAIL: pvh-agent check exited $rc, want 0 (ready)"; fail=1; }
	sed -E -e 's/6\.1\.0-[0-9]+-686-pae/6.1.0-N-686-pae/g' \
		-e 's/Debian 6\.1\.[0-9]+-[0-9]+ \([0-9-]+\)/Debian 6.1.V (DATE)/' "$tmp/686.txt" >"$tmp/686.norm"
	if [ -n "${UPDATE:-}" ]; then
		cp "$tmp/686.norm" "$golden"
	elif ! diff -u "$golden" "$tmp/686.norm"; then
		echo "FAIL: the 686-pae report differs from $golden"
		fail=1
	fi
	"$agent" check --root "$root" --json >"$tmp/686.json" || true
	expect "$tmp/686.json" next_boot_mode risk
	expect "$tmp/686.json" pv_rollback warn
	expect "$tmp/686.json" kernel_pvh pass
	grep -q '"verdict": "ready"' "$tmp/686.json" || { echo "FAIL: the 686-pae guest is not ready for PVH"; fail=1; }
	grep '"id": "next_boot_mode"' "$tmp/686.json" | grep -q "lacks CONFIG_XEN_PV" ||
		{ echo "FAIL: next_boot_mode does not name CONFIG_XEN_PV"; fail=1; }
	# The image alone says it too: no PV entry in its Xen notes.
	root=$(root_686pae "$release" noconfig) || { echo "FAIL: could not make the 686-pae root"; fail=1; return 0; }
	"$agent" check --root "$root" --json >"$tmp/686-noconfig.json" || true
	expect "$tmp/686-noconfig.json" next_boot_mode risk
	expect_fact "$tmp/686-noconfig.json" xen_notes "elf32 phys32_entry features=0x0000[89a-f][0-9a-f]{3}"
	grep '"id": "next_boot_mode"' "$tmp/686-noconfig.json" |
		grep -q "lack the PV entry point XEN_ELFNOTE_ENTRY)" ||
		{ echo "FAIL: without a config, next_boot_mode does not name XEN_ELFNOTE_ENTRY alone"; fail=1; }
	[ $fail = 0 ] && echo "ok   $pkg: the next PV boot fails, ready for PVH"
	return 0
}

check_flavour amd64 xz pass
check_flavour cloud-amd64 lz4 warn
check_686pae
exit $fail
