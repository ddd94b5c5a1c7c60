#!/bin/sh
# The folders are the link units (README, "Layout"): each may include only
# the headers its rule allows. shared/ stands alone; protocol/ uses shared/;
# probe/ uses protocol/ and shared/, never xenstore; agent/ and inspect/ use
# probe/ through its one public header probe.h; monitor/ never includes
# agent/, inspect/ or probe/. A header named here that exists in no folder
# is an error too.
set -eu
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir"

# home HEADER: the folder that holds it, or nothing.
home() {
	for d in shared protocol probe agent inspect monitor; do
		if [ -f "$d/$1" ]; then
			echo "$d"
			return
		fi
	done
}

# allowed FOLDER HOME HEADER
allowed() {
	case "$1:$2" in
	*:"$1" | *:shared) return 0 ;;
	protocol:* | shared:*) return 1 ;;
	probe:protocol | agent:protocol | inspect:protocol | monitor:protocol) return 0 ;;
	agent:probe | inspect:probe) [ "$3" = probe.h ] ;;
	*) return 1 ;;
	esac
}

bad=0 n=0
# A header's name tells its folder: one name, one folder.
dups=$(ls shared/*.h protocol/*.h probe/*.h agent/*.h inspect/*.h monitor/*.h 2>/dev/null | sed 's|.*/||' | sort | uniq -d)
for h in $dups; do
	echo "$h is in more than one folder" >&2
	bad=$((bad + 1))
done
for dir in shared protocol probe agent inspect monitor; do
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -f "$f" ] || continue
		for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
			[ "$h" = config.h ] && continue
			n=$((n + 1))
			d=$(home "$h")
			if [ -z "$d" ]; then
				echo "$f: includes \"$h\", which no folder holds" >&2
				bad=$((bad + 1))
			elif ! allowed "$dir" "$d" "$h"; then
				echo "$f: includes $d/$h, which $dir/ may not" >&2
				bad=$((bad + 1))
			fi
		done
	done
done
if grep -l '#include <xenstore.h>\|#include <systemd/' probe/*.[ch] shared/*.[ch] protocol/*.[ch] inspect/*.[ch] 2>/dev/null; then
	echo "the libraries and the inspector link no xenstore and no libsystemd" >&2
	bad=$((bad + 1))
fi
[ "$n" -gt 100 ] || fail "only $n includes seen: is the tree there?"
[ "$bad" -eq 0 ] || fail "$bad includes break the layout rules"
echo "$n includes follow the layout rules"
