#!/bin/sh
# The guest owner's configuration against the running agent on a simulated
# host: each setting gives the actions published in agent/actions and the
# answers to the host's requests; a refused request is answered failed with
# reason refused-by-owner, runs no command and leaves every byte of the tree
# as it was; a malformed or unreadable file means report-only with one error
# line, and the agent keeps running; the file is read again when it changes
# (inotify) and on SIGHUP; pvh-agent policy says the same as the daemon.
set -u
. "$top_srcdir/tests/prepare/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
require_agent

H=$T/h
sim_start "$H" >/dev/null
"$XENSIM" create "$H" 9 deb >/dev/null || fail "create"
debian_setup
mkdir -p "$R/proc/sys/kernel/random" "$R/etc/pvh-agent"
cat /proc/sys/kernel/random/uuid >"$R/proc/sys/kernel/random/boot_id"
CONF=$R/etc/pvh-agent/agent.conf
MONITOR=$top_builddir/pvh-monitor
LOG=$T/agent-9.log

dom0() { env "$(sim_env "$H" 0)" "$@"; }
req_n=0
send() { # ACTION [ARGS]: a new request; its id in $id
	req_n=$((req_n + 1))
	id=$(printf '5e1f0c2a-7d2f-4e8a-9b6c-%012d' "$req_n")
	dom0 xenstore-write /local/domain/9/control/pvh/request "$id $*" || fail "send $*"
}
answer() { state_key "$H" 9 "answer/$1/$2"; }
actions() { state_key "$H" 9 agent/actions; }
wait_actions() { # EXPECTED: agent/actions as published
	wait_for 100 has_state "$H" 9 agent/actions "$1" ||
		fail "agent/actions is '$(actions)', expected '$1'; log: $(tail -n 5 "$LOG")"
}
# put TEXT: the file replaced by a rename, as an editor does.
put() {
	printf '%s' "$1" >"$CONF.new" && mv "$CONF.new" "$CONF" || fail "write $CONF"
}
# refused ACTION [ARGS]: answered refused-by-owner with a message matching
# $why, no command run, the tree unchanged.
refused() {
	snapshot "$T/before"
	: >"$C/log"
	send "$@"
	wait_state "$H" 9 "answer/$id/state" failed
	expect_eq "reason of a refused $*" refused-by-owner "$(answer "$id" reason)"
	answer "$id" message | grep -q -- "$why" ||
		fail "the message of a refused $* does not say '$why': $(answer "$id" message)"
	[ ! -s "$C/log" ] || fail "a refused $* ran commands: $(cat "$C/log")"
	snapshot "$T/after"
	same "a refused $* changed the tree" "$T/before" "$T/after"
}
taken() { # ACTION [ARGS]: answered done
	send "$@"
	wait_state "$H" 9 "answer/$id/state" done
}

# The file as the package ships it: every setting commented out, everything allowed.
cp "$top_srcdir/etc/agent.conf" "$CONF"
env "$(sim_env "$H" 9)" PVH_AGENT_COMMAND_DIR="$C" "$AGENT" daemon -f -v --root "$R" --state-dir "$S" \
	>>"$LOG" 2>&1 &
AGENT_PID=$!
track "$AGENT_PID"
dom0 xenstore-write /local/domain/9/control/pvh/request "" && dom0 xenstore-chmod /local/domain/9/control/pvh/request n9 ||
	fail "create the request node"
wait_for 100 state "$H" 9 || fail "no valid state: $(cat "$LOG")"

echo "# the shipped file: everything allowed"
wait_actions "ping probe prepare rollback"
taken prepare dry-run

echo "# prepare = dry-run (inotify): a dry run is taken, a real prepare refused"
put "prepare = dry-run
"
wait_actions "ping probe prepare-dry-run rollback"
why="as a dry run only (prepare = dry-run in /etc/pvh-agent/agent.conf)"
refused prepare
snapshot "$T/before"
taken prepare dry-run
snapshot "$T/after"
same "a dry run changed the tree" "$T/before" "$T/after"
"$AGENT" policy --root "$R" >"$T/policy" || fail "pvh-agent policy on a valid file: $(cat "$T/policy")"
grep -qx 'published actions: ping probe prepare-dry-run rollback' "$T/policy" ||
	fail "pvh-agent policy differs from the daemon: $(cat "$T/policy")"
# The host's view: pvh-monitor sends a dry run, and not a real prepare.
dom0 "$MONITOR" request 9 prepare --dry-run >"$T/mon" || fail "pvh-monitor request prepare --dry-run: $(cat "$T/mon")"
grep -q '^9 deb: done' "$T/mon" || fail "pvh-monitor's dry run: $(cat "$T/mon")"
rc=0
dom0 "$MONITOR" request 9 prepare >"$T/mon" 2>&1 || rc=$?
expect_eq "pvh-monitor request prepare where only dry runs are allowed" 1 "$rc"
grep -q 'not-offered' "$T/mon" || fail "pvh-monitor sent a prepare the owner allows as a dry run only: $(cat "$T/mon")"
dom0 "$MONITOR" status 9 >"$T/mon" || fail "pvh-monitor status"
! grep -q report-only "$T/mon" || fail "a guest that allows dry runs is shown report-only: $(cat "$T/mon")"

echo "# prepare = deny, rollback = deny"
put "# the owner's choice
prepare = deny
rollback = deny
"
wait_actions "ping probe"
why="turned off prepare requests (prepare = deny in"
refused prepare
refused prepare dry-run
why="turned off rollback requests (rollback = deny in"
refused rollback
taken ping
taken probe

echo "# report-only = yes wins over prepare = allow"
put "prepare = allow
report-only = yes
"
wait_actions "ping probe"
why="allows reports only (report-only = yes in"
refused prepare
refused rollback
dom0 "$MONITOR" status 9 >"$T/mon" || fail "pvh-monitor status"
grep -q ' report-only ' "$T/mon" || fail "pvh-monitor status does not mark the guest report-only: $(cat "$T/mon")"

echo "# a malformed file: report-only, one error line, the agent keeps running"
put ""
wait_actions "ping probe prepare rollback"
put "prepare = allow
prepare = deny
"
wait_actions "ping probe"
why="is not valid"
refused prepare dry-run
# The same bad bytes written again are not reported again.
put "prepare = allow
prepare = deny
"
kill -HUP "$AGENT_PID"
wait_for 100 grep -q 'SIGHUP: reading' "$LOG" || fail "SIGHUP not taken: $(tail -n 5 "$LOG")"
taken ping
n=$(grep -c "line 2: 'prepare' is set again (first on line 1)" "$LOG")
expect_eq "error lines about the malformed file" 1 "$n"
grep "is set again" "$LOG" | grep -q 'report-only' || fail "the error does not say report-only: $(grep 'set again' "$LOG")"
rc=0
"$AGENT" policy --root "$R" >"$T/policy" || rc=$?
expect_eq "pvh-agent policy on a malformed file" 1 "$rc"
grep -q "line 2: 'prepare' is set again" "$T/policy" || fail "pvh-agent policy does not say why: $(cat "$T/policy")"

echo "# an unreadable file (a directory in its place): report-only too, said once"
rm -f "$CONF"
wait_actions "ping probe prepare rollback"
mkdir "$CONF"
wait_actions "ping probe"
why="is not valid"
refused rollback
kill -HUP "$AGENT_PID"
taken ping
n=$(grep -c "agent.conf: cannot be read" "$LOG")
expect_eq "error lines about the unreadable file" 1 "$n"
rmdir "$CONF"

echo "# the directory removed and made again: the watch comes back"
rm -rf "$R/etc/pvh-agent"
wait_actions "ping probe prepare rollback"
mkdir "$R/etc/pvh-agent"
put "rollback = deny
"
wait_actions "ping probe prepare"

echo "# SIGHUP reads the file, even one changed behind inotify's back (a bind mount over it)"
printf 'prepare = deny\n' >"$T/other.conf"
if mount --bind "$T/other.conf" "$CONF" 2>/dev/null; then
	kill -HUP "$AGENT_PID"
	ok=0
	wait_for 100 has_state "$H" 9 agent/actions "ping probe rollback" || ok=1
	umount "$CONF"
	[ "$ok" = 0 ] || fail "SIGHUP did not read the file: agent/actions is '$(actions)'"
	kill -HUP "$AGENT_PID"
	wait_actions "ping probe prepare"
else
	echo "  no bind mount here: SIGHUP's reading is not proven"
fi

echo "# allowed again: prepare and rollback run, and the history keeps what they did"
rm -f "$CONF"
wait_actions "ping probe prepare rollback"
snapshot "$T/original"
rm -rf "$T/orig-tree"
cp -a "$R" "$T/orig-tree"
taken prepare
prep=$id
snapshot "$T/now"
! cmp -s "$T/original" "$T/now" || fail "prepare changed nothing"
taken rollback
rb=$id
snapshot "$T/now"
same "rollback left the tree different" "$T/original" "$T/now"

"$AGENT" history --root "$R" --state-dir "$S" >"$T/history" || fail "pvh-agent history: $(cat "$T/history")"
cat "$T/history"
expect_eq "history entries" 13 "$(wc -l <"$T/history")"
expect_eq "refused requests in the history" 8 "$(grep -c ' failed refused-by-owner: ' "$T/history")"
grep -q "^[0-9]\{6\} [0-9TZ:-]* $prep prepare done: " "$T/history" || fail "the prepare is not in the history"
grep -q "^[0-9]\{6\} [0-9TZ:-]* $rb rollback done: rolled back" "$T/history" || fail "the rollback is not in the history"
"$AGENT" history --root "$R" --state-dir "$S" "$prep" >"$T/entry" || fail "pvh-agent history $prep"
files=$(sed -n 's/^files //p' "$T/entry")
case " $files " in
*" /etc/default/grub.d/99-pvh-agent.cfg "*) ;;
*) fail "the entry does not list the drop-in: $files" ;;
esac
sed -n 's/^commands //p' "$T/entry" | grep -q update-grub || fail "the entry does not list update-grub: $(head -8 "$T/entry")"
grep -q "Host request $prep (prepare): done: .*; files: /etc/default/grub.d/99-pvh-agent.cfg" "$LOG" ||
	fail "no log line for the prepare: $(grep 'Host request' "$LOG" | tail -n 3)"
# The diff kept, applied to the tree as it was, gives the files prepare wrote.
if command -v patch >/dev/null; then
	sed '1,/^$/d' "$T/entry" | sed -n '/^--- /,$p' | sed '/^run: /,$d' >"$T/kept.diff"
	patch -s -p1 -d "$T/orig-tree" <"$T/kept.diff" >/dev/null || fail "the kept diff does not apply: $(cat "$T/kept.diff")"
	taken prepare
	for f in $files; do
		cmp -s "$T/orig-tree$f" "$R$f" || fail "the kept diff of $f differs from what prepare wrote"
	done
	taken rollback
fi
rc=0
"$AGENT" history --root "$R" --state-dir "$S" 999999 >/dev/null 2>&1 || rc=$?
expect_eq "history of an entry that is not there" 1 "$rc"

kill -0 "$AGENT_PID" || fail "the agent died: $(tail -n 20 "$LOG")"
expect_eq "refused requests logged" 8 "$(grep -c 'Refused request' "$LOG")"
state "$H" 9 --answers >/dev/null || fail "answers are not valid protocol values"
echo PASS
