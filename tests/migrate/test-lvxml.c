/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table-driven tests of libvirt's domain XML switch (monitor/lvxml.c). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lvxml.h"
#include "macro.h"
#include "util.h"

static const struct xlcfg_paths P = { "/usr/lib/grub-xen/grub-x86_64-xen.bin\n/usr/lib/grub-xen/grub-i386-xen.bin",
                                      "/usr/lib/grub-xen/grub-i386-xen_pvh.bin\n/usr/lib/grub-xen/grub-i386-xen_pvh.bin" };
#define HEAD "<domain type='xen'>\n  <name>g</name>\n  <memory unit='KiB'>524288</memory>\n"
#define TAIL "  <devices>\n    <graphics type='vnc' passwd='a&amp;b'/>\n  </devices>\n</domain>\n"
#define PV64 "/usr/lib/grub-xen/grub-x86_64-xen.bin"
#define PV32 "/usr/lib/grub-xen/grub-i386-xen.bin"
#define PVH "/usr/lib/grub-xen/grub-i386-xen_pvh.bin"

static const struct {
        const char *name, *in;
        int inspect;          /* lvxml_inspect's return */
        enum xlcfg_type type;
        const char *reason;   /* the start of the reason; NULL: none */
        const char *out;      /* lvxml_to_pvh's text; NULL: it refuses */
} cases[] = {
        { "64-bit pvgrub",
          HEAD "  <os>\n    <type arch='x86_64' machine='xenpv'>linux</type>\n    <kernel>" PV64 "</kernel>\n"
               "    <cmdline>console=hvc0</cmdline>\n  </os>\n" TAIL,
          0, XLCFG_PV, NULL,
          HEAD "  <os>\n    <type arch='x86_64' machine='xenpvh'>xenpvh</type>\n    <kernel>" PVH "</kernel>\n"
               "    <cmdline>console=hvc0</cmdline>\n  </os>\n" TAIL },
        { "32-bit pvgrub, type xen, no machine, comments and a declaration kept",
          "<?xml version='1.0'?>\n<!-- by hand <os> -->\n" HEAD "  <os>\n    <type arch=\"i686\">xen</type>\n"
          "    <!-- <kernel>x</kernel> -->\n    <kernel>" PV32 "</kernel>\n  </os>\n" TAIL,
          0, XLCFG_PV, NULL,
          "<?xml version='1.0'?>\n<!-- by hand <os> -->\n" HEAD "  <os>\n    <type arch='i686' machine='xenpvh'>xenpvh</type>\n"
          "    <!-- <kernel>x</kernel> -->\n    <kernel>" PVH "</kernel>\n  </os>\n" TAIL },
        { "no arch", HEAD "<os><type>linux</type><kernel>" PV64 "</kernel></os>" TAIL, 0, XLCFG_PV, NULL,
          HEAD "<os><type machine='xenpvh'>xenpvh</type><kernel>" PVH "</kernel></os>" TAIL },
        { "pygrub", HEAD "  <bootloader>/usr/bin/pygrub</bootloader>\n  <os><type>linux</type></os>\n" TAIL, 0,
          XLCFG_PV, "<bootloader>/usr/bin/pygrub</bootloader>: dom0 runs", NULL },
        { "pygrub, empty element", HEAD "  <bootloader/>\n  <os><type>linux</type></os>\n" TAIL, 0, XLCFG_PV,
          "<bootloader></bootloader>: dom0 runs", NULL },
        { "direct kernel boot", HEAD "<os><type>linux</type><kernel>/boot/vmlinuz</kernel></os>" TAIL, 0, XLCFG_PV,
          "direct kernel boot: <kernel>/boot/vmlinuz</kernel>", NULL },
        { "a grub not in the table", HEAD "<os><type>linux</type><kernel>/opt/grub-x.bin</kernel></os>" TAIL, 0,
          XLCFG_PV, "<kernel>/opt/grub-x.bin</kernel> is not a PV boot loader of the table (" PV64 " " PV32 ")",
          NULL },
        { "no kernel", HEAD "<os><type>linux</type></os>" TAIL, 0, XLCFG_PV, "no <kernel> in <os>", NULL },
        { "pvh already", HEAD "<os><type arch='x86_64' machine='xenpvh'>xenpvh</type><kernel>" PVH "</kernel></os>" TAIL,
          0, XLCFG_PVH, "the definition is PVH already", NULL },
        { "hvm", HEAD "<os><type arch='x86_64' machine='xenfv'>hvm</type><loader>/usr/lib/xen/boot/hvmloader</loader></os>" TAIL,
          0, XLCFG_HVM, "the definition is HVM", NULL },
        { "a KVM domain", "<domain type='kvm'><os><type>hvm</type></os></domain>", 0, XLCFG_UNKNOWN,
          "<domain type='kvm'>: not a domain of libvirt's Xen driver", NULL },
        { "an arch libvirt's Xen driver does not run", HEAD "<os><type arch='aarch64'>linux</type><kernel>" PV64
          "</kernel></os>" TAIL, 0, XLCFG_UNKNOWN, "the definition's <os> is not understood", NULL },
        { "two <os>", HEAD "<os><type>linux</type><kernel>" PV64 "</kernel></os><os/>" TAIL, 0, XLCFG_UNKNOWN,
          "the definition's <os>", NULL },
        { "an entity in the kernel", HEAD "<os><type>linux</type><kernel>/usr/lib/grub-xen/grub&amp;.bin</kernel></os>" TAIL,
          -EBADMSG, 0, NULL, NULL },
        { "a DOCTYPE", "<!DOCTYPE d [<!ENTITY x 'y'>]>" HEAD "<os><type>linux</type></os>" TAIL, -EBADMSG, 0, NULL,
          NULL },
        { "CDATA", HEAD "<os><type>linux</type><kernel><![CDATA[" PV64 "]]></kernel></os>" TAIL, -EBADMSG, 0, NULL,
          NULL },
        { "tags that do not nest", HEAD "<os><type>linux</os></type>" TAIL, -EBADMSG, 0, NULL, NULL },
        { "an element inside <kernel>", HEAD "<os><type>linux</type><kernel><b/>" PV64 "</kernel></os>" TAIL, -EBADMSG,
          0, NULL, NULL },
        { "not closed", HEAD "<os><type>linux</type>", -EBADMSG, 0, NULL, NULL },
        { "two roots", "<domain type='xen'/><domain type='xen'/>", -EBADMSG, 0, NULL, NULL },
        { "an unquoted attribute", "<domain type=xen><os><type>linux</type></os></domain>", -EBADMSG, 0, NULL, NULL },
        { "not a domain", "<network><name>n</name></network>", -EBADMSG, 0, NULL, NULL },
        { "empty", "", -EBADMSG, 0, NULL, NULL },
};

static void test_cases(void)
{
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *reason = NULL, *out = NULL;
                enum xlcfg_type t = XLCFG_UNKNOWN;
                int r = lvxml_inspect(cases[i].in, &P, &t, &reason), q;

                CHECK(r == cases[i].inspect, "%s: inspect returned %d, expected %d", cases[i].name, r,
                      cases[i].inspect);
                if (r < 0)
                        continue;
                CHECK(t == cases[i].type, "%s: type %s", cases[i].name, xlcfg_type_to_string(t));
                if (cases[i].reason)
                        CHECK(reason && startswith(reason, cases[i].reason), "%s: reason '%s'", cases[i].name,
                              reason ? reason : "(none)");
                else
                        CHECK(!reason, "%s: unexpected reason '%s'", cases[i].name, reason);
                q = lvxml_to_pvh(cases[i].in, &P, &out);
                if (cases[i].out)
                        CHECK(q == 0 && out && streq(out, cases[i].out), "%s: to_pvh %d:\n%s", cases[i].name, q,
                              out ? out : "(none)");
                else
                        CHECK(q < 0, "%s: to_pvh switched what it cannot", cases[i].name);
        }
}

static void test_name(void)
{
        _cleanup_free_ char *n = NULL;

        CHECK(lvxml_name(cases[0].in, &n) == 0 && n && streq(n, "g"), "name '%s'", n ? n : "(none)");
        CHECK(lvxml_name("<domain type='xen'><os/></domain>", &n) == -ENOENT, "a definition without a name");
}

int main(void)
{
        test_cases();
        test_name();
        return check_exit("test-lvxml");
}
