#!/bin/sh
# prepare and rollback as host requests to the running agent: a dry run that
# changes nothing, prepare, rollback byte for byte, "busy" while one runs,
# and an agent killed mid-prepare that undoes it and answers "interrupted"
# when it comes back; killed alone (its worker and update-grub die with it,
# what update-grub started does not), the agent that comes back waits for
# whoever holds the state directory before it undoes and answers.
set -u
. "$top_srcdir/tests/prepare/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent

H=$T/h
sim_start "$H" >/dev/null
"$XENSIM" create "$H" 9 deb >/dev/null || fail "create"
debian_setup
mkdir -p "$R/proc/sys/kernel/random"
cat /proc/sys/kernel/random/uuid >"$R/proc/sys/kernel/random/boot_id"
snapshot "$T/original"

agent_up() {
	# setsid: the agent and its worker form one process group, killed together.
	env "$(sim_env "$H" 9)" PVH_AGENT_COMMAND_DIR="$C" setsid "$AGENT" daemon -f -v --root "$R" \
		--state-dir "$S" >>"$T/agent-9.log" 2>&1 &
	AGENT_PID=$!
	track "$AGENT_PID"
	wait_for 100 sh -c "env '$(sim_env "$H" 0)' xenstore-read /local/domain/9/data/pvh/agent/actions | grep -q prepare" ||
		fail "the agent does not offer prepare: $(cat "$T/agent-9.log")"
}
dom0() { env "$(sim_env "$H" 0)" "$@"; }
req_n=0
send() { # ACTION [ARGS]: a new request; its id in $id
	req_n=$((req_n + 1))
	id=$(printf '3c0a5b1e-7d2f-4e8a-9b6c-%012d' "$req_n")
	dom0 xenstore-write /local/domain/9/control/pvh/request "$id $*" || fail "send $*"
}
answer() { state_key "$H" 9 "answer/$1/$2"; }
output() { # ID: the joined output chunks
	i=0
	while v=$(dom0 xenstore-read -R "/local/domain/9/data/pvh/answer/$1/output/$i" 2>/dev/null); do
		printf '%s' "$v"
		i=$((i + 1))
	done
}

agent_up
dom0 xenstore-write /local/domain/9/control/pvh/request "" && dom0 xenstore-chmod /local/domain/9/control/pvh/request n9 ||
	fail "create the request node"
wait_for 100 state "$H" 9 || fail "no valid state"

echo "# prepare dry-run: the diff and the commands, nothing changed"
send prepare dry-run
wait_state "$H" 9 "answer/$id/state" done
output "$id" >"$T/dry"
grep -q '^+++ b/etc/default/grub.d/99-pvh-agent.cfg$' "$T/dry" || fail "no diff in the answer: $(cat "$T/dry")"
grep -q '^run: /usr/sbin/update-grub$' "$T/dry" || fail "update-grub not in the answer"
snapshot "$T/now"
same "the dry run changed the tree" "$T/original" "$T/now"
[ ! -s "$C/log" ] || fail "the dry run ran commands: $(cat "$C/log")"

echo "# prepare, with requests arriving meanwhile: busy, but a ping is answered"
: >"$C/hold-update-grub"
send prepare
prep=$id
wait_state "$H" 9 "answer/$prep/state" running
send probe
wait_state "$H" 9 "answer/$id/state" failed
expect_eq "reason while prepare runs" busy "$(answer "$id" reason)"
send ping
wait_state "$H" 9 "answer/$id/state" done
expect_eq "a ping while prepare runs" pong "$(answer "$id" message)"
rm -f "$C/hold-update-grub" "$C/holding-update-grub"
wait_state "$H" 9 "answer/$prep/state" done
expect_eq "commands run" "update-grub |update-initramfs -u -k 6.1.0-47-amd64" "$(paste -sd'|' "$C/log")"
expect_eq "effective settings" "net.ifnames=0 console=tty0 console=hvc0|quiet|console|" "$(effective)"
output "$prep" | grep -q 'update-grub' || fail "the answer does not list what ran"

echo "# rollback restores every byte"
: >"$C/log"
send rollback
wait_state "$H" 9 "answer/$id/state" done
snapshot "$T/now"
same "rollback left the tree different" "$T/original" "$T/now"

echo "# malformed requests are answered failed with a reason, and nothing runs"
: >"$C/log"
snapshot "$T/before-malformed"
big=$(head -c 600 /dev/zero | tr '\0' a)
nil=00000000-0000-0000-0000-000000000000
check_malformed() { # ID REASON REQUEST
	dom0 xenstore-write /local/domain/9/control/pvh/request "$3" || fail "send '$3'"
	wait_state "$H" 9 "answer/$1/state" failed
	expect_eq "reason for '$3'" "$2" "$(answer "$1" reason)"
	dom0 xenstore-rm "/local/domain/9/data/pvh/answer/$1" 2>/dev/null || true
}
# Whatever follows a valid id, the answer goes under that id; under the nil one otherwise.
check_malformed 3c0a5b1e-7d2f-4e8a-9b6c-00000000aaaa malformed "3c0a5b1e-7d2f-4e8a-9b6c-00000000aaaa prepare $big"
check_malformed "$nil" malformed "not-a-uuid prepare"
check_malformed 3c0a5b1e-7d2f-4e8a-9b6c-00000000bbbb unknown-action "3c0a5b1e-7d2f-4e8a-9b6c-00000000bbbb reboot"
check_malformed 3c0a5b1e-7d2f-4e8a-9b6c-00000000cccc bad-argument "3c0a5b1e-7d2f-4e8a-9b6c-00000000cccc rollback dry-run"
check_malformed 3c0a5b1e-7d2f-4e8a-9b6c-00000000dddd malformed '3c0a5b1e-7d2f-4e8a-9b6c-00000000dddd prepare dry-run;rm'
check_malformed 3c0a5b1e-7d2f-4e8a-9b6c-00000000eeee malformed '3c0a5b1e-7d2f-4e8a-9b6c-00000000eeee prepare $(reboot)'
[ ! -s "$C/log" ] || fail "a malformed request ran commands: $(cat "$C/log")"
snapshot "$T/now"
same "a malformed request changed the tree" "$T/before-malformed" "$T/now"

echo "# the agent killed in the middle of prepare: undone, answered interrupted"
: >"$C/hold-update-grub"
send prepare
prep=$id
wait_state "$H" 9 "answer/$prep/state" running
wait_for 100 grep -q update-grub "$C/log" || fail "update-grub never started"
kill -9 "-$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
rm -f "$C/hold-update-grub" "$C/holding-update-grub"
agent_up
wait_state "$H" 9 "answer/$prep/state" failed
expect_eq "reason after the restart" interrupted "$(answer "$prep" reason)"
echo "  message: $(answer "$prep" message)"
snapshot "$T/now"
same "the interrupted prepare was not undone" "$T/original" "$T/now"

echo "# the agent alone killed mid-prepare, the state directory held meanwhile: the new agent waits"
: >"$C/hold-update-grub"
send prepare
prep=$id
wait_state "$H" 9 "answer/$prep/state" running
wait_for 300 test -s "$C/held-update-grub" || fail "update-grub never started"
left=$(cat "$C/held-update-grub")
old=$(state_key "$H" 9 agent/instance)
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
# The worker died with the agent and let go of the lock: a holder of ours takes it.
flock -w 30 "$S" sh -c ": >'$T/locked'; while [ ! -e '$T/unlock' ]; do sleep 0.05; done" &
holder=$!
track "$holder"
wait_for 300 test -e "$T/locked" || fail "the state directory stays locked: the worker outlived the agent"
agent_up
new_instance() { [ "$(state_key "$H" 9 agent/instance)" != "$old" ]; }
wait_for 100 new_instance || fail "the agent did not come back: $(tail -n 20 "$T/agent-9.log")"
expect_eq "the interrupted request while another holds the state directory" running "$(answer "$prep" state)"
send probe
wait_state "$H" 9 "answer/$id/state" failed
expect_eq "a request while recovery waits" busy "$(answer "$id" reason)"
send ping
wait_state "$H" 9 "answer/$id/state" done
expect_eq "a ping while recovery waits" pong "$(answer "$id" message)"
: >"$T/unlock"
wait "$holder" || fail "the lock holder failed"
wait_state "$H" 9 "answer/$prep/state" failed
expect_eq "reason after the restart" interrupted "$(answer "$prep" reason)"
answer "$prep" message | grep -q 'undone' || fail "the message does not say it was undone: $(answer "$prep" message)"
! alive "$left" || fail "what update-grub left (pid $left) still runs"
rm -f "$C/holding-update-grub"
snapshot "$T/now"
same "the interrupted prepare was not undone" "$T/original" "$T/now"

send ping
wait_state "$H" 9 "answer/$id/state" done
state "$H" 9 --answers >/dev/null || fail "answers are not valid protocol values"
echo PASS
