#!/bin/sh
# Golden-output tests of `pvh-agent check`: each tests/rootfs/<case>/ holds a
# root tree, a "generate" spec for its kernels and initramfs images (made here
# with the real compressors), and the expected JSON and text reports, made
# twice: with openat2, and where it fails (tests/harness/no-openat2).
# CASES="a b" runs only those; UPDATE=1 rewrites the expected files.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
agent=$top_builddir/pvh-agent
mkkernel=$top_builddir/tests/kernels/mkkernel

for tool in gzip bzip2 xz lzop lz4 zstd cpio; do
	if ! command -v "$tool" >/dev/null; then
		echo "agent-check: $tool is missing (scripts/deps installs it)" >&2
		exit 77
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

walk=$top_builddir/tests/harness/no-openat2
if ! "$walk" true; then
	echo "agent-check: openat2 cannot be made to fail here: every report is made with it only" >&2
	walk=
fi

exit_for() {
	case $1 in
	ready) echo 0 ;;
	fixable) echo 1 ;;
	blocked) echo 2 ;;
	unknown) echo 3 ;;
	*) echo none ;;
	esac
}

# reports ROOT OUT [LAUNCHER]: the JSON and text reports in OUT.json and OUT.txt,
# which must agree on the verdict and exit with its status.
reports() {
	js=0 ts=0
	${3:-} "$agent" check --root "$1" --json >"$2.json" || js=$?
	${3:-} "$agent" check --root "$1" >"$2.txt" || ts=$?
	verdict=$(sed -n 's/^  "verdict": "\(.*\)",$/\1/p' "$2.json")
	want=$(exit_for "$verdict")
	if [ "$js" != "$want" ] || [ "$ts" != "$want" ]; then
		echo "FAIL $name${3:+ (without openat2)}: exit status $js (json), $ts (text) for verdict '$verdict'"
		return 1
	fi
}

run_case() { # DIR NAME
	dir=$1 name=$2 root=$tmp/$2
	cp -a "$dir/root" "$root" || return 1
	if ! sh "$top_srcdir/tests/kernels/gen.sh" "$mkkernel" "$dir/generate" "$root"; then
		echo "FAIL $name: could not generate its images"
		return 1
	fi
	reports "$root" "$tmp/$name" || return 1
	if command -v python3 >/dev/null && ! python3 -m json.tool "$tmp/$name.json" >/dev/null; then
		echo "FAIL $name: the JSON does not parse"
		return 1
	fi
	if [ -n "${UPDATE:-}" ]; then
		cp "$tmp/$name.json" "$dir/expected.json"
		cp "$tmp/$name.txt" "$dir/expected.txt"
		return 0
	fi
	rc=0
	for ext in json txt; do
		if ! diff -u "$dir/expected.$ext" "$tmp/$name.$ext"; then
			echo "FAIL $name: the $ext report differs from expected.$ext"
			rc=1
		fi
	done
	# The same reports where openat2 fails, as on Linux before 5.6: the root resolver's own walk.
	if [ -n "$walk" ]; then
		reports "$root" "$tmp/$name.walk" "$walk" || return 1
		for ext in json txt; do
			if ! diff -u "$dir/expected.$ext" "$tmp/$name.walk.$ext"; then
				echo "FAIL $name: without openat2, the $ext report differs from expected.$ext"
				rc=1
			fi
		done
	fi
	[ $rc = 0 ] && echo "ok   $name: $verdict"
	return $rc
}

# Usage errors exit 4 or more, never with a verdict's status.
usage() { # WANT ARGS...
	want=$1
	shift
	rc=0
	"$agent" "$@" >/dev/null 2>&1 || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL pvh-agent $*: exit status $rc, want $want"
		return 1
	fi
}

fail=0 n=0
if [ -z "${CASES:-}" ]; then
	usage 4 frobnicate || fail=1
	usage 4 check --bogus || fail=1
	usage 4 check extra-argument || fail=1
	usage 4 check --root "$tmp/does-not-exist" || fail=1
	usage 0 --help || fail=1
fi
for dir in "$top_srcdir"/tests/rootfs/*/; do
	name=$(basename "$dir")
	if [ -n "${CASES:-}" ]; then
		case " $CASES " in *" $name "*) ;; *) continue ;; esac
	fi
	n=$((n + 1))
	run_case "$dir" "$name" || fail=1
done
[ "$n" -gt 0 ] || { echo "agent-check: no cases ran" >&2; exit 99; }
echo "$n cases"
exit $fail
