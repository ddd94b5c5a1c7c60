/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const wants[_PROTO_SWITCH_WANT_MAX] = {
        [PROTO_SWITCH_AT_NEXT_BOOT] = "at-next-boot",
        [PROTO_SWITCH_CANCEL] = "cancel",
};

static const char *const answers[_PROTO_SWITCH_ANSWER_MAX] = {
        [PROTO_SWITCH_ARMED] = "armed",
        [PROTO_SWITCH_DISARMED] = "disarmed",
        [PROTO_SWITCH_NOT_ALLOWED] = "not-allowed",
        [PROTO_SWITCH_NOT_READY] = "not-ready",
        [PROTO_SWITCH_BUSY] = "busy",
        [PROTO_SWITCH_FAILED] = "failed",
};

const char *proto_switch_want_to_string(enum proto_switch_want w)
{
        return (unsigned)w < ELEMENTSOF(wants) ? wants[w] : NULL;
}

const char *proto_switch_answer_to_string(enum proto_switch_answer a)
{
        return (unsigned)a < ELEMENTSOF(answers) ? answers[a] : NULL;
}

/* UUID " " WORD, WORD one of words[0..n-1]: size, bytes, the id, the word. */
static int decode(const char *buf, size_t len, const char *const *words, size_t n, struct proto_switch *ret)
{
        struct proto_switch sw;
        const char *w;
        size_t wlen;
        int r;

        if (len == 0)
                return -PROTO_E_EMPTY;
        if (len > PROTO_SWITCH_MAX)
                return -PROTO_E_TOO_LONG;
        r = proto_scan_bytes(buf, len);
        if (r < 0)
                return r;
        if (len < PROTO_UUID_LEN)
                return -PROTO_E_UUID;
        r = proto_uuid_decode(buf, PROTO_UUID_LEN, &sw.id);
        if (r < 0)
                return r;
        if (len == PROTO_UUID_LEN)
                return -PROTO_E_TRUNCATED;
        if (buf[PROTO_UUID_LEN] != ' ')
                return -PROTO_E_SYNTAX;
        if (len == PROTO_UUID_LEN + 1)
                return -PROTO_E_TRUNCATED;
        w = buf + PROTO_UUID_LEN + 1;
        wlen = len - PROTO_UUID_LEN - 1;
        r = proto_token_check(PROTO_T_ACTION, w, wlen, PROTO_WORD_MAX);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (strlen(words[i]) == wlen && memcmp(words[i], w, wlen) == 0) {
                        sw.word = (int)i;
                        *ret = sw;
                        return 0;
                }
        return -PROTO_E_ENUM;
}

int proto_switch_request_decode(const char *buf, size_t len, struct proto_switch *ret)
{
        return decode(buf, len, wants, ELEMENTSOF(wants), ret);
}

int proto_switch_answer_decode(const char *buf, size_t len, struct proto_switch *ret)
{
        return decode(buf, len, answers, ELEMENTSOF(answers), ret);
}

static int encode(const struct proto_switch *sw, const char *word, char *buf, size_t size)
{
        int n;

        if (!word || proto_uuid_decode(sw->id.s, strnlen(sw->id.s, sizeof(sw->id.s)), &(struct proto_uuid){}) < 0)
                return -PROTO_E_SYNTAX;
        n = snprintf(buf, size, "%s %s", sw->id.s, word);
        return n < 0 || (size_t)n >= size ? -PROTO_E_NOSPACE : n;
}

int proto_switch_request_encode(const struct proto_switch *sw, char *buf, size_t size)
{
        return encode(sw, proto_switch_want_to_string((enum proto_switch_want)sw->word), buf, size);
}

int proto_switch_answer_encode(const struct proto_switch *sw, char *buf, size_t size)
{
        return encode(sw, proto_switch_answer_to_string((enum proto_switch_answer)sw->word), buf, size);
}
