#!/bin/sh
# pvh-agent check on Debian's real linux-image-6.1 kernels (amd64 with xz,
# cloud-amd64 with LZ4), read from the image alone: no config file. The
# packages are fetched with apt-get download into a cache outside the source
# tree; the test skips only when they cannot be had.
set -eu
: "${top_builddir:?}"
agent=$top_builddir/pvh-agent
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

fetch() { # PACKAGE: prints the .deb path
	deb=$(ls "$cache/$1"_*_amd64.deb 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$deb" ]; then
		(cd "$cache" && apt-get download -q "$1:amd64" >"$tmp/download.log" 2>&1) ||
			skip "apt-get download $1 failed: $(tail -n 1 "$tmp/download.log")"
		deb=$(ls "$cache/$1"_*_amd64.deb 2>/dev/null | sort -V | tail -n 1 || true)
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
	expect_fact "$tmp/$1.json" xen_notes "elf64 phys32_entry features=0x0000[89a-f][0-9a-f]{3}"
	grep -q '"kernel_config": null' "$tmp/$1.json" || { echo "FAIL: a config file was used"; fail=1; }
	# A second run answers from the cache, the same way.
	"$agent" check --root "$root" --json --cache "$tmp/cache" >"$tmp/$1.cached.json" || true
	cmp -s "$tmp/$1.json" "$tmp/$1.cached.json" || { echo "FAIL: the cached run differs"; fail=1; }
	grep -q "^K " "$tmp/cache" || { echo "FAIL: nothing cached"; fail=1; }
	[ $fail = 0 ] && echo "ok   $pkg: $2, PVH-capable"
	return 0
}

check_flavour amd64 xz pass
check_flavour cloud-amd64 lz4 warn
exit $fail
