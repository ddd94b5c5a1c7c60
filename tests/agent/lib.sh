# Helpers for the agent daemon's tests; sourced after tests/lib.sh.
AGENT=$top_builddir/pvh-agent
PVH_STATE=$top_builddir/tests/agent/pvh-state
MKKERNEL=$top_builddir/tests/kernels/mkkernel

require_agent() {
	require_sim
	[ -x "$AGENT" ] || skip "$AGENT is not built"
	[ -x "$PVH_STATE" ] || skip "$PVH_STATE is not built (make check builds it)"
	for tool in xz zstd cpio; do
		command -v "$tool" >/dev/null || skip "$tool is missing (scripts/deps installs it)"
	done
}

# make_root CASE DEST: a copy of tests/rootfs/CASE/root with its kernels and
# initramfs images generated, and a boot id of its own (the agent reads
# everything through --root, /proc included).
make_root() {
	cp -a "$top_srcdir/tests/rootfs/$1/root" "$2" || fail "copy of $1"
	chmod -R u+w "$2"
	mkdir -p "$2/proc/sys/kernel/random"
	cat /proc/sys/kernel/random/uuid >"$2/proc/sys/kernel/random/boot_id"
	if [ -f "$top_srcdir/tests/rootfs/$1/generate" ]; then
		sh "$top_srcdir/tests/kernels/gen.sh" "$MKKERNEL" "$top_srcdir/tests/rootfs/$1/generate" "$2" ||
			fail "generating the images of $1"
	fi
}

# start_agent HOST DOMID ROOT [ARGS...]: the agent as guest DOMID, in the
# foreground (-f) and tracked; AGENT_PID is its pid, its log $T/agent-DOMID.log.
start_agent() {
	_h=$1 _d=$2 _r=$3
	shift 3
	env "$(sim_env "$_h" "$_d")" "$AGENT" daemon -f -v --root "$_r" --state-dir "$T/state-$_d" "$@" \
		>>"$T/agent-$_d.log" 2>&1 &
	AGENT_PID=$!
	track "$AGENT_PID"
}

# state HOST DOMID [--answers]: the validated published state, KEY=VALUE lines.
state() {
	env "$(sim_env "$1" 0)" "$PVH_STATE" "$2" ${3:-}
}

# state_key HOST DOMID KEY: one value ("" when absent or invalid).
state_key() {
	state "$1" "$2" --answers 2>/dev/null | sed -n "s|^$3=||p"
}

# has_state HOST DOMID KEY VALUE: true once KEY=VALUE is published.
has_state() {
	[ "$(state_key "$1" "$2" "$3")" = "$4" ]
}

# wait_state HOST DOMID KEY VALUE: waits (bounded) until KEY=VALUE is published.
wait_state() {
	wait_for 100 has_state "$@" ||
		fail "domain $2: $3 is '$(state_key "$1" "$2" "$3")', expected '$4'; agent log: $(tail -n 20 "$T/agent-$2.log")"
}

# install_pv_kernel ROOT: Debian's 6.1.0-99 without PVH support (a copy of
# ROOT's 6.1.0-47 otherwise) becomes the default of ROOT's GRUB menu. As a
# package manager does: files first, then the menu, each by rename.
install_pv_kernel() {
	_stage=$T/stage
	mkdir -p "$_stage/boot"
	printf 'kernel boot/vmlinuz-6.1.0-99-amd64 xz pv 64 6.1.0-99-amd64 (debian-kernel@lists.debian.org) #1 SMP Debian 6.1.999-1\n' >"$T/spec"
	sh "$top_srcdir/tests/kernels/gen.sh" "$MKKERNEL" "$T/spec" "$_stage" || fail "generate the new kernel"
	sed 's/^CONFIG_XEN_PVH=y/# CONFIG_XEN_PVH is not set/' "$1/boot/config-6.1.0-47-amd64" \
		>"$_stage/boot/config-6.1.0-99-amd64"
	sed 's/6\.1\.0-47-amd64/6.1.0-99-amd64/g' "$1/boot/grub/grub.cfg" >"$_stage/grub.cfg"
	cp "$1/boot/initrd.img-6.1.0-47-amd64" "$_stage/boot/initrd.img-6.1.0-99-amd64"
	mv "$_stage/boot/"* "$1/boot/"
	mv "$_stage/grub.cfg" "$1/boot/grub/grub.cfg"
}
