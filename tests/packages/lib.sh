# Helpers for the package tests (tests/packages/*.sh), sourced after
# tests/lib.sh. They test the built packages in debootstrapped roots, on the
# simulated host of the build in top_builddir; scripts/check's packages stage
# runs them after scripts/build-packages, with PKGDIR its output.
. "$top_srcdir/scripts/roots.sh"
: "${PKGDIR:=$top_srcdir/build-packages}"
MONITOR=$top_builddir/pvh-monitor
PVH_STATE=$top_builddir/tests/agent/pvh-state
MOUNTS=

require_root_tools() {
	[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mount)"
	command -v debootstrap >/dev/null || skip "debootstrap is missing"
	command -v flock >/dev/null || skip "flock is missing (util-linux)"
}

# require_runnable ARCH BINARY: skips unless this kernel runs ARCH programs
# (an i386 one needs IA32 emulation, or a binfmt_misc handler such as
# scripts/i386-binfmt registers).
require_runnable() {
	_out=$("$2" --version 2>&1) && return 0
	skip "this machine cannot run $1 programs ($2: $_out); a kernel with IA32 emulation, or scripts/i386-binfmt on, can"
}

# unpack_root SUITE ARCH PACKAGES DIR: a fresh copy of the cached root, with
# /proc mounted (unmounted by cleanup_mounts).
unpack_root() {
	_tar=$(root_tarball "$1" "$2" "$3") || skip "no $1 $2 root: debootstrap from $PVH_DEB_MIRROR failed"
	root_unpack "$_tar" "$4" || fail "unpacking $_tar"
	mount -t proc proc "$4/proc" || fail "mount /proc in $4"
	MOUNTS="$4/proc $MOUNTS"
}

# bind_socket SOCKET ROOT PATH: the socket, at PATH inside ROOT.
bind_socket() {
	mkdir -p "$2$(dirname "$3")"
	: >"$2$3"
	mount --bind "$1" "$2$3" || fail "bind-mount $1 into $2"
	MOUNTS="$2$3 $MOUNTS"
}

# cleanup_mounts: for the EXIT trap, before test_cleanup; keeps the status.
cleanup_mounts() {
	_rc=$?
	for _m in $MOUNTS; do
		umount -l "$_m" 2>/dev/null
	done
	MOUNTS=
	return $_rc
}

# in_root ROOT PERSONALITY CMD...: CMD in ROOT with a clean environment, as
# an i686 machine when PERSONALITY is linux32.
in_root() {
	_r=$1 _p=$2
	shift 2
	$_p chroot "$_r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"
}

# the_deb NAME ARCH: the package file in PKGDIR/deb.
the_deb() {
	_f=$(ls "$PKGDIR"/deb/"$1"_*_"$2".deb 2>/dev/null | tail -n 1)
	[ -n "$_f" ] || fail "no $1 package for $2 in $PKGDIR/deb (scripts/build-packages makes them)"
	echo "$_f"
}

# man_files TITLE: the paths pvh-agent.8 (FILES, "What each package
# installs") lists under the entry that starts with TITLE, one a line; a
# directory ends in /.
man_files() {
	sed -n "/^$1/,/^\\.fi/p" "$top_srcdir/man/pvh-agent.8.in" | sed 's/\\-/-/g' |
		sed -n 's|^\(/[^ ]*\).*|\1|p'
}

# man_lists FILES TITLE [MADE...]: fails unless the manual page's list under
# TITLE names every file in FILES (the package's files, not its directories,
# one a line), itself or a directory above it, and FILES holds every file the
# list names but the MADE ones: files the maintainer scripts make, which the
# package must not hold (the caller checks they are made).
man_lists() {
	_files=$1 _title=$2
	shift 2
	: >"$T/man-made"
	for _m in "$@"; do
		grep -qxF "$_m" "$_files" && fail "$_m is in the package; its maintainer scripts are to make it"
		echo "$_m" >>"$T/man-made"
	done
	man_files "$_title" >"$T/man-files"
	[ -s "$T/man-files" ] || fail "pvh-agent.8 lists no files for '$_title'"
	for _m in "$@"; do
		grep -qxF "$_m" "$T/man-files" || fail "pvh-agent.8 does not list $_m under '$_title'"
	done
	_out=$(awk 'NR == FNR { m[++n] = $0; next }
		{
			ok = 0
			for (i = 1; i <= n; i++)
				if ($0 == m[i] || (m[i] ~ /\/$/ && index($0, m[i]) == 1))
					ok = 1
			if (!ok)
				print "not in pvh-agent.8: " $0
		}' "$T/man-files" "$_files"
		while read -r _f; do
			case $_f in
			*/) ;;
			*) grep -qxF "$_f" "$_files" "$T/man-made" >/dev/null ||
				echo "listed but not in the package: $_f" ;;
			esac
		done <"$T/man-files")
	[ -z "$_out" ] || fail "pvh-agent.8's list for '$_title' and the package differ: $_out"
}
