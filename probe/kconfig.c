/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decompress.h"
#include "kconfig.h"
#include "rootfs.h"
#include "strv.h"
#include "util.h"

#define KCONFIG_MAX (8u << 20)

static const char *const sym_names[_KCONF_MAX] = {
        [KCONF_XEN] = "XEN",
        [KCONF_XEN_PVHVM] = "XEN_PVHVM",
        [KCONF_XEN_PVH] = "XEN_PVH",
        [KCONF_PVH] = "PVH",
        [KCONF_ACPI] = "ACPI",
        [KCONF_HVC_XEN] = "HVC_XEN",
        [KCONF_XEN_BLKDEV_FRONTEND] = "XEN_BLKDEV_FRONTEND",
        [KCONF_X86_64] = "X86_64",
        [KCONF_X86_32] = "X86_32",
        [KCONF_X86_PAE] = "X86_PAE",
};

const char *kconfig_sym_name(enum kconfig_sym s)
{
        return s < _KCONF_MAX ? sym_names[s] : "?";
}

static void parse_line(struct kconfig *k, const char *l, size_t len)
{
        if (len < STRLEN("CONFIG_") + 2 || strncmp(l, "CONFIG_", STRLEN("CONFIG_")) != 0)
                return;
        l += STRLEN("CONFIG_");
        len -= STRLEN("CONFIG_");
        for (size_t i = 0; i < _KCONF_MAX; i++) {
                size_t n = strlen(sym_names[i]);

                if (len == n + 2 && strncmp(l, sym_names[i], n) == 0 && l[n] == '=' &&
                    (l[n + 1] == 'y' || l[n + 1] == 'm'))
                        k->val[i] = l[n + 1];
        }
}

int kconfig_parse(const char *text, size_t len, struct kconfig *ret)
{
        size_t pos = 0;

        memset(ret->val, 0, sizeof(ret->val));
        while (pos < len) {
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t l = nl ? (size_t)(nl - text - pos) : len - pos;

                parse_line(ret, text + pos, l);
                pos += l + 1;
        }
        return 0;
}

struct grow {
        char *p;
        size_t len;
};

static int grow_sink(const uint8_t *buf, size_t len, void *userdata)
{
        struct grow *g = userdata;
        char *np;

        if (len > KCONFIG_MAX - g->len)
                return -EFBIG;
        np = realloc(g->p, g->len + len + 1);
        if (!np)
                return -ENOMEM;
        memcpy(np + g->len, buf, len);
        g->p = np;
        g->len += len;
        g->p[g->len] = '\0';
        return 0;
}

static int load_proc_config(int root_fd, struct kconfig *ret)
{
        _cleanup_free_ char *gz = NULL;
        struct grow g = {};
        size_t len;
        int r;

        r = root_read_file(root_fd, "/proc/config.gz", KCONFIG_MAX, &gz, &len);
        if (r < 0)
                return r;
        /* No probe budget: both sides are bounded by KCONFIG_MAX. */
        r = decompress(KCOMP_GZIP, (const uint8_t *)gz, len, KCONFIG_MAX, NULL, grow_sink, &g, NULL);
        if (r >= 0)
                r = kconfig_parse(g.p ? g.p : "", g.len, ret);
        free(g.p);
        if (r < 0)
                return r;
        ret->path = strdup("/proc/config.gz");
        return ret->path ? 0 : -ENOMEM;
}

int kconfig_load(int root_fd, const char *release, bool running, struct root_unreadable *unreadable,
                 struct kconfig *ret)
{
        static const char *const places[][2] = {
                { "/boot/config-", "" }, { "/lib/modules/", "/config" }, { "/usr/lib/modules/", "/config" },
        };

        *ret = (struct kconfig){};
        for (size_t i = 0; release && i < ELEMENTSOF(places); i++) {
                _cleanup_free_ char *path = strdup_printf("%s%s%s", places[i][0], release, places[i][1]);
                _cleanup_free_ char *text = NULL;
                size_t len;
                int r;

                if (!path)
                        return -ENOMEM;
                r = root_read_file(root_fd, path, KCONFIG_MAX, &text, &len);
                if (r < 0 && root_unreadable_add(unreadable, path, r) < 0)
                        return -ENOMEM;
                if (r < 0)
                        continue;
                kconfig_parse(text, len, ret);
                ret->path = TAKE_PTR(path);
                return 0;
        }
        if (running && load_proc_config(root_fd, ret) >= 0)
                return 0;
        return -ENOENT;
}

void kconfig_done(struct kconfig *k)
{
        free(k->path);
        k->path = NULL;
}
