/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The only file that speaks libxenstore's conventions (false/NULL + errno);
 * everything it returns is 0/positive or -errno.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xenstore.h>

#include "macro.h"
#include "store.h"
#include "util.h"

#define STORE_TX_RETRIES 16
#define STORE_READ_MAX_NODES 1000 /* xenstored's default per-domain quota */

#define STORE_FD_SCAN 1024

struct store {
        struct xs_handle *xs;
        xs_transaction_t tx;
        int conn_fd;
        char *base;
        struct kvset published;
        bool synced;
};

static int errno_or(int fallback)
{
        return errno > 0 ? -errno : -fallback;
}

/* Marks in open[] the descriptors below STORE_FD_SCAN this process has open. */
static void scan_fds(bool open[STORE_FD_SCAN])
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;

        memset(open, 0, STORE_FD_SCAN * sizeof(bool));
        if (!d)
                return;
        while ((de = readdir(d))) {
                unsigned fd;

                if (safe_atou(de->d_name, &fd) >= 0 && fd < STORE_FD_SCAN && (int)fd != dirfd(d))
                        open[fd] = true;
        }
        closedir(d);
}

/*
 * libxenstore does not say when its connection is gone: its reader thread
 * just ends, and the watch pipe never becomes readable. The connection's
 * own socket does tell (EPOLLRDHUP), so we find it, the socket xs_open()
 * added, and keep a duplicate: libxenstore may close its descriptor first,
 * which would silently drop it from an epoll set. We never read from it.
 */
static int find_conn_fd(const bool before[STORE_FD_SCAN])
{
        bool after[STORE_FD_SCAN];

        scan_fds(after);
        for (int fd = 0; fd < STORE_FD_SCAN; fd++) {
                struct stat st;

                if (after[fd] && !before[fd] && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
                        return fcntl(fd, F_DUPFD_CLOEXEC, 3);
        }
        return -1;
}

int store_open(const char *base, struct store **ret)
{
        struct store *s = calloc(1, sizeof(*s));
        bool before[STORE_FD_SCAN];

        if (!s)
                return -ENOMEM;
        s->base = strdup(base);
        if (!s->base) {
                free(s);
                return -ENOMEM;
        }
        scan_fds(before);
        s->xs = xs_open(0);
        s->conn_fd = s->xs ? find_conn_fd(before) : -1;
        if (!s->xs) {
                int r = errno_or(ECONNREFUSED);

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
        if (s->xs)
                xs_close(s->xs);
        if (s->conn_fd >= 0)
                close(s->conn_fd);
        kvset_clear(&s->published);
        free(s->base);
        free(s);
        return NULL;
}

int store_fd(struct store *s)
{
        return xs_fileno(s->xs);
}

int store_conn_fd(struct store *s)
{
        return s->conn_fd;
}

void store_invalidate(struct store *s)
{
        kvset_clear(&s->published);
        s->synced = false;
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
static int store_read_tree(struct store *s, xs_transaction_t t, const char *rel,
                           const char *const *keep, struct kvset *out)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char **children = NULL;
        unsigned n = 0, len;
        int r = 0;

        if (asprintf(&path, "%s%s%s", s->base, *rel ? "/" : "", rel) < 0)
                return -ENOMEM;
        children = xs_directory(s->xs, t, path, &n);
        if (!children)
                return errno == ENOENT ? 0 : errno_or(EIO);
        if (n == 0 && *rel) {
                _cleanup_free_ char *v = xs_read(s->xs, t, path, &len);

                if (!v)
                        return errno == ENOENT ? 0 : errno_or(EIO);
                return kvset_set(out, rel, v);
        }
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

static int store_apply(struct store *s, xs_transaction_t t, const struct kvset *old,
                       const struct kvset *want)
{
        int changes = 0;

        for (size_t i = 0; i < want->n; i++) {
                const char *prev = kvset_get(old, want->items[i].key);
                _cleanup_free_ char *path = NULL;

                if (prev && streq(prev, want->items[i].value))
                        continue;
                if (asprintf(&path, "%s/%s", s->base, want->items[i].key) < 0)
                        return -ENOMEM;
                if (!xs_write(s->xs, t, path, want->items[i].value, strlen(want->items[i].value)))
                        return errno_or(EIO);
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
                if (!xs_rm(s->xs, t, path) && errno != ENOENT)
                        return errno_or(EIO);
                changes++;
        }
        return changes;
}

static int store_publish_once(struct store *s, const struct kvset *want, const char *const *keep)
{
        struct kvset current = { 0 };
        xs_transaction_t t;
        int r;

        t = xs_transaction_start(s->xs);
        if (t == XBT_NULL)
                return errno_or(EIO);
        if (!s->synced)
                r = store_read_tree(s, t, "", keep, &current);
        else
                r = kvset_copy(&current, &s->published);
        if (r >= 0)
                r = store_apply(s, t, &current, want);
        kvset_clear(&current);
        if (r < 0) {
                int saved = errno;

                xs_transaction_end(s->xs, t, true);
                errno = saved;
                return r;
        }
        if (!xs_transaction_end(s->xs, t, false))
                return errno_or(EIO);
        return r;
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
        if (!xs_watch(s->xs, path, token))
                return errno_or(EIO);
        return 0;
}

int store_next_event(struct store *s, char ***ret_event)
{
        char **ev = xs_check_watch(s->xs);

        if (ev) {
                *ret_event = ev;
                return 1;
        }
        if (errno == EAGAIN)
                return 0;
        return errno_or(EPIPE);
}

int store_tx_begin(struct store *s)
{
        if (s->tx != XBT_NULL)
                return -EBUSY;
        s->tx = xs_transaction_start(s->xs);
        return s->tx == XBT_NULL ? errno_or(EIO) : 0;
}

int store_tx_read(struct store *s, const char *path, char **ret, unsigned *ret_len)
{
        char *v = xs_read(s->xs, s->tx, path, ret_len);

        if (!v)
                return errno_or(EIO);
        *ret = v;
        return 0;
}

int store_tx_write(struct store *s, const char *path, const char *value)
{
        if (!xs_write(s->xs, s->tx, path, value, strlen(value)))
                return errno_or(EIO);
        return 0;
}

int store_tx_remove(struct store *s, const char *path)
{
        if (!xs_rm(s->xs, s->tx, path) && errno != ENOENT)
                return errno_or(EIO);
        return 0;
}

int store_tx_list(struct store *s, const char *path, char ***ret, unsigned *ret_n)
{
        char **v = xs_directory(s->xs, s->tx, path, ret_n);

        if (!v)
                return errno_or(EIO);
        *ret = v;
        return 0;
}

int store_tx_end(struct store *s, bool commit)
{
        xs_transaction_t t = s->tx;

        s->tx = XBT_NULL;
        if (!xs_transaction_end(s->xs, t, !commit))
                return commit ? errno_or(EIO) : 0;
        return 0;
}

int store_read(struct store *s, const char *path, char **ret, unsigned *ret_len)
{
        char *v = xs_read(s->xs, XBT_NULL, path, ret_len);

        if (!v)
                return errno_or(EIO);
        *ret = v;
        return 0;
}

int store_write(struct store *s, const char *path, const char *value)
{
        if (!xs_write(s->xs, XBT_NULL, path, value, strlen(value)))
                return errno_or(EIO);
        return 0;
}

int store_remove(struct store *s, const char *path)
{
        if (!xs_rm(s->xs, XBT_NULL, path) && errno != ENOENT)
                return errno_or(EIO);
        return 0;
}
