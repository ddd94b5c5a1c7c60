/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The status summary (~/data/pvh/summary): what the encoder adds, passes
 * over and refuses; which whole values a reader takes and which it refuses,
 * with the error of the rule they break; and that what the encoder makes
 * decodes back to the same keys and values.
 */
#include "config.h"

#include <string.h>

#include "macro.h"
#include "test-protocol.h"

#define HEAD "schema=1.4\n"
#define READY HEAD "verdict=ready\n"
#define ID "5a1f0c9e-2b3d-4e5f-8a6b-7c8d9e0f1a2b"
#define NIL "00000000-0000-0000-0000-000000000000"

struct vcase {
        const char *value;
        size_t len;
        int want;
};

#define OK(s) { S(s), 0 }
#define BAD(s, e) { S(s), -PROTO_E_##e }

static const struct vcase values[] = {
        OK(READY),
        OK(HEAD "verdict=fixable\nchecks/console/status=fail\nchecks/root_device/status=warn\n"),
        OK(READY "checks/next_boot_mode/status=fail\n"), /* outside the verdict */
        OK(READY "checks/a_future_check/status=pass\n"),
        OK(READY "os/pretty_name=Debian GNU/Linux 12 (bookworm)\nagent/actions=ping probe\n"),
        OK(READY "checks/console/reason=a later minor may repeat it\n"), /* passed over */
        OK(READY "a/future/key=x\n"),
        OK("schema=1.9\nverdict=ready\n"),
        BAD("", EMPTY),
        BAD("schema=1.4\nverdict=ready", TRUNCATED),
        BAD("schema=1.4\n", TRUNCATED),
        BAD("verdict=ready\n", TRUNCATED),
        BAD(READY "verdict=blocked\n", DUPLICATE),
        BAD(READY "schema=1.4\n", DUPLICATE),
        BAD(READY "checks/console/status=pass\nchecks/console/status=fail\n", DUPLICATE),
        BAD(READY "checks/console/status=fail\n", CONFLICT),
        BAD("schema=1.3\nverdict=ready\n", CONFLICT),
        BAD("schema=2.0\nverdict=ready\n", INCOMPATIBLE),
        BAD("schema=1.04\nverdict=ready\n", SCHEMA),
        BAD(READY "verdict\n", SYNTAX),
        BAD(READY "=x\n", SYNTAX),
        BAD(READY "\n", EMPTY),
        BAD(READY "guest_type=XEN\n", ENUM),
        BAD(READY "os/pretty_name=a\x1b[5m\n", CONTROL),
        BAD(READY "os/pretty_name=a\0b\n", NUL),
        BAD(READY "checks/Console/status=pass\n", CHARSET),
        BAD(READY "agent/version=1.0\r\n", CONTROL),
        BAD("schema=1.4\nverdict=maybe\n", ENUM),
        /* the last answer: last_request's, with its state */
        OK(READY "answer/" ID "/state=done\nanswer/" ID "/action=probe\nlast_request=" ID "\n"),
        OK(READY "last_request=" NIL "\nanswer/" NIL "/state=failed\nanswer/" NIL "/reason=malformed\n"),
        BAD(READY "last_request=" ID "\n", CONFLICT),
        BAD(READY "answer/" ID "/state=done\n", CONFLICT),
        BAD(READY "last_request=" ID "\nanswer/" NIL "/state=done\n", CONFLICT),
        BAD(READY "last_request=" ID "\nanswer/" ID "/state=done\nanswer/" NIL "/action=ping\n", CONFLICT),
        BAD(READY "last_request=" ID "\nanswer/" ID "/state=finished\n", ENUM),
        BAD(READY "last_request=" ID "\nanswer/" ID "/state=done\nanswer/" ID "/state=done\n", DUPLICATE),
};

/* 33 checks, each one line: one too many. */
static void check_too_many(void)
{
        char buf[PROTO_SUMMARY_MAX + 1];
        size_t o = (size_t)sprintf(buf, READY);

        for (int i = 0; i < PROTO_CHECKS_MAX + 1; i++)
                o += (size_t)sprintf(buf + o, "checks/c%d/status=pass\n", i);
        CHECK(proto_summary_check(buf, o) == -PROTO_E_TOO_MANY, "33 checks: too-many");
        CHECK(proto_summary_check(buf, PROTO_SUMMARY_MAX + 1) == -PROTO_E_TOO_LONG, "over 2048 bytes: too-long");
        CHECK(proto_value_check(PROTO_T_SUMMARY, buf, o, PROTO_SUMMARY_MAX) == -PROTO_E_TOO_MANY,
              "proto_key_check holds the node to the same rules");
}

/* What the agent publishes, in kvset order: the summary repeats some, passes over others. */
static void check_encode(void)
{
        static const char *const kv[][2] = {
                { "agent/actions", "ping probe prepare rollback" },
                { "agent/version", "0.1.0" },
                { "checks/console/reason", "console=hvc0 is not the last console=" },
                { "checks/console/status", "fail" },
                { "checks/root_device/status", "warn" },
                { "answer/" ID "/message", "fixable" },
                { "answer/" ID "/state", "done" },
                { "guest_type", "PV" },
                { "last_request", ID },
                { "net/0/name", "eth0" },
                { "os/pretty_name", "Debian GNU/Linux 12 (bookworm)" },
                { "schema", PROTO_SCHEMA_STRING },
                { "verdict", "fixable" },
        };
        static const char want[] = "agent/actions=ping probe prepare rollback\nagent/version=0.1.0\n"
                                   "checks/console/status=fail\nchecks/root_device/status=warn\n"
                                   "answer/" ID "/state=done\nguest_type=PV\nlast_request=" ID "\nos/pretty_name=Debian GNU/Linux 12 (bookworm)\n"
                                   "schema=" PROTO_SCHEMA_STRING "\nverdict=fixable\n";
        char buf[PROTO_SUMMARY_MAX + 1] = "";
        struct proto_report_item it;
        size_t len = 0, o = 0;
        int added = 0, r, n = 0;

        for (size_t i = 0; i < ELEMENTSOF(kv); i++) {
                r = proto_summary_add(buf, sizeof(buf), &len, kv[i][0], kv[i][1]);
                CHECK(r >= 0, "add %s: %d", kv[i][0], r);
                added += r;
        }
        CHECK(added == 10, "10 keys repeated, 3 passed over (%d)", added);
        CHECK(len == strlen(want) && strcmp(buf, want) == 0, "the encoded summary: %s", buf);
        CHECK(proto_summary_check(buf, len) == 0, "what the encoder makes passes the check");
        while ((r = proto_summary_next(buf, len, &o, &it)) > 0) {
                n++;
                if (it.key == PROTO_KEY_CHECK_STATUS && it.check_len == 7)
                        CHECK(memcmp(it.args.check_name, "console", 7) == 0 && it.value_len == 4 &&
                                      memcmp(it.value, "fail", 4) == 0,
                              "the check's status decodes back");
        }
        CHECK(r == 0 && n == 10, "10 lines decode back (%d, %d)", n, r);
}

static void check_encode_refuses(void)
{
        char buf[PROTO_SUMMARY_MAX + 1] = "";
        char big[PROTO_XS_VALUE_MAX];
        size_t len = 0;
        int r;

        r = proto_summary_add(buf, sizeof(buf), &len, "verdict", "maybe");
        CHECK(r == -PROTO_E_ENUM && len == 0 && buf[0] == 0, "an invalid value is refused, nothing written");
        r = proto_summary_add(buf, sizeof(buf), &len, "os/pretty_name", "two\nlines");
        CHECK(r == -PROTO_E_SYNTAX && len == 0, "a newline in a value is refused");
        r = proto_summary_add(buf, sizeof(buf), &len, "no/such/key", "x");
        CHECK(r == 0 && len == 0, "a key of no summary is passed over");
        memset(big, 'a', 250);
        big[250] = 0;
        for (int i = 0; i < 9; i++) {
                size_t before = len;

                r = proto_summary_add(buf, sizeof(buf), &len, "os/pretty_name", big);
                if (r < 0) {
                        CHECK(r == -PROTO_E_NOSPACE && len == before && buf[len] == 0,
                              "past 2048 bytes: nospace, the summary as it was (%zu)", len);
                        return;
                }
        }
        CHECK(false, "the summary never filled up");
}

int main(void)
{
        char esc[512];

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                int r = proto_summary_check(values[i].value, values[i].len);

                CHECK(r == values[i].want, "check %s -> %s (want %s)",
                      unit_escape(values[i].value, values[i].len, esc, sizeof(esc)), proto_error_name(r),
                      proto_error_name(values[i].want));
        }
        check_too_many();
        check_encode();
        check_encode_refuses();
        return unit_exit();
}
