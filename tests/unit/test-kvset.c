/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
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

int main(void)
{
        test_set_get_order();
        test_prefix();
        test_copy();
        return check_exit("kvset");
}
