# Shell helpers for the tests; sourced, never run. make check exports
# top_srcdir and top_builddir; run by hand, they default to the current tree.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$top_builddir}"

XENSIM=$top_builddir/tests/sim/xensim
XS_CLIENT=$top_builddir/tests/sim/xs-client
TEST_HOSTS=
TEST_PIDS=

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# require_fault_injection: skips unless the programs have their test hooks
# (crash points, the command directory), which only a build configured with
# --enable-fault-injection has. make check says so in PVH_FAULT_INJECTION;
# run by hand, the build's config.h does.
require_fault_injection() {
	_fi=${PVH_FAULT_INJECTION:-}
	if [ -z "$_fi" ] && grep -q '^#define ENABLE_FAULT_INJECTION 1' "$top_builddir/config.h" 2>/dev/null; then
		_fi=yes
	fi
	[ "$_fi" = yes ] || skip "the build has no test hooks (configure it with --enable-fault-injection)"
}

# A private directory under TMPDIR (short: it holds unix socket paths), removed
# at exit after every simulated host in it is stopped and tracked background
# processes are killed.
test_tmpdir() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/pvh-test.XXXXXX") || fail "mktemp"
	trap test_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

test_cleanup() {
	rc=$?
	set +e
	for _p in $TEST_PIDS; do kill -9 "$_p" 2>/dev/null; done
	wait 2>/dev/null
	for _h in $TEST_HOSTS; do "$XENSIM" stop "$_h" || rc=1; done
	[ -n "${T:-}" ] && rm -rf "$T"
	exit $rc
}

# Skips unless the real xenstored and the simulator are there.
require_sim() {
	xs=${XENSTORED:-/usr/lib/xen-4.17/bin/xenstored}
	[ -x "$xs" ] || skip "xenstored ($xs) is not installed (package xen-utils-4.17)"
	[ -x "$XENSIM" ] || skip "$XENSIM is not built"
	[ -x "$XS_CLIENT" ] || skip "$XS_CLIENT is not built (make check builds it)"
}

# track PID: a background process test_cleanup kills if it is still there.
track() {
	TEST_PIDS="$TEST_PIDS $1"
}

# sim_start DIR: starts a simulated host that test_cleanup will stop.
sim_start() {
	TEST_HOSTS="$TEST_HOSTS $1"
	"$XENSIM" start "$1" || fail "xensim start $1"
}

# sim_env HOST DOMID: the XENSTORED_PATH=... of that domain (0 is dom0).
sim_env() {
	if [ "$2" = 0 ]; then "$XENSIM" env "$1"; else "$XENSIM" env "$1" "$2"; fi
}

# as HOST DOMID CMD...: runs CMD as that domain. In the background, use
# env "$(sim_env HOST DOMID)" CMD & instead, so that $! is CMD itself.
as() {
	_as_env=$(sim_env "$1" "$2") || return
	shift 2
	env "$_as_env" "$@"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# wait_for TRIES CMD...: retries CMD every 0.1 s; a bound against hanging only.
wait_for() {
	n=$1
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# wait_line FILE LINE: until FILE holds LINE (a background client's output).
wait_line() {
	wait_for 300 grep -qx "$2" "$1" || fail "no '$2' in $1: $(cat "$1")"
}

# sim_start_with DIR XENSTORED-ARGS...: sim_start, with arguments for
# xenstored (e.g. -T DIR/trace).
sim_start_with() {
	_h=$1
	shift
	TEST_HOSTS="$TEST_HOSTS $_h"
	"$XENSIM" start "$_h" -- "$@" || fail "xensim start $_h -- $*"
}

# The launcher that runs a program where openat2 fails (tests/harness/no-openat2);
# require_no_openat2 skips unless it is built and works here.
NO_OPENAT2=$top_builddir/tests/harness/no-openat2
require_no_openat2() {
	[ -x "$NO_OPENAT2" ] || skip "$NO_OPENAT2 is not built (make check builds it)"
	"$NO_OPENAT2" true || skip "openat2 cannot be made to fail here (no seccomp filter)"
}
