#!/bin/sh
# The agent's own xenstore connection (agent/xenbus.c) against the real
# xenstored, as a guest: tests/agent/xenbus-check says what it checks.
set -u
. "$top_srcdir/tests/lib.sh"
require_sim
CHECKER=$top_builddir/tests/agent/xenbus-check
[ -x "$CHECKER" ] || skip "$CHECKER is not built"
test_tmpdir
sim_start "$T/h" >/dev/null
"$XENSIM" create "$T/h" 4 xb >/dev/null || fail "create"
as "$T/h" 4 "$CHECKER" || fail "xenbus-check"
