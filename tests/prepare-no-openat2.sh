#!/bin/sh
# The prepare suite again where openat2 fails with ENOSYS, as on Linux before
# 5.6 (CentOS 7, Ubuntu 18.04, Debian 10, EL8): every path under --root goes
# through the root resolver's own walk (shared/rootfs.h), for the agent and
# everything it runs (tests/harness/no-openat2). The crash test kills at
# every third step only: the default run kills at every one.
set -u
. "$top_srcdir/tests/lib.sh"
require_no_openat2

rc=0 ran=0
for t in prepare prepare-fedora prepare-enospc prepare-all prepare-crash; do
	echo "# tests/$t.sh without openat2"
	r=0
	PREPARE_CRASH_STEP=3 "$NO_OPENAT2" sh "$top_srcdir/tests/$t.sh" || r=$?
	case $r in
	0) ran=$((ran + 1)) ;;
	77) echo "# tests/$t.sh skipped" ;;
	*) echo "FAIL: tests/$t.sh without openat2 (exit status $r)"; rc=1 ;;
	esac
done
[ "$rc" != 0 ] || [ "$ran" -gt 0 ] || exit 77
exit $rc
