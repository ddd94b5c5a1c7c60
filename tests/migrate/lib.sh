# Helpers of pvh-monitor migrate's tests; sourced after tests/lib.sh and
# tests/agent/lib.sh. Guests are real agents on root trees, booted and shut
# down by tests/migrate/xl, the stand-in toolstack, through xensim.
MONITOR=$top_builddir/pvh-monitor
XL=$top_srcdir/tests/migrate/xl
PVGRUB=/usr/lib/grub-xen/grub-x86_64-xen.bin
PVHGRUB=/usr/lib/grub-xen/grub-i386-xen_pvh.bin

require_migrate() {
	require_agent
	# The guests' agents run their commands through PVH_AGENT_COMMAND_DIR.
	require_fault_injection
	[ -x "$MONITOR" ] || skip "$MONITOR is not built"
	command -v jq >/dev/null || skip "jq is not installed"
	command -v setsid >/dev/null || skip "setsid is not installed"
}

# The agents run in their own sessions: stop them before the host.
mig_cleanup() {
	rc=$?
	# setsid made each agent a process group leader: its prepare worker goes with it.
	for _p in "$MIG_DIR"/*/pid "$MIG_DIR"/*/daemon; do
		[ -f "$_p" ] && kill -9 "-$(cat "$_p")" "$(cat "$_p")" 2>/dev/null
	done
	[ -f "$MIG_DIR/lingering" ] && kill -9 "$(cat "$MIG_DIR/lingering")" 2>/dev/null
	(exit $rc)
	test_cleanup
}

mig_setup() {
	test_tmpdir
	trap mig_cleanup EXIT
	H=$T/h
	sim_start "$H" >/dev/null
	MIG_DIR=$T/g
	mkdir -p "$MIG_DIR" "$T/etc"
	DB=$T/state.db
	export MIG_DIR MIG_HOST=$H MIG_XENSIM=$XENSIM MIG_AGENT=$AGENT MIG_PVHGRUB=$PVHGRUB
	GUESTS=
}

cfg_of() { echo "$T/etc/$1.cfg"; }

write_cfg() { # NAME
	cat >"$(cfg_of "$1")" <<EOC
# $1: a PV guest booting pvgrub
name = "$1"
type = "pv"
kernel = "$PVGRUB"
memory = 1024
vcpus = 2
disk = [ 'phy:/dev/vg0/$1,xvda,w' ]
vif = [ 'bridge=xenbr0' ]
EOC
	chmod 0640 "$(cfg_of "$1")"
}

# guest_add NAME CASE [BEHAVE]: a guest on tests/rootfs/CASE, booted PV.
guest_add() {
	mkdir -p "$MIG_DIR/$1"
	make_root "$2" "$MIG_DIR/$1/root"
	[ -z "${3:-}" ] || echo "$3" >"$MIG_DIR/$1/behave"
	write_cfg "$1"
	"$XL" create "$(cfg_of "$1")" || fail "boot $1"
	GUESTS="$GUESTS $1"
}

# Whether prepare can make tests/rootfs-prepare/debian-serial ready here: it
# needs the real grub-mkconfig (see tests/prepare/stub).
can_prepare() {
	[ "$(id -u)" = 0 ] && command -v grub-mkconfig >/dev/null && unshare -m true 2>/dev/null
}

# fixable_add NAME [BEHAVE]: a guest on tests/rootfs-prepare/debian-serial,
# fixable: prepare runs the stubs of tests/prepare/stub, the real grub-mkconfig
# among them, and makes it ready.
fixable_add() {
	_src=$top_srcdir/tests/rootfs-prepare/debian-serial
	_g=$MIG_DIR/$1
	mkdir -p "$_g/cmds"
	cp -a "$_src/root" "$_g/root" && chmod -R u+w "$_g/root" || fail "copy debian-serial"
	sh "$top_srcdir/tests/kernels/gen.sh" "$MKKERNEL" "$_src/generate" "$_g/root" || fail "gen.sh"
	for _c in update-grub grub-mkconfig grub2-mkconfig grubby update-initramfs; do
		ln -s "$top_srcdir/tests/prepare/stub" "$_g/cmds/$_c"
	done
	cp "$_src/generate" "$_g/cmds/generate"
	: >"$_g/cmds/log"
	: >"$_g/cmds/real-grub"
	PVH_AGENT_ROOT=$_g/root PVH_AGENT_COMMAND=update-grub "$_g/cmds/update-grub" >/dev/null 2>&1 ||
		fail "grub-mkconfig on the fresh tree of $1"
	: >"$_g/cmds/log"
	[ -z "${2:-}" ] || echo "$2" >"$_g/behave"
	write_cfg "$1"
	"$XL" create "$(cfg_of "$1")" || fail "boot $1"
	GUESTS="$GUESTS $1"
}

domid_of() { cat "$MIG_DIR/$1/domid"; }

# toolstack_running [NAME...]: a stand-in command of this test's (for one of
# the NAMEs, when given) still runs; its environment tells it from another
# test's, which may run at the same time with guests of the same names.
# TOOLSTACK_LEFT says which (its pid and command line).
toolstack_running() {
	_re=$(echo "$@" | sed 's/ /|/g')
	for _p in $(pgrep -f -- "$XL"); do
		tr '\0' '\n' 2>/dev/null <"/proc/$_p/environ" | grep -qxF "MIG_DIR=$MIG_DIR" || continue
		TOOLSTACK_LEFT="$_p: $(tr '\0' ' ' 2>/dev/null <"/proc/$_p/cmdline")"
		[ $# = 0 ] && return 0
		tr '\0' ' ' 2>/dev/null <"/proc/$_p/cmdline" | grep -qE "$T/etc/($_re)\\.cfg|-w ($_re) \$" && return 0
	done
	return 1
}

toolstack_done() { ! toolstack_running "$@"; }

# gkey NAME KEY: a published key of the guest now ("" when absent).
gkey() {
	[ -f "$MIG_DIR/$1/domid" ] || return 0
	state_key "$H" "$(domid_of "$1")" "$2"
}

has_gkey() { [ "$(gkey "$1" "$2")" = "$3" ]; }

# guests_up: every guest published a full state with a verdict.
guests_up() {
	for _n in $GUESTS; do
		wait_for 150 sh -c "env '$(sim_env "$H" 0)' '$PVH_STATE' $(domid_of "$_n") | grep -q '^verdict='" ||
			fail "$_n: no state; agent log: $(tail -n 5 "$MIG_DIR/$_n/agent.log")"
	done
}

# mig VERB ARGS...: pvh-monitor migrate VERB as dom0, on the test's database.
mig() {
	_v=$1
	shift
	as "$H" 0 "$MONITOR" migrate "$_v" --db "$DB" "$@"
}

# plan ARGS...: a plan with the stand-in toolstack and this test's paths.
plan() {
	mig plan --config "$T/etc/%n.cfg" --xl "$XL" --pvgrub "$PVGRUB" --pvhgrub "$PVHGRUB" \
		--toolstack-timeout 60 --request-timeout 120 "$@"
}

status_json() { mig status --json; }

# gstate NAME: the guest's state in the migration (from the database).
gstate() { status_json | jq -r --arg n "$1" '.guests[] | select(.name == $n) | .state'; }
greason() { status_json | jq -r --arg n "$1" '.guests[] | select(.name == $n) | .reason // ""'; }

cfg_type() { sed -n 's/^type = "\(.*\)"/\1/p' "$(cfg_of "$1")"; }

# creates NAME TYPE: how many times the toolstack created NAME as TYPE.
creates() { grep -c "^create $1 $2 [0-9]*\$" "$MIG_DIR/xl.log" || true; }

# guest_story NAME: what a failure message shows of a guest: its domain on
# the host and in the stand-in's files, its toolstack commands, the runs'
# events (those of run.jsonl) and the end of its agent's log.
guest_story() {
	echo "--- $1: domid file '$(cat "$MIG_DIR/$1/domid" 2>/dev/null)'," \
		"agent pid file '$(cat "$MIG_DIR/$1/pid" 2>/dev/null)'," \
		"shutting-down: $([ -f "$MIG_DIR/$1/shutting-down" ] && echo yes || echo no)"
	echo "--- domains on the host:"
	"$XENSIM" list "$H"
	echo "--- $1 in xl.log:"
	grep -w -- "$1" "$MIG_DIR/xl.log" | tail -n 12
	# The runs' --json output has each event's step and domain.
	if [ -f "$T/run.jsonl" ]; then
		echo "--- $1 in the runs' events:"
		jq -rc --arg n "$1" 'select(.guest == $n) | "\(.at) \(.domid) \(.step) \(.event) \(.detail // "")"' \
			"$T/run.jsonl" 2>/dev/null | tail -n 24
	fi
	echo "--- $1's agent log:"
	tail -n 6 "$MIG_DIR/$1/agent.log" 2>/dev/null
}

# expect_pvh NAME: switched, restarted once as PVH, running PVH.
expect_pvh() {
	[ "$(gstate "$1")" = done ] || fail "$1: state $(gstate "$1"), expected done: $(greason "$1")
$(guest_story "$1")"
	expect_eq "$1: config type" pvh "$(cfg_type "$1")"
	grep -q "^kernel = \"$PVHGRUB\"" "$(cfg_of "$1")" || fail "$1: kernel not pvhgrub: $(cat "$(cfg_of "$1")")"
	grep -q '^type = "pv"$' "$(cfg_of "$1").pv-backup" || fail "$1: no PV backup"
	expect_eq "$1: created as PVH" 1 "$(creates "$1" PVH)"
	expect_eq "$1: guest_type" PVH "$(gkey "$1" guest_type)"
}

# expect_pv NAME STATE: the PV configuration, the guest running PV.
expect_pv() {
	[ "$(gstate "$1")" = "$2" ] || fail "$1: state $(gstate "$1"), expected $2: $(greason "$1")
$(guest_story "$1")"
	expect_eq "$1: config type" pv "$(cfg_type "$1")"
	grep -q "^kernel = \"$PVGRUB\"" "$(cfg_of "$1")" || fail "$1: kernel not pvgrub"
	wait_for 100 has_gkey "$1" guest_type PV ||
		fail "$1: not running PV: '$(gkey "$1" guest_type)'; state $(gstate "$1"): $(greason "$1")
$(guest_story "$1")"
}

# gkey_raw NAME PATH: a node under the guest's home, as dom0 reads it ("" when absent).
gkey_raw() {
	as "$H" 0 xenstore-read "/local/domain/$(domid_of "$1")/$2" 2>/dev/null
}

# consistent WHAT NAME...: one domain at most per guest; a whole configuration.
consistent() {
	_what=$1
	shift
	for _g in "$@"; do
		_d=$("$XENSIM" list "$H" | awk -v n="$_g" '$3 == n' | wc -l)
		[ "$_d" -le 1 ] || fail "$_what: $_d domains named $_g: $("$XENSIM" list "$H")"
		_t=$(cfg_type "$_g")
		case $_t in
		pv) grep -qx "kernel = \"$PVGRUB\"" "$(cfg_of "$_g")" ;;
		pvh) grep -qx "kernel = \"$PVHGRUB\"" "$(cfg_of "$_g")" ;;
		*) false ;;
		esac || fail "$_what: $_g's configuration is half-written: $(cat "$(cfg_of "$_g")")"
		grep -qx "name = \"$_g\"" "$(cfg_of "$_g")" && grep -qx "vif = \[ 'bridge=xenbr0' \]" "$(cfg_of "$_g")" ||
			fail "$_what: $_g's configuration is cut short: $(cat "$(cfg_of "$_g")")"
	done
}

# serve_up: serve started (again) on the test's database, its log appended
# to $T/serve.log; $SERVE is its pid, $URL its metrics.
SERVES=0
serves_up() { [ "$(grep -c 'Serving metrics on' "$T/serve.log")" = "$SERVES" ]; }
serve_up() {
	SERVES=$((SERVES + 1))
	env "$(sim_env "$H" 0)" "$MONITOR" serve --db "$DB" --listen 127.0.0.1:0 2>>"$T/serve.log" &
	SERVE=$!
	track $SERVE
	wait_for 300 serves_up || fail "serve did not start: $(cat "$T/serve.log")"
	URL=$(sed -n 's|.*\(http://127.0.0.1:[0-9]*/metrics\).*|\1|p' "$T/serve.log" | tail -n 1)
}

# metric NAME{LABELS}: its value now.
metric() {
	curl -sf "$URL" | awk -v k="$1" '$1 == k { print $2 }'
}

gstate_is() { [ "$(gstate "$1")" = "$2" ]; }

# until_state NAME STATE: serve brings the guest there.
until_state() {
	wait_for 600 gstate_is "$1" "$2" ||
		fail "$1: state $(gstate "$1"), expected $2: $(greason "$1"); serve: $(tail -n 20 "$T/serve.log")"
}
