/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bls.h"
#include "rootfs.h"
#include "strv.h"
#include "util.h"

#define BLS_DIR "/boot/loader/entries"
#define BLS_FILE_MAX (64u << 10)
#define BLS_ENTRIES_MAX 256

static int bls_initrd(struct boot_entry *e, char *val)
{
        char *save = NULL;

        for (char *w = strtok_r(val, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                int r = strv_push_dup(&e->initrd, &e->n_initrd, w);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int bls_line(struct boot_entry *e, char *line)
{
        char *key = line + strspn(line, " \t"), *val;
        size_t klen = strcspn(key, " \t");

        if (!*key || *key == '#' || !key[klen])
                return 0;
        key[klen] = '\0';
        val = key + klen + 1;
        val += strspn(val, " \t");
        if (streq(key, "title"))
                return free_and_strdup(&e->title, val);
        if (streq(key, "version"))
                return free_and_strdup(&e->version, val);
        if (streq(key, "linux")) {
                int r = free_and_strdup(&e->kernel, val);
                return r < 0 ? r : free_and_strdup(&e->loader, "linux");
        }
        if (streq(key, "options")) {
                /* Several options lines add up. */
                char *joined = e->args ? strdup_printf("%s %s", e->args, val) : strdup(val);
                if (!joined)
                        return -ENOMEM;
                free(e->args);
                e->args = joined;
                return 0;
        }
        if (streq(key, "initrd"))
                return bls_initrd(e, val);
        return 0;
}

int bls_parse_entry(const char *text, size_t len, const char *id, struct boot_entry **ret)
{
        _cleanup_free_ char *copy = strndup(text, len);
        struct boot_entry *e = boot_entry_new();
        char *save = NULL;
        int r = 0;

        if (!copy || !e || !(e->id = strdup(id))) {
                boot_entry_free(e);
                return -ENOMEM;
        }
        for (char *l = strtok_r(copy, "\r\n", &save); l && r >= 0; l = strtok_r(NULL, "\r\n", &save))
                r = bls_line(e, l);
        if (r >= 0 && !e->title)
                r = free_and_strdup(&e->title, id);
        if (r < 0) {
                boot_entry_free(e);
                return r;
        }
        *ret = e;
        return 0;
}

static int bls_cmp(const void *a, const void *b)
{
        const struct boot_entry *x = *(struct boot_entry *const *)a, *y = *(struct boot_entry *const *)b;
        int r = 0;

        if (x->version && y->version)
                r = strverscmp(y->version, x->version);
        return r ? r : strverscmp(y->id, x->id);
}

static int bls_load_one(int root_fd, struct root_unreadable *unreadable, const char *name, struct boot_entry *menu)
{
        _cleanup_free_ char *path = strdup_printf(BLS_DIR "/%s", name), *text = NULL, *id = NULL;
        struct boot_entry *e;
        size_t len;
        int r;

        if (!path)
                return -ENOMEM;
        r = root_read_file(root_fd, path, BLS_FILE_MAX, &text, &len);
        if (r < 0)
                return root_unreadable_add(unreadable, path, r); /* an unreadable entry is not listed */
        id = strndup(name, strlen(name) - STRLEN(".conf"));
        if (!id)
                return -ENOMEM;
        r = bls_parse_entry(text, len, id, &e);
        if (r < 0)
                return r;
        r = boot_entry_add_child(menu, e);
        if (r < 0)
                boot_entry_free(e);
        return r;
}

static bool is_conf(const char *name)
{
        size_t n = strlen(name);

        return n > STRLEN(".conf") && streq(name + n - STRLEN(".conf"), ".conf");
}

int bls_load(int root_fd, struct root_unreadable *unreadable, struct boot_entry **ret_menu)
{
        _cleanup_strv_ char **names = NULL;
        struct boot_entry *menu;
        size_t n = 0;
        int r = root_list_dir(root_fd, BLS_DIR, &names, &n);

        if (r < 0)
                return r;
        menu = boot_entry_new();
        if (!menu)
                return -ENOMEM;
        menu->submenu = true;
        for (size_t i = 0; i < n && menu->n_children < BLS_ENTRIES_MAX; i++) {
                if (!is_conf(names[i]))
                        continue;
                r = bls_load_one(root_fd, unreadable, names[i], menu);
                if (r < 0) {
                        boot_entry_free(menu);
                        return r;
                }
        }
        if (menu->n_children > 1)
                qsort(menu->children, menu->n_children, sizeof(*menu->children), bls_cmp);
        *ret_menu = menu;
        return 0;
}

static size_t var_name_len(const char *s)
{
        size_t n = 0;

        while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
               s[n] == '_')
                n++;
        return n;
}

static void name_copy(char *dst, size_t dstsz, const char *src, size_t n)
{
        if (n >= dstsz)
                n = dstsz - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
}

char *bls_expand(const char *s, const struct grub_env *env)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        if (!f)
                return NULL;
        while (*s) {
                const char *v, *end;
                char name[128];
                size_t n;

                if (*s != '$') {
                        fputc(*s++, f);
                        continue;
                }
                if (s[1] == '{') {
                        end = strchr(s + 2, '}');
                        if (!end) {
                                fputs(s, f);
                                break;
                        }
                        name_copy(name, sizeof(name), s + 2, (size_t)(end - s - 2));
                        s = end + 1;
                } else {
                        n = var_name_len(s + 1);
                        if (n == 0) {
                                fputc(*s++, f);
                                continue;
                        }
                        name_copy(name, sizeof(name), s + 1, n);
                        s += n + 1;
                }
                v = grub_env_get(env, name);
                if (v)
                        fputs(v, f);
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}
