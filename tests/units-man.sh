#!/bin/sh
# The generated systemd units pass systemd-analyze verify, and the agent's
# stays within its exposure budget; the manual pages render without a
# warning; every command and every long option the programs' --help shows is
# in their manual page and in their bash completion. Skips (77) after the
# other checks when systemd-analyze is missing.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bad() {
	echo "FAIL: $*"
	fail=1
}

# ---- manual pages: no warnings from groff (nor from man, when there)
for page in "$top_builddir/man/pvh-agent.8" "$top_builddir/man/pvh-monitor.8" \
	    "$top_srcdir/man/pvh-protocol.7"; do
	[ -f "$page" ] || { bad "$page is missing"; continue; }
	out=$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1)
	[ -z "$out" ] || bad "groff warns about ${page##*/}: $out"
	if command -v man >/dev/null 2>&1; then
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		[ -z "$out" ] || bad "man warns about ${page##*/}: $out"
	fi
done

# ---- what --help shows is documented and completed
# documented NAME PAGE COMPLETION HELP-TEXT: every --option in HELP-TEXT is
# in PAGE (where it is spelt \-\-option) and in COMPLETION.
documented() {
	what=$1 page=$2 comp=$3 help=$4
	[ -n "$help" ] || { bad "$what: no --help text"; return; }
	for opt in $(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		esc=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
		grep -q -- "$esc\\([^a-z0-9\\\\-]\\|\$\\)" "$page" ||
			bad "$what: $opt is not in ${page##*/}"
		grep -q -- "$opt\\([^a-z0-9-]\\|\$\\)" "$comp" ||
			bad "$what: $opt is not in the bash completion"
	done
}

agent=$top_builddir/pvh-agent
apage=$top_builddir/man/pvh-agent.8
acomp=$top_srcdir/shell-completion/bash/pvh-agent
documented "pvh-agent" "$apage" "$acomp" "$("$agent" --help)"
cmds=$("$agent" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\)  .*/\1/p')
[ -n "$cmds" ] || bad "pvh-agent: no commands found in --help"
for c in $cmds; do
	grep -q "^\\.B $c\$" "$apage" || bad "pvh-agent $c is not described in pvh-agent.8"
	grep -q "\\b$c\\b" "$acomp" || bad "pvh-agent $c is not in the bash completion"
	documented "pvh-agent $c" "$apage" "$acomp" "$("$agent" "$c" --help)"
done

monitor=$top_builddir/pvh-monitor
mpage=$top_builddir/man/pvh-monitor.8
mcomp=$top_srcdir/shell-completion/bash/pvh-monitor
documented "pvh-monitor" "$mpage" "$mcomp" "$("$monitor" --help)"
cmds=$("$monitor" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\)  .*/\1/p')
[ -n "$cmds" ] || bad "pvh-monitor: no commands found in --help"
for c in $cmds; do
	grep -q "^\\.B $c\$" "$mpage" || bad "pvh-monitor $c is not described in pvh-monitor.8"
	grep -q "\\b$c\\b" "$mcomp" || bad "pvh-monitor $c is not in the bash completion"
	documented "pvh-monitor $c" "$mpage" "$mcomp" "$("$monitor" "$c" --help)"
done

# ---- the completion scripts load and answer
if [ -r /usr/share/bash-completion/bash_completion ] && command -v bash >/dev/null 2>&1; then
	got=$(bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"; . "$2"
		try() {
			COMP_LINE=$2 COMP_POINT=${#2}
			read -r -a COMP_WORDS <<<"$2"
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMPREPLY=()
			"$1"
			echo "${COMPREPLY[*]}"
		}
		try _pvh_agent "pvh-agent check --j"
		try _pvh_monitor "pvh-monitor req"
		try _pvh_monitor "pvh-monitor status --color=al"
		try _pvh_monitor "pvh-monitor migrate plan --max-f"
	' sh "$acomp" "$mcomp" 2>&1)
	[ "$got" = "--json
request
always
--max-failures" ] || bad "bash completion answers: $got"
fi

# ---- the units
if ! command -v systemd-analyze >/dev/null 2>&1; then
	[ "$fail" -eq 0 ] || exit 1
	echo "SKIP: systemd-analyze is missing (install systemd); the units are not verified" >&2
	exit 77
fi
# ExecStart= must name an executable: the programs just built. man: links
# must resolve: the pages just generated.
mkdir -p "$tmp/units" "$tmp/man/man7" "$tmp/man/man8"
cp "$apage" "$mpage" "$tmp/man/man8/"
cp "$top_srcdir/man/pvh-protocol.7" "$tmp/man/man7/"
bindir=$(cd "$top_builddir" && pwd)
for u in pvh-agent pvh-monitor; do
	sed "s|^ExecStart=[^ ]*/$u |ExecStart=$bindir/$u |" "$top_builddir/units/$u.service" \
		>"$tmp/units/$u.service"
	grep -q "^ExecStart=$bindir/$u " "$tmp/units/$u.service" || bad "$u.service: no ExecStart=.../$u"
done
man_opt=--man=no
command -v man >/dev/null 2>&1 && man_opt=--man=yes
out=$(cd "$tmp/units" && MANPATH=$tmp/man SYSTEMD_LOG_COLOR=0 \
	systemd-analyze verify "$man_opt" pvh-agent.service pvh-monitor.service 2>&1)
[ $? -eq 0 ] && [ -z "$out" ] || bad "systemd-analyze verify: $out"

# The agent's exposure stays at 3.0 or below (systemd-analyze counts tenths).
if ! out=$(systemd-analyze security --offline=true --threshold=30 --no-pager \
	   "$tmp/units/pvh-agent.service" 2>&1); then
	bad "pvh-agent.service is more exposed than 3.0: $(printf '%s\n' "$out" | tail -n 1)"
fi
printf '%s\n' "$out" | tail -n 1
out=$(systemd-analyze security --offline=true --threshold=30 --no-pager \
      "$tmp/units/pvh-monitor.service" 2>&1) ||
	bad "pvh-monitor.service is more exposed than 3.0: $(printf '%s\n' "$out" | tail -n 1)"
printf '%s\n' "$out" | tail -n 1

[ "$fail" -eq 0 ] && echo "ok: units, manual pages and completions"
exit "$fail"
