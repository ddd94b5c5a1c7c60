/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "monitor.h"
#include "render.h"
#include "util.h"

static int name_matches(struct xstore *x, unsigned domid, const char *name)
{
        _cleanup_free_ char *v = NULL;
        char path[PROTO_DOMAIN_PATH_MAX];
        size_t len;
        int r;

        proto_domain_path(domid, "name", path, sizeof(path));
        r = xstore_read(x, path, GUEST_NAME_MAX, &v, &len);
        if (r == -ENOENT || r == -E2BIG || r == -EACCES)
                return 0;
        if (r < 0)
                return r;
        return len == strlen(name) && memcmp(v, name, len) == 0;
}

static int resolve_one(struct xstore *x, const unsigned *all, unsigned n_all, const char *arg,
                       unsigned *ret)
{
        unsigned id;

        if (safe_atou(arg, &id) >= 0) {
                for (unsigned i = 0; i < n_all; i++)
                        if (all[i] == id) {
                                *ret = id;
                                return 0;
                        }
                return -ENOENT;
        }
        for (unsigned i = 0; i < n_all; i++) {
                int r = name_matches(x, all[i], arg);

                if (r < 0)
                        return r;
                if (r > 0) {
                        *ret = all[i];
                        return 0;
                }
        }
        return -ENOENT;
}

int domains_find(struct xstore *x, const char *arg, unsigned *ret)
{
        _cleanup_free_ unsigned *all = NULL;
        unsigned n_all;
        int r;

        r = xstore_domains(x, GUESTS_MAX, &all, &n_all);
        if (r < 0)
                return r;
        return resolve_one(x, all, n_all, arg, ret);
}

static int cmp_unsigned(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

        return x < y ? -1 : x > y;
}

int domains_select(struct xstore *x, char **args, int n, unsigned **ret, unsigned *ret_n)
{
        _cleanup_free_ unsigned *all = NULL, *sel = NULL;
        unsigned n_all, k = 0;
        int r;

        r = xstore_domains(x, GUESTS_MAX, &all, &n_all);
        if (r < 0)
                return log_error_errno(r, "Failed to list domains: %m");
        if (r > 0)
                log_warning("More than %u guests: showing the first %u.", GUESTS_MAX, GUESTS_MAX);
        if (n == 0) {
                *ret = TAKE_PTR(all);
                *ret_n = n_all;
                return 0;
        }
        sel = calloc((size_t)n, sizeof(*sel));
        if (!sel)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *e = render_escape(args[i], strlen(args[i]));

                r = resolve_one(x, all, n_all, args[i], &sel[k]);
                if (r == -ENOENT)
                        return log_error_errno(r, "No such domain '%s'.", e ? e : "?");
                if (r < 0)
                        return log_error_errno(r, "Failed to look up '%s': %m", e ? e : "?");
                k++;
        }
        qsort(sel, k, sizeof(*sel), cmp_unsigned);
        *ret_n = 0;
        for (unsigned i = 0; i < k; i++)
                if (i == 0 || sel[i] != sel[i - 1])
                        sel[(*ret_n)++] = sel[i];
        *ret = TAKE_PTR(sel);
        return 0;
}
