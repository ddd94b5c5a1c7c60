/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The key table, path formatting and matching, and per-key value checks. */
#include "config.h"

#include <string.h>

#include "macro.h"
#include "test-protocol.h"

#define ID "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2b"
#define NIL "00000000-0000-0000-0000-000000000000"

static void test_table(void)
{
        for (int k = 0; k < _PROTO_KEY_MAX; k++) {
                const struct proto_key_info *ki = proto_key_info(k);
                bool has_index = ki && strstr(ki->pattern, "$INDEX");
                bool ok = ki && ki->key == (enum proto_key)k && ki->max > 0 &&
                          ki->max <= PROTO_XS_VALUE_MAX && strlen(ki->pattern) < PROTO_PATH_MAX &&
                          has_index == (ki->index_max > 0) &&
                          (ki->writer == PROTO_WRITER_HOST) ==
                                  (strncmp(ki->pattern, "control/pvh/", 12) == 0) &&
                          (ki->writer == PROTO_WRITER_GUEST) ==
                                  (strncmp(ki->pattern, "data/pvh/", 9) == 0);

                for (int j = 0; ok && j < k; j++)
                        ok = strcmp(proto_key_info(j)->pattern, ki->pattern) != 0;
                CHECK(ok, "key %d %s: bound %zu, index < %u", k, ki ? ki->pattern : "(null)",
                      ki ? ki->max : 0, ki ? ki->index_max : 0);
        }
        CHECK(proto_key_info(_PROTO_KEY_MAX) == NULL, "no key beyond the table");
        CHECK(proto_key_check(_PROTO_KEY_MAX, S("x")) == -PROTO_E_PATH, "key check beyond the table");
}

struct path_case {
        const char *path;
        size_t len;
        int want; /* a key (>= 0) or -PROTO_E_* */
        unsigned iface, index;
        const char *check;
        const char *uuid;
};

#define P(s, k) { S(s), PROTO_KEY_##k, 0, 0, NULL, NULL }
#define PI(s, k, i, x) { S(s), PROTO_KEY_##k, i, x, NULL, NULL }
#define PC(s, k, c) { S(s), PROTO_KEY_##k, 0, 0, c, NULL }
#define PU(s, k, u, x) { S(s), PROTO_KEY_##k, 0, x, NULL, u }
#define PBAD(s, e) { S(s), -PROTO_E_##e, 0, 0, NULL, NULL }

static const struct path_case path_cases[] = {
        P("data/pvh/schema", SCHEMA),
        P("data/pvh/agent/instance", AGENT_INSTANCE),
        P("data/pvh/net/omitted", NET_OMITTED),
        PI("data/pvh/net/7/name", NET_NAME, 7, 0),
        PI("data/pvh/net/2/ipv4/3", NET_IPV4, 2, 3),
        PI("data/pvh/net/0/ipv6/7", NET_IPV6, 0, 7),
        PI("data/pvh/net/5/omitted", NET_IF_OMITTED, 5, 0),
        PC("data/pvh/checks/console/status", CHECK_STATUS, "console"),
        PC("data/pvh/checks/future_check/reason", CHECK_REASON, "future_check"),
        PU("data/pvh/answer/" ID "/state", ANSWER_STATE, ID, 0),
        PU("data/pvh/answer/" NIL "/reason", ANSWER_REASON, NIL, 0),
        PU("data/pvh/answer/" ID "/output/7", ANSWER_OUTPUT, ID, 7),
        P("control/pvh/request", REQUEST),
        PBAD("", EMPTY),
        PBAD("data/pvh", PATH),
        PBAD("data/pvh/", PATH),
        PBAD("/data/pvh/schema", PATH),
        PBAD("data/pvh/schema/", PATH),
        PBAD("data//pvh/schema", PATH),
        PBAD("data/pvh/schema2", PATH),
        PBAD("data/pvh/net/0", PATH),
        PBAD("data/pvh/net/0/ipv4", PATH),
        PBAD("data/pvh/sch\0ema", NUL),
        PBAD("data/pvh/net/8/name", RANGE),
        PBAD("data/pvh/net/00/name", NUMBER),
        PBAD("data/pvh/net/x/name", NUMBER),
        PBAD("data/pvh/net/0/ipv4/4", RANGE),
        PBAD("data/pvh/net/0/ipv6/8", RANGE),
        PBAD("data/pvh/checks/Console/status", CHARSET),
        PBAD("data/pvh/checks/abcdefghijabcdefghijabcdefghijabc/status", TOO_LONG),
        PBAD("data/pvh/answer/" "3F2B8C1E-9A4D-4E5F-8A6B-7C8D9E0F1A2B" "/state", UUID),
        PBAD("data/pvh/answer/3f2b8c1e/state", TRUNCATED),
        PBAD("data/pvh/answer/" ID "/output/8", RANGE),
        PBAD("data/pvh/answer/" ID "/output/x/y/z/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaa", PATH),
};

static void test_paths(void)
{
        char esc[256], buf[PROTO_PATH_MAX];

        for (size_t i = 0; i < ELEMENTSOF(path_cases); i++) {
                const struct path_case *c = &path_cases[i];
                struct proto_path_args a = {};
                size_t check_len = 0;
                int r = proto_path_match(c->path, c->len, &a, &check_len);
                bool ok = r == c->want;

                if (ok && r >= 0) {
                        const struct proto_key_info *ki = proto_key_info(r);

                        if (strstr(ki->pattern, "$IF"))
                                ok = ok && a.iface == c->iface;
                        if (strstr(ki->pattern, "$INDEX"))
                                ok = ok && a.index == c->index;
                        if (c->check)
                                ok = ok && check_len == strlen(c->check) &&
                                     memcmp(a.check_name, c->check, check_len) == 0;
                        if (c->uuid)
                                ok = ok && strcmp(a.uuid, c->uuid) == 0;
                        /* And back: formatting the parsed arguments gives the path. */
                        if (ok) {
                                char name[PROTO_CHECK_ID_MAX + 1] = "";
                                int n;

                                if (c->check) {
                                        memcpy(name, a.check_name, check_len);
                                        a.check_name = name;
                                }
                                n = proto_path_format(r, &a, buf, sizeof(buf));
                                ok = n == (int)c->len && strcmp(buf, c->path) == 0;
                        }
                }
                CHECK(ok, "path \"%s\" -> %d %s (want %d %s)",
                      unit_escape(c->path, c->len, esc, sizeof(esc)), r,
                      r < 0 ? proto_error_name(r) : proto_key_info(r)->pattern, c->want,
                      c->want < 0 ? proto_error_name(c->want) : proto_key_info(c->want)->pattern);
        }
}

static void test_format(void)
{
        struct proto_path_args a = { .iface = 1, .index = 2, .check = PROTO_CHECK_BLKFRONT };
        char buf[PROTO_PATH_MAX];
        int r;

        memcpy(a.uuid, ID, sizeof(a.uuid));
        r = proto_path_format(PROTO_KEY_NET_IPV6, &a, buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, "data/pvh/net/1/ipv6/2") == 0, "format ipv6 -> %s", buf);
        r = proto_path_format(PROTO_KEY_CHECK_STATUS, &a, buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, "data/pvh/checks/blkfront/status") == 0, "format check -> %s",
              buf);
        r = proto_path_format(PROTO_KEY_ANSWER_OUTPUT, &a, buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, "data/pvh/answer/" ID "/output/2") == 0, "format output -> %s",
              buf);
        r = proto_path_format(PROTO_KEY_SCHEMA, NULL, buf, sizeof(buf));
        CHECK(r == 15 && strcmp(buf, "data/pvh/schema") == 0, "format schema without args -> %s",
              buf);
        r = proto_path_format(PROTO_KEY_NET_NAME, NULL, buf, sizeof(buf));
        CHECK(r == -PROTO_E_PATH, "format a pattern without args -> %s", proto_error_name(r));
        r = proto_path_format(PROTO_KEY_SCHEMA, NULL, buf, 15);
        CHECK(r == -PROTO_E_NOSPACE, "format into a short buffer -> %s", proto_error_name(r));
        r = proto_path_format(PROTO_KEY_NET_IPV4, &a, buf, 15);
        CHECK(r == -PROTO_E_NOSPACE, "format a placeholder into a short buffer -> %s",
              proto_error_name(r));
        r = proto_path_format(_PROTO_KEY_MAX, &a, buf, sizeof(buf));
        CHECK(r == -PROTO_E_PATH, "format beyond the table -> %s", proto_error_name(r));

        a.iface = PROTO_NET_IF_MAX;
        r = proto_path_format(PROTO_KEY_NET_NAME, &a, buf, sizeof(buf));
        CHECK(r == -PROTO_E_RANGE, "format $IF 8 -> %s", proto_error_name(r));
        a.iface = 0;
        a.index = PROTO_NET_IPV4_MAX;
        r = proto_path_format(PROTO_KEY_NET_IPV4, &a, buf, sizeof(buf));
        CHECK(r == -PROTO_E_RANGE, "format ipv4 $INDEX 4 -> %s", proto_error_name(r));
        a.check = _PROTO_CHECK_MAX;
        r = proto_path_format(PROTO_KEY_CHECK_STATUS, &a, buf, sizeof(buf));
        CHECK(r == -PROTO_E_ENUM, "format an unknown check enum -> %s", proto_error_name(r));
        a.check_name = "bad/name";
        r = proto_path_format(PROTO_KEY_CHECK_STATUS, &a, buf, sizeof(buf));
        CHECK(r == -PROTO_E_CHARSET, "format a check name with a slash -> %s", proto_error_name(r));
        memcpy(a.uuid, "not-a-uuid", 11);
        r = proto_path_format(PROTO_KEY_ANSWER_STATE, &a, buf, sizeof(buf));
        CHECK(r == -PROTO_E_UUID, "format a bad uuid -> %s", proto_error_name(r));
        memcpy(a.uuid, NIL, sizeof(a.uuid));
        r = proto_path_format(PROTO_KEY_ANSWER_STATE, &a, buf, sizeof(buf));
        CHECK(r > 0, "format the nil uuid (answers to id-less requests) -> %s", buf);
}

static void test_domain_paths(void)
{
        struct proto_path_args a = { .iface = 7, .index = 3 };
        char buf[PROTO_DOMAIN_PATH_MAX], small[24];
        int r;

        r = proto_domain_path(4294967295u, NULL, buf, sizeof(buf));
        CHECK(r == 24 && strcmp(buf, "/local/domain/4294967295") == 0, "home -> %s", buf);
        r = proto_domain_path(3, "", buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, "/local/domain/3") == 0, "empty rel is the home -> %s", buf);
        r = proto_domain_path(3, "name", buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, "/local/domain/3/name") == 0, "name -> %s", buf);
        r = proto_domain_path(3, PROTO_GUEST_DIR, buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, "/local/domain/3/data/pvh") == 0, "guest dir -> %s", buf);
        r = proto_domain_key_path(12, PROTO_KEY_NET_IPV6, &a, buf, sizeof(buf));
        CHECK(r == (int)strlen(buf) && strcmp(buf, "/local/domain/12/data/pvh/net/7/ipv6/3") == 0,
              "key path -> %s", buf);
        r = proto_domain_key_path(12, PROTO_KEY_REQUEST, NULL, buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, "/local/domain/12/control/pvh/request") == 0, "request -> %s",
              buf);
        r = proto_domain_key_path(12, PROTO_KEY_REQUEST, NULL, small, sizeof(small));
        CHECK(r == -PROTO_E_NOSPACE, "key path into a short buffer -> %s", proto_error_name(r));
        r = proto_domain_path(4294967295u, NULL, small, 24);
        CHECK(r == -PROTO_E_NOSPACE, "home into a buffer one short -> %s", proto_error_name(r));
        r = proto_domain_key_path(1, PROTO_KEY_NET_IPV4, NULL, buf, sizeof(buf));
        CHECK(r == -PROTO_E_PATH, "a placeholder key without args -> %s", proto_error_name(r));
}

static void test_key_checks(void)
{
        static const struct {
                enum proto_key key;
                const char *buf;
                size_t len;
                int want;
        } cases[] = {
                { PROTO_KEY_SCHEMA, S(PROTO_SCHEMA_STRING), 0 },
                { PROTO_KEY_AGENT_BOOT_ID, S(ID), 0 },
                { PROTO_KEY_AGENT_BOOT_ID, S(NIL), PROTO_E_NIL_UUID },
                { PROTO_KEY_LAST_REQUEST, S(NIL), 0 },
                { PROTO_KEY_NET_NAME, S("eth0123456789ab"), 0 },
                { PROTO_KEY_NET_NAME, S("eth0123456789abc"), PROTO_E_TOO_LONG },
                { PROTO_KEY_VERDICT, S(""), PROTO_E_EMPTY },
                { PROTO_KEY_REQUEST, S(""), 0 },
                { PROTO_KEY_ANSWER_MESSAGE, S("pong"), 0 },
                { PROTO_KEY_ANSWER_OUTPUT, S("line 1\nline 2\n"), 0 },
                { PROTO_KEY_ANSWER_MESSAGE, S("line 1\nline 2"), PROTO_E_CONTROL },
                { PROTO_KEY_CHECK_REASON, S("CONFIG_XEN_PVH is not set"), 0 },
                { PROTO_KEY_NET_VIF, S("65535"), 0 },
                { PROTO_KEY_NET_VIF, S("123456"), PROTO_E_TOO_LONG },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = proto_key_check(cases[i].key, cases[i].buf, cases[i].len);

                CHECK(r == -cases[i].want, "key %s = \"%s\" -> %s",
                      proto_key_info(cases[i].key)->pattern, cases[i].buf, proto_error_name(r));
        }
}

int main(void)
{
        test_table();
        test_paths();
        test_format();
        test_domain_paths();
        test_key_checks();
        return unit_exit();
}
