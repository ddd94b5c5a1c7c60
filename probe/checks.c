/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "cpio.h"
#include "exitcode.h"
#include "rootfs.h"
#include "strv.h"
#include "util.h"

typedef int (*check_fn)(const struct facts *f, struct check_result *r);

static int check_guest_type(const struct facts *f, struct check_result *r);
static int check_next_boot(const struct facts *f, struct check_result *r);
static int check_kernel_version(const struct facts *f, struct check_result *r);
static int check_kernel_pvh(const struct facts *f, struct check_result *r);
static int check_kernel_format(const struct facts *f, struct check_result *r);
static int check_blkfront(const struct facts *f, struct check_result *r);
static int check_root_device(const struct facts *f, struct check_result *r);
static int check_grub_menu(const struct facts *f, struct check_result *r);
static int check_console(const struct facts *f, struct check_result *r);
static int check_grub_terminal(const struct facts *f, struct check_result *r);
static int check_kernel_params(const struct facts *f, struct check_result *r);
static int check_pv_rollback(const struct facts *f, struct check_result *r);
static int check_arch(const struct facts *f, struct check_result *r);

/* The checks by protocol id (protocol/ names them); the enum's order is report order. */
static const check_fn check_table[_PROTO_CHECK_MAX] = {
        [PROTO_CHECK_GUEST_TYPE] = check_guest_type,
        [PROTO_CHECK_NEXT_BOOT] = check_next_boot,
        [PROTO_CHECK_KERNEL_VERSION] = check_kernel_version,
        [PROTO_CHECK_KERNEL_PVH] = check_kernel_pvh,
        [PROTO_CHECK_KERNEL_FORMAT] = check_kernel_format,
        [PROTO_CHECK_BLKFRONT] = check_blkfront,
        [PROTO_CHECK_ROOT_DEVICE] = check_root_device,
        [PROTO_CHECK_GRUB_MENU] = check_grub_menu,
        [PROTO_CHECK_CONSOLE] = check_console,
        [PROTO_CHECK_GRUB_TERMINAL] = check_grub_terminal,
        [PROTO_CHECK_KERNEL_PARAMS] = check_kernel_params,
        [PROTO_CHECK_PV_ROLLBACK] = check_pv_rollback,
        [PROTO_CHECK_ARCH] = check_arch,
};

const char *check_status_name(enum check_status s)
{
        switch (s) {
        case CHECK_PASS:
                return "pass";
        case CHECK_WARN:
                return "warn";
        case CHECK_FIXABLE:
                return "fixable";
        case CHECK_BLOCKED:
                return "blocked";
        case CHECK_UNKNOWN:
                return "unknown";
        case CHECK_SKIP:
                return "skip";
        }
        return "?";
}

enum proto_status check_status_to_proto(enum check_status s)
{
        switch (s) {
        case CHECK_PASS:
                return PROTO_STATUS_PASS;
        case CHECK_WARN:
        case CHECK_UNKNOWN:
                return PROTO_STATUS_WARN;
        case CHECK_FIXABLE:
        case CHECK_BLOCKED:
                return PROTO_STATUS_FAIL;
        case CHECK_SKIP:
                return PROTO_STATUS_SKIP;
        }
        return PROTO_STATUS_WARN;
}

int verdict_exit_status(enum proto_verdict v)
{
        switch (v) {
        case PROTO_VERDICT_READY:
                return EXIT_DONE;
        case PROTO_VERDICT_FIXABLE:
                return EXIT_FAILED;
        case PROTO_VERDICT_BLOCKED:
                return EXIT_BLOCKED;
        case PROTO_VERDICT_UNKNOWN:
        case _PROTO_VERDICT_MAX:
                break;
        }
        return EXIT_UNKNOWN;
}

_printf_(4, 5) static int set(struct check_result *r, enum check_status s, const char *fix, const char *fmt, ...)
{
        va_list ap;
        int n;

        r->status = s;
        va_start(ap, fmt);
        n = vasprintf(&r->reason, fmt, ap);
        va_end(ap);
        if (n < 0) {
                r->reason = NULL;
                return -ENOMEM;
        }
        if (fix && !(r->fix = strdup(fix)))
                return -ENOMEM;
        return 0;
}

static const char *or_unknown(const char *s)
{
        return s ? s : "(unknown)";
}

/* Where a command-line change goes, per distribution family. */
static const char *cmdline_howto(const struct facts *f)
{
        if (f->grub_late_why)
                return f->grub_late_why;
        if (f->family == OS_NIXOS)
                return "in boot.kernelParams of configuration.nix, then run nixos-rebuild boot";
        if (f->nb.source == MENU_LEGACY)
                return "after moving to GRUB 2 (menu.lst is not read by pvhgrub)";
        switch (f->family) {
        case OS_DEBIAN:
        case OS_UBUNTU:
                return "in GRUB_CMDLINE_LINUX (a drop-in in /etc/default/grub.d/), then run update-grub";
        case OS_RHEL:
        case OS_FEDORA:
                return "with grubby --update-kernel=ALL, and in GRUB_CMDLINE_LINUX, then grub2-mkconfig -o /boot/grub2/grub.cfg";
        case OS_SUSE:
                return "in GRUB_CMDLINE_LINUX of /etc/default/grub, then grub2-mkconfig -o /boot/grub2/grub.cfg";
        case OS_ARCH:
        case OS_OTHER:
        case OS_NIXOS:
                break;
        }
        return "in GRUB_CMDLINE_LINUX of /etc/default/grub, then grub-mkconfig -o /boot/grub/grub.cfg";
}

/*
 * Command-line and terminal changes are the agent's to make where prepare has
 * a planner for the family (Debian's and Fedora's), never elsewhere: fixable
 * promises that prepare fixes it.
 */
static enum check_status cmdline_status(const struct facts *f)
{
        /* A grub.d file after prepare's drop-in has the last word: prepare refuses. */
        if (f->grub_late_why)
                return CHECK_BLOCKED;
        return facts_prepare_family(f) == PREPARE_MANUAL ? CHECK_BLOCKED : CHECK_FIXABLE;
}

/* The /boot/grub menu pvhgrub reads: only Fedora's planner makes it (blscfg off, the links). */
static enum check_status menu_status(const struct facts *f)
{
        return facts_prepare_family(f) == PREPARE_FEDORA ? CHECK_FIXABLE : CHECK_BLOCKED;
}

static const char *kernel_howto(const struct facts *f)
{
        switch (f->family) {
        case OS_DEBIAN:
                return "install a kernel >= 4.20, or Debian's 4.19 (>= 4.19.9-1, stretch-backports on stretch), and make it GRUB's default";
        case OS_UBUNTU:
                return "install the HWE kernel (e.g. linux-generic-hwe-18.04) and make it GRUB's default";
        case OS_RHEL:
                return "install a kernel built with CONFIG_XEN_PVH=y (kernel-ml from ELRepo, or Oracle UEK 6 or later) and make it GRUB's default";
        case OS_NIXOS:
                return "use boot.kernelPackages = pkgs.linuxPackages_xen_dom0; then run nixos-rebuild boot";
        case OS_FEDORA:
        case OS_SUSE:
        case OS_ARCH:
        case OS_OTHER:
                break;
        }
        return "install a kernel >= 4.20 built with CONFIG_XEN_PVH=y and make it GRUB's default";
}

static int check_guest_type(const struct facts *f, struct check_result *r)
{
        if (!f->guest_type)
                return set(r, CHECK_PASS, NULL,
                           "no /sys/hypervisor/guest_type: a PV guest on a kernel older than 4.13");
        if (streq(f->guest_type, "PV"))
                return set(r, CHECK_PASS, NULL, "running as a PV guest");
        if (streq(f->guest_type, "PVH"))
                return set(r, CHECK_PASS, NULL, "already running as a PVH guest");
        return set(r, CHECK_WARN, NULL, "running as a '%s' guest, not PV", f->guest_type);
}

static int check_next_boot(const struct facts *f, struct check_result *r)
{
        const struct next_boot *nb = &f->nb;

        if (nb->error < 0)
                return set(r, CHECK_UNKNOWN, "make the boot menu readable", "could not read %s: %s",
                           or_unknown(nb->menu_file), root_strerror(nb->error));
        if (nb->source == MENU_NONE)
                return set(r, CHECK_UNKNOWN, "install GRUB 2 and generate /boot/grub/grub.cfg",
                           "no boot menu found (grub.cfg, BLS entries or menu.lst)");
        if (!nb->title)
                return set(r, CHECK_UNKNOWN, "check the boot menu", "%s has no entry to boot",
                           nb->menu_file);
        if (!nb->kernel)
                return set(r, CHECK_UNKNOWN, "make a Linux entry GRUB's default",
                           "the default entry '%s' boots no Linux kernel (%s)", nb->title, or_unknown(nb->loader));
        if (f->kernel_error == -ENOENT)
                return set(r, CHECK_BLOCKED, "install that kernel or regenerate the boot menu",
                           "the default entry '%s' boots %s, which does not exist", nb->title, nb->kernel_path);
        if (f->kernel_error < 0)
                return set(r, CHECK_UNKNOWN, "check that the kernel file is readable",
                           "could not read %s: %s", nb->kernel_path, root_strerror(f->kernel_error));
        if (nb->default_fallback)
                return set(r, CHECK_PASS, NULL, "default '%s' matches no entry; GRUB boots the first: '%s', %s",
                           nb->default_value, nb->title, nb->kernel_path);
        return set(r, CHECK_PASS, NULL, "the default entry '%s' boots %s", nb->title, nb->kernel_path);
}

/* Debian's 4.19 carries the backport of the RSDP handover from 4.19.9-1 on. */
static int debian_419_backport(const char *version)
{
        const char *p = version ? strstr(version, "Debian 4.19.") : NULL;
        unsigned patch, rev;

        if (!p || sscanf(p, "Debian 4.19.%u-%u", &patch, &rev) != 2)
                return -1;
        return patch > 9 || (patch == 9 && rev >= 1);
}

static int check_kernel_version(const struct facts *f, struct check_result *r)
{
        const char *rel = f->next_release;
        unsigned maj, min;
        int deb;

        if (!rel || sscanf(rel, "%u.%u", &maj, &min) != 2)
                return set(r, CHECK_UNKNOWN, "make sure GRUB's default entry boots a kernel that is installed",
                           "could not tell the next-boot kernel's version");
        if (maj > 4 || (maj == 4 && min >= 20))
                return set(r, CHECK_PASS, NULL, "next-boot kernel %s (running %s) is 4.20 or later", rel,
                           or_unknown(f->running_release));
        if (maj == 4 && min == 19) {
                deb = debian_419_backport(f->kernel_error == 0 ? f->img.version : NULL);
                if (deb > 0)
                        return set(r, CHECK_PASS, NULL, "next-boot kernel %s is Debian's 4.19 with the PVH backport",
                                   rel);
                if (deb < 0 && (f->family == OS_DEBIAN || strstr(rel, "4.19.0-")))
                        return set(r, CHECK_UNKNOWN, "check that the kernel package is 4.19.9-1 or later",
                                   "next-boot kernel %s is 4.19: ready only as Debian's 4.19.9-1 or later", rel);
        }
        return set(r, CHECK_BLOCKED, kernel_howto(f),
                   "next-boot kernel %s is older than 4.20: booting through GRUB under PVH needs 4.20", rel);
}

static const char *notes_error_text(int e)
{
        switch (e) {
        case -EDQUOT:
                return "reading it stopped at the probe's limit of " PROBE_BYTES_MAX_TEXT
                       " decompressed (kernel and initramfs together)";
        case -ETIME:
                return "reading it stopped at the probe's limit of " PROBE_CPU_SEC_MAX_TEXT " of CPU time";
        case -EPIPE:
                return "the image is truncated";
        case -EOPNOTSUPP:
                return "its format or compression is not supported";
        case -ENOEXEC:
                return "its payload is not an ELF image";
        default:
                return "the image is corrupt";
        }
}

/* The symbols PVH needs; *ret lists the missing ones. */
static void config_missing(const struct kconfig *k, char *buf, size_t sz)
{
        static const enum kconfig_sym need[] = { KCONF_XEN, KCONF_XEN_PVHVM, KCONF_XEN_PVH, KCONF_ACPI, KCONF_HVC_XEN };

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(need); i++)
                if (k->val[need[i]] != 'y')
                        snprintf(buf + strlen(buf), sz - strlen(buf), "%sCONFIG_%s", buf[0] ? ", " : "",
                                 kconfig_sym_name(need[i]));
}

static bool notes_pvh(const struct xen_notes *n)
{
        return n->phys32_entry && n->has_features && (n->features & (1u << XENFEAT_linux_rsdp_unrestricted));
}

static int pvh_from_notes(const struct facts *f, struct check_result *r)
{
        const struct xen_notes *n = &f->img.notes;

        if (notes_pvh(n))
                return set(r, CHECK_PASS, NULL,
                           "%s has a PVH entry point and XENFEAT_linux_rsdp_unrestricted (Xen features 0x%08x)",
                           f->nb.kernel_path, n->features);
        if (n->phys32_entry)
                return set(r, CHECK_BLOCKED, kernel_howto(f),
                           "%s has a PVH entry point but was built without CONFIG_XEN_PVH", f->nb.kernel_path);
        return set(r, CHECK_BLOCKED, kernel_howto(f), "%s has no PVH entry point (Xen ELF note 18)",
                   f->nb.kernel_path);
}

static int check_kernel_pvh(const struct facts *f, struct check_result *r)
{
        const struct kconfig *k = &f->kcfg;
        bool notes = f->kernel_error == 0 && (f->img.notes_error == 0 || f->img.notes_error == -ENODATA);
        char missing[160];

        if (k->path) {
                config_missing(k, missing, sizeof(missing));
                if (missing[0] && k->val[KCONF_PVH] == 'y' && k->val[KCONF_XEN_PVH] != 'y')
                        return set(r, CHECK_BLOCKED, kernel_howto(f),
                                   "%s has CONFIG_PVH=y but not CONFIG_XEN_PVH: no Xen platform, no xen-blkfront under PVH",
                                   k->path);
                if (missing[0])
                        return set(r, CHECK_BLOCKED, kernel_howto(f), "%s lacks %s", k->path, missing);
                if (!notes || notes_pvh(&f->img.notes))
                        return set(r, CHECK_PASS, NULL, "%s has CONFIG_XEN_PVH=y and the rest PVH needs", k->path);
        }
        if (notes)
                return pvh_from_notes(f, r);
        if (f->kernel_error < 0)
                return set(r, CHECK_UNKNOWN, "make sure GRUB's default entry boots a kernel that is installed",
                           "no next-boot kernel to look at, and no config file");
        return set(r, CHECK_UNKNOWN, "reinstall the kernel package", "no config file for %s, and %s",
                   or_unknown(f->next_release), notes_error_text(f->img.notes_error));
}

static int check_kernel_format(const struct facts *f, struct check_result *r)
{
        char fix[320];

        if (f->kernel_error < 0)
                return set(r, CHECK_UNKNOWN, NULL, "no next-boot kernel to look at");
        snprintf(fix, sizeof(fix), "reinstall the kernel package to get its bzImage back%s%s",
                 f->decompress_hook ? ", and remove " : "", f->decompress_hook ? f->decompress_hook : "");
        if (f->img.format == KFORMAT_ELF)
                return set(r, CHECK_BLOCKED, fix,
                           "%s is a decompressed kernel (raw ELF): pvhgrub boots only a bzImage", f->nb.kernel_path);
        if (f->img.format != KFORMAT_BZIMAGE)
                return set(r, CHECK_UNKNOWN, "reinstall the kernel package",
                           "%s is neither a bzImage nor an ELF image", f->nb.kernel_path);
        if (f->img.notes_error == -EPIPE)
                return set(r, CHECK_UNKNOWN, "reinstall the kernel package", "%s is a truncated bzImage",
                           f->nb.kernel_path);
        if (f->decompress_hook) {
                snprintf(fix, sizeof(fix), "remove %s", f->decompress_hook);
                return set(r, CHECK_WARN, fix, "%s is a bzImage, but %s would decompress the next kernel installed",
                           f->nb.kernel_path, f->decompress_hook);
        }
        return set(r, CHECK_PASS, NULL, "%s is a bzImage (boot protocol %u.%02u)", f->nb.kernel_path,
                   f->img.protocol >> 8, f->img.protocol & 0xff);
}

static const char *initramfs_howto(const struct facts *f)
{
        switch (f->family) {
        case OS_DEBIAN:
        case OS_UBUNTU:
                return "add xen-blkfront to /etc/initramfs-tools/modules, then run update-initramfs -u";
        case OS_RHEL:
        case OS_FEDORA:
        case OS_SUSE:
                return "add add_drivers+=\" xen-blkfront \" to a file in /etc/dracut.conf.d/, then run dracut -f";
        case OS_ARCH:
                return "add xen-blkfront to MODULES in /etc/mkinitcpio.conf, then run mkinitcpio -P";
        case OS_NIXOS:
                return "add \"xen-blkfront\" to boot.initrd.availableKernelModules, then run nixos-rebuild boot";
        case OS_OTHER:
                break;
        }
        return "add xen-blkfront to the initramfs and regenerate it";
}

/*
 * A module missing from the initramfs is the agent's to fix where prepare
 * knows the initramfs tool: initramfs-tools (prepare lists the module in
 * /etc/initramfs-tools/modules and runs update-initramfs for that release).
 * Elsewhere (dracut, mkinitcpio) it needs a human.
 */
static int check_blkfront(const struct facts *f, struct check_result *r)
{
        char v = f->kcfg.val[KCONF_XEN_BLKDEV_FRONTEND];

        if (v == 'y' || f->builtin_blkfront == 1)
                return set(r, CHECK_PASS, NULL, "xen-blkfront is built into the kernel");
        if (f->kcfg.path && !v)
                return set(r, CHECK_BLOCKED, kernel_howto(f), "%s has no CONFIG_XEN_BLKDEV_FRONTEND",
                           f->kcfg.path);
        if (f->initrd_blkfront == 1)
                return set(r, CHECK_PASS, NULL, "xen-blkfront is in %s", f->initrd_scanned);
        if (f->initrd_blkfront == 0)
                return set(r, facts_initramfs_fixable(f)                    ? CHECK_FIXABLE
                           : v == 'm' || f->builtin_blkfront == 0 ? CHECK_BLOCKED
                                                                  : CHECK_UNKNOWN,
                           initramfs_howto(f), "xen-blkfront is not in %s", f->initrd_scanned);
        if (f->initrd_blkfront == INITRD_NONE && (v == 'm' || f->builtin_blkfront == 0))
                return set(r, CHECK_BLOCKED, initramfs_howto(f),
                           "xen-blkfront is a module and the default entry loads no initramfs");
        if (f->initrd_blkfront == -EDQUOT || f->initrd_blkfront == -ETIME)
                return set(r, CHECK_UNKNOWN, "regenerate the initramfs", "could not read %s: %s",
                           f->initrd_scanned, notes_error_text(f->initrd_blkfront));
        if (f->initrd_blkfront == -E2BIG)
                return set(r, CHECK_UNKNOWN, "regenerate the initramfs",
                           "could not read %s: it holds more than %d archives", f->initrd_scanned,
                           INITRAMFS_SEGMENTS_MAX);
        if (f->initrd_blkfront < 0)
                return set(r, CHECK_UNKNOWN, "regenerate the initramfs", "could not read %s: %s",
                           f->initrd_scanned, root_strerror(f->initrd_blkfront));
        return set(r, CHECK_UNKNOWN, NULL, "could not tell whether xen-blkfront is built in (no config file)");
}

static int check_root_device(const struct facts *f, struct check_result *r)
{
        char root[256];

        if (!f->nb.args)
                return set(r, CHECK_SKIP, NULL, "no kernel command line");
        if (!cmdline_last_value(f->nb.args, "root", root, sizeof(root)))
                return set(r, CHECK_PASS, NULL, "no root= (the initramfs finds the root file system)");
        if (startswith(root, "/dev/sd") || startswith(root, "/dev/hd"))
                return set(r, CHECK_WARN, "name the root file system by UUID= or LABEL=",
                           "root=%s: disks stay /dev/xvdX under PVH", root);
        return set(r, CHECK_PASS, NULL, "root=%s", root);
}

static int check_grub_menu(const struct facts *f, struct check_result *r)
{
        const struct next_boot *nb = &f->nb;

        if (nb->uses_blscfg)
                return set(r, menu_status(f),
                           nb->has_grub_cfg ? "set GRUB_ENABLE_BLSCFG=false, then grub2-mkconfig"
                                            : "set GRUB_ENABLE_BLSCFG=false, grub2-mkconfig, and link /boot/grub/grub.cfg to ../grub2/grub.cfg",
                           "%s relies on blscfg, which Xen builds of GRUB lack", nb->menu_file);
        if (nb->has_grub_cfg)
                return set(r, CHECK_PASS, NULL, "/boot/grub/grub.cfg holds the menu entries");
        if (nb->has_grub2_cfg)
                return set(r, menu_status(f), "make /boot/grub/grub.cfg a link to ../grub2/grub.cfg",
                           "only /boot/grub2/grub.cfg exists; pvhgrub reads /boot/grub/grub.cfg");
        if (nb->has_bls)
                return set(r, menu_status(f), "generate /boot/grub/grub.cfg with GRUB_ENABLE_BLSCFG=false",
                           "only BLS entries, no grub.cfg for pvhgrub to read");
        if (nb->has_legacy)
                return set(r, CHECK_BLOCKED, "install GRUB 2 and generate /boot/grub/grub.cfg",
                           "only %s (GRUB legacy) exists; pvhgrub reads only GRUB 2's grub.cfg", nb->menu_file);
        return set(r, CHECK_BLOCKED, "install GRUB 2 and generate /boot/grub/grub.cfg", "no GRUB menu");
}

/* ---- the settings the next grub-mkconfig uses ---- */

static const char *const cmdline_vars[] = { "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT" };
static const char *const terminal_vars[] = { "GRUB_TERMINAL", "GRUB_TERMINAL_INPUT", "GRUB_TERMINAL_OUTPUT",
                                             "GRUB_SERIAL_COMMAND" };

/* A setting as grub-mkconfig will see it; NULL when unset or when there is no /etc/default/grub. */
static const struct grubvar *setting(const struct facts *f, const char *name)
{
        return f->has_default_grub ? grubvars_get(&f->grub, name) : NULL;
}

/* Where the first of the settings that the evaluator could not follow is set; NULL when none. */
static const char *settings_unknown(const struct facts *f, const char *const *names, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const struct grubvar *g = setting(f, names[i]);

                if (g && !g->value)
                        return g->where;
        }
        return NULL;
}

static int set_unknown_settings(struct check_result *r, const char *where)
{
        return set(r, CHECK_UNKNOWN, "write the GRUB settings there as plain assignments",
                   "the GRUB settings at %s use shell code the agent does not evaluate: "
                   "the next grub-mkconfig's command line and terminal are unknown", where);
}

static int set_unreadable_settings(const struct facts *f, struct check_result *r)
{
        return set(r, CHECK_UNKNOWN, "make /etc/default/grub a readable file",
                   "could not read /etc/default/grub: %s: the next grub-mkconfig's command line and terminal "
                   "are unknown", root_strerror(f->default_grub_error));
}

/*
 * The last console= of the command line the next grub-mkconfig writes for
 * the default entry (GRUB_CMDLINE_LINUX, then _DEFAULT): 1 and what is wrong
 * with it in buf, or 0 when it is console=hvc0 (or nothing is generated).
 */
static int settings_console(const struct facts *f, char *buf, size_t sz)
{
        const struct grubvar *g;
        char last[128];

        if (!f->has_default_grub)
                return 0;
        for (size_t i = ELEMENTSOF(cmdline_vars); i-- > 0;) {
                g = setting(f, cmdline_vars[i]);
                if (!g || !g->value || !cmdline_last_value(g->value, "console", last, sizeof(last)))
                        continue;
                if (streq(last, "hvc0"))
                        return 0;
                snprintf(buf, sz, "the last console= of %s (set at %s) is '%s'", cmdline_vars[i], g->where, last);
                return 1;
        }
        g = setting(f, "GRUB_CMDLINE_LINUX");
        if (g)
                snprintf(buf, sz, "GRUB_CMDLINE_LINUX (set at %s) has no console=", g->where);
        else
                snprintf(buf, sz, "no console= in GRUB_CMDLINE_LINUX or _DEFAULT (/etc/default/grub)");
        return 1;
}

/* Whether the menu's command line ends with console=hvc0: 0, or 1 and the reason in buf. */
static int menu_console(const struct facts *f, char *buf, size_t sz)
{
        char last[128];

        if (!cmdline_last_value(f->nb.args, "console", last, sizeof(last))) {
                snprintf(buf, sz, "no console= on the command line: under PVH the kernel does not choose hvc0 itself");
                return 1;
        }
        if (streq(last, "hvc0"))
                return 0;
        snprintf(buf, sz, "the last console= is '%s'; under PVH only hvc0 reaches the Xen console", last);
        return 1;
}

static int check_console(const struct facts *f, struct check_result *r)
{
        char menu[256], next[320], fix[512];
        const char *unknown = settings_unknown(f, cmdline_vars, ELEMENTSOF(cmdline_vars));
        int m, n;

        if (!f->nb.args)
                return set(r, CHECK_UNKNOWN, NULL, "no kernel command line to look at");
        if (f->default_grub_error < 0)
                return set_unreadable_settings(f, r);
        if (unknown)
                return set_unknown_settings(r, unknown);
        snprintf(fix, sizeof(fix), "add console=hvc0 as the last console= %s", cmdline_howto(f));
        m = menu_console(f, menu, sizeof(menu));
        n = settings_console(f, next, sizeof(next));
        if (m && n)
                return set(r, cmdline_status(f), fix, "%s; and the next grub-mkconfig keeps it: %s", menu, next);
        if (m)
                return set(r, cmdline_status(f), fix, "%s", menu);
        if (n)
                return set(r, cmdline_status(f), fix,
                           "console=hvc0 is last in %s, but the next grub-mkconfig drops it: %s", f->nb.menu_file, next);
        if (cmdline_has_word(f->nb.args, "earlyprintk=xen")) {
                snprintf(fix, sizeof(fix), "drop earlyprintk=xen %s", cmdline_howto(f));
                return set(r, CHECK_WARN, fix, "console=hvc0 is last, but earlyprintk=xen prints nothing under PVH");
        }
        return set(r, CHECK_PASS, NULL, "console=hvc0 is the last console=");
}

/* What in a setting makes the next grub-mkconfig set up a serial terminal: 1 and the reason in buf, or 0. */
static int settings_terminal(const struct facts *f, char *buf, size_t sz)
{
        const struct grubvar *serial;

        for (size_t i = 0; i < ELEMENTSOF(terminal_vars) - 1; i++) {
                const struct grubvar *g = setting(f, terminal_vars[i]);

                if (g && g->value && strstr(g->value, "serial")) {
                        snprintf(buf, sz, "%s is '%s' (set at %s)", terminal_vars[i], g->value, g->where);
                        return 1;
                }
        }
        serial = setting(f, "GRUB_SERIAL_COMMAND");
        if (!serial || !serial->value || !serial->value[0])
                return 0;
        snprintf(buf, sz, "GRUB_SERIAL_COMMAND is set (at %s)", serial->where);
        return 1;
}

static int check_grub_terminal(const struct facts *f, struct check_result *r)
{
        const char *fix = f->family == OS_NIXOS ? "drop the serial terminal from boot.loader.grub.extraConfig, then nixos-rebuild boot"
                                                : "set GRUB_TERMINAL=console, drop GRUB_SERIAL_COMMAND, regenerate grub.cfg";
        const char *unknown = settings_unknown(f, terminal_vars, ELEMENTSOF(terminal_vars));
        char next[320];
        int n;

        if (f->default_grub_error < 0)
                return set_unreadable_settings(f, r);
        if (unknown)
                return set_unknown_settings(r, unknown);
        n = settings_terminal(f, next, sizeof(next));
        if (n && f->nb.serial)
                return set(r, cmdline_status(f), fix,
                           "%s sets up a serial terminal, and the next grub-mkconfig keeps it: %s; Xen builds of GRUB have no serial terminal",
                           f->nb.menu_file, next);
        if (f->nb.serial)
                return set(r, cmdline_status(f), fix,
                           "%s sets up a serial terminal, which Xen builds of GRUB lack", f->nb.menu_file);
        if (n)
                return set(r, cmdline_status(f), fix,
                           "%s: the next grub-mkconfig sets up a serial terminal, which Xen builds of GRUB lack", next);
        return set(r, CHECK_PASS, NULL, "GRUB uses its console terminal");
}

static const char *const bad_params[] = { "nopv", "xen_nopv", "acpi=off" };

/* The words of bad_params on a command line, appended to found (once each). */
static void find_bad(const char *args, char *found, size_t sz)
{
        for (size_t i = 0; args && i < ELEMENTSOF(bad_params); i++)
                if (cmdline_has_word(args, bad_params[i]) && !cmdline_has_word(found, bad_params[i]))
                        snprintf(found + strlen(found), sz - strlen(found), "%s%s", found[0] ? " " : "",
                                 bad_params[i]);
}

/* The settings that put them on the next generated command line: 1 and the reason in buf, or 0. */
static int settings_params(const struct facts *f, char *all, size_t allsz, char *buf, size_t sz)
{
        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(cmdline_vars); i++) {
                const struct grubvar *g = setting(f, cmdline_vars[i]);
                char found[64] = "";

                find_bad(g ? g->value : NULL, found, sizeof(found));
                if (!found[0])
                        continue;
                find_bad(found, all, allsz);
                snprintf(buf + strlen(buf), sz - strlen(buf), "%s'%s' from %s (set at %s)", buf[0] ? ", " : "", found,
                         cmdline_vars[i], g->where);
        }
        return buf[0] != '\0';
}

static int check_kernel_params(const struct facts *f, struct check_result *r)
{
        const char *unknown = settings_unknown(f, cmdline_vars, ELEMENTSOF(cmdline_vars));
        char found[64] = "", all[64], next[320], fix[512];
        int n;

        if (!f->nb.args)
                return set(r, CHECK_UNKNOWN, NULL, "no kernel command line to look at");
        if (f->default_grub_error < 0)
                return set_unreadable_settings(f, r);
        if (unknown)
                return set_unknown_settings(r, unknown);
        find_bad(f->nb.args, found, sizeof(found));
        snprintf(all, sizeof(all), "%s", found);
        n = settings_params(f, all, sizeof(all), next, sizeof(next));
        if (!found[0] && !n)
                return set(r, CHECK_PASS, NULL, "no nopv, xen_nopv or acpi=off");
        snprintf(fix, sizeof(fix), "remove %s %s", all, cmdline_howto(f));
        if (found[0] && n)
                return set(r, cmdline_status(f), fix,
                           "'%s' on the command line, and the next grub-mkconfig keeps it: %s; nopv panics under PVH, acpi=off hides the PVH platform",
                           found, next);
        if (found[0])
                return set(r, cmdline_status(f), fix,
                           "'%s' on the command line: nopv panics under PVH, acpi=off hides the PVH platform", found);
        return set(r, cmdline_status(f), fix,
                   "the command line is clean, but the next grub-mkconfig adds %s: nopv panics under PVH, acpi=off hides the PVH platform",
                   next);
}

static int check_pv_rollback(const struct facts *f, struct check_result *r)
{
        const char *name = kcomp_name(f->img.comp);

        if (f->kernel_error < 0 || f->img.format == KFORMAT_UNKNOWN)
                return set(r, CHECK_SKIP, NULL, "no next-boot kernel image to look at");
        switch (f->img.comp) {
        case KCOMP_LZ4:
        case KCOMP_BZIP2:
        case KCOMP_LZMA:
                return set(r, CHECK_WARN, "keep a gzip or xz kernel entry before any switch back to PV",
                           "%s is %s-compressed: pvgrub2 cannot load it, so a switch back to PV would not boot",
                           f->nb.kernel_path, name);
        case KCOMP_ZSTD:
                return set(r, CHECK_WARN, "keep a gzip or xz kernel entry before any switch back to PV",
                           "%s is zstd-compressed: pvgrub2 before GRUB 2.14 cannot load it, so a switch back to PV would not boot",
                           f->nb.kernel_path);
        case KCOMP_NONE:
        case KCOMP_GZIP:
        case KCOMP_XZ:
        case KCOMP_LZO:
                return set(r, CHECK_PASS, NULL, "pvgrub2 can load this %s kernel: a switch back to PV still boots",
                           f->img.comp == KCOMP_NONE ? "uncompressed" : name);
        case KCOMP_UNKNOWN:
                break;
        }
        return set(r, CHECK_SKIP, NULL, "unknown compression");
}

/* 64, 32 (with *pae: 1, 0, -1 unknown), or 0 unknown; config first, then the image, then the running kernel. */
static int kernel_bits(const struct facts *f, int *pae)
{
        const char *rel = f->next_release ? f->next_release : f->running_release;

        *pae = rel && (strstr(rel, "pae") || strstr(rel, "PAE")) ? 1 : -1;
        if (f->kcfg.path) {
                *pae = f->kcfg.val[KCONF_X86_PAE] == 'y';
                return f->kcfg.val[KCONF_X86_64] == 'y' ? 64 : 32;
        }
        if (f->kernel_error == 0 && f->img.notes_error == 0)
                return f->img.notes.elf64 ? 64 : 32;
        if (f->arch && (streq(f->arch, "x86_64") || streq(f->arch, "amd64")))
                return 64;
        if (f->arch && f->arch[0] == 'i' && strstr(f->arch, "86"))
                return 32;
        return 0;
}

static int check_arch(const struct facts *f, struct check_result *r)
{
        int pae, bits = kernel_bits(f, &pae);

        if (bits == 64)
                return set(r, CHECK_PASS, NULL, "64-bit (x86_64) kernel");
        if (bits == 0)
                return set(r, CHECK_UNKNOWN, NULL, "could not tell the kernel's architecture");
        if (pae == 0)
                return set(r, CHECK_BLOCKED, "install a PAE kernel (Debian: linux-image-686-pae) or move to 64-bit",
                           "32-bit kernel without PAE: no Xen support");
        return set(r, CHECK_WARN, "plan a move to 64-bit",
                   "32-bit%s kernel: PVH works with PAE, but Linux 5.9 and later no longer boot as 32-bit PV guests",
                   pae > 0 ? " PAE" : "");
}

int checks_run(const struct facts *f, struct check_result results[static _PROTO_CHECK_MAX])
{
        for (size_t i = 0; i < _PROTO_CHECK_MAX; i++)
                results[i] = (struct check_result){ .id = (enum proto_check)i };
        for (size_t i = 0; i < _PROTO_CHECK_MAX; i++) {
                int r = check_table[i](f, &results[i]);

                if (r < 0) {
                        checks_done(results);
                        return r;
                }
        }
        return 0;
}

void checks_done(struct check_result results[static _PROTO_CHECK_MAX])
{
        for (size_t i = 0; i < _PROTO_CHECK_MAX; i++) {
                free(results[i].reason);
                free(results[i].fix);
                results[i].reason = results[i].fix = NULL;
        }
}

/* Blocked beats unknown beats fixable: a known blocker settles it. */
enum proto_verdict checks_verdict(const struct check_result *results, size_t n)
{
        bool blocked = false, unknown = false, fixable = false;

        for (size_t i = 0; i < n; i++) {
                blocked = blocked || results[i].status == CHECK_BLOCKED;
                unknown = unknown || results[i].status == CHECK_UNKNOWN;
                fixable = fixable || results[i].status == CHECK_FIXABLE;
        }
        if (blocked)
                return PROTO_VERDICT_BLOCKED;
        if (unknown)
                return PROTO_VERDICT_UNKNOWN;
        return fixable ? PROTO_VERDICT_FIXABLE : PROTO_VERDICT_READY;
}
