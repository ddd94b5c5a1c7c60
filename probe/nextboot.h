/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bootentry.h"
#include "rootfs.h"

enum menu_source {
        MENU_NONE,
        MENU_GRUB,        /* grub.cfg with its own menu entries */
        MENU_GRUB_BLS,    /* grub.cfg that runs blscfg: entries from /boot/loader/entries */
        MENU_BLS,         /* BLS entries without a grub.cfg */
        MENU_LEGACY,      /* menu.lst / grub.conf of GRUB legacy */
};

/* What the boot loader will boot next, and how its menu looks to pvhgrub. */
struct next_boot {
        enum menu_source source;
        int error;                /* -errno when the menu could not be read */
        char *menu_file;
        bool has_grub_cfg;        /* /boot/grub/grub.cfg: the file pvhgrub reads */
        bool has_grub2_cfg;       /* /boot/grub2/grub.cfg */
        bool has_legacy;          /* /boot/grub/menu.lst or grub.conf */
        bool has_bls;             /* /boot/loader/entries holds entries */
        bool uses_blscfg;
        bool serial;              /* grub.cfg sets up a serial terminal */
        size_t n_entries;
        char *default_value;      /* GRUB's "default" after the script ran */
        bool default_fallback;    /* it matched nothing: entry 0 */
        char *title;
        char *loader;
        char *kernel;             /* as GRUB names it */
        char *kernel_path;        /* inside the root */
        char *args;
        char **initrd_paths;      /* inside the root */
        size_t n_initrd;
        struct root_unreadable unreadable; /* the menu's files (grubenv, entries) that could not be read */
};

int next_boot_find(int root_fd, struct next_boot *ret);
void next_boot_done(struct next_boot *nb);
const char *menu_source_name(enum menu_source s);
