#!/bin/sh
# Every packaged pvh-agent (the .debs for amd64 and i386, the tarballs, the
# RPMs for x86_64 and i686) is one static binary of its architecture:
# file(1) says statically linked, ldd says not a dynamic executable, and
# glibc's name service (NSS), which would load the guest's own libraries, is
# not in it. The x86_64 one also runs check with only Linux 3.10's system
# calls (tests/agent/old-kernel).
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/packages/lib.sh"
command -v file >/dev/null || skip "file is not installed"
command -v rpm2cpio >/dev/null || skip "rpm2cpio is missing (rpm)"
test_tmpdir

# extract KIND FILE DIR: the package's files under DIR.
extract() {
	mkdir -p "$3"
	case $1 in
	deb) dpkg-deb -x "$2" "$3" ;;
	tar) tar -xzf "$2" -C "$3" ;;
	rpm) (cd "$3" && rpm2cpio "$2" | cpio -idm --quiet) ;;
	esac || fail "cannot extract $2"
}

n=0
check() {
	kind=$1 pkg=$2 want=$3
	dir=$T/$n
	n=$((n + 1))
	extract "$kind" "$pkg" "$dir"
	bin=
	for f in $(find "$dir" -type f -name pvh-agent -perm -u+x); do
		[ "$(head -c 4 "$f")" = "$(printf '\177ELF')" ] && bin=$f
	done
	[ -n "$bin" ] || fail "no pvh-agent program in $(basename "$pkg")"
	desc=$(file -b "$bin")
	case $desc in
	*"statically linked"*) ;;
	*) fail "$(basename "$pkg"): not statically linked: $desc" ;;
	esac
	case $desc in
	*"$want"*) ;;
	*) fail "$(basename "$pkg"): not a $want program: $desc" ;;
	esac
	out=$(ldd "$bin" 2>&1)
	case $out in
	*"not a dynamic executable"*) ;;
	*) fail "$(basename "$pkg"): ldd says: $out" ;;
	esac
	expect_eq "$(basename "$pkg"): NSS references" 0 "$(grep -c -a 'nsswitch\.conf\|libnss_' "$bin")"
	printf '%-40s %s\n' "$(basename "$pkg")" "$(echo "$desc" | cut -d, -f1-4)"
	last=$bin
}

check deb "$(the_deb pvh-agent amd64)" x86-64
x86_64=$last
check deb "$(the_deb pvh-agent i386)" "Intel 80386"
for t in x86_64 i686; do
	f=$(ls "$PKGDIR"/tarball/pvh-agent-*-"$t".tar.gz 2>/dev/null) || fail "no $t tarball in $PKGDIR/tarball"
	check tar "$f" "$([ $t = x86_64 ] && echo x86-64 || echo 'Intel 80386')"
	f=$(ls "$PKGDIR"/rpm/pvh-agent-*."$t".rpm 2>/dev/null) || fail "no $t RPM in $PKGDIR/rpm"
	check rpm "$f" "$([ $t = x86_64 ] && echo x86-64 || echo 'Intel 80386')"
done

OLDK=$top_builddir/tests/agent/old-kernel
if [ -x "$OLDK" ] && "$OLDK" true 2>/dev/null; then
	cp -a "$top_srcdir/tests/rootfs/centos7/root" "$T/centos7"
	"$OLDK" "$x86_64" check --root "$T/centos7" >"$T/check.txt" 2>&1
	rc=$?
	expect_eq "check of the CentOS 7 tree with 3.10's system calls (blocked)" 2 "$rc"
	grep -q 'absent (kernel < 4.13)' "$T/check.txt" || fail "check on 3.10: $(cat "$T/check.txt")"
	echo "the packaged x86_64 agent runs check with Linux 3.10's system calls"
else
	echo "not run with 3.10's system calls: $OLDK is not built or seccomp is not available"
fi
echo PASS
