/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bootentry.h"
#include "rootfs.h"

/*
 * A grub.cfg read the way GRUB would run it on the next boot: statements are
 * executed (set, if/elif/else/fi, load_env, menuentry, submenu) with the
 * variables pvhgrub would have, and the menu tree is recorded.
 */
struct grub_cfg {
        struct boot_entry *menu;  /* top level: a submenu holding every entry */
        struct grub_env env;      /* variables after the script ran */
        bool uses_blscfg;
        bool serial;              /* serial terminal or 'serial' command */
        size_t n_entries;
};

struct grubcfg_io {
        int root_fd;              /* < 0: no file system (fuzzing, tests) */
        const char *config_dir;   /* "/boot/grub": $prefix and $config_directory */
        struct root_unreadable *unreadable; /* where a file load_env cannot read is noted; may be NULL */
};

int grubcfg_parse(const char *text, size_t len, const struct grubcfg_io *io, struct grub_cfg *ret);
void grubcfg_done(struct grub_cfg *cfg);

/*
 * Resolves a GRUB "default" value: an index, an id or a title, or a
 * "A>B" path through submenus. An unknown value falls back to entry 0, as
 * GRUB does (*ret_fallback is set then). NULL when the menu is empty.
 */
const struct boot_entry *grub_resolve_default(const struct boot_entry *menu, const char *def,
                                              bool *ret_fallback);

/* Maps a path as GRUB sees it ("(hd0,1)/vmlinuz", "/boot/vmlinuz") to a path in the root. */
char *grub_path_in_root(int root_fd, const char *path);
