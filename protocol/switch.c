/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

/* UUID " " WORD, WORD as word_from_string takes it: size, bytes, the id, the space, the word. */
static int decode(const char *buf, size_t len, int (*word_from_string)(const char *, size_t),
                  struct proto_switch *ret)
{
        struct proto_switch sw;
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
        r = word_from_string(buf + PROTO_UUID_LEN + 1, len - PROTO_UUID_LEN - 1);
        if (r < 0)
                return r;
        sw.word = r;
        *ret = sw;
        return 0;
}

int proto_switch_request_decode(const char *buf, size_t len, struct proto_switch *ret)
{
        return decode(buf, len, proto_switch_want_from_string, ret);
}

int proto_switch_answer_decode(const char *buf, size_t len, struct proto_switch *ret)
{
        return decode(buf, len, proto_switch_answer_from_string, ret);
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
