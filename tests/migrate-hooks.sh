#!/bin/sh
# pvh-monitor migrate plan --before-guest and --after-guest: each runs
# without a shell or arguments, with the guest's name, domid, wave, step and
# outcome in its environment; a before-guest hook that exits non-zero skips
# its guest with the hook's output as the reason (the migration ends
# partial, exit status 2), a failed after-guest hook is journaled and
# changes nothing.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
mig_setup
HOOK=$top_srcdir/tests/migrate/hook

guest_add alpha debian12-bookworm
guest_add beta debian11-bullseye
guest_add gamma debian13-trixie
guests_up
echo "3 no snapshot for beta" >"$MIG_DIR/beta/hook-before-guest"
echo "1 cannot notify gamma's owner" >"$MIG_DIR/gamma/hook-after-guest"

echo "# a hook must be an absolute path to an executable"
rc=0
plan alpha --before-guest hook >"$T/rel.out" 2>&1 || rc=$?
expect_eq "relative hook: usage" 4 "$rc"
grep -q 'must be an absolute path' "$T/rel.out" || fail "relative hook: $(cat "$T/rel.out")"
rc=0
plan alpha --after-guest "$T/none" >"$T/none.out" 2>&1 || rc=$?
expect_eq "missing hook: usage" 4 "$rc"

echo "# the plan keeps the hooks"
plan alpha beta gamma --canary 1 --growth 4 --max-failures 3 --before-guest "$HOOK" \
	--after-guest "$HOOK" >/dev/null || fail "plan"
expect_eq "before_guest kept" "$HOOK" "$(status_json | jq -r .before_guest)"
expect_eq "after_guest kept" "$HOOK" "$(status_json | jq -r .after_guest)"
mig run --dry-run >"$T/dry.txt" || fail "dry run"
grep -q "run: $HOOK (before-guest hook" "$T/dry.txt" || fail "dry run: no before hook: $(cat "$T/dry.txt")"
grep -q "run: $HOOK (after-guest hook)" "$T/dry.txt" || fail "dry run: no after hook"
[ ! -e "$MIG_DIR/hooks.log" ] || fail "the dry run ran a hook"

old_alpha=$(domid_of alpha)
old_beta=$(domid_of beta)
rc=0
mig run --json >"$T/run.jsonl" 2>"$T/run.err" || rc=$?
cat "$MIG_DIR/hooks.log"
expect_eq "run exit status: partial" 2 "$rc"
expect_eq "migration state" partial "$(status_json | jq -r .state)"

echo "# beta: skipped by its before hook, with its output; never touched, no after hook"
expect_eq "beta state" skipped "$(gstate beta)"
expect_eq "beta reason" "before-guest hook $HOOK: exit status 3: no snapshot for beta" "$(greason beta)"
expect_eq "beta: config untouched" pv "$(cfg_type beta)"
expect_eq "beta: never shut down" 0 "$(grep -c '^shutdown beta ' "$MIG_DIR/xl.log")"
expect_eq "beta: hook calls" "hook=before-guest migration=1 guest=beta domid=$old_beta wave=2 step=none outcome=pending reason= args=0" \
	"$(grep 'guest=beta ' "$MIG_DIR/hooks.log")"

echo "# alpha: before with its old domid, after with the outcome and its new domid"
expect_pvh alpha
expect_eq "alpha: before" "hook=before-guest migration=1 guest=alpha domid=$old_alpha wave=1 step=none outcome=pending reason= args=0" \
	"$(grep 'hook=before-guest .*guest=alpha ' "$MIG_DIR/hooks.log")"
expect_eq "alpha: after" "hook=after-guest migration=1 guest=alpha domid=$(domid_of alpha) wave=1 step=verify outcome=done reason= args=0" \
	"$(grep 'hook=after-guest .*guest=alpha ' "$MIG_DIR/hooks.log")"
[ "$(domid_of alpha)" != "$old_alpha" ] || fail "alpha was not restarted"
# The before hook ran before the guest's first step, the after hook after its last.
expect_eq "alpha: order" "before-guest after-guest" \
	"$(sed -n 's/^hook=\([a-z-]*\) .*guest=alpha .*/\1/p' "$MIG_DIR/hooks.log" | tr '\n' ' ' | sed 's/ $//')"

echo "# gamma: its after hook failed: journaled, gamma still done"
expect_pvh gamma
grep -q '"event":"hook-failed","wave":2,"guest":"gamma".*"detail":"after-guest hook [^"]*: exit status 1: cannot notify gamma.s owner"' \
	"$T/run.jsonl" || fail "no hook-failed event for gamma: $(grep gamma "$T/run.jsonl")"
grep -q 'hook=after-guest .*guest=gamma .*outcome=done' "$MIG_DIR/hooks.log" || fail "gamma: after hook"

echo "# a failed guest: the after hook gets outcome failed and the reason"
guest_add z-createfail debian12-bookworm create-fails
guests_up
: >"$MIG_DIR/hooks.log"
plan z-createfail --after-guest "$HOOK" >/dev/null || fail "plan 2"
rc=0
mig run --json >"$T/run2.jsonl" 2>&1 || rc=$?
expect_eq "run 2 exit status: failed" 1 "$rc"
expect_eq "migration 2 state" failed "$(status_json | jq -r .state)"
expect_eq "z-createfail: after" "hook=after-guest migration=2 guest=z-createfail domid=$(domid_of z-createfail) wave=1 step=wait-pv outcome=failed reason=create: exit status 1: xl: create z-createfail: failing as asked args=0" \
	"$(cat "$MIG_DIR/hooks.log")"
echo "ok: hooks"
