#!/bin/sh
# A build configured with --enable-static-agent makes one pvh-agent for every
# guest: file(1) says statically linked, ldd says not a dynamic executable,
# glibc's name service (NSS, which would load the guest's own libnss_*.so
# built for another glibc) is not in it, and it runs with no library path
# at all. tests/agent-old-kernel.sh runs it with Linux 3.10's system calls.
set -u
. "$top_srcdir/tests/lib.sh"
[ "${PVH_STATIC_AGENT:-}" = yes ] || skip "this build's pvh-agent is dynamic (configure --enable-static-agent)"
command -v file >/dev/null || skip "file is not installed"
AGENT=$top_builddir/pvh-agent
[ -x "$AGENT" ] || fail "$AGENT is not built"

desc=$(file -b "$AGENT")
echo "$desc"
case $desc in
*"statically linked"*) ;;
*) fail "file does not say statically linked: $desc" ;;
esac
out=$(ldd "$AGENT" 2>&1)
case $out in
*"not a dynamic executable"*) ;;
*) fail "ldd: $out" ;;
esac
n=$(grep -c -a 'nsswitch\.conf\|libnss_' "$AGENT")
expect_eq "NSS references in the binary" 0 "$n"
out=$(env -i LD_LIBRARY_PATH=/nonexistent "$AGENT" --version) || fail "--version: $out"
expect_eq "version" "pvh-agent $(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")" "$out"
echo PASS
