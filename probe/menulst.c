/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "menulst.h"
#include "strv.h"
#include "util.h"

#define MENULST_ENTRIES_MAX 256

static int menulst_kernel(struct boot_entry *e, char *val)
{
        size_t plen = strcspn(val, " \t");
        char *args = val + plen;
        int r;

        args += strspn(args, " \t");
        if (*args)
                val[plen] = '\0';
        if ((r = free_and_strdup(&e->kernel, val)) < 0 || (r = free_and_strdup(&e->loader, "kernel")) < 0)
                return r;
        return free_and_strdup(&e->args, args);
}

static int menulst_line(struct boot_entry *menu, char *line, unsigned *def)
{
        struct boot_entry *e = menu->n_children ? menu->children[menu->n_children - 1] : NULL;
        char *key = line + strspn(line, " \t"), *val;
        size_t klen = strcspn(key, " \t=");

        if (!*key || *key == '#')
                return 0;
        val = key + klen;
        if (*val)
                *val++ = '\0';
        val += strspn(val, " \t=");
        if (streq(key, "default"))
                return safe_atou(val, def) < 0 ? (*def = 0, 0) : 0;
        if (streq(key, "title")) {
                if (menu->n_children >= MENULST_ENTRIES_MAX)
                        return -E2BIG;
                e = boot_entry_new();
                if (!e || !(e->title = strdup(val)) || boot_entry_add_child(menu, e) < 0) {
                        boot_entry_free(e);
                        return -ENOMEM;
                }
                return 0;
        }
        if (!e)
                return 0;
        if (streq(key, "kernel"))
                return menulst_kernel(e, val);
        if (streq(key, "initrd"))
                return strv_push_dup(&e->initrd, &e->n_initrd, val);
        return 0;
}

int menulst_parse(const char *text, size_t len, struct boot_entry **ret_menu, unsigned *ret_default)
{
        _cleanup_free_ char *copy = strndup(text, len);
        struct boot_entry *menu = boot_entry_new();
        unsigned def = 0;
        char *save = NULL;
        int r = 0;

        if (!copy || !menu) {
                boot_entry_free(menu);
                return -ENOMEM;
        }
        menu->submenu = true;
        for (char *l = strtok_r(copy, "\r\n", &save); l && r >= 0; l = strtok_r(NULL, "\r\n", &save))
                r = menulst_line(menu, l, &def);
        if (r < 0) {
                boot_entry_free(menu);
                return r;
        }
        *ret_menu = menu;
        *ret_default = def;
        return 0;
}
