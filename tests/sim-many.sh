#!/bin/sh
# 50 simulated guests at once, each writing and reading its own keys through
# its own socket; and two hosts side by side that do not see each other.
set -eu
. "$top_srcdir/tests/lib.sh"
require_sim
test_tmpdir
H=$T/host
sim_start "$H"
"$XENSIM" create "$H" 1-50 || fail "create 1-50"
expect_eq "domains listed" 51 "$("$XENSIM" list "$H" | wc -l)"

for d in $(seq 1 50); do
	env "$(sim_env "$H" "$d")" "$XS_CLIENT" rw data/me "guest-$d" >"$T/$d.out" 2>&1 &
	track $!
done
wait
for d in $(seq 1 50); do
	[ ! -s "$T/$d.out" ] || fail "guest $d: $(cat "$T/$d.out")"
	expect_eq "dom0 reads guest $d" "guest-$d" "$(as "$H" 0 "$XS_CLIENT" read /local/domain/$d/data/me)"
done

H2=$T/host2
sim_start "$H2"
"$XENSIM" create "$H2" 1 || fail "create on the second host"
as "$H2" 1 "$XS_CLIENT" write data/me other-host || fail "write on the second host"
expect_eq "first host unchanged" guest-1 "$(as "$H" 0 "$XS_CLIENT" read /local/domain/1/data/me)"
expect_eq "second host" other-host "$(as "$H2" 0 "$XS_CLIENT" read /local/domain/1/data/me)"
"$XENSIM" stop "$H2" || fail "stop the second host"
as "$H" 1 "$XS_CLIENT" rw data/still ok || fail "first host hurt by stopping the second"
