/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "internal.h"

/* Bytes a request may hold after the byte scan; no shell metacharacter is among them. */
static bool request_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == ' ' || c == '-' || c == '_' || c == '.' || c == ':' || c == '=' ||
               c == '+' || c == ',';
}

/* The value of a "name=value" argument: [A-Za-z0-9._:+,-], non-empty. */
static bool arg_value_char(char c)
{
        return request_char(c) && c != ' ' && c != '=';
}

/* The next space-separated token at buf[*i]; an empty token is a syntax error. */
static int next_token(const char *buf, size_t len, size_t *i, const char **ret, size_t *ret_len)
{
        const char *sp = memchr(buf + *i, ' ', len - *i);
        size_t l = sp ? (size_t)(sp - buf) - *i : len - *i;

        if (l == 0)
                return -PROTO_E_SYNTAX;
        *ret = buf + *i;
        *ret_len = l;
        *i += l + (sp ? 1 : 0);
        /* A space at the very end leaves an empty last token. */
        if (sp && *i == len)
                return -PROTO_E_SYNTAX;
        return 0;
}

static int parse_arg(enum proto_action action, const char *tok, size_t len, unsigned *mask)
{
        const char *eq = memchr(tok, '=', len);
        size_t nlen = eq ? (size_t)(eq - tok) : len;
        int r;

        if (len > PROTO_TOKEN_MAX)
                return -PROTO_E_TOO_LONG;
        r = proto_token_check(PROTO_T_ACTION, tok, nlen, PROTO_WORD_MAX);
        if (r == -PROTO_E_EMPTY)
                return -PROTO_E_SYNTAX;
        if (r < 0)
                return r;
        if (eq) {
                if (eq + 1 == tok + len)
                        return -PROTO_E_TRUNCATED;
                for (const char *p = eq + 1; p < tok + len; p++)
                        if (!arg_value_char(*p))
                                return -PROTO_E_CHARSET;
        }
        r = proto_arg_from_string(tok, nlen);
        if (r == -PROTO_E_ENUM || (r >= 0 && !(proto_action_args(action) & (1u << r))))
                return -PROTO_E_ARGUMENT;
        if (r < 0)
                return r;
        /* v1 arguments are flags: a value is something this version does not know. */
        if (eq)
                return -PROTO_E_ARGUMENT;
        if (*mask & (1u << r))
                return -PROTO_E_DUPLICATE;
        *mask |= 1u << r;
        return 0;
}

static int decode_id(const char *buf, size_t len, struct proto_uuid *ret)
{
        const char *sp = memchr(buf, ' ', len);
        size_t l = sp ? (size_t)(sp - buf) : len;
        int r;

        if (l == 0)
                return -PROTO_E_SYNTAX;
        if (l > PROTO_UUID_LEN)
                return -PROTO_E_UUID;
        r = proto_uuid_decode(buf, l, ret);
        /* A valid id that is shorter than 36 but ends at a space is simply wrong. */
        if (r == -PROTO_E_TRUNCATED && sp)
                return -PROTO_E_UUID;
        return r;
}

int proto_request_decode(const char *buf, size_t len, struct proto_request *ret)
{
        struct proto_request req = {};
        const char *tok;
        size_t i, tlen;
        unsigned nargs = 0;
        int r;

        if (len == 0)
                return -PROTO_E_EMPTY;
        if (len > PROTO_REQUEST_MAX)
                return -PROTO_E_TOO_LONG;
        r = proto_scan_bytes(buf, len);
        if (r < 0)
                return r;
        for (i = 0; i < len; i++)
                if (!request_char(buf[i]))
                        return -PROTO_E_CHARSET;

        r = decode_id(buf, len, &req.id);
        if (r < 0)
                return r;
        i = PROTO_UUID_LEN;
        if (i == len)
                return -PROTO_E_TRUNCATED;
        i++;
        if (i == len)
                return -PROTO_E_TRUNCATED;

        r = next_token(buf, len, &i, &tok, &tlen);
        if (r < 0)
                return r;
        r = proto_token_check(PROTO_T_ACTION, tok, tlen, PROTO_WORD_MAX);
        if (r == -PROTO_E_TOO_LONG || r == -PROTO_E_CHARSET)
                return -PROTO_E_ACTION;
        if (r < 0)
                return r;
        r = proto_action_from_string(tok, tlen);
        if (r < 0)
                return -PROTO_E_ACTION;
        req.action = (enum proto_action)r;

        /* Count before reading any: the error must not depend on which argument is first. */
        for (size_t j = i; j < len; j++)
                if (buf[j] == ' ')
                        nargs++;
        if (i < len && nargs + 1 > PROTO_REQUEST_ARGS_MAX)
                return -PROTO_E_TOO_MANY;

        while (i < len) {
                r = next_token(buf, len, &i, &tok, &tlen);
                if (r < 0)
                        return r;
                r = parse_arg(req.action, tok, tlen, &req.args);
                if (r < 0)
                        return r;
        }
        *ret = req;
        return 0;
}

int proto_request_id(const char *buf, size_t len, struct proto_uuid *ret)
{
        struct proto_uuid u;
        int r;

        if (len > PROTO_REQUEST_MAX)
                len = PROTO_REQUEST_MAX;
        if (len > PROTO_UUID_LEN && buf[PROTO_UUID_LEN] != ' ')
                return -PROTO_E_UUID;
        r = proto_uuid_decode(buf, len < PROTO_UUID_LEN ? len : PROTO_UUID_LEN, &u);
        if (r < 0)
                return r;
        *ret = u;
        return 0;
}

int proto_request_encode(const struct proto_request *req, char *buf, size_t size)
{
        struct proto_uuid u;
        const char *action = proto_action_to_string(req->action);
        size_t o;
        int r;

        r = proto_uuid_decode(req->id.s, strnlen(req->id.s, sizeof(req->id.s)), &u);
        if (r < 0)
                return r;
        if (!action)
                return -PROTO_E_ACTION;
        if (req->args & ~proto_action_args(req->action))
                return -PROTO_E_ARGUMENT;
        if (size < PROTO_UUID_LEN + 2 + strlen(action))
                return -PROTO_E_NOSPACE;
        memcpy(buf, u.s, PROTO_UUID_LEN);
        o = PROTO_UUID_LEN;
        buf[o++] = ' ';
        memcpy(buf + o, action, strlen(action) + 1);
        o += strlen(action);
        for (int a = 0; a < _PROTO_ARG_MAX; a++) {
                const char *s = proto_arg_to_string(a);
                size_t l = strlen(s);

                if (!(req->args & (1u << a)))
                        continue;
                if (o + 1 + l + 1 > size)
                        return -PROTO_E_NOSPACE;
                buf[o++] = ' ';
                memcpy(buf + o, s, l + 1);
                o += l;
        }
        return (int)o;
}

enum proto_reason proto_request_error_reason(int r)
{
        if (r < 0)
                r = -r;
        switch (r) {
        case PROTO_E_ACTION:
                return PROTO_REASON_UNKNOWN_ACTION;
        case PROTO_E_ARGUMENT:
        case PROTO_E_DUPLICATE:
        case PROTO_E_TOO_MANY:
                return PROTO_REASON_BAD_ARGUMENT;
        default:
                return PROTO_REASON_MALFORMED;
        }
}
