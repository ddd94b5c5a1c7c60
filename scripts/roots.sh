# Debootstrapped roots, cached: sourced by scripts/build-static and by the
# package tests, never run. Each root is a tarball (or, for a cross-building
# sysroot, a directory) under PVH_TEST_CACHE (default
# /var/cache/pvh-agent-tests), named after its suite, architecture and
# packages, so a changed list makes a new one. Several runs may share the cache: a root is made under an
# exclusive flock on its lock file and used under a shared one, and appears
# only once complete (made under a temporary name, then renamed).
#
# Needs root, debootstrap and flock (util-linux); the mirror is
# PVH_DEB_MIRROR (default http://deb.debian.org/debian).

: "${PVH_TEST_CACHE:=/var/cache/pvh-agent-tests}"
: "${PVH_DEB_MIRROR:=http://deb.debian.org/debian}"

# root_key SUITE ARCH PACKAGES: the name of that root in the cache.
root_key() {
	printf '%s-%s-%s\n' "$1" "$2" "$(printf '%s %s v1\n' "$PVH_DEB_MIRROR" "$3" | sha256sum | cut -c1-10)"
}

# root_sources ROOT SUITE: apt's sources for SUITE, its updates and security.
root_sources() {
	_sec=${PVH_DEB_MIRROR%/debian}/debian-security
	{
		echo "deb $PVH_DEB_MIRROR $2 main"
		echo "deb $PVH_DEB_MIRROR $2-updates main"
		# bullseye renamed the security suite (SUITE-security; buster and before: SUITE/updates).
		echo "deb $_sec $2-security main"
	} >"$1/etc/apt/sources.list"
}

# root_make DIR SUITE ARCH PACKAGES LOG: debootstrap (minbase) into DIR, then
# PACKAGES (comma-separated, may be empty) installed with apt; nothing in it
# starts a service.
root_make() {
	_dir=$1 _suite=$2 _arch=$3 _pkgs=$4 _log=$5
	debootstrap --arch="$_arch" --variant=minbase "$_suite" "$_dir" "$PVH_DEB_MIRROR" >"$_log" 2>&1 ||
		return 1
	root_sources "$_dir" "$_suite"
	printf '#!/bin/sh\nexit 101\n' >"$_dir/usr/sbin/policy-rc.d"
	chmod 755 "$_dir/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$_dir/etc/resolv.conf" 2>/dev/null
	if [ -n "$_pkgs" ]; then
		mount -t proc proc "$_dir/proc" || return 1
		root_chroot "$_dir" apt-get update -qq >>"$_log" 2>&1 &&
			root_chroot "$_dir" apt-get install -y -q --no-install-recommends \
				$(echo "$_pkgs" | tr ',' ' ') >>"$_log" 2>&1
		_rc=$?
		umount "$_dir/proc"
		[ "$_rc" = 0 ] || return 1
	fi
	root_chroot "$_dir" apt-get clean >>"$_log" 2>&1
	rm -rf "$_dir/var/lib/apt/lists/"*
}

# root_chroot DIR CMD...: CMD in DIR with a clean environment.
root_chroot() {
	_r=$1
	shift
	chroot "$_r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive \
		LC_ALL=C.UTF-8 "$@"
}

# root_tarball SUITE ARCH PACKAGES: prints the path of that root's tarball,
# making it first if the cache has none. Returns 1 (and says why on stderr)
# when debootstrap or apt fails.
root_tarball() {
	_key=$(root_key "$1" "$2" "$3")
	mkdir -p "$PVH_TEST_CACHE"
	_tar=$PVH_TEST_CACHE/root-$_key.tar
	(
		flock -x 9
		[ -s "$_tar" ] && exit 0
		_tmp=$(mktemp -d /var/tmp/pvh-root.XXXXXX)
		trap 'rm -rf "$_tmp"' EXIT
		echo "roots: debootstrap $1 $2${3:+ with $3} (cached as $_tar)" >&2
		root_make "$_tmp/root" "$1" "$2" "$3" "$_tmp/log" ||
			{ tail -n 20 "$_tmp/log" >&2; echo "roots: making $_key failed" >&2; exit 1; }
		tar -C "$_tmp/root" -cf "$_tar.new" . && mv "$_tar.new" "$_tar"
	) 9>"$PVH_TEST_CACHE/root-$_key.lock" || return 1
	echo "$_tar"
}

# root_unpack TARBALL DIR: a fresh copy of the root, read under a shared lock.
root_unpack() {
	mkdir -p "$2"
	flock -s "${1%.tar}.lock" tar -C "$2" -xf "$1"
}

# root_sysroot SUITE ARCH PACKAGES: prints the path of a sysroot for cross
# building: the files of PACKAGES (comma-separated) and everything they depend
# on, unpacked but never configured, so that making it runs nothing of ARCH
# (debootstrap --foreign downloads them; dpkg-deb unpacks them). Its dpkg
# database lists them, so that dpkg-query --admindir=SYSROOT/var/lib/dpkg
# tells their versions. Made first if the cache has none. Hold its lock
# shared while building against it:
#     ( flock -s 9; ... ) 9>"$sysroot.lock"
root_sysroot() {
	_key=$(root_key "$1" "$2" "$3 sysroot")
	mkdir -p "$PVH_TEST_CACHE"
	_sys=$PVH_TEST_CACHE/sysroot-$_key
	(
		flock -x 9
		[ -d "$_sys" ] && exit 0
		rm -rf "$_sys.tmp"
		echo "roots: sysroot $1 $2 with $3 (cached in $_sys)" >&2
		if ! debootstrap --foreign --arch="$2" --variant=minbase --include="$3" "$1" "$_sys.tmp" \
			"$PVH_DEB_MIRROR" >"$_sys.log" 2>&1; then
			tail -n 20 "$_sys.log" >&2
			rm -rf "$_sys.tmp"
			echo "roots: making the sysroot $_key failed" >&2
			exit 1
		fi
		mkdir -p "$_sys.tmp/var/lib/dpkg"
		: >"$_sys.tmp/var/lib/dpkg/status"
		for deb in "$_sys.tmp"/var/cache/apt/archives/*.deb; do
			dpkg-deb -x "$deb" "$_sys.tmp" || exit 1
			{ dpkg-deb -f "$deb" | sed '1a Status: install ok installed'; echo; } \
				>>"$_sys.tmp/var/lib/dpkg/status"
		done
		rm -rf "$_sys.tmp/var/cache/apt/archives" "$_sys.tmp/debootstrap"
		mv "$_sys.tmp" "$_sys"
	) 9>"$_sys.lock" || return 1
	echo "$_sys"
}

# copy_tree TOP DEST: the source files of TOP into DEST: what git does not
# ignore in a checkout, else everything but the build directories.
copy_tree() {
	mkdir -p "$2"
	if git -C "$1" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$1" && git ls-files -z --cached --others --exclude-standard |
			tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$2"
	else
		(cd "$1" && tar --exclude=./build --exclude='./build-*' -cf - .) | tar -xf - -C "$2"
	fi
}
