#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A short fuzzing run for CI: every fuzz target (protocol, agent and monitor)
# replays its seed corpus and fuzzes for PVH_FUZZ_SECONDS (default 10) seconds. Skips (77)
# when clang or its libFuzzer runtime is missing. On a finding, the work
# directory with the reproducer is kept and named.
set -eu

: "${top_srcdir:?}" "${top_builddir:?}"
out="$top_builddir/tests/fuzz-short.out"
rm -rf "$out"
mkdir -p "$out"

status=0
FUZZ_OUT="$out" FUZZ_JOBS="${FUZZ_JOBS:-2}" \
	sh "$top_srcdir/tests/fuzz/run.sh" "${PVH_FUZZ_SECONDS:-10}" || status=$?
case $status in
0) rm -rf "$out" ;;
77) rm -rf "$out" ;;
*) echo "fuzz-short: findings kept in $out" >&2 ;;
esac
exit $status
