#!/bin/sh
# prepare and rollback killed at random times, with SIGKILL: sometimes the
# whole process tree (the agent and every command it runs, as a power cut
# or an OOM kill of the service would), sometimes the agent's main process
# only (its commands die with it; what they started is left behind), on a
# Debian tree whose menu was edited by hand, with the real grub-mkconfig
# where it can run. After each kill, recover must leave the tree exactly as
# it was before prepare, or exactly prepared: every file, mode and owner.
# PVH_RANDOM_KILLS=N kills each of prepare and rollback N times (default 6;
# the acceptance runs use 30), half of them the whole tree.
set -eu
. "$top_srcdir/tests/prepare/lib.sh"
kills=${PVH_RANDOM_KILLS:-6}
case $kills in '' | *[!0-9]*) fail "PVH_RANDOM_KILLS must be a number" ;; esac

now_ms() { echo $(($(date +%s%N) / 1000000)); }
random() { od -An -tu4 -N4 /dev/urandom | tr -d ' '; }

# The live processes of a session (zombies aside): the agent's tree, as
# setsid started it; its commands have process groups of their own. One
# pass over /proc: the kill must not lag behind the chosen time.
session_pids() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v sid="$sid" '{ pid = $1; s = $0; sub(/.*\) /, "", s)
		split(s, f, " "); if (f[4] == sid && f[1] != "Z" && f[1] != "X") print pid }'
}

# kill_tree: SIGKILL to every process of the session, until none is left
# (what one forked while it was being killed is caught in the next round).
kill_tree() {
	while _pids=$(session_pids) && [ -n "$_pids" ]; do
		kill -9 $_pids 2>/dev/null || true
	done
}

# start ACTION: the agent in a session of its own, in the background; its pid is $pid and $sid.
start() {
	setsid "$agent" "$1" --root "$R" --state-dir "$S" --command-dir "$C" >"$T/out" 2>&1 &
	pid=$! sid=$!
	track "$pid"
}

# timed ACTION: a whole run; the shortest time so far in ${ACTION}_ms.
timed() {
	t0=$(now_ms)
	pa "$1"
	ms=$(($(now_ms) - t0))
	expect_rc 0 "$1 (timed)"
	eval "_old=\${${1}_ms:-$ms}"
	[ "$ms" -gt "$_old" ] || eval "${1}_ms=$ms"
}

debian_setup
hand_edit
snapshot "$T/before"
cp -a "$R" "$T/pristine"
# Twice: the kills fall within the shorter run.
for _ in 1 2; do
	timed prepare
	snapshot "$T/prepared"
	timed rollback
	snapshot "$T/now"
	same "rollback after a whole prepare" "$T/before" "$T/now"
done
echo "# prepare takes ${prepare_ms} ms, rollback ${rollback_ms} ms; $kills kills of each"

# kill_one ACTION MS N: ACTION killed after a random time within MS; the tree after recover.
kill_one() {
	delay=$(($(random) % ($2 + 1)))
	how=main
	[ $(($3 % 2)) = 0 ] && how=tree
	start "$1"
	sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
	if alive "$pid"; then
		if [ "$how" = tree ]; then kill_tree; else kill -9 "$pid" 2>/dev/null || true; fi
	else
		how="$how (it had finished)"
	fi
	wait "$pid" 2>/dev/null || true
	pa recover
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$T/out" >&2; fail "recover after $1 killed at $delay ms: exit status $rc"; }
	snapshot "$T/now"
	if cmp -s "$T/before" "$T/now"; then
		state=original
	elif cmp -s "$T/prepared" "$T/now"; then
		state=prepared
	else
		cat "$T/out" >&2
		diff -u "$T/before" "$T/now" >&2 || true
		fail "$1 killed ($how) after $delay ms, then recover: the tree is neither original nor prepared"
	fi
	echo "ok   $1 killed ($how) after $delay ms: $state"
}

i=1
while [ "$i" -le "$kills" ]; do
	fresh
	kill_one prepare "$prepare_ms" "$i"
	i=$((i + 1))
done
i=1
while [ "$i" -le "$kills" ]; do
	fresh
	pa prepare
	expect_rc 0 "prepare before rollback $i"
	kill_one rollback "$rollback_ms" "$i"
	i=$((i + 1))
done
echo PASS
