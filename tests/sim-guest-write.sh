#!/bin/sh
# A guest's relative paths resolve to /local/domain/N; the toolstack layout
# matches libxl's (dom0-owned, guest-readable directory; guest-owned data/).
set -eu
. "$top_srcdir/tests/lib.sh"
require_sim
test_tmpdir
H=$T/host
sim_start "$H"
"$XENSIM" create "$H" 7 web || fail "create"

as "$H" 7 "$XS_CLIENT" write data/hello world || fail "guest write data/hello"
expect_eq "dom0 reads the guest's write" world "$(as "$H" 0 "$XS_CLIENT" read /local/domain/7/data/hello)"
expect_eq "guest reads back by relative path" world "$(as "$H" 7 "$XS_CLIENT" read data/hello)"
expect_eq "owner of the new node" "n7" "$(as "$H" 0 xenstore-ls -p /local/domain/7/data | sed -n 's/^hello = .*(\(.*\))$/\1/p')"

expect_eq "guest reads its name" web "$(as "$H" 7 "$XS_CLIENT" read name)"
expect_eq "guest reads its domid" 7 "$(as "$H" 7 "$XS_CLIENT" read domid)"
expect_eq "dom0 directory perms" "n0,r7" "$(as "$H" 0 xenstore-ls -p /local/domain | sed -n 's/^ *7 = .*(\(.*\))$/\1/p')"
expect_eq "control/shutdown is guest-owned" "n7" "$(as "$H" 0 xenstore-ls -p /local/domain/7/control | sed -n 's/^shutdown = .*(\(.*\))$/\1/p')"
as "$H" 7 "$XS_CLIENT" write control/shutdown "" || fail "guest cannot acknowledge control/shutdown"
expect_eq "xensim list" "7 running web" "$("$XENSIM" list "$H" | grep '^7 ')"
