/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The switch request and answer (schema 1.5): decode (every error, in order), encode, round trips. */
#include "config.h"

#include <string.h>

#include "macro.h"
#include "test-protocol.h"

#define ID "3f2b8c1e-9a4d-4e5f-8a6b-7c8d9e0f1a2b"

struct switch_case {
        const char *buf;
        size_t len;
        bool answer; /* the host's node, else the guest's */
        int want;    /* 0 or a PROTO_E_* (positive) */
        int word;
};

#define REQ(s, w) { S(s), false, 0, PROTO_SWITCH_##w }
#define ANS(s, w) { S(s), true, 0, PROTO_SWITCH_##w }
#define BADREQ(s, e) { S(s), false, PROTO_E_##e, 0 }
#define BADANS(s, e) { S(s), true, PROTO_E_##e, 0 }

static const struct switch_case cases[] = {
        REQ(ID " at-next-boot", AT_NEXT_BOOT),
        REQ(ID " cancel", CANCEL),
        ANS(ID " armed", ARMED),
        ANS(ID " disarmed", DISARMED),
        ANS(ID " not-allowed", NOT_ALLOWED),
        ANS(ID " not-ready", NOT_READY),
        ANS(ID " busy", BUSY),
        ANS(ID " failed", FAILED),
        BADREQ("", EMPTY),
        BADREQ(ID " at-next-boot xxxxxxxxxxxxxxxxx", TOO_LONG),
        BADREQ(ID " at-next-boot\0", NUL),
        BADREQ(ID " at-next-boot\x1b[2J", CONTROL),
        BADREQ(ID "\tcancel", CONTROL),
        BADREQ("3f2b8c1e-9a4d", UUID),
        BADREQ("not-a-uuid-at-all-not-a-uuid-at-all at-next-boot", UUID),
        BADREQ("3F2B8C1E-9A4D-4E5F-8A6B-7C8D9E0F1A2B cancel", UUID),
        BADREQ("00000000-0000-0000-0000-000000000000 cancel", NIL_UUID),
        BADREQ(ID, TRUNCATED),
        BADREQ(ID "x", SYNTAX),
        BADREQ(ID " ", TRUNCATED),
        BADREQ(ID "  cancel", CHARSET),
        BADREQ(ID " cancel now", CHARSET),
        BADREQ(ID " Cancel", CHARSET),
        BADREQ(ID " reboot-now", ENUM),
        BADREQ(ID " armed", ENUM),
        BADANS(ID " at-next-boot", ENUM),
        BADANS(ID " armed\n", CONTROL),
};

static void test_decode(void)
{
        char esc[200];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct switch_case *c = &cases[i];
                struct proto_switch sw = { .word = 99 };
                int r = c->answer ? proto_switch_answer_decode(c->buf, c->len, &sw)
                                  : proto_switch_request_decode(c->buf, c->len, &sw);
                bool ok = r == -c->want;

                if (ok && r == 0)
                        ok = sw.word == c->word && strcmp(sw.id.s, ID) == 0;
                if (ok && r < 0)
                        ok = sw.word == 99;
                CHECK(ok, "%s \"%s\" -> %s (want %s)", c->answer ? "answer" : "request",
                      unit_escape(c->buf, c->len, esc, sizeof(esc)), proto_error_name(r),
                      proto_error_name(c->want));
                r = proto_key_check(c->answer ? PROTO_KEY_SWITCH_ANSWER : PROTO_KEY_SWITCH_REQUEST, c->buf,
                                    c->len);
                CHECK(r == -c->want || (c->want == PROTO_E_TOO_LONG && r == -PROTO_E_TOO_LONG),
                      "key check of \"%s\" -> %s", unit_escape(c->buf, c->len, esc, sizeof(esc)),
                      proto_error_name(r));
        }
}

static void test_encode(void)
{
        struct proto_switch sw = { .word = PROTO_SWITCH_AT_NEXT_BOOT }, back;
        char buf[PROTO_SWITCH_MAX + 1];
        int r;

        memcpy(sw.id.s, ID, sizeof(sw.id.s));
        for (int w = 0; w < _PROTO_SWITCH_WANT_MAX; w++) {
                sw.word = w;
                r = proto_switch_request_encode(&sw, buf, sizeof(buf));
                CHECK(r > 0 && proto_switch_request_decode(buf, (size_t)r, &back) == 0 && back.word == w &&
                              strcmp(back.id.s, ID) == 0,
                      "request round trip \"%s\"", buf);
        }
        for (int w = 0; w < _PROTO_SWITCH_ANSWER_MAX; w++) {
                sw.word = w;
                r = proto_switch_answer_encode(&sw, buf, sizeof(buf));
                CHECK(r > 0 && proto_switch_answer_decode(buf, (size_t)r, &back) == 0 && back.word == w,
                      "answer round trip \"%s\"", buf);
        }
        sw.word = _PROTO_SWITCH_WANT_MAX;
        r = proto_switch_request_encode(&sw, buf, sizeof(buf));
        CHECK(r < 0, "encode an unknown request word -> %s", proto_error_name(r));
        sw.word = PROTO_SWITCH_CANCEL;
        r = proto_switch_request_encode(&sw, buf, 20);
        CHECK(r == -PROTO_E_NOSPACE, "encode into 20 bytes -> %s", proto_error_name(r));
        memcpy(sw.id.s, "00000000-0000-0000-0000-000000000000", sizeof(sw.id.s));
        r = proto_switch_request_encode(&sw, buf, sizeof(buf));
        CHECK(r < 0, "encode with the nil id -> %s", proto_error_name(r));
}

int main(void)
{
        test_decode();
        test_encode();
        return unit_exit();
}
