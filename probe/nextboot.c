/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bls.h"
#include "grubcfg.h"
#include "menulst.h"
#include "nextboot.h"
#include "rootfs.h"
#include "strv.h"
#include "util.h"

#define MENU_FILE_MAX (4u << 20)
#define GRUBENV_MAX (64u << 10)

const char *menu_source_name(enum menu_source s)
{
        switch (s) {
        case MENU_NONE:
                return "none";
        case MENU_GRUB:
                return "grub.cfg";
        case MENU_GRUB_BLS:
                return "grub.cfg+bls";
        case MENU_BLS:
                return "bls";
        case MENU_LEGACY:
                return "menu.lst";
        }
        return "?";
}

/* BLS initrd lines may name variables ("$tuned_initrd") that expand to several paths or none. */
static int add_initrd(int root_fd, struct next_boot *nb, const char *path, const struct grub_env *env)
{
        _cleanup_free_ char *expanded = env ? bls_expand(path, env) : strdup(path);
        char *save = NULL;

        if (!expanded)
                return -ENOMEM;
        for (char *w = strtok_r(expanded, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                int r = strv_push(&nb->initrd_paths, &nb->n_initrd, grub_path_in_root(root_fd, w));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Copies the chosen entry into nb, with paths mapped into the root. */
static int take_entry(int root_fd, struct next_boot *nb, const struct boot_entry *e, const struct grub_env *env)
{
        int r;

        if ((r = free_and_strdup(&nb->title, e->title)) < 0 || (r = free_and_strdup(&nb->loader, e->loader)) < 0 ||
            (r = free_and_strdup(&nb->kernel, e->kernel)) < 0)
                return r;
        free(nb->args);
        nb->args = e->args ? (env ? bls_expand(e->args, env) : strdup(e->args)) : NULL;
        if (e->args && !nb->args)
                return -ENOMEM;
        if (nb->args) {
                size_t n = strlen(nb->args);
                while (n > 0 && (nb->args[n - 1] == ' ' || nb->args[n - 1] == '\t'))
                        nb->args[--n] = '\0';
        }
        if (e->kernel) {
                nb->kernel_path = grub_path_in_root(root_fd, e->kernel);
                if (!nb->kernel_path)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < e->n_initrd; i++) {
                r = add_initrd(root_fd, nb, e->initrd[i], env);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int choose(int root_fd, struct next_boot *nb, const struct boot_entry *menu, const char *def,
                  const struct grub_env *env)
{
        const struct boot_entry *e;
        int r;

        if ((r = free_and_strdup(&nb->default_value, def ? def : "0")) < 0)
                return r;
        e = grub_resolve_default(menu, nb->default_value, &nb->default_fallback);
        return e ? take_entry(root_fd, nb, e, env) : 0;
}

/* The default of a BLS menu: saved_entry (an entry id), else the first entry. */
static int use_bls(int root_fd, struct next_boot *nb, const char *def, const struct grub_env *env)
{
        struct boot_entry *menu = NULL;
        int r = bls_load(root_fd, &nb->unreadable, &menu);

        if (r < 0)
                return r == -ENOENT ? 0 : r;
        nb->n_entries = menu->n_children;
        r = choose(root_fd, nb, menu, def, env);
        boot_entry_free(menu);
        return r;
}

static int use_grub(int root_fd, struct next_boot *nb, const char *file, const char *dir)
{
        _cleanup_free_ char *text = NULL;
        struct grubcfg_io io = { .root_fd = root_fd, .config_dir = dir, .unreadable = &nb->unreadable };
        struct grub_cfg cfg;
        size_t len;
        int r;

        r = root_read_file(root_fd, file, MENU_FILE_MAX, &text, &len);
        if (r < 0 && root_unreadable_add(&nb->unreadable, file, r) < 0)
                return -ENOMEM;
        if (r >= 0)
                r = grubcfg_parse(text, len, &io, &cfg);
        if (r < 0)
                return r;
        nb->source = cfg.uses_blscfg ? MENU_GRUB_BLS : MENU_GRUB;
        nb->uses_blscfg = cfg.uses_blscfg;
        nb->serial = cfg.serial;
        nb->n_entries = cfg.n_entries;
        if (cfg.uses_blscfg)
                r = use_bls(root_fd, nb, grub_env_get(&cfg.env, "default"), &cfg.env);
        else
                r = choose(root_fd, nb, cfg.menu, grub_env_get(&cfg.env, "default"), NULL);
        grubcfg_done(&cfg);
        return r;
}

static int use_bls_alone(int root_fd, struct next_boot *nb)
{
        static const char *const envs[] = { "/boot/grub2/grubenv", "/boot/grub/grubenv" };
        struct grub_env env = {};
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(envs) && env.n == 0; i++) {
                _cleanup_free_ char *text = NULL;
                size_t len;

                int k = root_read_file(root_fd, envs[i], GRUBENV_MAX, &text, &len);

                if (k >= 0)
                        r = grub_env_parse(&env, text, len);
                else if (root_unreadable_add(&nb->unreadable, envs[i], k) < 0)
                        r = -ENOMEM;
        }
        nb->source = MENU_BLS;
        if (r >= 0)
                r = use_bls(root_fd, nb, grub_env_get(&env, "saved_entry"), &env);
        grub_env_done(&env);
        return r;
}

static int use_legacy(int root_fd, struct next_boot *nb, const char *file)
{
        _cleanup_free_ char *text = NULL, *def = NULL;
        struct boot_entry *menu;
        unsigned idx;
        size_t len;
        int r;

        r = root_read_file(root_fd, file, MENU_FILE_MAX, &text, &len);
        if (r < 0 && root_unreadable_add(&nb->unreadable, file, r) < 0)
                return -ENOMEM;
        if (r >= 0)
                r = menulst_parse(text, len, &menu, &idx);
        if (r < 0)
                return r;
        nb->source = MENU_LEGACY;
        nb->n_entries = menu->n_children;
        def = strdup_printf("%u", idx);
        r = def ? choose(root_fd, nb, menu, def, NULL) : -ENOMEM;
        boot_entry_free(menu);
        return r;
}

static bool has_bls_entries(int root_fd)
{
        _cleanup_strv_ char **names = NULL;
        size_t n = 0;

        return root_list_dir(root_fd, "/boot/loader/entries", &names, &n) >= 0 && n > 0;
}

/*
 * A menu file is there when its name resolves, whatever it is: one that is
 * not a regular file is then reported unreadable, not taken for absent.
 */
static bool has_menu(int root_fd, const char *path)
{
        struct stat st;

        return root_stat(root_fd, path, &st) >= 0 && !S_ISDIR(st.st_mode);
}

static const char *legacy_file(int root_fd)
{
        if (has_menu(root_fd, "/boot/grub/menu.lst"))
                return "/boot/grub/menu.lst";
        if (has_menu(root_fd, "/boot/grub/grub.conf"))
                return "/boot/grub/grub.conf";
        return NULL;
}

static int find_menu(int root_fd, struct next_boot *nb)
{
        const char *legacy = legacy_file(root_fd);

        nb->has_grub_cfg = has_menu(root_fd, "/boot/grub/grub.cfg");
        nb->has_grub2_cfg = has_menu(root_fd, "/boot/grub2/grub.cfg");
        nb->has_legacy = legacy != NULL;
        nb->has_bls = has_bls_entries(root_fd);
        if (nb->has_grub_cfg) {
                nb->menu_file = strdup("/boot/grub/grub.cfg");
                return nb->menu_file ? use_grub(root_fd, nb, "/boot/grub/grub.cfg", "/boot/grub") : -ENOMEM;
        }
        if (nb->has_grub2_cfg) {
                nb->menu_file = strdup("/boot/grub2/grub.cfg");
                return nb->menu_file ? use_grub(root_fd, nb, "/boot/grub2/grub.cfg", "/boot/grub2") : -ENOMEM;
        }
        if (nb->has_bls) {
                nb->menu_file = strdup("/boot/loader/entries");
                return nb->menu_file ? use_bls_alone(root_fd, nb) : -ENOMEM;
        }
        if (legacy) {
                nb->menu_file = strdup(legacy);
                return nb->menu_file ? use_legacy(root_fd, nb, legacy) : -ENOMEM;
        }
        return 0;
}

int next_boot_find(int root_fd, struct next_boot *ret)
{
        struct next_boot nb = {};
        int r = find_menu(root_fd, &nb);

        if (r == -ENOMEM) {
                next_boot_done(&nb);
                return r;
        }
        nb.error = r < 0 ? r : 0;
        *ret = nb;
        return 0;
}

void next_boot_done(struct next_boot *nb)
{
        free(nb->menu_file);
        free(nb->default_value);
        free(nb->title);
        free(nb->loader);
        free(nb->kernel);
        free(nb->kernel_path);
        free(nb->args);
        strv_free(nb->initrd_paths);
        root_unreadable_done(&nb->unreadable);
        *nb = (struct next_boot){};
}
