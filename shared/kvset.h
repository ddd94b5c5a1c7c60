/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * A set of key/value strings kept sorted by key: what the agent wants
 * published, and what it published last. Small (hundreds of entries), so a
 * sorted array with binary search is enough.
 */
struct kv {
        char *key;
        char *value;
};

struct kvset {
        struct kv *items;
        size_t n, cap;
};

void kvset_clear(struct kvset *s);
/* Adds or replaces; copies key and value. */
int kvset_set(struct kvset *s, const char *key, const char *value);
int kvset_setf(struct kvset *s, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
const char *kvset_get(const struct kvset *s, const char *key);
bool kvset_remove(struct kvset *s, const char *key);
/* True when any key equals prefix or starts with prefix + '/'. */
bool kvset_has_prefix(const struct kvset *s, const char *prefix);
int kvset_copy(struct kvset *dst, const struct kvset *src);
/* The same keys with the same values. */
bool kvset_equal(const struct kvset *a, const struct kvset *b);
/*
 * The set as "KEY\0VALUE\0" pairs, sorted by key: how a child process hands
 * its result to its parent. Decoding refuses an empty key and a cut pair
 * (-EBADMSG); a repeated key keeps the last value.
 */
int kvset_encode(const struct kvset *s, char **ret, size_t *ret_len);
int kvset_decode(const char *buf, size_t len, struct kvset *ret);
