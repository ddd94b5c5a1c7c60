/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvset.h"
#include "check.h"
#include "util.h"


static void test_set_get_order(void)
{
        struct kvset s = { 0 };
        const char *keys[] = { "net/1/name", "verdict", "checks/console/status", "agent/version",
                               "net/0/name", "checks/console/reason" };

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                CHECK(kvset_setf(&s, keys[i], "v%zu", i) == 0);
        CHECK(s.n == 6);
        for (size_t i = 1; i < s.n; i++)
                CHECK(strcmp(s.items[i - 1].key, s.items[i].key) < 0);
        CHECK(streq(kvset_get(&s, "verdict"), "v1"));
        CHECK(kvset_set(&s, "verdict", "ready") == 0);
        CHECK(s.n == 6);
        CHECK(streq(kvset_get(&s, "verdict"), "ready"));
        CHECK(kvset_get(&s, "missing") == NULL);
        CHECK(kvset_remove(&s, "verdict"));
        CHECK(!kvset_remove(&s, "verdict"));
        CHECK(s.n == 5);
        kvset_clear(&s);
        CHECK(s.n == 0 && s.items == NULL);
}

static void test_prefix(void)
{
        struct kvset s = { 0 };

        kvset_set(&s, "net-x", "1");
        kvset_set(&s, "net.y", "1");
        kvset_set(&s, "net/3/ipv4/0", "10.0.0.1");
        kvset_set(&s, "os", "1");
        CHECK(kvset_has_prefix(&s, "net"));
        CHECK(kvset_has_prefix(&s, "net/3"));
        CHECK(kvset_has_prefix(&s, "net/3/ipv4/0"));
        CHECK(!kvset_has_prefix(&s, "net/4"));
        CHECK(!kvset_has_prefix(&s, "ne"));
        CHECK(kvset_has_prefix(&s, "os"));
        kvset_remove(&s, "net/3/ipv4/0");
        /* "net-x" and "net.y" sort between "net" and "net/": not below "net". */
        CHECK(!kvset_has_prefix(&s, "net"));
        kvset_clear(&s);
}

static void test_copy(void)
{
        struct kvset a = { 0 }, b = { 0 };

        kvset_set(&a, "k1", "v1");
        kvset_set(&a, "k2", "v2");
        kvset_set(&b, "old", "x");
        CHECK(kvset_copy(&b, &a) == 0);
        CHECK(b.n == 2);
        CHECK(kvset_get(&b, "old") == NULL);
        CHECK(streq(kvset_get(&b, "k2"), "v2"));
        kvset_set(&a, "k2", "changed");
        CHECK(streq(kvset_get(&b, "k2"), "v2"));
        kvset_clear(&a);
        kvset_clear(&b);
}

/* Encoded, decoded: the same set; every cut of the encoding is refused or a shorter set. */
static void test_encode(void)
{
        struct kvset a = { 0 }, b = { 0 };
        char *buf = NULL;
        size_t len = 0;

        kvset_set(&a, "verdict", "unknown");
        kvset_set(&a, "checks/blkfront/reason", "could not read it: a \"quoted\"\tname\n");
        kvset_set(&a, "empty", "");
        CHECK(kvset_encode(&a, &buf, &len) == 0);
        CHECK(kvset_decode(buf, len, &b) == 0);
        CHECK(b.n == 3);
        for (size_t i = 0; i < a.n && i < b.n; i++)
                CHECK(streq(a.items[i].key, b.items[i].key) && streq(a.items[i].value, b.items[i].value));
        kvset_clear(&b);
        for (size_t cut = 0, nuls = 0; cut < len; nuls += buf[cut] == '\0', cut++) {
                /* Right after a value's NUL, whole pairs are left; anywhere else, a cut one. */
                bool whole = nuls % 2 == 0 && (cut == 0 || buf[cut - 1] == '\0');
                int r = kvset_decode(buf, cut, &b);

                CHECK(r == (whole ? 0 : -EBADMSG));
                CHECK(r < 0 || b.n == nuls / 2);
                kvset_clear(&b);
        }
        CHECK(kvset_decode("\0value\0", 7, &b) == -EBADMSG);
        CHECK(kvset_decode("key", 3, &b) == -EBADMSG);
        CHECK(kvset_decode("key\0value", 9, &b) == -EBADMSG);
        kvset_clear(&a);
        free(buf);
}

/* What store_publish_owned() skips the transaction on: same keys, same values, any insertion order. */
static void test_equal(void)
{
        struct kvset a = { 0 }, b = { 0 };

        CHECK(kvset_equal(&a, &b), "two empty sets");
        kvset_set(&a, "x", "1");
        kvset_set(&a, "y", "2");
        kvset_set(&b, "y", "2");
        CHECK(!kvset_equal(&a, &b), "a missing key");
        kvset_set(&b, "x", "1");
        CHECK(kvset_equal(&a, &b), "the same items set in another order");
        kvset_set(&b, "x", "3");
        CHECK(!kvset_equal(&a, &b), "another value");
        kvset_remove(&b, "x");
        kvset_set(&b, "z", "1");
        CHECK(!kvset_equal(&a, &b), "another key, same count");
        kvset_clear(&a);
        kvset_clear(&b);
}

int main(void)
{
        test_set_get_order();
        test_prefix();
        test_copy();
        test_encode();
        test_equal();
        return check_exit("kvset");
}
