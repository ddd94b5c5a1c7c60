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
#include "strv.h"
#include "util.h"
#include "xenbus.h"

#define STORE_TX_RETRIES 16
#define STORE_READ_MAX_NODES 1000 /* xenstored's default per-domain quota */

/* xenstore's "no transaction". */
#define TX_NONE 0U

/* What was last published in one tree, as xenstore holds it after the commit. */
struct tree {
        struct kvset published;
        bool synced;
};

struct store {
        struct xenbus *xb;
        uint32_t tx;
        char *base;
        struct tree main;  /* base, but for the kept subtrees */
        struct tree owned; /* the roots of store_publish_owned() */
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
        kvset_clear(&s->main.published);
        kvset_clear(&s->owned.published);
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

static void tree_invalidate(struct tree *t)
{
        kvset_clear(&t->published);
        t->synced = false;
}

void store_invalidate(struct store *s)
{
        tree_invalidate(&s->main);
        tree_invalidate(&s->owned);
}

/* base/rel; rel alone when base is "" (the domain home). */
static char *join(const char *base, const char *rel)
{
        return strdup_printf("%s%s%s", base, *base && *rel ? "/" : "", rel);
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
static int store_read_tree(struct store *s, uint32_t t, const char *base, const char *rel,
                           const char *const *keep, struct kvset *out)
{
        _cleanup_free_ char *path = join(base, rel);
        _cleanup_free_ char **children = NULL;
        unsigned n = 0;
        int r;

        if (!path)
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
                r = store_read_tree(s, t, base, child, keep, out);
        }
        return r;
}

/*
 * The node to remove for a key that no longer applies: its highest ancestor
 * that holds no wanted key, so no empty directory is left over; never above
 * the first floor bytes of the key (its root; 0: below base).
 */
static char *removal_root(const char *key, size_t floor, const struct kvset *want)
{
        char *p = strdup(key);

        for (char *slash = p ? strchr(p + floor, '/') : NULL; slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (!kvset_has_prefix(want, p))
                        return p;
                *slash = '/';
        }
        return p;
}

/* The length of the root in roots that key is in or is; 0 for NULL roots. */
static size_t root_len(const char *key, const char *const *roots)
{
        for (; roots && *roots; roots++)
                if (kept(key, (const char *const[]){ *roots, NULL }))
                        return strlen(*roots);
        return 0;
}

static int store_apply(struct store *s, uint32_t t, const char *base, const char *const *roots,
                       const struct kvset *old, const struct kvset *want)
{
        int changes = 0, r;

        for (size_t i = 0; i < want->n; i++) {
                const char *prev = kvset_get(old, want->items[i].key);
                _cleanup_free_ char *path = NULL;

                if (prev && streq(prev, want->items[i].value))
                        continue;
                path = join(base, want->items[i].key);
                if (!path)
                        return -ENOMEM;
                r = xb_write(s, t, path, want->items[i].value);
                if (r < 0)
                        return r;
                changes++;
        }
        for (size_t i = 0; i < old->n; i++) {
                _cleanup_free_ char *root = NULL, *path = NULL;

                /* Wanted, or a directory of wanted keys now. */
                if (kvset_has_prefix(want, old->items[i].key))
                        continue;
                root = removal_root(old->items[i].key, root_len(old->items[i].key, roots), want);
                path = root ? join(base, root) : NULL;
                if (!path)
                        return -ENOMEM;
                /* Several stale keys share a root: the first removal takes them all. */
                r = xb_rm(s, t, path);
                if (r < 0)
                        return r;
                changes++;
        }
        return changes;
}

/*
 * What one publish works on: the tree under base but the kept subtrees, or
 * (roots not NULL) only the roots, relative to the domain home.
 */
struct scope {
        struct tree *tree;
        const char *base;
        const char *const *keep;
        const char *const *roots;
};

static int read_scope(struct store *s, uint32_t t, const struct scope *sc, struct kvset *out)
{
        int r = 0;

        if (!sc->roots)
                return store_read_tree(s, t, sc->base, "", sc->keep, out);
        for (const char *const *root = sc->roots; *root && r >= 0; root++)
                r = store_read_tree(s, t, sc->base, *root, NULL, out);
        return r;
}

static int store_publish_once(struct store *s, const struct scope *sc, const struct kvset *want)
{
        struct kvset current = { 0 };
        uint32_t t;
        int r, e;

        r = xb_tx_start(s, &t);
        if (r < 0)
                return r;
        if (!sc->tree->synced)
                r = read_scope(s, t, sc, &current);
        else
                r = kvset_copy(&current, &sc->tree->published);
        if (r >= 0)
                r = store_apply(s, t, sc->base, sc->roots, &current, want);
        kvset_clear(&current);
        if (r < 0) {
                xb_tx_end(s, t, false);
                return r;
        }
        e = xb_tx_end(s, t, true);
        return e < 0 ? e : r;
}

static int publish_scope(struct store *s, const struct scope *sc, const struct kvset *want)
{
        int r = -EAGAIN;

        for (int i = 0; i < STORE_TX_RETRIES && r == -EAGAIN; i++)
                r = store_publish_once(s, sc, want);
        if (r < 0) {
                /* What landed is unknown now: read it back next time. */
                tree_invalidate(sc->tree);
                return r;
        }
        if (kvset_copy(&sc->tree->published, want) < 0) {
                tree_invalidate(sc->tree);
                return -ENOMEM;
        }
        sc->tree->synced = true;
        return r;
}

int store_publish(struct store *s, const struct kvset *want, const char *const *keep)
{
        return publish_scope(s, &(struct scope){ .tree = &s->main, .base = s->base, .keep = keep }, want);
}

int store_publish_owned(struct store *s, const char *const *roots, const struct kvset *want)
{
        for (size_t i = 0; i < want->n; i++)
                if (!kept(want->items[i].key, roots))
                        return -EINVAL;
        /* Nothing to say: not even a transaction (the idle case). */
        if (s->owned.synced && kvset_equal(&s->owned.published, want))
                return 0;
        return publish_scope(s, &(struct scope){ .tree = &s->owned, .base = "", .roots = roots }, want);
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
