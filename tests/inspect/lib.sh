# Helpers of the disk inspection tests; sourced after tests/lib.sh and
# tests/agent/lib.sh. Guests without an agent are simulated domains whose
# disk backends (dom0's backend/vbd nodes, as libxl writes them) name disk
# images made by tests/inspect/mkimage.sh from the root trees of
# tests/rootfs; pvh-monitor inspect runs the real pvh-inspect on them in its
# sandbox, with the real grub-fstest.
MONITOR=$top_builddir/pvh-monitor
INSPECTOR=$top_builddir/pvh-inspect
MKIMAGE=$top_srcdir/tests/inspect/mkimage.sh

require_inspect() {
	require_sim
	[ -x "$MONITOR" ] || skip "$MONITOR is not built"
	[ -x "$INSPECTOR" ] || skip "$INSPECTOR is not built"
	[ -x "$MKKERNEL" ] || skip "$MKKERNEL is not built (make check builds it)"
	command -v grub-fstest >/dev/null || skip "grub-fstest is not installed (grub-common)"
	command -v jq >/dev/null || skip "jq is not installed"
	command -v xenstore-write >/dev/null || skip "xenstore-write is not installed (xenstore-utils)"
	[ "$(id -u)" = 0 ] || skip "the inspection sandbox needs root (namespaces, device nodes, idmapped mounts)"
	unshare -m -n -p -f true 2>/dev/null || skip "no mount, network and PID namespaces here"
	for tool in xz zstd cpio; do
		command -v "$tool" >/dev/null || skip "$tool is missing (scripts/deps installs it)"
	done
}

# source_tree CASE DIR: the case's tree as its disk holds it: make_root's
# tree with empty /proc and /sys (a disk has nothing there); sets GUEST_TYPE
# to the case's /sys/hypervisor/guest_type (PV when it has none).
source_tree() {
	make_root "$1" "$2"
	GUEST_TYPE=PV
	[ -f "$2/sys/hypervisor/guest_type" ] && GUEST_TYPE=$(cat "$2/sys/hypervisor/guest_type")
	rm -rf "$2/proc" "$2/sys"
	mkdir "$2/proc" "$2/sys"
}

# expected_json TREE TYPE: what pvh-agent check --root says of the tree
# running as TYPE (the toolstack's type, which the monitor gives the
# inspector), in the protocol's words: verdict, and each check's status,
# reason and fix as the agent would publish them.
expected_json() {
	_t=$(mktemp -d "$T/expect.XXXXXX")
	cp -a "$1/." "$_t/"
	mkdir -p "$_t/sys/hypervisor"
	echo "$2" >"$_t/sys/hypervisor/guest_type"
	"$top_builddir/pvh-agent" check --root "$_t" --json | jq -c '{verdict, checks: [.checks[] |
		{id, status: ({"pass": "pass", "warn": "warn", "fixable": "fail", "blocked": "fail",
		               "unknown": "warn", "skip": "skip", "risk": "fail"}[.status]),
		 reason, fix: (if .status == "pass" then null else .fix end)}] | sort_by(.id)}' |
		sanitized
	rm -rf "$_t"
}

# sanitized: free text as the protocol carries it (proto_text_sanitize): a
# control character, a character a reader could be misled by, or a byte
# that is not UTF-8 (U+FFFD in pvh-agent's JSON) becomes "?".
sanitized() {
	jq -c '.checks |= map(.reason |= (if . then gsub("[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069\ufffd]"; "?") else . end)
	                   | .fix |= (if . then gsub("[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069\ufffd]"; "?") else . end))'
}

# inspected_json JSON NAME: the same of a guest in pvh-monitor inspect --json.
inspected_json() {
	jq -c --arg n "$2" '.[] | select(.name == $n) | {verdict, checks: [.checks[] |
		{id, status, reason, fix: (.fix // null)}] | sort_by(.id)}' "$1"
}

# guest_disk DOMID NAME TYPE IMAGE...: a simulated domain without an agent,
# its disks xvda, xvdb... in dom0's backend nodes, its toolstack type.
guest_disk() {
	_d=$1 _n=$2 _ty=$3
	shift 3
	"$XENSIM" create "$H" "$_d" "$_n" >/dev/null || fail "create $_d"
	_k=0
	for _img in "$@"; do
		_vdev=xvd$(echo abcdefgh | cut -c$((_k + 1)))
		_b=/local/domain/0/backend/vbd/$_d/$((51712 + 16 * _k))
		as "$H" 0 xenstore-write "$_b/params" "$_img" "$_b/dev" "$_vdev" "$_b/device-type" disk \
			"$_b/type" phy || fail "backend of $_d"
		_k=$((_k + 1))
	done
	as "$H" 0 xenstore-write "/libxl/$_d/type" "$(echo "$_ty" | tr 'A-Z' 'a-z')" || fail "type of $_d"
}

# inspect ARGS...: pvh-monitor inspect as dom0, with the built inspector and this test's database.
inspect() {
	as "$H" 0 "$MONITOR" inspect --db "$T/state.db" --inspector "$INSPECTOR" "$@"
}
