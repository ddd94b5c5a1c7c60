/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

bool proto_summary_key(enum proto_key key)
{
        switch (key) {
        case PROTO_KEY_SCHEMA:
        case PROTO_KEY_AGENT_VERSION:
        case PROTO_KEY_AGENT_ACTIONS:
        case PROTO_KEY_AGENT_INSTANCE:
        case PROTO_KEY_AGENT_BOOT_ID:
        case PROTO_KEY_GUEST_TYPE:
        case PROTO_KEY_KERNEL_RELEASE:
        case PROTO_KEY_KERNEL_ARCH:
        case PROTO_KEY_OS_ID:
        case PROTO_KEY_OS_VERSION_ID:
        case PROTO_KEY_OS_PRETTY_NAME:
        case PROTO_KEY_NEXT_BOOT_KERNEL:
        case PROTO_KEY_NEXT_BOOT_RELEASE:
        case PROTO_KEY_VERDICT:
        case PROTO_KEY_CHECK_STATUS:
        case PROTO_KEY_LAST_REQUEST:
        case PROTO_KEY_ANSWER_STATE:
        case PROTO_KEY_ANSWER_ACTION:
        case PROTO_KEY_ANSWER_REASON:
                return true;
        /* Texts are for the views of one guest: a summary of many stays small. */
        case PROTO_KEY_CHECK_REASON:
        case PROTO_KEY_CHECK_FIX:
        case PROTO_KEY_SUMMARY:
        case PROTO_KEY_NET_OMITTED:
        case PROTO_KEY_NET_NAME:
        case PROTO_KEY_NET_MAC:
        case PROTO_KEY_NET_VIF:
        case PROTO_KEY_NET_IPV4:
        case PROTO_KEY_NET_IPV6:
        case PROTO_KEY_NET_IF_OMITTED:
        case PROTO_KEY_ANSWER_MESSAGE:
        case PROTO_KEY_ANSWER_OUTPUT:
        case PROTO_KEY_ANSWER_OMITTED:
        case PROTO_KEY_REQUEST:
        case PROTO_KEY_SWITCH_REQUEST:
        case PROTO_KEY_SWITCH_ANSWER:
        case _PROTO_KEY_MAX:
                break;
        }
        return false;
}

/*
 * One line without its newline: a key the summary repeats, and its value.
 * A line of another key (a later minor may repeat more) is given with key
 * -1, for the reader to pass over, as it passes over nodes it does not know.
 */
static int decode_line(const char *line, size_t len, struct proto_report_item *ret)
{
        struct proto_report_item it;
        size_t klen;
        int r;

        r = proto_item_split(line, len, &it, &klen);
        if (r < 0)
                return r;
        r = proto_guest_item_decode(line, klen, &it);
        if (r == -PROTO_E_PATH || (it.key >= 0 && !proto_summary_key((enum proto_key)it.key))) {
                it.key = -1;
                r = 0;
        }
        if (r < 0)
                return r;
        *ret = it;
        return 0;
}

int proto_summary_next(const char *buf, size_t len, size_t *offset, struct proto_report_item *ret)
{
        size_t o = *offset, l;
        const char *nl;
        int r;

        if (o >= len)
                return 0;
        nl = memchr(buf + o, '\n', len - o);
        if (!nl)
                return -PROTO_E_TRUNCATED;
        l = (size_t)(nl - (buf + o));
        r = decode_line(buf + o, l, ret);
        if (r < 0)
                return r;
        *offset = o + l + 1;
        return 1;
}

int proto_summary_add(char *buf, size_t size, size_t *len, const char *key, const char *value)
{
        size_t o = *len, limit = size < PROTO_SUMMARY_MAX + 1 ? size : PROTO_SUMMARY_MAX + 1;
        struct proto_report_item it = { .value = value, .value_len = strlen(value) };
        int n, r;

        proto_guest_item_decode(key, strlen(key), &it);
        if (it.key < 0 || !proto_summary_key((enum proto_key)it.key))
                return 0;
        if (o >= limit)
                return -PROTO_E_NOSPACE;
        n = snprintf(buf + o, limit - o, "%s=%s\n", key, value);
        if (n < 0 || o + (size_t)n >= limit) {
                buf[o] = 0;
                return -PROTO_E_NOSPACE;
        }
        r = decode_line(buf + o, (size_t)n - 1, &it);
        if (r >= 0 && it.key < 0)
                r = -PROTO_E_PATH;
        if (r < 0) {
                buf[o] = 0;
                return r;
        }
        *len = o + (size_t)n;
        return 1;
}

/* Whether the line at a and the one at b name the same key. */
static bool same_key(const char *a, const char *b)
{
        size_t la = strcspn(a, "="), lb = strcspn(b, "=");

        return la == lb && memcmp(a, b, la) == 0;
}

/* The summary's schema: ours, and one that has a summary. */
static int check_schema(const struct proto_report_item *it)
{
        struct proto_schema sc;
        int r = proto_schema_decode(it->value, it->value_len, &sc);

        if (r < 0)
                return r;
        return sc.minor < 4 ? -PROTO_E_CONFLICT : 0;
}

/* What the lines say as a whole, counted line by line. */
struct tally {
        bool schema, verdict_ready, verdict, answer_state;
        unsigned checks, failing;
        char last[PROTO_UUID_LEN + 1];   /* last_request, "" when absent */
        char answer[PROTO_UUID_LEN + 1]; /* the id of the answer lines, "" when none */
};

/* The answer lines: all of one answer. */
static int tally_answer(const struct proto_report_item *it, struct tally *t)
{
        if (t->answer[0] && memcmp(t->answer, it->args.uuid, PROTO_UUID_LEN) != 0)
                return -PROTO_E_CONFLICT;
        memcpy(t->answer, it->args.uuid, sizeof(t->answer));
        t->answer_state = t->answer_state || it->key == PROTO_KEY_ANSWER_STATE;
        return 0;
}

static int tally_line(const char *buf, size_t start, const struct proto_report_item *it, struct tally *t)
{
        int r;

        /* Lines are few (a summary is at most 2 KiB): each against those before it. */
        for (size_t o = 0; o < start; o = (size_t)((const char *)memchr(buf + o, '\n', start - o) - buf) + 1)
                if (same_key(buf + o, buf + start))
                        return -PROTO_E_DUPLICATE;
        if (it->key == PROTO_KEY_SCHEMA) {
                t->schema = true;
                return check_schema(it);
        }
        if (it->key == PROTO_KEY_VERDICT) {
                t->verdict = true;
                t->verdict_ready = proto_verdict_from_string(it->value, it->value_len) == PROTO_VERDICT_READY;
                return 0;
        }
        if (it->key == PROTO_KEY_LAST_REQUEST) {
                memcpy(t->last, it->value, PROTO_UUID_LEN); /* a valid ANSWER_ID: 36 bytes */
                return 0;
        }
        if (it->key == PROTO_KEY_ANSWER_STATE || it->key == PROTO_KEY_ANSWER_ACTION ||
            it->key == PROTO_KEY_ANSWER_REASON)
                return tally_answer(it, t);
        if (it->key != PROTO_KEY_CHECK_STATUS)
                return 0;
        if (++t->checks > PROTO_CHECKS_MAX)
                return -PROTO_E_TOO_MANY;
        r = proto_status_from_string(it->value, it->value_len);
        if (r == PROTO_STATUS_FAIL && it->args.check != PROTO_CHECK_NEXT_BOOT_MODE)
                t->failing++;
        return 0;
}

int proto_summary_check(const char *buf, size_t len)
{
        struct tally t = {};
        size_t o = 0;

        if (len > PROTO_SUMMARY_MAX)
                return -PROTO_E_TOO_LONG;
        if (len == 0)
                return -PROTO_E_EMPTY;
        for (;;) {
                struct proto_report_item it;
                size_t start = o;
                int r = proto_summary_next(buf, len, &o, &it);

                if (r == 0)
                        break;
                if (r < 0)
                        return r;
                r = tally_line(buf, start, &it, &t);
                if (r < 0)
                        return r;
        }
        if (!t.schema || !t.verdict)
                return -PROTO_E_TRUNCATED;
        if (t.verdict_ready && t.failing)
                return -PROTO_E_CONFLICT;
        /* The last answer is last_request's, with its state: they are written together. */
        if (t.answer[0] && strcmp(t.answer, t.last) != 0)
                return -PROTO_E_CONFLICT;
        return t.last[0] && !t.answer_state ? -PROTO_E_CONFLICT : 0;
}
