#!/bin/sh
# contrib/ansible: ansible-lint (Debian's, offline, its production profile)
# passes on the role and the playbooks, and ansible-playbook's syntax check
# on both playbooks; the fleet report (fleet-report.yml) of two hosts, one
# without a report, one whose guest wrote an escape sequence. The playbooks run in tests/fleet-ansible.sh.
set -u
. "$top_srcdir/tests/lib.sh"
command -v ansible-lint >/dev/null || skip "ansible-lint is not installed (package ansible-lint)"
command -v ansible-playbook >/dev/null || skip "ansible-playbook is not installed (package ansible-core)"
test_tmpdir
# Its caches and ansible's temporary files under $T; the project's files as
# they are in the source tree (a copy: ansible-lint writes nothing there).
cp -R "$top_srcdir/contrib/ansible" "$T/ansible" || fail "copy"
chmod -R u+w "$T/ansible"
cd "$T/ansible" || fail "cd"
export HOME=$T ANSIBLE_LOCAL_TEMP=$T/ansible-tmp ANSIBLE_NOCOLOR=1 NO_COLOR=1
: >"$T/ansible.cfg"
export ANSIBLE_CONFIG=$T/ansible.cfg
printf 'xen_hosts:\n  hosts:\n    h1:\n      ansible_connection: local\n' >"$T/hosts.yml"
for pb in fleet-migrate.yml fleet-report.yml; do
	ansible-playbook -i "$T/hosts.yml" --syntax-check "$pb" >"$T/syntax.out" 2>&1 ||
		fail "syntax of $pb: $(cat "$T/syntax.out")"
done
ansible-lint --offline --profile production >"$T/lint.out" 2>&1 || fail "ansible-lint: $(cat "$T/lint.out")"
cat "$T/lint.out"
grep -q 'Passed with production profile: 0 failure(s), 0 warning(s)' "$T/lint.out" ||
	fail "ansible-lint: $(cat "$T/lint.out")"
# The fleet report from hosts' reports as the role writes them: a host
# without one is "not run"; what a guest or a host wrote reaches the table
# as printable ASCII only (an escape sequence, a non-ASCII letter: "?").
command -v jq >/dev/null || skip "jq is not installed"
mkdir -p "$T/r/hosts"
printf '%s' '{"host":"hA","dry_run":false,"migration":{"id":1,"state":"done","reason":null,"guests":[
 {"name":"g1","state":"done","reason":null},
 {"name":"g2","state":"failed","reason":"boot: \u001b[31mno\u00e9 agent"}]},
 "guests":[{"name":"g1","guest_type":"PVH"},{"name":"g2","guest_type":"PV"}]}' >"$T/r/hosts/hA.json"
printf 'xen_hosts:\n  hosts:\n    hA:\n    hB:\n' >"$T/two.yml"
ansible-playbook -i "$T/two.yml" fleet-report.yml -e "pvh_monitor_migrate_report_dir=$T/r" >"$T/report.out" 2>&1 ||
	fail "fleet-report.yml: $(cat "$T/report.out")"
expect_eq "report rows" "hA g1 done PVH|hA g2 failed PV|hB - not run -" \
	"$(jq -r '.[] | "\(.host) \(.guest) \(.outcome) \(.mode)"' "$T/r/fleet-report.json" | paste -sd'|')"
expect_eq "the reason kept in JSON" "$(printf 'boot: \033[31mno\303\251 agent')" \
	"$(jq -r '.[1].reason' "$T/r/fleet-report.json")"
expect_eq "table" "HOST  GUEST  OUTCOME  MODE NOW  REASON|hA    g1     done     PVH|hA    g2     failed   PV        boot: ?[31mno? agent|hB    -      not run  -         no report" \
	"$(sed 's/ *$//' "$T/r/fleet-report.txt" | paste -sd'|')"

# It lints the role's tasks: a task that changes nothing it could tell, added
# to them, fails it.
printf -- '\n- name: Something unchecked\n  ansible.builtin.command: /bin/true\n' \
	>>roles/pvh_monitor_migrate/tasks/main.yml
ansible-lint --offline --profile production >"$T/bad.out" 2>&1 && fail "ansible-lint passed a bad task: $(cat "$T/bad.out")"
grep -q 'no-changed-when' "$T/bad.out" || fail "ansible-lint: $(cat "$T/bad.out")"
grep -q 'roles/pvh_monitor_migrate/tasks/main.yml' "$T/bad.out" || fail "ansible-lint: $(cat "$T/bad.out")"
echo "PASS"
