/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "bootentry.h"
#include "strv.h"
#include "util.h"

#define ENV_MAX 512
#define ENV_VALUE_MAX 4096

struct boot_entry *boot_entry_new(void)
{
        return calloc(1, sizeof(struct boot_entry));
}

void boot_entry_free(struct boot_entry *e)
{
        if (!e)
                return;
        for (size_t i = 0; i < e->n_children; i++)
                boot_entry_free(e->children[i]);
        free(e->children);
        free(e->title);
        free(e->id);
        free(e->version);
        free(e->loader);
        free(e->kernel);
        free(e->args);
        strv_free(e->initrd);
        free(e);
}

int boot_entry_add_child(struct boot_entry *parent, struct boot_entry *child)
{
        struct boot_entry **v;

        v = realloc(parent->children, (parent->n_children + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        v[parent->n_children++] = child;
        parent->children = v;
        return 0;
}

static ssize_t env_find(const struct grub_env *env, const char *key)
{
        for (size_t i = 0; i < env->n; i++)
                if (streq(env->keys[i], key))
                        return (ssize_t)i;
        return -1;
}

const char *grub_env_get(const struct grub_env *env, const char *key)
{
        ssize_t i = env_find(env, key);

        return i < 0 ? NULL : env->vals[i];
}

int grub_env_set(struct grub_env *env, const char *key, const char *val)
{
        ssize_t i = env_find(env, key);
        char **k, **v;

        if (strlen(val) > ENV_VALUE_MAX)
                return -E2BIG;
        if (i >= 0)
                return free_and_strdup(&env->vals[i], val);
        if (env->n >= ENV_MAX)
                return -E2BIG;
        k = realloc(env->keys, (env->n + 1) * sizeof(char *));
        if (!k)
                return -ENOMEM;
        env->keys = k;
        v = realloc(env->vals, (env->n + 1) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        env->vals = v;
        env->keys[env->n] = strdup(key);
        env->vals[env->n] = strdup(val);
        if (!env->keys[env->n] || !env->vals[env->n]) {
                free(env->keys[env->n]);
                free(env->vals[env->n]);
                return -ENOMEM;
        }
        env->n++;
        return 0;
}

void grub_env_unset(struct grub_env *env, const char *key)
{
        ssize_t i = env_find(env, key);

        if (i < 0)
                return;
        free(env->keys[i]);
        free(env->vals[i]);
        env->n--;
        env->keys[i] = env->keys[env->n];
        env->vals[i] = env->vals[env->n];
}

void grub_env_done(struct grub_env *env)
{
        for (size_t i = 0; i < env->n; i++) {
                free(env->keys[i]);
                free(env->vals[i]);
        }
        free(env->keys);
        free(env->vals);
        *env = (struct grub_env){};
}

static int env_parse_line(struct grub_env *env, const char *line, size_t len)
{
        _cleanup_free_ char *copy = NULL;
        char *eq;

        if (len == 0 || line[0] == '#')
                return 0;
        copy = strndup(line, len);
        if (!copy)
                return -ENOMEM;
        eq = strchr(copy, '=');
        if (!eq || eq == copy)
                return 0;
        *eq = '\0';
        return grub_env_set(env, copy, eq + 1);
}

int grub_env_parse(struct grub_env *env, const char *text, size_t len)
{
        size_t pos = 0;

        while (pos < len) {
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
                int r = env_parse_line(env, text + pos, l);

                if (r < 0)
                        return r;
                pos += l + 1;
        }
        return 0;
}
