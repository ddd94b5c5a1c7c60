/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "grubvars.h"
#include "kcache.h"
#include "kconfig.h"
#include "kimage.h"
#include "nextboot.h"

enum os_family {
        OS_OTHER,
        OS_DEBIAN,
        OS_UBUNTU,
        OS_RHEL,          /* RHEL, CentOS, Alma, Rocky, Oracle */
        OS_FEDORA,
        OS_SUSE,
        OS_ARCH,
        OS_NIXOS,
};

#define INITRD_NONE 2     /* the entry loads no initramfs */

/* Everything the checks judge, read from the system under the root. */
struct facts {
        char *guest_type;         /* NULL: /sys/hypervisor/guest_type is absent */
        char *running_release;
        char *arch;               /* of the running kernel */
        char *os_id, *os_id_like, *os_version_id, *os_name;
        enum os_family family;

        struct next_boot nb;
        int kernel_error;         /* reading the next-boot kernel: 0 or -errno */
        struct kimage_info img;   /* valid when kernel_error == 0 */
        char *next_release;
        struct kconfig kcfg;
        int builtin_blkfront;     /* modules.builtin lists it: 1, 0, or -1 unknown */
        int initrd_blkfront;      /* 1 found, 0 not found, INITRD_NONE, or -errno */
        char *initrd_scanned;

        bool has_default_grub;    /* /etc/default/grub exists: grub-mkconfig writes the menu */
        int default_grub_error;   /* 0, or why /etc/default/grub is there but could not be read */
        struct grubvars grub;     /* the settings it uses: /etc/default/grub (and grub.d/NAME.cfg) evaluated */
        char *grub_late_why;      /* NULL, or where to change the settings, as prepare's drop-in cannot */
        char *decompress_hook;    /* an /etc/kernel/postinst.d hook that unpacks kernels */
        struct root_unreadable unreadable; /* the files above that are there but could not be read */
};

int facts_gather(int root_fd, bool host_root, struct kcache *cache, struct facts *ret);
/*
 * Only what the running system says about itself (guest type, kernel
 * release and machine, os-release): cheap, no boot file or image is read.
 */
int facts_gather_running(int root_fd, bool host_root, struct facts *ret);
/*
 * xen-blkfront is a module the next-boot initramfs lacks, on a system whose
 * initramfs prepare can rebuild (initramfs-tools, a release name it can pass
 * to update-initramfs -k): the checker calls that fixable, prepare fixes it.
 */
bool facts_initramfs_fixable(const struct facts *f);
/*
 * Which of prepare's planners changes this system's boot configuration:
 * none (NixOS, GRUB legacy, or a family it does not know: only the manual
 * change), Debian's (a grub.d drop-in, update-grub) or Fedora's
 * (/etc/default/grub, grubby, grub2-mkconfig, the /boot/grub links). The
 * checker calls a failing check fixable only where that planner fixes it;
 * prepare picks its planner by the same answer.
 */
enum prepare_family {
        PREPARE_MANUAL,
        PREPARE_DEBIAN,
        PREPARE_FEDORA,
};
enum prepare_family facts_prepare_family(const struct facts *f);
/*
 * The name of the drop-in in /etc/default/grub.d/ where Debian's planner
 * writes the settings it changes. A file sourced after it that sets one of
 * them takes the last word: the checker calls those checks blocked, and
 * the planner refuses.
 */
#define PREPARE_DEBIAN_DROPIN "99-pvh-agent.cfg"
void facts_done(struct facts *f);
