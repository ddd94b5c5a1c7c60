/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's xenstore operations on its own connection (xenbus.c); every
 * function returns 0/positive or -errno.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* xs_wire.h needs the fixed-size integers and the errno names before it. */
#include <xen/io/xs_wire.h>

#include "macro.h"
#include "store.h"
#include "util.h"
#include "xenbus.h"

#define STORE_TX_RETRIES 16
#define STORE_READ_MAX_NODES 1000 /* xenstored's default per-domain quota */

/* xenstore's "no transaction". */
#define TX_NONE 0U

struct store {
        struct xenbus *xb;
        uint32_t tx;
        char *base;
        struct kvset published;
        bool synced;
};

int store_open(const char *base, struct store **ret)
{
        struct store *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->base = strdup(base);
        r = s->base ? xenbus_open(&s->xb) : -ENOMEM;
        if (r < 0) {
                free(s->base);
                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

struct store *store_close(struct store *s)
{
        if (!s)
                return NULL;
        xenbus_close(s->xb);
        kvset_clear(&s->published);
        free(s->base);
        free(s);
        return NULL;
}

int store_fd(struct store *s)
{
        return xenbus_event_fd(s->xb);
}

int store_conn_fd(struct store *s)
{
        return xenbus_fd(s->xb);
}

void store_invalidate(struct store *s)
{
        kvset_clear(&s->published);
        s->synced = false;
}

/* A request whose payload is PATH and its NUL, then len bytes of extra. */
static int request(struct store *s, uint32_t type, uint32_t tx, const char *path, const char *extra,
                   size_t len, char **ret, unsigned *ret_len)
{
        struct iovec parts[] = {
                { .iov_base = (void *)path, .iov_len = strlen(path) + 1 },
                { .iov_base = (void *)extra, .iov_len = len },
        };

        return xenbus_request(s->xb, type, tx, parts, extra ? 2 : 1, ret, ret_len);
}

static int xb_read(struct store *s, uint32_t tx, const char *path, char **ret, unsigned *ret_len)
{
        return request(s, XS_READ, tx, path, NULL, 0, ret, ret_len);
}

static int xb_write(struct store *s, uint32_t tx, const char *path, const char *value)
{
        return request(s, XS_WRITE, tx, path, value, strlen(value), NULL, NULL);
}

/* Removing what is not there is no error. */
static int xb_rm(struct store *s, uint32_t tx, const char *path)
{
        int r = request(s, XS_RM, tx, path, NULL, 0, NULL, NULL);

        return r == -ENOENT ? 0 : r;
}

/* The children of path: one allocation, the names after the pointers. */
static int xb_directory(struct store *s, uint32_t tx, const char *path, char ***ret, unsigned *ret_n)
{
        _cleanup_free_ char *names = NULL;
        unsigned len, n = 0;
        char **v, *p;
        int r;

        r = request(s, XS_DIRECTORY, tx, path, NULL, 0, &names, &len);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < len; i++)
                n += names[i] == '\0';
        v = malloc((n + 1) * sizeof(char *) + len);
        if (!v)
                return -ENOMEM;
        p = memcpy(v + n + 1, names, len);
        for (unsigned i = 0; i < n; i++, p += strlen(p) + 1)
                v[i] = p;
        v[n] = NULL;
        *ret = v;
        *ret_n = n;
        return 0;
}

static int xb_tx_start(struct store *s, uint32_t *ret)
{
        _cleanup_free_ char *id = NULL;
        unsigned v;
        int r = request(s, XS_TRANSACTION_START, TX_NONE, "", NULL, 0, &id, NULL);

        if (r < 0)
                return r;
        if (safe_atou(id, &v) < 0 || v == TX_NONE)
                return -EPROTO;
        *ret = v;
        return 0;
}

/* -EAGAIN: xenstored saw a conflict and nothing was committed. */
static int xb_tx_end(struct store *s, uint32_t tx, bool commit)
{
        return request(s, XS_TRANSACTION_END, tx, commit ? "T" : "F", NULL, 0, NULL, NULL);
}

static bool kept(const char *key, const char *const *keep)
{
        for (; keep && *keep; keep++) {
                size_t n = strlen(*keep);

                if (strncmp(key, *keep, n) == 0 && (key[n] == '\0' || key[n] == '/'))
                        return true;
        }
        return false;
}

/* Reads the leaves under base/rel into out (keys relative to base). */
static int store_read_tree(struct store *s, uint32_t t, const char *rel, const char *const *keep,
                           struct kvset *out)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char **children = NULL;
        unsigned n = 0;
        int r;

        if (asprintf(&path, "%s%s%s", s->base, *rel ? "/" : "", rel) < 0)
                return -ENOMEM;
        r = xb_directory(s, t, path, &children, &n);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        if (n == 0 && *rel) {
                _cleanup_free_ char *v = NULL;

                r = xb_read(s, t, path, &v, NULL);
                if (r < 0)
                        return r == -ENOENT ? 0 : r;
                return kvset_set(out, rel, v);
        }
        r = 0;
        for (unsigned i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *child = NULL;

                if (asprintf(&child, "%s%s%s", rel, *rel ? "/" : "", children[i]) < 0)
                        return -ENOMEM;
                if (kept(child, keep))
                        continue;
                if (out->n >= STORE_READ_MAX_NODES)
                        return -E2BIG;
                r = store_read_tree(s, t, child, keep, out);
        }
        return r;
}

/*
 * The node to remove for a key that no longer applies: its highest ancestor
 * below base that holds no wanted key, so no empty directory is left over.
 */
static char *removal_root(const char *key, const struct kvset *want)
{
        char *p = strdup(key);

        for (char *slash = p ? strchr(p, '/') : NULL; slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (!kvset_has_prefix(want, p))
                        return p;
                *slash = '/';
        }
        return p;
}

static int store_apply(struct store *s, uint32_t t, const struct kvset *old, const struct kvset *want)
{
        int changes = 0, r;

        for (size_t i = 0; i < want->n; i++) {
                const char *prev = kvset_get(old, want->items[i].key);
                _cleanup_free_ char *path = NULL;

                if (prev && streq(prev, want->items[i].value))
                        continue;
                if (asprintf(&path, "%s/%s", s->base, want->items[i].key) < 0)
                        return -ENOMEM;
                r = xb_write(s, t, path, want->items[i].value);
                if (r < 0)
                        return r;
                changes++;
        }
        for (size_t i = 0; i < old->n; i++) {
                _cleanup_free_ char *root = NULL, *path = NULL;

                if (kvset_get(want, old->items[i].key))
                        continue;
                root = removal_root(old->items[i].key, want);
                if (!root || asprintf(&path, "%s/%s", s->base, root) < 0)
                        return -ENOMEM;
                /* Several stale keys share a root: the first removal takes them all. */
                r = xb_rm(s, t, path);
                if (r < 0)
                        return r;
                changes++;
        }
        return changes;
}

static int store_publish_once(struct store *s, const struct kvset *want, const char *const *keep)
{
        struct kvset current = { 0 };
        uint32_t t;
        int r, e;

        r = xb_tx_start(s, &t);
        if (r < 0)
                return r;
        if (!s->synced)
                r = store_read_tree(s, t, "", keep, &current);
        else
                r = kvset_copy(&current, &s->published);
        if (r >= 0)
                r = store_apply(s, t, &current, want);
        kvset_clear(&current);
        if (r < 0) {
                xb_tx_end(s, t, false);
                return r;
        }
        e = xb_tx_end(s, t, true);
        return e < 0 ? e : r;
}

int store_publish(struct store *s, const struct kvset *want, const char *const *keep)
{
        int r = -EAGAIN;

        for (int i = 0; i < STORE_TX_RETRIES && r == -EAGAIN; i++)
                r = store_publish_once(s, want, keep);
        if (r < 0) {
                /* What landed is unknown now: read it back next time. */
                store_invalidate(s);
                return r;
        }
        if (kvset_copy(&s->published, want) < 0) {
                store_invalidate(s);
                return -ENOMEM;
        }
        s->synced = true;
        return r;
}

int store_watch(struct store *s, const char *path, const char *token)
{
        return request(s, XS_WATCH, TX_NONE, path, token, strlen(token) + 1, NULL, NULL);
}

int store_next_event(struct store *s, char ***ret_event)
{
        return xenbus_next_event(s->xb, ret_event);
}

int store_tx_begin(struct store *s)
{
        if (s->tx != TX_NONE)
                return -EBUSY;
        return xb_tx_start(s, &s->tx);
}

int store_tx_read(struct store *s, const char *path, char **ret, unsigned *ret_len)
{
        return xb_read(s, s->tx, path, ret, ret_len);
}

int store_tx_write(struct store *s, const char *path, const char *value)
{
        return xb_write(s, s->tx, path, value);
}

int store_tx_remove(struct store *s, const char *path)
{
        return xb_rm(s, s->tx, path);
}

int store_tx_list(struct store *s, const char *path, char ***ret, unsigned *ret_n)
{
        return xb_directory(s, s->tx, path, ret, ret_n);
}

int store_tx_end(struct store *s, bool commit)
{
        uint32_t t = s->tx;
        int r;

        s->tx = TX_NONE;
        r = xb_tx_end(s, t, commit);
        return commit ? r : 0;
}

int store_read(struct store *s, const char *path, char **ret, unsigned *ret_len)
{
        return xb_read(s, TX_NONE, path, ret, ret_len);
}

int store_write(struct store *s, const char *path, const char *value)
{
        return xb_write(s, TX_NONE, path, value);
}

int store_remove(struct store *s, const char *path)
{
        return xb_rm(s, TX_NONE, path);
}
