/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "macro.h"
#include "protocol.h"
#include "util.h"
#include "xstore.h"

#define XSTORE_TX_RETRIES 16

struct xstore {
        struct xs_handle *xs;
        unsigned long requests;
};

static int errno_or(int fallback)
{
        return errno > 0 ? -errno : -fallback;
}

int xstore_open(struct xstore **ret)
{
        struct xstore *x = calloc(1, sizeof(*x));

        if (!x)
                return -ENOMEM;
        x->xs = xs_open(0);
        if (!x->xs) {
                int r = errno_or(ECONNREFUSED);

                free(x);
                return r;
        }
        *ret = x;
        return 0;
}

struct xstore *xstore_close(struct xstore *x)
{
        if (!x)
                return NULL;
        xs_close(x->xs);
        free(x);
        return NULL;
}

int xstore_fd(struct xstore *x)
{
        return xs_fileno(x->xs);
}

unsigned long xstore_requests(const struct xstore *x)
{
        return x->requests;
}

int xstore_read(struct xstore *x, const char *path, size_t max, char **ret, size_t *ret_len)
{
        unsigned len = 0;
        char *v;

        x->requests++;
        v = xs_read(x->xs, XBT_NULL, path, &len);
        if (!v)
                return errno_or(EIO);
        *ret_len = len;
        if (len > max) {
                free(v);
                return -E2BIG;
        }
        *ret = v;
        return 0;
}

int xstore_directory(struct xstore *x, const char *path, char ***ret, unsigned *ret_n)
{
        unsigned n = 0;
        char **v;

        x->requests++;
        v = xs_directory(x->xs, XBT_NULL, path, &n);
        if (!v)
                return errno_or(EIO);
        *ret = v;
        *ret_n = n;
        return 0;
}

int xstore_exists(struct xstore *x, const char *path)
{
        _cleanup_free_ char *v = NULL;
        size_t len;
        int r;

        r = xstore_read(x, path, PROTO_XS_PAYLOAD_MAX, &v, &len);
        if (r == -ENOENT)
                return 0;
        return r == -E2BIG ? 1 : r < 0 ? r : 1;
}

int xstore_write(struct xstore *x, const char *path, const char *val, size_t len)
{
        x->requests++;
        if (!xs_write(x->xs, XBT_NULL, path, val, len))
                return errno_or(EIO);
        return 0;
}

int xstore_watch(struct xstore *x, const char *path, const char *token)
{
        x->requests++;
        if (!xs_watch(x->xs, path, token))
                return errno_or(EIO);
        return 0;
}

int xstore_unwatch(struct xstore *x, const char *path, const char *token)
{
        x->requests++;
        if (!xs_unwatch(x->xs, path, token))
                return errno_or(EIO);
        return 0;
}

int xstore_next_event(struct xstore *x, char ***ret_vec)
{
        char **v = xs_check_watch(x->xs);

        if (!v)
                return errno == EAGAIN ? 0 : errno_or(EIO);
        *ret_vec = v;
        return 1;
}

static int request_node_create(struct xstore *x, xs_transaction_t t, unsigned domid,
                               const char *dir, const char *node)
{
        struct xs_permissions dir_perms[2] = {
                { .id = 0, .perms = XS_PERM_NONE },
                { .id = domid, .perms = XS_PERM_READ },
        };
        struct xs_permissions node_perms[2] = {
                { .id = domid, .perms = XS_PERM_NONE },
                { .id = 0, .perms = XS_PERM_READ },
        };
        unsigned len;
        char *v;

        v = xs_read(x->xs, t, node, &len);
        if (v) {
                free(v);
                return 0;
        }
        if (errno != ENOENT)
                return errno_or(EIO);
        x->requests += 4;
        if (!xs_mkdir(x->xs, t, dir) || !xs_set_permissions(x->xs, t, dir, dir_perms, 2) ||
            !xs_write(x->xs, t, node, "", 0) || !xs_set_permissions(x->xs, t, node, node_perms, 2))
                return errno_or(EIO);
        return 1;
}

int xstore_ensure_request_node(struct xstore *x, unsigned domid)
{
        char dir[PROTO_DOMAIN_PATH_MAX], node[PROTO_DOMAIN_PATH_MAX];
        int r = -EAGAIN;

        proto_domain_path(domid, PROTO_HOST_DIR, dir, sizeof(dir));
        proto_domain_key_path(domid, PROTO_KEY_REQUEST, NULL, node, sizeof(node));
        for (int i = 0; i < XSTORE_TX_RETRIES && r == -EAGAIN; i++) {
                xs_transaction_t t = xs_transaction_start(x->xs);

                if (t == XBT_NULL)
                        return errno_or(EIO);
                x->requests += 2;
                r = request_node_create(x, t, domid, dir, node);
                if (!xs_transaction_end(x->xs, t, r < 0)) {
                        if (r >= 0)
                                r = errno_or(EIO);
                }
        }
        return r;
}

int xstore_write_answer(struct xstore *x, unsigned domid, enum proto_key key, const char *val, size_t len)
{
        struct xs_permissions perms[2] = {
                { .id = 0, .perms = XS_PERM_NONE },
                { .id = domid, .perms = XS_PERM_READ },
        };
        char node[PROTO_DOMAIN_PATH_MAX];
        int r;

        if (proto_domain_key_path(domid, key, NULL, node, sizeof(node)) < 0)
                return -EINVAL;
        /* Its directory, ~/control/pvh, is made with the request node. */
        r = xstore_ensure_request_node(x, domid);
        if (r < 0)
                return r;
        r = -EAGAIN;
        for (int i = 0; i < XSTORE_TX_RETRIES && r == -EAGAIN; i++) {
                xs_transaction_t t = xs_transaction_start(x->xs);

                if (t == XBT_NULL)
                        return errno_or(EIO);
                x->requests += 3;
                r = xs_write(x->xs, t, node, val, (unsigned)len) && xs_set_permissions(x->xs, t, node, perms, 2)
                            ? 0 : errno_or(EIO);
                if (!xs_transaction_end(x->xs, t, r < 0) && r >= 0)
                        r = errno_or(EIO);
        }
        return r;
}

static int cmp_unsigned(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

        return x < y ? -1 : x > y;
}

int xstore_domains(struct xstore *x, unsigned max, unsigned **ret, unsigned *ret_n)
{
        _cleanup_free_ char **names = NULL;
        _cleanup_free_ unsigned *ids = NULL;
        unsigned n, k = 0;
        int r;

        r = xstore_directory(x, "/local/domain", &names, &n);
        if (r == -ENOENT) /* no domain yet, not even dom0's home */
                n = 0;
        else if (r < 0)
                return r;
        ids = calloc(n ? n : 1, sizeof(*ids));
        if (!ids)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                unsigned id;

                if (safe_atou(names[i], &id) < 0 || id == 0 || id >= 0x7ff0)
                        continue;
                ids[k++] = id;
        }
        qsort(ids, k, sizeof(*ids), cmp_unsigned);
        *ret_n = k < max ? k : max;
        *ret = TAKE_PTR(ids);
        return k > max ? 1 : 0;
}
