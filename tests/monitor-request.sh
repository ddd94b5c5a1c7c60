#!/bin/sh
# Request round trips through the real xenstored: ping, probe, prepare
# --dry-run, a failed rollback, a timeout with no agent answering, a guest
# destroyed mid-request, and the request node's owner and permissions.
set -eu
. "$top_srcdir/tests/monitor/lib.sh"
require_monitor
test_tmpdir
H=$T/h
sim_start "$H"
"$XENSIM" create "$H" 1 web || fail "create"
"$XENSIM" create "$H" 2 silent || fail "create"
"$XENSIM" create "$H" 3 bare || fail "create"
"$XENSIM" create "$H" 4 doomed || fail "create"
guest_publish 1 fixable-console
guest_publish 2 ready-debian12
guest_publish 4 ready-debian12
guest_agent 1 fixable

expect_eq "ping" "1 web: done: pong" "$(monitor request web ping)"
expect_eq "request node perms" "n1,r0" \
	"$(as "$H" 0 xenstore-ls -p /local/domain/1/control/pvh | sed -n 's/^request = .*(\(.*\))$/\1/p')"
as "$H" 1 "$XS_CLIENT" write control/pvh/request '' || fail "the guest cannot write the request node"

monitor request --json 1 probe >"$T/probe" || fail "probe"
expect_eq "probe outcome" "done fixable" "$(jq -r '"\(.outcome) \(.message)"' "$T/probe")"

monitor request 1 prepare --dry-run >"$T/dry" || fail "prepare --dry-run"
expect_eq "dry-run first line" "1 web: done: fixable" "$(head -1 "$T/dry")"
grep -qx '    +GRUB_CMDLINE_LINUX="console=ttyS0 console=hvc0"' "$T/dry" || fail "dry-run diff: $(cat "$T/dry")"
expect_eq "dry-run changed nothing" "fixable" "$(monitor status --json 1 | jq -r '.[0].verdict')"

set +e
monitor request 1 rollback >"$T/rb"
rc=$?
set -e
expect_eq "failed request exit status" 1 "$rc"
expect_eq "failed request" "1 web: failed (error): nothing to roll back" "$(cat "$T/rb")"
expect_eq "last answer in status" "rollback:failed" \
	"$(monitor status --json 1 | jq -r '.[0].last_answer | "\(.action):\(.state)"')"

# No agent answers: a timeout (exit 6), and the request waits in the node.
set +e
monitor request --wait 1 silent ping >"$T/to"
rc=$?
set -e
expect_eq "timeout exit status" 6 "$rc"
expect_eq "timeout" "2 silent: timeout" "$(cat "$T/to")"
set +e
monitor request --wait 1 silent ping >"$T/busy"
rc=$?
set -e
expect_eq "busy: the earlier request was never taken" "2 silent: busy" "$(cat "$T/busy")"
expect_eq "busy exit status" 1 "$rc"

# The one rule of the request node (monitor/hostreq.c): a request whose answer
# is not final keeps it; a final answer or a value that is no request frees it.
id=$(as "$H" 0 xenstore-read /local/domain/2/control/pvh/request | cut -d' ' -f1)
as "$H" 2 "$XS_CLIENT" write "data/pvh/answer/$id/state" running || fail "answer running"
set +e
monitor request --wait 1 silent ping >"$T/busy2"
rc=$?
set -e
expect_eq "busy while the earlier request runs" "2 silent: busy 1" "$(cat "$T/busy2") $rc"
as "$H" 2 "$XS_CLIENT" write "data/pvh/answer/$id/state" done || fail "answer done"
set +e
monitor request --wait 1 silent ping >"$T/free"
rc=$?
set -e
expect_eq "a final answer frees the node" "2 silent: timeout 6" "$(cat "$T/free") $rc"
as "$H" 0 xenstore-write /local/domain/2/control/pvh/request 'not a request' || fail "garbage"
set +e
monitor request --wait 1 silent ping >"$T/garbage"
rc=$?
set -e
expect_eq "a value that is no request frees the node" "2 silent: timeout 6" "$(cat "$T/garbage") $rc"

# A guest without an agent gets nothing.
set +e
monitor request bare ping >"$T/bare"
rc=$?
set -e
expect_eq "no agent" "3 bare: no-agent 6" "$(cat "$T/bare") $rc"
expect_eq "nothing written to a guest without an agent" "" \
	"$(as "$H" 0 xenstore-read /local/domain/3/control/pvh/request 2>/dev/null || true)"

# A guest destroyed while the monitor waits for its answer.
env "$(sim_env "$H" 0)" "$MONITOR" request --wait 60 --json doomed ping >"$T/gone" &
REQ=$!
track $REQ
wait_for 300 as "$H" 0 xenstore-read /local/domain/4/control/pvh/request || fail "request never sent"
"$XENSIM" destroy "$H" 4 || fail "destroy"
set +e
wait $REQ
rc=$?
set -e
expect_eq "gone exit status" 6 "$rc"
expect_eq "gone" "gone" "$(jq -r .outcome "$T/gone")"

# Many guests at once; --filter picks by verdict.
"$XENSIM" create "$H" 5-8 || fail "create 5-8"
for d in 5 6 7 8; do
	guest_publish $d fixable-console
	guest_agent $d fixable
done
monitor request --filter verdict=fixable --json ping >"$T/many" || fail "--filter ping"
expect_eq "filtered guests" "1 5 6 7 8" "$(jq -r .domid "$T/many" | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect_eq "all done" "done" "$(jq -r .outcome "$T/many" | sort -u)"
monitor request ping 2>/dev/null && fail "no domain accepted"
[ $? -eq 4 ] || fail "usage exit status"
monitor request 1 prepare --dry-run --wait x 2>/dev/null && fail "bad --wait accepted"
monitor request 1 ping --dry-run 2>/dev/null && fail "--dry-run with ping accepted"
exit 0
