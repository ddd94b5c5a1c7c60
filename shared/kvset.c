/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvset.h"
#include "macro.h"

void kvset_clear(struct kvset *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->items[i].key);
                free(s->items[i].value);
        }
        free(s->items);
        *s = (struct kvset){ 0 };
}

/* Index of key, or of where it would be inserted; *found tells which. */
static size_t kvset_find(const struct kvset *s, const char *key, bool *found)
{
        size_t lo = 0, hi = s->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(s->items[mid].key, key);

                if (c == 0) {
                        *found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}

static int kvset_grow(struct kvset *s)
{
        size_t ncap = s->cap ? s->cap * 2 : 32;
        struct kv *n;

        if (s->n < s->cap)
                return 0;
        n = realloc(s->items, ncap * sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->items = n;
        s->cap = ncap;
        return 0;
}

int kvset_set(struct kvset *s, const char *key, const char *value)
{
        _cleanup_free_ char *v = strdup(value);
        char *k;
        bool found;
        size_t i;

        if (!v)
                return -ENOMEM;
        i = kvset_find(s, key, &found);
        if (found) {
                free(s->items[i].value);
                s->items[i].value = TAKE_PTR(v);
                return 0;
        }
        if (kvset_grow(s) < 0)
                return -ENOMEM;
        k = strdup(key);
        if (!k)
                return -ENOMEM;
        memmove(s->items + i + 1, s->items + i, (s->n - i) * sizeof(*s->items));
        s->items[i] = (struct kv){ .key = k, .value = TAKE_PTR(v) };
        s->n++;
        return 0;
}

int kvset_setf(struct kvset *s, const char *key, const char *fmt, ...)
{
        _cleanup_free_ char *v = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return kvset_set(s, key, v);
}

const char *kvset_get(const struct kvset *s, const char *key)
{
        bool found;
        size_t i = kvset_find(s, key, &found);

        return found ? s->items[i].value : NULL;
}

bool kvset_remove(struct kvset *s, const char *key)
{
        bool found;
        size_t i = kvset_find(s, key, &found);

        if (!found)
                return false;
        free(s->items[i].key);
        free(s->items[i].value);
        memmove(s->items + i, s->items + i + 1, (s->n - i - 1) * sizeof(*s->items));
        s->n--;
        return true;
}

bool kvset_has_prefix(const struct kvset *s, const char *prefix)
{
        size_t len = strlen(prefix);
        _cleanup_free_ char *dir = NULL;
        bool found;
        size_t i;

        kvset_find(s, prefix, &found);
        if (found)
                return true;
        /* Keys below prefix + "/" sort together, from the first one at or after it. */
        if (asprintf(&dir, "%s/", prefix) < 0)
                return false;
        i = kvset_find(s, dir, &found);
        return i < s->n && strncmp(s->items[i].key, dir, len + 1) == 0;
}

int kvset_copy(struct kvset *dst, const struct kvset *src)
{
        struct kvset n = { 0 };

        for (size_t i = 0; i < src->n; i++)
                if (kvset_set(&n, src->items[i].key, src->items[i].value) < 0) {
                        kvset_clear(&n);
                        return -ENOMEM;
                }
        kvset_clear(dst);
        *dst = n;
        return 0;
}

bool kvset_equal(const struct kvset *a, const struct kvset *b)
{
        if (a->n != b->n)
                return false;
        /* Both sorted by key: equal sets have equal items at each index. */
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->items[i].key, b->items[i].key) != 0 ||
                    strcmp(a->items[i].value, b->items[i].value) != 0)
                        return false;
        return true;
}

int kvset_encode(const struct kvset *s, char **ret, size_t *ret_len)
{
        size_t len = 0, off = 0;
        char *buf;

        for (size_t i = 0; i < s->n; i++)
                len += strlen(s->items[i].key) + 1 + strlen(s->items[i].value) + 1;
        buf = malloc(len ? len : 1);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++) {
                size_t k = strlen(s->items[i].key) + 1, v = strlen(s->items[i].value) + 1;

                memcpy(buf + off, s->items[i].key, k);
                memcpy(buf + off + k, s->items[i].value, v);
                off += k + v;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

int kvset_decode(const char *buf, size_t len, struct kvset *ret)
{
        struct kvset s = { 0 };
        size_t off = 0;

        while (off < len) {
                const char *k = buf + off, *kend = memchr(k, '\0', len - off), *v, *vend;
                int r;

                if (!kend || kend == k)
                        goto bad;
                v = kend + 1;
                vend = v < buf + len ? memchr(v, '\0', (size_t)(buf + len - v)) : NULL;
                if (!vend)
                        goto bad;
                if ((r = kvset_set(&s, k, v)) < 0) {
                        kvset_clear(&s);
                        return r;
                }
                off = (size_t)(vend + 1 - buf);
        }
        *ret = s;
        return 0;
bad:
        kvset_clear(&s);
        return -EBADMSG;
}
