#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# run.sh [SECONDS]: build the libFuzzer targets of the protocol decoders, of
# the agent's parsers and of the monitor's readers (guests, HTTP) with clang
# (not through automake: the main build uses gcc) and run each for SECONDS
# (default 60), starting from its seed corpus in tests/fuzz/corpus/TARGET/.
# SECONDS=0 only replays the seed corpus.
#
# Environment: FUZZ_OUT (build and work directory; default a new temporary
# one, kept), FUZZ_TARGETS (space-separated subset), FUZZ_JOBS (targets run
# at once; default 1), CLANG (default clang).
# Exit status: 0 without findings; 1 on a finding (the reproducer is in
# FUZZ_OUT/artifacts/); 77 when clang or its fuzzer runtime is missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${1:-60}
clang=${CLANG:-clang}
protocol_targets="request value path uuid schema actions address text report"
agent_targets="kimage elfnotes decompress cpio grubcfg bootmenus udiff grubvars policy"
monitor_targets="guest http"
targets=${FUZZ_TARGETS:-"$protocol_targets $agent_targets $monitor_targets"}
jobs=${FUZZ_JOBS:-1}
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/pvh-fuzz.XXXXXX")}

case $seconds in
''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

mkdir -p "$out/obj" "$out/artifacts"
printf '#define _GNU_SOURCE 1\n#define PACKAGE_VERSION "fuzz"\n' >"$out/config.h"

if ! command -v "$clang" >/dev/null 2>&1; then
	echo "skipped: $clang not found" >&2
	exit 77
fi
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
	>"$out/probe.c"
if ! "$clang" -fsanitize=fuzzer,address,undefined "$out/probe.c" -o "$out/probe" \
	>"$out/probe.log" 2>&1; then
	echo "skipped: $clang cannot link -fsanitize=fuzzer (no libclang_rt.fuzzer?)" >&2
	exit 77
fi

# PKGLIBEXECDIR: as Makefile.am gives it to the monitor (where its inspector
# is); the quotes stay, a string for the preprocessor.
cflags="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
	-fno-sanitize-recover=undefined -include $out/config.h -I$out -I$top/protocol -I$top/shared
	-I$top/agent -I$top/probe -I$top/monitor -I$top/tests/unit
	-I/usr/include/lzo -DPKGLIBEXECDIR=\"/usr/libexec/pvh-agent\" -Wall -Wextra -Wno-unused-parameter"
libs="-lz -lbz2 -llzma -llzo2 -llz4 -lzstd -lxenstore -luuid
	-lsqlite3 -lmicrohttpd"

# The code once, instrumented for coverage (the programs' main() and the
# monitor's command table left out: the agent has one of its own), compiled
# on every core; then one binary per target, the monitor's against the
# monitor's code, the others against the agent's.
ncpu=$(nproc 2>/dev/null || echo 2)
for src in "$top"/protocol/*.c "$top"/shared/*.c "$top"/agent/*.c "$top"/probe/*.c \
	"$top"/monitor/*.c; do
	case $src in */agent/main.c | */monitor/main.c | */monitor/cmdtable.c) continue ;; esac
	echo "$src $out/obj/$(basename "$(dirname "$src")")-$(basename "$src" .c).o"
done >"$out/objs.list"
# shellcheck disable=SC2086
xargs -P "$ncpu" -n 2 sh -c 'exec "$0" $1 -fsanitize=fuzzer-no-link -c "$2" -o "$3"' "$clang" "$cflags" \
	<"$out/objs.list" || { echo "run.sh: compiling the code failed" >&2; exit 1; }
objs_of() { # DIR...: the objects of those source folders
	for _d in "$@"; do grep -o "/obj/$_d-[^ ]*\\.o$" "$out/objs.list" | sed "s|^|$out|"; done
}
common_objs=$(objs_of protocol shared)
agent_objs=$(objs_of agent probe)
monitor_objs=$(objs_of monitor)
for t in $targets; do
	case " $monitor_targets " in
	*" $t "*) objs="$common_objs $monitor_objs" ;;
	*) objs="$common_objs $agent_objs" ;;
	esac
	# shellcheck disable=SC2086
	rm -f "$out/fuzz-$t"
	"$clang" $cflags -fsanitize=fuzzer "$here/fuzz-$t.c" $objs $libs -o "$out/fuzz-$t" \
		>"$out/link-$t.log" 2>&1 &
done
wait
# A target that does not link is a broken build, not a finding.
unlinked=
for t in $targets; do
	[ -x "$out/fuzz-$t" ] || unlinked="$unlinked $t"
done
if [ -n "$unlinked" ]; then
	for t in $unlinked; do
		echo "run.sh: fuzz-$t did not link:" >&2
		head -n 5 "$out/link-$t.log" >&2
	done
	exit 1
fi

run_one() {
	t=$1
	seeds="$here/corpus/$t"
	work="$out/corpus/$t"
	log="$out/fuzz-$t.log"
	mkdir -p "$work"
	if [ "$seconds" -eq 0 ]; then
		# Replay only: every seed once, nothing generated.
		"$out/fuzz-$t" -runs=0 -artifact_prefix="$out/artifacts/$t-" "$seeds" >"$log" 2>&1 || return 1
	else
		# New inputs go to the work corpus; the seeds in the tree stay as they are.
		"$out/fuzz-$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
			-rss_limit_mb=1024 -print_final_stats=1 \
			-artifact_prefix="$out/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1 ||
			return 1
	fi
}

report() {
	t=$1 status=$2
	log="$out/fuzz-$t.log"
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	if [ "$status" -eq 0 ]; then
		printf '%-8s ok      %10s execs %8s execs/s  cov %s\n' "$t" "${runs:--}" \
			"${rate:--}" "${cov:--}"
	else
		printf '%-8s FINDING (log %s)\n' "$t" "$log"
		grep -E 'ERROR|assertion|runtime error|SUMMARY|Test unit written' "$log" | head -n 10
	fi
}

failed=0
set -- $targets
while [ $# -gt 0 ]; do
	batch=
	i=0
	while [ $# -gt 0 ] && [ $i -lt "$jobs" ]; do
		batch="$batch $1"
		shift
		i=$((i + 1))
	done
	pids=
	for t in $batch; do
		run_one "$t" &
		pids="$pids $!"
	done
	k=0
	for t in $batch; do
		k=$((k + 1))
		pid=$(echo "$pids" | awk -v k="$k" '{ print $k }')
		if wait "$pid"; then status=0; else status=1; failed=1; fi
		report "$t" "$status"
	done
done

echo "output: $out"
exit $failed
