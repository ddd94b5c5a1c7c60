#!/bin/sh
# The harness must fail a test that leaves a process behind, kill what was
# left, and pass through the exit status of a clean test (including 77).
set -u
reaper=$top_builddir/tests/harness/reaper
fail=0

check() {
	want=$1 got=$2 what=$3
	if [ "$got" -eq "$want" ]; then
		echo "ok: $what (exit $got)"
	else
		echo "FAIL: $what: exit $got, expected $want"
		fail=1
	fi
}

"$reaper" sh -c 'exit 0' 2>/dev/null; check 0 $? "clean test passes"
"$reaper" sh -c 'exit 77' 2>/dev/null; check 77 $? "skip is passed through"
"$reaper" sh -c 'exit 3' 2>/dev/null; check 3 $? "failure is passed through"

marker=leftover-$$-$(date +%s%N)
err=$("$reaper" bash -c "exec -a $marker sleep 300 & exit 0" 2>&1 >/dev/null)
check 1 $? "a test leaving a process behind fails"
case $err in
*"left behind"*) echo "ok: the leftover is reported" ;;
*) echo "FAIL: no report of the leftover: $err"; fail=1 ;;
esac
if pgrep -f "$marker" >/dev/null; then
	echo "FAIL: the leftover process is still running"
	pkill -f "$marker"
	fail=1
else
	echo "ok: the leftover was killed"
fi

# An orphan that dies while the test runs is reaped at once: a zombie would
# still answer kill -0, and a test waiting for it to be gone would wait on.
pidfile=$(mktemp)
"$reaper" sh -c "sh -c 'sleep 0.2 & echo \$! >$pidfile'
	i=0
	while kill -0 \$(cat $pidfile) 2>/dev/null; do
		i=\$((i + 1))
		[ \$i -lt 100 ] || exit 1
		sleep 0.1
	done" 2>/dev/null
check 0 $? "an orphan that died during the test is gone, not a zombie"
rm -f "$pidfile"

# A daemon that double-forks away from the test is caught as well.
"$reaper" sh -c "(setsid bash -c 'exec -a $marker sleep 300' &) ; exit 0" 2>/dev/null
check 1 $? "a daemonized leftover fails the test"
pkill -f "$marker" 2>/dev/null && { echo "FAIL: daemonized leftover survived"; fail=1; }
exit $fail
