#!/bin/sh
# The daemon's default state directory (/var/lib/pvh-agent inside --root) is
# made and used inside the root, with openat2 and without
# (tests/harness/no-openat2): on a tree whose /var/lib is a ../ symlink out of
# it, the kernel cache lands in the root's own copy of the target, and the
# directory outside stays empty.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent
require_no_openat2
test_tmpdir

H=$T/h
sim_start "$H" >/dev/null
"$XENSIM" create "$H" 3 bookworm >/dev/null || fail "create"
mkdir "$T/outside"

for how in openat2 no-openat2; do
	run=
	[ "$how" = openat2 ] || run=$NO_OPENAT2
	R=$T/root-$how
	make_root debian12-bookworm "$R"
	mkdir -p "$R/var" "$R/outside"
	# From $R/var, ../../outside is $T/outside; inside the root, $R/outside.
	ln -s ../../outside "$R/var/lib"
	env "$(sim_env "$H" 3)" $run "$AGENT" daemon -f -v --root "$R" >>"$T/agent-3.log" 2>&1 &
	pid=$!
	track "$pid"
	wait_for 100 test -s "$R/outside/pvh-agent/kernel-cache" ||
		fail "$how: no kernel cache in the root's state directory: $(ls -lR "$R/outside" "$T/outside"; tail -n 20 "$T/agent-3.log")"
	kill "$pid"
	wait "$pid"
	[ -z "$(ls -A "$T/outside")" ] || fail "$how: the daemon wrote outside the root: $(ls -lR "$T/outside")"
	expect_eq "$how: state directory mode" 700 "$(stat -c %a "$R/outside/pvh-agent")"
	echo "ok: $how: the state directory is inside the root"
done
