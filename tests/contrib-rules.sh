#!/bin/sh
# The fleet view shipped in contrib/: the alerting rules pass promtool check
# rules and their unit tests (promtool test rules), and the Grafana dashboard
# is JSON whose panels each query, and whose queries name only metrics that
# serve exports (its sources and manual page list them).
set -eu
: "${top_srcdir:?}"
. "$top_srcdir/tests/lib.sh"
command -v promtool >/dev/null || skip "promtool is not installed (package prometheus)"
command -v jq >/dev/null || skip "jq is not installed"
test_tmpdir
rules=$top_srcdir/contrib/prometheus/pvh-monitor.rules.yml
dash=$top_srcdir/contrib/grafana/pvh-fleet.json

promtool check rules "$rules" >"$T/check" 2>&1 || fail "promtool check rules: $(cat "$T/check")"
grep -q 'SUCCESS: 5 rules found' "$T/check" || fail "rules: $(cat "$T/check")"
# promtool resolves rule_files against the test file's directory.
(cd "$top_srcdir/contrib/prometheus" && promtool test rules pvh-monitor.rules.test.yml) >"$T/test" 2>&1 ||
	fail "promtool test rules: $(cat "$T/test")"

# A rule file whose alert is wrong must fail its unit test: the tests assert.
sed 's/expr: pvh_guest_next_boot_fails == 1/expr: pvh_guest_next_boot_fails == 2/' "$rules" \
	>"$T/pvh-monitor.rules.yml"
cp "$top_srcdir/contrib/prometheus/pvh-monitor.rules.test.yml" "$T/"
(cd "$T" && promtool test rules pvh-monitor.rules.test.yml) >/dev/null 2>&1 && fail "a broken rule passes its tests"

jq -e '.uid and .title and (.panels | length > 5) and all(.panels[]; .title and .type and (.targets | length > 0)
	and all(.targets[]; (.expr | length > 0) and .refId))' "$dash" >/dev/null || fail "the dashboard's structure"
expect_eq "panel ids are unique" "$(jq '.panels | length' "$dash")" "$(jq '[.panels[].id] | unique | length' "$dash")"

# Every metric the dashboard and the rules name is one serve exports and the manual page lists.
{ jq -r '.panels[].targets[].expr' "$dash"; sed -n 's/^ *expr: //p' "$rules"; } |
	grep -o 'pvh_[a-z_]*' | sort -u >"$T/used"
[ -s "$T/used" ] || fail "no metric found in the queries"
while read -r m; do
	base=${m%_total}
	grep -rqF "\"$m\"" "$top_srcdir/monitor" || grep -rqF "\"$base" "$top_srcdir/monitor" ||
		fail "$m is not exported by serve"
	grep -qF "$(echo "$m" | sed 's/_/\\\\_/g')" "$top_srcdir/man/pvh-monitor.8.in" ||
		grep -qF "$m" "$top_srcdir/man/pvh-monitor.8.in" || fail "$m is not in pvh-monitor(8)"
done <"$T/used"
echo "ok: $(wc -l <"$T/used") metrics in the queries"
exit 0
