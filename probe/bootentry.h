/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A boot menu entry from grub.cfg, a BLS snippet or menu.lst. */
struct boot_entry {
        char *title;
        char *id;
        char *version;            /* BLS "version" */
        bool submenu;
        struct boot_entry **children;
        size_t n_children;
        char *loader;             /* linux, linux16, multiboot, chainloader, ... */
        char *kernel;             /* path as grub sees it */
        char *args;               /* kernel command line */
        char **initrd;
        size_t n_initrd;
};

struct boot_entry *boot_entry_new(void);
void boot_entry_free(struct boot_entry *e);
int boot_entry_add_child(struct boot_entry *parent, struct boot_entry *child);

/* A key=value environment (grubenv, grub variables). */
struct grub_env {
        char **keys;
        char **vals;
        size_t n;
};

const char *grub_env_get(const struct grub_env *env, const char *key);
int grub_env_set(struct grub_env *env, const char *key, const char *val);
void grub_env_unset(struct grub_env *env, const char *key);
void grub_env_done(struct grub_env *env);
/* Parses a GRUB environment block ("# GRUB Environment Block", key=value lines, '#' padding). */
int grub_env_parse(struct grub_env *env, const char *text, size_t len);
