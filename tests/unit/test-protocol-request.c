/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Requests: decode (every error), the id of a bad request, encode, round trips. */
#include "config.h"

#include <string.h>

#include "macro.h"
#include "test-protocol.h"

#define ID "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2b"

struct request_case {
        const char *buf;
        size_t len;
        int want;              /* 0 or a PROTO_E_* (positive) */
        enum proto_action action;
        unsigned args;
        bool id_ok;            /* proto_request_id() finds the id */
        enum proto_reason reason;
};

#define GOOD(s, act, a) { S(s), 0, PROTO_ACTION_##act, a, true, 0 }
#define BAD(s, e, idok, why) { S(s), PROTO_E_##e, 0, 0, idok, PROTO_REASON_##why }
#define DRY (1u << PROTO_ARG_DRY_RUN)

static const struct request_case cases[] = {
        GOOD(ID " ping", PING, 0),
        GOOD(ID " probe", PROBE, 0),
        GOOD(ID " prepare", PREPARE, 0),
        GOOD(ID " prepare dry-run", PREPARE, DRY),
        GOOD(ID " rollback", ROLLBACK, 0),
        BAD("", EMPTY, false, MALFORMED),
        BAD(ID " prepare dry-run xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            TOO_LONG, true, MALFORMED),
        BAD(ID " ping\0", NUL, true, MALFORMED),
        BAD(ID "\0ping", NUL, false, MALFORMED),
        BAD(ID " ping\n", CONTROL, true, MALFORMED),
        BAD(ID "\tping", CONTROL, false, MALFORMED),
        BAD(ID " ping\x1b[2J", CONTROL, true, MALFORMED),
        BAD(ID " prepare dry-run;reboot", CHARSET, true, MALFORMED),
        BAD(ID " prepare $(reboot)", CHARSET, true, MALFORMED),
        BAD(ID " prepare `id`", CHARSET, true, MALFORMED),
        BAD(ID " prepare dry-run|sh", CHARSET, true, MALFORMED),
        BAD(ID " prepare console=/dev/ttyS0", CHARSET, true, MALFORMED),
        BAD(ID " prepare 'dry-run'", CHARSET, true, MALFORMED),
        BAD(ID " pr\xc3\xa9pare", CHARSET, true, MALFORMED),
        BAD("3F2B8C1E-9A4D-4E5F-8A6B-7C8D9E0F1A2B ping", UUID, false, MALFORMED),
        BAD("3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2 ping", UUID, false, MALFORMED),
        BAD("3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2bb ping", UUID, false, MALFORMED),
        BAD("not-a-uuid ping", UUID, false, MALFORMED),
        BAD("ping", UUID, false, MALFORMED),
        BAD(" " ID " ping", SYNTAX, false, MALFORMED),
        BAD("00000000-0000-0000-0000-000000000000 ping", NIL_UUID, false, MALFORMED),
        BAD(ID, TRUNCATED, true, MALFORMED),
        BAD(ID " ", TRUNCATED, true, MALFORMED),
        BAD("3f2b8c1e-9a4d", TRUNCATED, false, MALFORMED),
        BAD(ID "  ping", SYNTAX, true, MALFORMED),
        BAD(ID " ping ", SYNTAX, true, MALFORMED),
        BAD(ID " prepare  dry-run", SYNTAX, true, MALFORMED),
        BAD(ID " teleport", ACTION, true, UNKNOWN_ACTION),
        BAD(ID " PING", ACTION, true, UNKNOWN_ACTION),
        BAD(ID " ping-pong", ACTION, true, UNKNOWN_ACTION),
        BAD(ID " abcdefghijabcdefghijabcdefghijabc", ACTION, true, UNKNOWN_ACTION),
        BAD(ID " ping dry-run", ARGUMENT, true, BAD_ARGUMENT),
        BAD(ID " rollback dry-run", ARGUMENT, true, BAD_ARGUMENT),
        BAD(ID " prepare force", ARGUMENT, true, BAD_ARGUMENT),
        BAD(ID " prepare dry-run=yes", ARGUMENT, true, BAD_ARGUMENT),
        BAD(ID " prepare console=hvc0", ARGUMENT, true, BAD_ARGUMENT),
        BAD(ID " prepare dry-run=", TRUNCATED, true, MALFORMED),
        BAD(ID " prepare =x", SYNTAX, true, MALFORMED),
        BAD(ID " prepare Dry-run", CHARSET, true, MALFORMED),
        BAD(ID " prepare dry-run dry-run", DUPLICATE, true, BAD_ARGUMENT),
        BAD(ID " prepare dry-run a b c d e f g h", TOO_MANY, true, BAD_ARGUMENT),
        BAD(ID " prepare abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij=12345",
            TOO_LONG, true, MALFORMED),
};

static void test_decode(void)
{
        char esc[700];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct request_case *c = &cases[i];
                struct proto_request req = { .action = _PROTO_ACTION_MAX, .args = 99 };
                struct proto_uuid id = {};
                int r = proto_request_decode(c->buf, c->len, &req);
                int ri = proto_request_id(c->buf, c->len, &id);
                bool ok = r == -c->want;

                if (ok && r == 0)
                        ok = req.action == c->action && req.args == c->args &&
                             strcmp(req.id.s, ID) == 0;
                if (ok && r < 0)
                        ok = req.action == _PROTO_ACTION_MAX && req.args == 99 &&
                             proto_request_error_reason(r) == c->reason;
                if (ok)
                        ok = (ri == 0) == c->id_ok && (!c->id_ok || strcmp(id.s, ID) == 0);
                CHECK(ok, "request \"%s\" -> %s (want %s), id %s, reason %s",
                      unit_escape(c->buf, c->len, esc, sizeof(esc)), proto_error_name(r),
                      proto_error_name(c->want), ri == 0 ? id.s : proto_error_name(ri),
                      r < 0 ? proto_reason_to_string(proto_request_error_reason(r)) : "-");
        }
}

static void test_encode(void)
{
        struct proto_request req = { .action = PROTO_ACTION_PREPARE, .args = DRY }, back;
        char buf[PROTO_REQUEST_MAX + 1];
        int r;

        memcpy(req.id.s, ID, sizeof(req.id.s));
        r = proto_request_encode(&req, buf, sizeof(buf));
        CHECK(r > 0 && strcmp(buf, ID " prepare dry-run") == 0, "encode prepare dry-run -> \"%s\"",
              buf);
        r = proto_request_decode(buf, strlen(buf), &back);
        CHECK(r == 0 && memcmp(&back, &req, sizeof(req)) == 0, "decode(encode(x)) == x");
        r = proto_key_check(PROTO_KEY_REQUEST, buf, strlen(buf));
        CHECK(r == 0, "the encoded request passes the key check");

        for (int a = 0; a < _PROTO_ACTION_MAX; a++) {
                req.action = (enum proto_action)a;
                req.args = 0;
                r = proto_request_encode(&req, buf, sizeof(buf));
                CHECK(r > 0 && proto_request_decode(buf, (size_t)r, &back) == 0 &&
                              back.action == req.action && back.args == 0,
                      "round trip \"%s\"", buf);
        }

        req.action = PROTO_ACTION_PING;
        req.args = DRY;
        r = proto_request_encode(&req, buf, sizeof(buf));
        CHECK(r == -PROTO_E_ARGUMENT, "encode ping dry-run -> %s", proto_error_name(r));
        req.args = 0;
        req.action = _PROTO_ACTION_MAX;
        r = proto_request_encode(&req, buf, sizeof(buf));
        CHECK(r == -PROTO_E_ACTION, "encode an unknown action -> %s", proto_error_name(r));
        req.action = PROTO_ACTION_PREPARE;
        req.args = DRY;
        r = proto_request_encode(&req, buf, 45);
        CHECK(r == -PROTO_E_NOSPACE, "encode into 45 bytes -> %s", proto_error_name(r));
        r = proto_request_encode(&req, buf, 20);
        CHECK(r == -PROTO_E_NOSPACE, "encode into 20 bytes -> %s", proto_error_name(r));
        memcpy(req.id.s, "00000000-0000-0000-0000-000000000000", sizeof(req.id.s));
        r = proto_request_encode(&req, buf, sizeof(buf));
        CHECK(r == -PROTO_E_NIL_UUID, "encode with the nil id -> %s", proto_error_name(r));
        memcpy(req.id.s, "3F2B8C1E-9A4D-4E5F-8A6B-7C8D9E0F1A2B", sizeof(req.id.s));
        r = proto_request_encode(&req, buf, sizeof(buf));
        CHECK(r == -PROTO_E_UUID, "encode with an upper-case id -> %s", proto_error_name(r));
}

int main(void)
{
        test_decode();
        test_encode();
        return unit_exit();
}
