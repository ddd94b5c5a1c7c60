#!/bin/sh
# contrib/ansible: ansible-lint (Debian's, offline, its production profile)
# passes on the role and the playbooks, and ansible-playbook's syntax check
# on both playbooks. The playbooks run in tests/fleet-ansible.sh.
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
# It lints the role's tasks: a task that changes nothing it could tell, added
# to them, fails it.
printf -- '\n- name: Something unchecked\n  ansible.builtin.command: /bin/true\n' \
	>>roles/pvh_monitor_migrate/tasks/main.yml
ansible-lint --offline --profile production >"$T/bad.out" 2>&1 && fail "ansible-lint passed a bad task: $(cat "$T/bad.out")"
grep -q 'no-changed-when' "$T/bad.out" || fail "ansible-lint: $(cat "$T/bad.out")"
grep -q 'roles/pvh_monitor_migrate/tasks/main.yml' "$T/bad.out" || fail "ansible-lint: $(cat "$T/bad.out")"
echo "PASS"
