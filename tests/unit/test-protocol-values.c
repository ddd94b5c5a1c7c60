/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every value type and typed decoder, against every distinct error. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "test-protocol.h"

struct value_case {
        enum proto_type type;
        const char *buf;
        size_t len;
        int want; /* 0 or a PROTO_E_* (positive) */
};

#define OK(t, s) { t, S(s), 0 }
#define BAD(t, s, e) { t, S(s), PROTO_E_##e }

static const struct value_case value_cases[] = {
        /* schema */
        OK(PROTO_T_SCHEMA, "1.0"),
        OK(PROTO_T_SCHEMA, "1.12"),
        BAD(PROTO_T_SCHEMA, "", EMPTY),
        BAD(PROTO_T_SCHEMA, "1.00000000000000000", TOO_LONG),
        BAD(PROTO_T_SCHEMA, "1\0.0", NUL),
        BAD(PROTO_T_SCHEMA, "1.0\n", CONTROL),
        BAD(PROTO_T_SCHEMA, "v1.0", CHARSET),
        BAD(PROTO_T_SCHEMA, "1", TRUNCATED),
        BAD(PROTO_T_SCHEMA, "1.", TRUNCATED),
        BAD(PROTO_T_SCHEMA, ".0", SCHEMA),
        BAD(PROTO_T_SCHEMA, "01.0", SCHEMA),
        BAD(PROTO_T_SCHEMA, "1.0.1", SCHEMA),
        BAD(PROTO_T_SCHEMA, "1000.0", SCHEMA),
        BAD(PROTO_T_SCHEMA, "2.0", INCOMPATIBLE),
        BAD(PROTO_T_SCHEMA, "0.9", INCOMPATIBLE),
        /* agent version */
        OK(PROTO_T_VERSION, "0.1.0"),
        OK(PROTO_T_VERSION, "1.2~rc1+deb12u1"),
        BAD(PROTO_T_VERSION, "", EMPTY),
        BAD(PROTO_T_VERSION, "0.1 beta", CHARSET),
        BAD(PROTO_T_VERSION, "0.1\x1b[31m", CONTROL),
        BAD(PROTO_T_VERSION, "0.1\0", NUL),
        BAD(PROTO_T_VERSION, "0.1\xc3\xa9", CHARSET),
        /* actions */
        OK(PROTO_T_ACTIONS, "ping probe prepare rollback"),
        OK(PROTO_T_ACTIONS, "ping"),
        OK(PROTO_T_ACTIONS, "ping teleport"),
        BAD(PROTO_T_ACTIONS, "", EMPTY),
        BAD(PROTO_T_ACTIONS, "ping  probe", SYNTAX),
        BAD(PROTO_T_ACTIONS, " ping", SYNTAX),
        BAD(PROTO_T_ACTIONS, "ping ", SYNTAX),
        BAD(PROTO_T_ACTIONS, "ping Probe", CHARSET),
        BAD(PROTO_T_ACTIONS, "ping;reboot", CHARSET),
        BAD(PROTO_T_ACTIONS, "ping\tprobe", CONTROL),
        BAD(PROTO_T_ACTIONS, "ping\0probe", NUL),
        BAD(PROTO_T_ACTIONS, "ping ping", DUPLICATE),
        OK(PROTO_T_ACTIONS, "x y z"),
        BAD(PROTO_T_ACTIONS, "a b c d e f g h i j k l m n o p q", TOO_MANY),
        BAD(PROTO_T_ACTIONS, "abcdefghijabcdefghijabcdefghijabc", TOO_LONG),
        /* UUIDs */
        OK(PROTO_T_UUID, "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2b"),
        BAD(PROTO_T_UUID, "", EMPTY),
        BAD(PROTO_T_UUID, "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2b0", TOO_LONG),
        BAD(PROTO_T_UUID, "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2", TRUNCATED),
        BAD(PROTO_T_UUID, "3f2b8c1e", TRUNCATED),
        BAD(PROTO_T_UUID, "3F2B8C1E-9A4D-4E5F-8A6B-7C8D9E0F1A2B", UUID),
        BAD(PROTO_T_UUID, "3f2b8c1e-9a4d-4e5f-8a6b+7c8d9e0f1a2b", UUID),
        BAD(PROTO_T_UUID, "3f2b8c1e9a4d4e5f8a6b7c8d9e0f1a2b", UUID),
        BAD(PROTO_T_UUID, "{3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2}", TOO_LONG),
        BAD(PROTO_T_UUID, "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2g", UUID),
        BAD(PROTO_T_UUID, "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2\0", NUL),
        BAD(PROTO_T_UUID, "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2\n", CONTROL),
        BAD(PROTO_T_UUID, "00000000-0000-0000-0000-000000000000", NIL_UUID),
        OK(PROTO_T_ANSWER_ID, "00000000-0000-0000-0000-000000000000"),
        OK(PROTO_T_ANSWER_ID, "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2b"),
        BAD(PROTO_T_ANSWER_ID, "0000", TRUNCATED),
        /* enums */
        OK(PROTO_T_GUEST_TYPE, "PV"),
        OK(PROTO_T_GUEST_TYPE, "PVH"),
        OK(PROTO_T_GUEST_TYPE, "HVM"),
        OK(PROTO_T_GUEST_TYPE, "unknown"),
        BAD(PROTO_T_GUEST_TYPE, "pvh", ENUM),
        BAD(PROTO_T_GUEST_TYPE, "PVH ", CHARSET),
        BAD(PROTO_T_GUEST_TYPE, "PVH\0", NUL),
        BAD(PROTO_T_GUEST_TYPE, "PV\x7f", CONTROL),
        BAD(PROTO_T_GUEST_TYPE, "", EMPTY),
        BAD(PROTO_T_GUEST_TYPE, "PVHPVHPVHPVHPVHPVHPVHPVHPVHPVHPVH", TOO_LONG),
        OK(PROTO_T_VERDICT, "ready"),
        OK(PROTO_T_VERDICT, "fixable"),
        OK(PROTO_T_VERDICT, "blocked"),
        OK(PROTO_T_VERDICT, "unknown"),
        BAD(PROTO_T_VERDICT, "Ready", ENUM),
        BAD(PROTO_T_VERDICT, "ready\r", CONTROL),
        BAD(PROTO_T_VERDICT, "rea", ENUM),
        OK(PROTO_T_STATUS, "pass"),
        OK(PROTO_T_STATUS, "warn"),
        OK(PROTO_T_STATUS, "fail"),
        OK(PROTO_T_STATUS, "skip"),
        BAD(PROTO_T_STATUS, "ok", ENUM),
        BAD(PROTO_T_STATUS, "fail\0pass", NUL),
        OK(PROTO_T_STATE, "accepted"),
        OK(PROTO_T_STATE, "running"),
        OK(PROTO_T_STATE, "done"),
        OK(PROTO_T_STATE, "failed"),
        BAD(PROTO_T_STATE, "finished", ENUM),
        BAD(PROTO_T_STATE, "don\xc3\xa9", CHARSET),
        /* tokens */
        OK(PROTO_T_ACTION, "teleport"),
        OK(PROTO_T_ACTION, "dry-run"),
        BAD(PROTO_T_ACTION, "-x", CHARSET),
        BAD(PROTO_T_ACTION, "Ping", CHARSET),
        BAD(PROTO_T_ACTION, "abcdefghijabcdefghijabcdefghijabc", TOO_LONG),
        OK(PROTO_T_REASON, "busy"),
        BAD(PROTO_T_REASON, "bu sy", CHARSET),
        OK(PROTO_T_CHECK_ID, "kernel_pvh"),
        OK(PROTO_T_CHECK_ID, "future_check2"),
        BAD(PROTO_T_CHECK_ID, "kernel-config", CHARSET),
        BAD(PROTO_T_CHECK_ID, "2fast", CHARSET),
        BAD(PROTO_T_CHECK_ID, "abcdefghijabcdefghijabcdefghijabc", TOO_LONG),
        /* kernel, os */
        OK(PROTO_T_RELEASE, "6.1.0-47-amd64"),
        OK(PROTO_T_RELEASE, "5.14.0-427.el9.x86_64+debug"),
        BAD(PROTO_T_RELEASE, "6.1.0 amd64", CHARSET),
        BAD(PROTO_T_RELEASE, "6.1.0\xe2\x80\xae", CHARSET),
        BAD(PROTO_T_RELEASE, "6.1.0\x1b", CONTROL),
        OK(PROTO_T_ARCH, "x86_64"),
        OK(PROTO_T_ARCH, "i686"),
        BAD(PROTO_T_ARCH, "X86_64", CHARSET),
        OK(PROTO_T_OS_ID, "debian"),
        OK(PROTO_T_OS_ID, "opensuse-leap"),
        BAD(PROTO_T_OS_ID, "Debian", CHARSET),
        BAD(PROTO_T_OS_ID, "debian\0", NUL),
        OK(PROTO_T_OS_VERSION, "22.04"),
        OK(PROTO_T_OS_VERSION, "9.4"),
        BAD(PROTO_T_OS_VERSION, "22.04 LTS", CHARSET),
        /* text */
        OK(PROTO_T_TEXT, "Debian GNU/Linux 12 (bookworm)"),
        OK(PROTO_T_TEXT, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7"),
        BAD(PROTO_T_TEXT, "", EMPTY),
        BAD(PROTO_T_TEXT, "two\nlines", CONTROL),
        BAD(PROTO_T_TEXT, "tab\there", CONTROL),
        BAD(PROTO_T_TEXT, "esc\x1b[2J", CONTROL),
        BAD(PROTO_T_TEXT, "del\x7f", CONTROL),
        BAD(PROTO_T_TEXT, "c1 \xc2\x9b" "31m", CONTROL),
        BAD(PROTO_T_TEXT, "bidi \xe2\x80\xae", CONTROL),
        BAD(PROTO_T_TEXT, "isolate \xe2\x81\xa6", CONTROL),
        BAD(PROTO_T_TEXT, "line sep \xe2\x80\xa8", CONTROL),
        /* Format characters (Cf), since 1.1: invisible, they join, hide or reorder text. */
        BAD(PROTO_T_TEXT, "zero\xe2\x80\x8bwidth space", CONTROL),
        BAD(PROTO_T_TEXT, "non\xe2\x80\x8cjoiner", CONTROL),
        BAD(PROTO_T_TEXT, "joiner \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb", CONTROL),
        BAD(PROTO_T_TEXT, "LRM \xe2\x80\x8e", CONTROL),
        BAD(PROTO_T_TEXT, "RLM \xe2\x80\x8f", CONTROL),
        BAD(PROTO_T_TEXT, "ALM \xd8\x9c", CONTROL),
        BAD(PROTO_T_TEXT, "embedding \xe2\x80\xaa", CONTROL),
        BAD(PROTO_T_TEXT, "word\xe2\x81\xa0joiner", CONTROL),
        BAD(PROTO_T_TEXT, "deprecated \xe2\x81\xaf", CONTROL),
        BAD(PROTO_T_TEXT, "\xef\xbb\xbf" "BOM", CONTROL),
        BAD(PROTO_T_TEXT, "soft\xc2\xadhyphen", CONTROL),
        BAD(PROTO_T_TEXT, "Mongolian \xe1\xa0\x8e", CONTROL),
        BAD(PROTO_T_TEXT, "annotation \xef\xbf\xb9", CONTROL),
        BAD(PROTO_T_TEXT, "tag \xf3\xa0\x80\x81", CONTROL),
        BAD(PROTO_T_TEXT, "tag \xf3\xa0\x81\xbf", CONTROL),
        BAD(PROTO_T_TEXT, "Egyptian \xf0\x93\x90\xbf", CONTROL),
        BAD(PROTO_T_BLOCK, "line\n\xe2\x80\x8b", CONTROL),
        /* Visible neighbours stay valid: full-width letters, a combining accent, NBSP. */
        OK(PROTO_T_TEXT, "\xef\xbd\x92\xef\xbd\x85\xef\xbd\x81\xef\xbd\x84\xef\xbd\x99"),
        OK(PROTO_T_TEXT, "cafe\xcc\x81"),
        OK(PROTO_T_TEXT, "no\xc2\xa0" "break"),
        OK(PROTO_T_TEXT, "before \xe2\x80\x8a after \xe2\x81\xb0"),
        BAD(PROTO_T_TEXT, "nul\0inside", NUL),
        BAD(PROTO_T_TEXT, "latin1 caf\xe9 noir", UTF8),
        BAD(PROTO_T_TEXT, "latin1 caf\xe9", TRUNCATED),
        BAD(PROTO_T_TEXT, "overlong \xc0\xaf", UTF8),
        BAD(PROTO_T_TEXT, "overlong \xe0\x80\xaf", UTF8),
        BAD(PROTO_T_TEXT, "surrogate \xed\xa0\x80", UTF8),
        BAD(PROTO_T_TEXT, "too big \xf4\x90\x80\x80", UTF8),
        BAD(PROTO_T_TEXT, "stray \x80", UTF8),
        BAD(PROTO_T_TEXT, "bad cont \xe2\x28\xa1", UTF8),
        BAD(PROTO_T_TEXT, "cut \xe2\x82", TRUNCATED),
        BAD(PROTO_T_TEXT, "cut \xf0\x9f\x90", TRUNCATED),
        BAD(PROTO_T_TEXT, "cut \xc3", TRUNCATED),
        OK(PROTO_T_BLOCK, "--- a/etc/default/grub\n+++ b/etc/default/grub\n\tindented\n"),
        BAD(PROTO_T_BLOCK, "crlf\r\n", CONTROL),
        BAD(PROTO_T_BLOCK, "bell\a", CONTROL),
        BAD(PROTO_T_BLOCK, "nul\n\0", NUL),
        OK(PROTO_T_FILE_PATH, "/boot/vmlinuz-6.1.0-47-amd64"),
        BAD(PROTO_T_FILE_PATH, "boot/vmlinuz", SYNTAX),
        BAD(PROTO_T_FILE_PATH, "/boot/vmlinuz\n", CONTROL),
        /* network */
        OK(PROTO_T_IFNAME, "eth0"),
        OK(PROTO_T_IFNAME, "enX0"),
        OK(PROTO_T_IFNAME, "veth-a.100"),
        BAD(PROTO_T_IFNAME, "eth0:1", CHARSET),
        BAD(PROTO_T_IFNAME, "a/b", CHARSET),
        BAD(PROTO_T_IFNAME, "eth 0", CHARSET),
        BAD(PROTO_T_IFNAME, ".", SYNTAX),
        BAD(PROTO_T_IFNAME, "..", SYNTAX),
        OK(PROTO_T_MAC, "00:16:3e:5a:01:02"),
        BAD(PROTO_T_MAC, "00:16:3E:5A:01:02", MAC),
        BAD(PROTO_T_MAC, "00-16-3e-5a-01-02", MAC),
        BAD(PROTO_T_MAC, "00:16:3e:5a:01", TRUNCATED),
        BAD(PROTO_T_MAC, "00:16:3e:5a:01:", TRUNCATED),
        BAD(PROTO_T_MAC, "00:16:3e:5a:01:02:03", TOO_LONG),
        BAD(PROTO_T_MAC, "00:16:3e:5a:01:0\0", NUL),
        OK(PROTO_T_VIF, "0"),
        OK(PROTO_T_VIF, "65535"),
        BAD(PROTO_T_VIF, "65536", RANGE),
        BAD(PROTO_T_VIF, "007", NUMBER),
        BAD(PROTO_T_VIF, "-1", NUMBER),
        BAD(PROTO_T_VIF, "+1", NUMBER),
        BAD(PROTO_T_VIF, "123456", TOO_LONG),
        OK(PROTO_T_COUNT, "0"),
        OK(PROTO_T_COUNT, "1000000"),
        BAD(PROTO_T_COUNT, "1000001", RANGE),
        BAD(PROTO_T_COUNT, "99999999999", TOO_LONG),
        BAD(PROTO_T_COUNT, "1e3", NUMBER),
        BAD(PROTO_T_COUNT, " 1", NUMBER),
        BAD(PROTO_T_COUNT, "1\n", CONTROL),
        OK(PROTO_T_IPV4, "192.0.2.10/24"),
        OK(PROTO_T_IPV4, "0.0.0.0/0"),
        OK(PROTO_T_IPV4, "255.255.255.255/32"),
        BAD(PROTO_T_IPV4, "192.0.2.10", TRUNCATED),
        BAD(PROTO_T_IPV4, "192.0.2.10/", TRUNCATED),
        BAD(PROTO_T_IPV4, "192.0.2.10/33", RANGE),
        BAD(PROTO_T_IPV4, "192.0.2.10/024", ADDRESS),
        BAD(PROTO_T_IPV4, "192.0.02.10/24", ADDRESS),
        BAD(PROTO_T_IPV4, "192.0.2/24", ADDRESS),
        BAD(PROTO_T_IPV4, "192.0.2.256/24", ADDRESS),
        BAD(PROTO_T_IPV4, "/24", ADDRESS),
        BAD(PROTO_T_IPV4, "192.0.2.10/24/1", ADDRESS),
        BAD(PROTO_T_IPV4, "2001:db8::1/64", ADDRESS),
        BAD(PROTO_T_IPV4, "255.255.255.255/320", TOO_LONG),
        BAD(PROTO_T_IPV4, "192.0.2.1\0/24", NUL),
        OK(PROTO_T_IPV6, "2001:db8::10/64"),
        OK(PROTO_T_IPV6, "fe80::216:3eff:fe5a:102/64"),
        OK(PROTO_T_IPV6, "::1/128"),
        OK(PROTO_T_IPV6, "::ffff:192.0.2.1/96"),
        BAD(PROTO_T_IPV6, "2001:DB8::10/64", ADDRESS),
        BAD(PROTO_T_IPV6, "2001:db8:0:0:0:0:0:10/64", ADDRESS),
        BAD(PROTO_T_IPV6, "2001:0db8::10/64", ADDRESS),
        BAD(PROTO_T_IPV6, "2001:db8::10/129", RANGE),
        BAD(PROTO_T_IPV6, "2001:db8::10", TRUNCATED),
        BAD(PROTO_T_IPV6, "2001:db8:::10/64", ADDRESS),
        BAD(PROTO_T_IPV6, "fe80::1%eth0/64", ADDRESS),
        BAD(PROTO_T_IPV6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", ADDRESS),
        BAD(PROTO_T_IPV6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/1280", TOO_LONG),
        /* requests through the value check (details in test-protocol-request) */
        OK(PROTO_T_REQUEST, ""),
        OK(PROTO_T_REQUEST, "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2b ping"),
        BAD(PROTO_T_REQUEST, "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2b ping;reboot", CHARSET),
};

static void test_values(void)
{
        char esc[256];

        for (size_t i = 0; i < ELEMENTSOF(value_cases); i++) {
                const struct value_case *c = &value_cases[i];
                int r = proto_value_check(c->type, c->buf, c->len, PROTO_XS_VALUE_MAX);
                int max_r;

                /* Bounds as the key table would apply them, where they are tighter. */
                switch (c->type) {
                case PROTO_T_VERSION:
                case PROTO_T_RELEASE:
                case PROTO_T_OS_ID:
                case PROTO_T_OS_VERSION:
                        max_r = 64;
                        break;
                case PROTO_T_ARCH:
                case PROTO_T_ACTION:
                case PROTO_T_REASON:
                case PROTO_T_CHECK_ID:
                        max_r = 32;
                        break;
                case PROTO_T_IFNAME:
                        max_r = 15;
                        break;
                case PROTO_T_VIF:
                        max_r = 5;
                        break;
                default:
                        max_r = PROTO_XS_VALUE_MAX;
                }
                if (max_r != PROTO_XS_VALUE_MAX)
                        r = proto_value_check(c->type, c->buf, c->len, (size_t)max_r);
                CHECK(r == -c->want, "value type %d \"%s\" -> %s (want %s)", c->type,
                      unit_escape(c->buf, c->len, esc, sizeof(esc)), proto_error_name(r),
                      proto_error_name(c->want));
        }
}

static void test_limits(void)
{
        static char big[PROTO_XS_VALUE_MAX + 2];
        int r;

        memset(big, 'a', sizeof(big));
        r = proto_value_check(PROTO_T_BLOCK, big, PROTO_XS_VALUE_MAX, 1u << 20);
        CHECK(r == 0, "a 2048-byte BLOCK is valid -> %s", proto_error_name(r));
        r = proto_value_check(PROTO_T_BLOCK, big, PROTO_XS_VALUE_MAX + 1, 1u << 20);
        CHECK(r == -PROTO_E_TOO_LONG, "a 2049-byte BLOCK is refused even with a larger bound -> %s",
              proto_error_name(r));
        r = proto_value_check(PROTO_T_TEXT, big, 257, 256);
        CHECK(r == -PROTO_E_TOO_LONG, "257 bytes against a bound of 256 -> %s", proto_error_name(r));
        /* Size is checked before bytes: an over-long value full of NULs is too long. */
        memset(big, 0, sizeof(big));
        r = proto_value_check(PROTO_T_TEXT, big, 300, 256);
        CHECK(r == -PROTO_E_TOO_LONG, "over-long NULs -> %s", proto_error_name(r));
}

/* Schema 1.3: "ACTION-dry-run" for an action taken with dry-run only. */
static void test_dry_run_only(void)
{
        const unsigned ping_probe = (1u << PROTO_ACTION_PING) | (1u << PROTO_ACTION_PROBE);
        struct proto_actions a;
        char buf[64];
        int r;

        r = proto_actions_encode(&(struct proto_actions){ .known = ping_probe,
                                                          .dry_run_only = ~0u },
                                 buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, "ping probe prepare-dry-run") == 0,
              "dry-run only: only actions that take dry-run -> \"%s\"", buf);
        r = proto_actions_decode(S("ping probe prepare-dry-run"), &a);
        CHECK(r == 0 && a.known == ping_probe && a.dry_run_only == 1u << PROTO_ACTION_PREPARE &&
                      a.n_unknown == 0,
              "decode prepare-dry-run: known %#x, dry-run only %#x, %u unknown", a.known,
              a.dry_run_only, a.n_unknown);
        CHECK(proto_actions_allow(&a, PROTO_ACTION_PREPARE, 1u << PROTO_ARG_DRY_RUN),
              "a dry-run prepare is allowed");
        CHECK(!proto_actions_allow(&a, PROTO_ACTION_PREPARE, 0), "a real prepare is not");
        CHECK(!proto_actions_allow(&a, PROTO_ACTION_ROLLBACK, 0), "rollback is not listed");
        CHECK(proto_actions_allow(&a, PROTO_ACTION_PING, 0), "ping is listed");
        r = proto_actions_decode(S("ping rollback-dry-run probe-dry-run teleport-dry-run"), &a);
        CHECK(r == 0 && a.dry_run_only == 0 && a.n_unknown == 3,
              "-dry-run of an action without dry-run is an unknown token (%u unknown, %#x)",
              a.n_unknown, a.dry_run_only);
        r = proto_actions_decode(S("prepare prepare-dry-run"), &a);
        CHECK(r == 0 && a.known == 1u << PROTO_ACTION_PREPARE && a.dry_run_only == 0,
              "prepare listed whole wins over prepare-dry-run (%#x, %#x)", a.known, a.dry_run_only);
        CHECK(proto_actions_allow(&a, PROTO_ACTION_PREPARE, 0), "and allows a real prepare");
        r = proto_actions_decode(S("-dry-run"), &a);
        CHECK(r == -PROTO_E_CHARSET, "a bare -dry-run is no token -> %s", proto_error_name(r));
}

static void test_typed(void)
{
        struct proto_schema sc = { 7, 7 };
        struct proto_uuid u;
        struct proto_actions a;
        struct proto_ip ip;
        uint8_t mac[6];
        uint32_t n = 42;
        char buf[64];
        int r;

        r = proto_schema_decode(S("1.3"), &sc);
        CHECK(r == 0 && sc.major == 1 && sc.minor == 3, "schema 1.3 -> %u.%u", sc.major, sc.minor);
        r = proto_schema_decode(S("2.5"), &sc);
        CHECK(r == -PROTO_E_INCOMPATIBLE && sc.major == 2 && sc.minor == 5,
              "schema 2.5 is incompatible and still read -> %u.%u", sc.major, sc.minor);

        r = proto_uuid_decode(S("00000000-0000-0000-0000-000000000000"), &u);
        CHECK(r == -PROTO_E_NIL_UUID && proto_uuid_is_nil(&u), "nil uuid is filled and flagged");

        r = proto_actions_decode(S("rollback ping teleport warp"), &a);
        CHECK(r == 0 && a.known == ((1u << PROTO_ACTION_PING) | (1u << PROTO_ACTION_ROLLBACK)) &&
                      a.n_unknown == 2,
              "actions: known mask %#x, %u unknown", a.known, a.n_unknown);
        r = proto_actions_encode(&(struct proto_actions){ .known = ~0u }, buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, "ping probe prepare rollback") == 0, "actions encode -> \"%s\"",
              buf);
        r = proto_actions_encode(&(struct proto_actions){ .known = ~0u }, buf, 10);
        CHECK(r == -PROTO_E_NOSPACE, "actions encode into 10 bytes -> %s", proto_error_name(r));
        r = proto_actions_encode(&(struct proto_actions){ 0 }, buf, sizeof(buf));
        CHECK(r == 0 && buf[0] == 0, "actions encode of nothing -> \"\"");
        test_dry_run_only();

        r = proto_mac_decode(S("00:16:3e:5a:01:ff"), mac);
        CHECK(r == 0 && mac[0] == 0 && mac[2] == 0x3e && mac[5] == 0xff, "mac bytes");

        r = proto_count_decode(S("4294967295"), UINT32_MAX, &n);
        CHECK(r == 0 && n == UINT32_MAX, "count 2^32-1 with max 2^32-1 -> %u", n);
        r = proto_count_decode(S("4294967296"), UINT32_MAX, &n);
        CHECK(r == -PROTO_E_RANGE, "count 2^32 -> %s", proto_error_name(r));

        r = proto_ipv6_decode(S("2001:db8::10/64"), &ip);
        CHECK(r == 0 && ip.family == AF_INET6 && ip.prefix == 64 && ip.addr[15] == 0x10,
              "ipv6 decode");
        r = proto_ip_encode(&ip, buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, "2001:db8::10/64") == 0, "ipv6 round trip -> %s", buf);
        r = proto_ip_encode(&ip, buf, 8);
        CHECK(r == -PROTO_E_NOSPACE, "ip encode into 8 bytes -> %s", proto_error_name(r));
        ip.prefix = 129;
        r = proto_ip_encode(&ip, buf, sizeof(buf));
        CHECK(r == -PROTO_E_RANGE, "ip encode prefix 129 -> %s", proto_error_name(r));
        r = proto_ipv4_decode(S("192.0.2.10/24"), &ip);
        CHECK(r == 0 && ip.family == AF_INET && ip.prefix == 24 && ip.addr[3] == 10, "ipv4 decode");
        r = proto_ip_encode(&ip, buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, "192.0.2.10/24") == 0, "ipv4 round trip -> %s", buf);
}

struct enum_case {
        int (*from)(const char *, size_t);
        const char *(*to)(int);
        int n;
        const char *name;
};

/* to_string takes the enum; these adapters give every table one signature. */
#define TO(name, type)                                  \
        static const char *name##_to(int v)             \
        {                                               \
                return proto_##name##_to_string((type)v); \
        }
TO(guest_type, enum proto_guest_type)
TO(verdict, enum proto_verdict)
TO(status, enum proto_status)
TO(state, enum proto_state)
TO(action, enum proto_action)
TO(reason, enum proto_reason)
TO(check, enum proto_check)
TO(arg, enum proto_arg)

static void test_enums(void)
{
        static const struct enum_case cases[] = {
                { proto_guest_type_from_string, guest_type_to, _PROTO_GUEST_MAX, "guest_type" },
                { proto_verdict_from_string, verdict_to, _PROTO_VERDICT_MAX, "verdict" },
                { proto_status_from_string, status_to, _PROTO_STATUS_MAX, "status" },
                { proto_state_from_string, state_to, _PROTO_STATE_MAX, "state" },
                { proto_action_from_string, action_to, _PROTO_ACTION_MAX, "action" },
                { proto_reason_from_string, reason_to, _PROTO_REASON_MAX, "reason" },
                { proto_check_from_string, check_to, _PROTO_CHECK_MAX, "check" },
                { proto_arg_from_string, arg_to, _PROTO_ARG_MAX, "arg" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct enum_case *c = &cases[i];

                for (int v = 0; v < c->n; v++) {
                        const char *s = c->to(v);
                        int back = s ? c->from(s, strlen(s)) : -1;

                        CHECK(s && back == v, "%s %d <-> \"%s\"", c->name, v, s ? s : "(null)");
                }
                CHECK(c->to(c->n) == NULL && c->to(-1) == NULL, "%s out of range -> NULL",
                      c->name);
                CHECK(c->from(S("zzz")) == -PROTO_E_ENUM, "%s \"zzz\" -> enum", c->name);
                CHECK(c->from(S("")) == -PROTO_E_EMPTY, "%s \"\" -> empty", c->name);
        }
        CHECK(proto_state_is_final(PROTO_STATE_DONE) && proto_state_is_final(PROTO_STATE_FAILED) &&
                      !proto_state_is_final(PROTO_STATE_ACCEPTED) &&
                      !proto_state_is_final(PROTO_STATE_RUNNING),
              "final states are done and failed");
        CHECK(proto_action_args(PROTO_ACTION_PREPARE) == 1u << PROTO_ARG_DRY_RUN &&
                      proto_action_args(PROTO_ACTION_PING) == 0 &&
                      proto_action_args(_PROTO_ACTION_MAX) == 0,
              "only prepare takes dry-run");
}

static void test_sanitize(void)
{
        static const struct {
                const char *in;
                size_t len;
                bool multiline;
                size_t size;
                const char *want;
                size_t consumed;
        } cases[] = {
                { S("plain"), false, 64, "plain", 5 },
                { S("a\nb\tc"), false, 64, "a?b?c", 5 },
                { S("a\nb\tc\r"), true, 64, "a\nb\tc?", 6 },
                { S("esc\x1b[2J"), false, 64, "esc?[2J", 7 },
                { S("caf\xe9!"), false, 64, "caf?!", 5 },
                { S("\xe2\x80\xae" "rtl"), false, 64, "?rtl", 6 },
                { S("zw\xe2\x80\x8bsp\xe2\x80\x8ejoin"), false, 64, "zw?sp?join", 14 },
                { S("nul\0x"), false, 64, "nul?x", 5 },
                { S("\xc2\x9b"), false, 64, "?", 2 },
                /* Cut at a character boundary: 3 bytes of room, a 2-byte char after "ab". */
                { S("ab\xc3\xa9"), false, 4, "ab", 2 },
                { S("abc\xe2\x82"), false, 64, "abc??", 5 },
                { S("xyz"), false, 1, "", 0 },
        };
        char out[64], e1[128], e2[128];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t consumed = 99;
                size_t n = proto_text_sanitize(cases[i].in, cases[i].len, cases[i].multiline, out,
                                               cases[i].size, &consumed);
                int r = n ? proto_value_check(cases[i].multiline ? PROTO_T_BLOCK : PROTO_T_TEXT,
                                              out, n, PROTO_XS_VALUE_MAX)
                          : 0;

                CHECK(n == strlen(cases[i].want) && strcmp(out, cases[i].want) == 0 &&
                              consumed == cases[i].consumed && r == 0,
                      "sanitize \"%s\" -> \"%s\" (consumed %zu, valid: %s)",
                      unit_escape(cases[i].in, cases[i].len, e1, sizeof(e1)),
                      unit_escape(out, n, e2, sizeof(e2)), consumed, proto_error_name(r));
        }
}

static void test_errors(void)
{
        for (int e = 0; e < _PROTO_E_MAX; e++) {
                const char *m = proto_strerror(-e), *n = proto_error_name(e);

                CHECK(m && n && strcmp(m, "Unknown protocol error") != 0 && strcmp(n, "unknown") != 0,
                      "error %d: %s (%s)", e, n, m);
                for (int f = 0; f < e; f++)
                        if (strcmp(proto_error_name(f), n) == 0 || strcmp(proto_strerror(f), m) == 0)
                                CHECK(false, "error %d has the same name or message as %d", e, f);
        }
        CHECK(strcmp(proto_error_name(_PROTO_E_MAX), "unknown") == 0, "error beyond the enum");
}

int main(void)
{
        test_values();
        test_limits();
        test_typed();
        test_enums();
        test_sanitize();
        test_errors();
        return unit_exit();
}
