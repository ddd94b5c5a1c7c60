#!/bin/sh
# pvh-monitor migrate through libvirt and XAPI, on a simulated host with real
# agents: stand-ins for virsh and xe (tests/migrate/virsh, tests/migrate/xe)
# check the driver's arguments and boot the guests through the xl stand-in.
# libvirt: the persistent definition is switched to xenpvh with pvhgrub, the
# PV original kept (0600, secrets and all), every definition validated by
# the real virt-xml-validate; a guest that fails is defined back from it,
# byte for byte. XAPI: the VM's domain-type goes to pvh and back. Guests that
# cannot be switched (pygrub under libvirt, a kernel of dom0's under XAPI,
# two VMs of one name) are skipped with the reason.
set -u
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/agent/lib.sh"
. "$top_srcdir/tests/migrate/lib.sh"
require_migrate
command -v curl >/dev/null || skip "curl is not installed"
command -v virt-xml-validate >/dev/null || skip "virt-xml-validate is not installed (libvirt-clients)"
mig_setup
VIRSH=$top_srcdir/tests/migrate/virsh
XE=$top_srcdir/tests/migrate/xe
export MIG_XL=$XL

# lv_add NAME CASE LOADER [BEHAVE]: a libvirt guest on tests/rootfs/CASE, its
# PV definition booting LOADER (<kernel>, or pygrub as <bootloader>).
lv_add() {
	mkdir -p "$MIG_DIR/$1"
	make_root "$2" "$MIG_DIR/$1/root"
	[ -z "${4:-}" ] || echo "$4" >"$MIG_DIR/$1/behave"
	if [ "$3" = pygrub ]; then
		boot="  <bootloader>/usr/lib/xen-4.17/bin/pygrub</bootloader>
  <os>
    <type arch='x86_64' machine='xenpv'>linux</type>
  </os>"
	else
		boot="  <os>
    <type arch='x86_64' machine='xenpv'>linux</type>
    <kernel>$3</kernel>
  </os>"
	fi
	cat >"$MIG_DIR/$1/domain.xml" <<EOX
<domain type='xen'>
  <name>$1</name>
  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu placement='static'>2</vcpu>
$boot
  <clock offset='utc' adjustment='reset'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='block' device='disk'>
      <driver name='phy'/>
      <source dev='/dev/vg0/$1'/>
      <target dev='xvda' bus='xen'/>
    </disk>
    <interface type='bridge'>
      <mac address='00:16:3e:4a:5b:6c'/>
      <source bridge='xenbr0'/>
      <script path='vif-bridge'/>
    </interface>
    <console type='pty'>
      <target type='xen' port='0'/>
    </console>
    <graphics type='vnc' port='-1' autoport='yes' passwd='s3cret-of-$1'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
  </devices>
</domain>
EOX
	virt-xml-validate "$MIG_DIR/$1/domain.xml" domain >/dev/null 2>&1 || fail "$1: the test's XML is not valid"
	cp "$MIG_DIR/$1/domain.xml" "$MIG_DIR/$1/original.xml"
	[ "$3" = pygrub ] && { "$XL" create "$(lv_pygrub_cfg "$1")" || fail "boot $1"; } ||
		{ "$VIRSH" -c xen:///system start "$1" >/dev/null || fail "boot $1"; }
	GUESTS="$GUESTS $1"
}

# The stand-in boots <kernel> only: a pygrub guest is booted from an xl file as PV.
lv_pygrub_cfg() {
	printf 'name = "%s"\ntype = "pv"\nkernel = "%s"\nmemory = 1024\n' "$1" "$PVGRUB" >"$T/$1-pygrub.cfg"
	echo "$T/$1-pygrub.cfg"
}

# xa_add NAME CASE LOADER [BEHAVE] [LABEL] [no-vm-path]: a XAPI VM (domain-type pv,
# PV-bootloader LOADER), its domain's vm path /vm/UUID unless no-vm-path.
xa_add() {
	mkdir -p "$MIG_DIR/$1/xapi"
	make_root "$2" "$MIG_DIR/$1/root"
	[ -z "${4:-}" ] || echo "$4" >"$MIG_DIR/$1/behave"
	cat /proc/sys/kernel/random/uuid >"$MIG_DIR/$1/xapi/uuid"
	echo "${5:-$1}" >"$MIG_DIR/$1/xapi/name-label"
	echo pv >"$MIG_DIR/$1/xapi/domain-type"
	echo "$3" >"$MIG_DIR/$1/xapi/PV-bootloader"
	[ -z "${6:-}" ] || : >"$MIG_DIR/$1/xapi/no-vm-path"
	"$XE" vm-start "uuid=$(cat "$MIG_DIR/$1/xapi/uuid")" || fail "boot $1"
	GUESTS="$GUESTS $1"
}

lv_add lv-ready debian12-bookworm "$PVGRUB"
lv_add lv-staypv ubuntu2204 "$PVGRUB" stay-pv
lv_add lv-pygrub debian12-bookworm pygrub
lv_add lv-direct debian12-bookworm /boot/vmlinuz-6.1.0-13-amd64
xa_add xa-ready debian12-bookworm pygrub
xa_add xa-staypv ubuntu2204 pygrub stay-pv
xa_add xa-direct debian12-bookworm ""
# Found by name: two VMs have the label xa-dup, none xa-dup2.
xa_add xa-dup debian12-bookworm pygrub "" "" no-vm-path
xa_add xa-dup2 debian12-bookworm pygrub "" xa-dup no-vm-path
# Found by the UUID of its domain, though another VM has its label.
xa_add xa-label debian12-bookworm pygrub "" xa-ready
# Another running domain has its name.
xa_add xa-twin debian12-bookworm pygrub
"$XENSIM" create "$H" 90 xa-twin >/dev/null || fail "a second domain named xa-twin"
guests_up

echo "# what only xl can do is refused for the others"
mig plan --toolstack libvirt --agentless lv-ready >"$T/out" 2>&1 && fail "libvirt --agentless planned"
grep -q 'needs --toolstack xl' "$T/out" || fail "no reason: $(cat "$T/out")"
mig plan --toolstack xapi --at-next-reboot xa-ready >"$T/out" 2>&1 && fail "xapi --at-next-reboot planned"
grep -q 'needs --toolstack xl or libvirt' "$T/out" || fail "no reason: $(cat "$T/out")"
mig plan --toolstack hyperv lv-ready >"$T/out" 2>&1 && fail "an unknown toolstack planned"
grep -q "Unknown toolstack 'hyperv'" "$T/out" || fail "no reason: $(cat "$T/out")"
[ ! -e "$DB" ] || expect_eq "nothing planned" 0 "$(sqlite3 "$DB" 'SELECT count(*) FROM migrations' 2>/dev/null || echo 0)"

echo "# libvirt: the toolstack from the settings file, the plan skips what cannot be switched"
cat >"$T/migrate.conf" <<EOC
toolstack = libvirt
toolstack-program = $VIRSH
libvirt-uri = xen:///system
EOC
mig plan --settings "$T/migrate.conf" --config "$T/lv/%n.xml" --pvgrub "$PVGRUB" --pvhgrub "$PVHGRUB" \
	--toolstack-timeout 60 --boot-timeout 60 --max-failures 5 lv-ready lv-staypv lv-pygrub lv-direct xa-direct \
	>"$T/plan.txt" 2>&1 || fail "plan: $(cat "$T/plan.txt")"
# A domain libvirt does not know: virsh's own words in the reason.
expect_eq "xa-direct under libvirt" \
	"$VIRSH dumpxml: exit status 1: error: failed to get domain 'xa-direct'" "$(greason xa-direct)"
expect_eq "toolstack" "libvirt $VIRSH xen:///system" \
	"$(status_json | jq -r '"\(.toolstack) \(.xl) \(.libvirt_uri)"')"
expect_eq "lv-pygrub skipped" skipped "$(gstate lv-pygrub)"
greason lv-pygrub | grep -q '<bootloader>/usr/lib/xen-4.17/bin/pygrub</bootloader>: dom0 runs' ||
	fail "lv-pygrub: $(greason lv-pygrub)"
greason lv-direct | grep -q '^direct kernel boot: <kernel>/boot/vmlinuz' || fail "lv-direct: $(greason lv-direct)"
grep -q '^-c xen:///system dumpxml --inactive --security-info lv-ready$' "$MIG_DIR/virsh.log" ||
	fail "plan did not read the persistent definition: $(cat "$MIG_DIR/virsh.log")"
grep -q '^-c xen:///system define' "$MIG_DIR/virsh.log" && fail "plan defined something"

mig run --dry-run >"$T/dry.txt" || fail "dry run"
grep -q "run: $VIRSH -c xen:///system define $T/lv/lv-ready.xml" "$T/dry.txt" || fail "dry run: $(cat "$T/dry.txt")"
grep -q "run: $VIRSH -c xen:///system shutdown lv-ready (timeout 60 s), then wait until the domain is gone" \
	"$T/dry.txt" || fail "dry run: no shutdown: $(cat "$T/dry.txt")"
grep -q "run: $VIRSH -c xen:///system start lv-ready" "$T/dry.txt" || fail "dry run: no start"

echo "# libvirt: run"
rc=0
mig run >"$T/run.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "run exit status $rc, expected 2 (partial): $(cat "$T/run.txt")"
expect_eq "lv-ready" done "$(gstate lv-ready)"
expect_eq "lv-ready: guest_type" PVH "$(gkey lv-ready guest_type)"
x=$MIG_DIR/lv-ready/domain.xml
grep -q "<type arch='x86_64' machine='xenpvh'>xenpvh</type>" "$x" || fail "lv-ready: not xenpvh: $(cat "$x")"
grep -q "<kernel>$PVHGRUB</kernel>" "$x" || fail "lv-ready: not pvhgrub"
virt-xml-validate "$x" domain >/dev/null 2>&1 || fail "lv-ready: the PVH definition is not valid"
cmp -s "$MIG_DIR/lv-ready/original.xml" "$T/lv/lv-ready.xml.pv-backup" || fail "lv-ready: the backup is not the original"
grep -q "passwd='s3cret-of-lv-ready'" "$x" || fail "lv-ready: the definition lost its secret"
expect_eq "the backup's mode" 600 "$(stat -c %a "$T/lv/lv-ready.xml.pv-backup")"
expect_eq "the directory's mode" 700 "$(stat -c %a "$T/lv")"
# Only the <type> and <kernel> lines differ.
expect_eq "lines changed" 2 "$(diff "$MIG_DIR/lv-ready/original.xml" "$x" | grep -c '^>')"
expect_eq "lv-ready created as PVH" 1 "$(creates lv-ready PVH)"
expect_eq "lv-staypv" failed "$(gstate lv-staypv)"
greason lv-staypv | grep -q 'a new boot came up with guest_type PV, expected PVH' || fail "lv-staypv: $(greason lv-staypv)"
cmp -s "$MIG_DIR/lv-staypv/original.xml" "$MIG_DIR/lv-staypv/domain.xml" ||
	fail "lv-staypv: its definition is not the original again: $(diff "$MIG_DIR/lv-staypv/original.xml" "$MIG_DIR/lv-staypv/domain.xml")"
wait_for 100 has_gkey lv-staypv guest_type PV || fail "lv-staypv: not running PV"
expect_eq "lv-staypv: PV, PVH, PV" 2 "$(creates lv-staypv PV)"
for n in lv-pygrub lv-direct; do
	cmp -s "$MIG_DIR/$n/original.xml" "$MIG_DIR/$n/domain.xml" || fail "$n: its definition changed"
	expect_eq "$n: never restarted" 0 "$(grep -c "^shutdown $n " "$MIG_DIR/xl.log")"
done
expect_eq "the virsh commands of lv-ready" \
	"start lv-ready|dumpxml --inactive --security-info lv-ready|define $T/lv/lv-ready.xml|shutdown lv-ready|start lv-ready" \
	"$(sed -n 's/^-c xen:\/\/\/system //p' "$MIG_DIR/virsh.log" | grep -E '[ /]lv-ready(\.xml)?$' | grep -v domstate |
		uniq | tr '\n' '|' | sed 's/|$//')"
echo "ok: libvirt"

echo "# XAPI: the plan, then the run"
mig plan --toolstack xapi --toolstack-program "$XE" --toolstack-timeout 60 --boot-timeout 60 --max-failures 5 \
	xa-ready xa-staypv xa-direct xa-dup xa-dup2 xa-label xa-twin >"$T/plan2.txt" 2>&1 ||
	fail "plan: $(cat "$T/plan2.txt")"
expect_eq "toolstack" "xapi $XE null" "$(status_json | jq -r '"\(.toolstack) \(.xl) \(.libvirt_uri)"')"
greason xa-direct | grep -q 'XAPI boots xa-direct a kernel of dom0.s (PV-kernel): its PVH boot reads' ||
	fail "xa-direct: $(greason xa-direct)"
greason xa-dup | grep -q '^XAPI has more than one VM named xa-dup' || fail "xa-dup: $(greason xa-dup)"
greason xa-dup2 | grep -q '^XAPI has no VM named xa-dup2' || fail "xa-dup2: $(greason xa-dup2)"
expect_eq "xa-twin" "2 running domains are named xa-twin: migrate tells guests by name; rename them apart" \
	"$(greason xa-twin)"
expect_eq "xa-twin planned once" 1 "$(status_json | jq '[.guests[] | select(.name == "xa-twin")] | length')"
u=$(cat "$MIG_DIR/xa-ready/xapi/uuid")
mig run --dry-run >"$T/dry2.txt" || fail "dry run"
grep -q "run: $XE vm-param-set uuid=$u domain-type=pvh" "$T/dry2.txt" ||
	fail "dry run: $(cat "$T/dry2.txt")"
grep -q "run: $XE vm-shutdown uuid=$u (timeout 60 s)" "$T/dry2.txt" ||
	fail "dry run: no shutdown: $(cat "$T/dry2.txt")"
rc=0
mig run >"$T/run2.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "run exit status $rc, expected 2 (partial): $(cat "$T/run2.txt")"
expect_eq "xa-ready" done "$(gstate xa-ready)"
expect_eq "xa-ready: domain-type" pvh "$(cat "$MIG_DIR/xa-ready/xapi/domain-type")"
expect_eq "xa-ready: guest_type" PVH "$(gkey xa-ready guest_type)"
expect_eq "the xe commands of xa-ready" \
	"vm-param-set uuid=$u domain-type=pvh|vm-shutdown uuid=$u|vm-start uuid=$u" \
	"$(grep -E "^vm-(param-set|shutdown|start) uuid=$u" "$MIG_DIR/xe.log" | tail -n 3 | tr '\n' '|' | sed 's/|$//')"
expect_eq "xa-staypv" failed "$(gstate xa-staypv)"
expect_eq "xa-staypv: domain-type back" pv "$(cat "$MIG_DIR/xa-staypv/xapi/domain-type")"
wait_for 100 has_gkey xa-staypv guest_type PV || fail "xa-staypv: not running PV"
expect_eq "xa-label" done "$(gstate xa-label)"
expect_eq "xa-label: domain-type" pvh "$(cat "$MIG_DIR/xa-label/xapi/domain-type")"
for n in xa-direct xa-dup xa-dup2 xa-twin; do
	expect_eq "$n: untouched" pv "$(cat "$MIG_DIR/$n/xapi/domain-type")"
done
grep -q 'vm-list name-label=xa-ready ' "$MIG_DIR/xe.log" && fail "xa-ready looked up by name, its UUID known"
grep -q 'vm-list name-label=xa-dup params=uuid --minimal' "$MIG_DIR/xe.log" || fail "no lookup by name"
mig status >"$T/status.txt" || fail "status"
grep -q '2 done, 1 failed, 4 skipped' "$T/status.txt" || fail "status: $(head -n 3 "$T/status.txt")"
grep -qx "toolstack: xapi, $XE" "$T/status.txt" || fail "status: no toolstack line: $(head -n 4 "$T/status.txt")"
mig status --id 1 | grep -qx "toolstack: libvirt, $VIRSH -c xen:///system" || fail "status: no libvirt line"
echo "ok: XAPI"

echo "# libvirt at the next reboot: the definition arms the guest, its own reboot switches it"
GUESTS=
lv_add lv-arm debian12-bookworm "$PVGRUB"
lv_add lv-armbad debian11-bullseye "$PVGRUB" no-agent
guests_up
arm_domid=$(domid_of lv-arm)
mig plan --settings "$T/migrate.conf" --config "$T/lv/%n.xml" --pvgrub "$PVGRUB" --pvhgrub "$PVHGRUB" \
	--toolstack-timeout 60 --boot-timeout 10 --canary 2 --at-next-reboot lv-arm lv-armbad \
	>"$T/plan3.txt" 2>&1 || fail "plan: $(cat "$T/plan3.txt")"
mig run --dry-run >"$T/dry3.txt" || fail "dry run"
grep -q 'armed: libvirt boots the new definition at the guest.s next reboot' "$T/dry3.txt" ||
	fail "dry run: $(cat "$T/dry3.txt")"
before=$(wc -l <"$MIG_DIR/virsh.log")
mig run >"$T/run3.txt" 2>&1 || fail "run: $(cat "$T/run3.txt")"
expect_eq "migration armed" armed "$(status_json | jq -r .state)"
for n in lv-arm lv-armbad; do
	expect_eq "$n: armed" armed "$(gstate "$n")"
	grep -q "<type arch='x86_64' machine='xenpvh'>xenpvh</type>" "$MIG_DIR/$n/domain.xml" ||
		fail "$n: not defined PVH"
	expect_eq "$n: still PV" PV "$(gkey "$n" guest_type)"
done
expect_eq "lv-arm: the same domain" "$arm_domid" "$(domid_of lv-arm)"
tail -n "+$((before + 1))" "$MIG_DIR/virsh.log" | grep -qE 'system (shutdown|start) lv-arm' &&
	fail "run restarted a guest: $(cat "$MIG_DIR/virsh.log")"
serve_up
"$VIRSH" -c xen:///system _reboot lv-arm || fail "reboot lv-arm"
until_state lv-arm done
wait_for 100 has_gkey lv-arm guest_type PVH || fail "lv-arm: not PVH"
"$VIRSH" -c xen:///system _reboot lv-armbad || fail "reboot lv-armbad"
until_state lv-armbad failed
greason lv-armbad | grep -q 'not booted as PVH after 10 s: no agent' || fail "lv-armbad: $(greason lv-armbad)"
cmp -s "$MIG_DIR/lv-armbad/original.xml" "$MIG_DIR/lv-armbad/domain.xml" || fail "lv-armbad: not defined back as PV"
wait_for 100 has_gkey lv-armbad guest_type PV || fail "lv-armbad: not running PV again"
expect_eq "migration" partial "$(status_json | jq -r .state)"
kill "$SERVE"
wait "$SERVE" || fail "serve did not exit cleanly"
echo "ok: libvirt at the next reboot"
echo "PASS"
