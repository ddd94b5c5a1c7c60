/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "utf8.h"

#define IPV4_TEXT_MAX 18 /* 255.255.255.255/32 */
#define IPV6_TEXT_MAX 49 /* INET6_ADDRSTRLEN - 1 + "/128" */
#define SCHEMA_MAX 16
#define MAC_TEXT_LEN 17

int proto_scan_bytes(const char *buf, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)buf[i];

                if (c == 0)
                        return -PROTO_E_NUL;
                if (c < 0x20 || c == 0x7f)
                        return -PROTO_E_CONTROL;
        }
        return 0;
}

/* One UTF-8 sequence at s: its length, -PROTO_E_TRUNCATED or -PROTO_E_UTF8. */
static int utf8_seq(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
        int r = utf8_next((const char *)s, n, ret_cp);

        if (r == -ENODATA)
                return -PROTO_E_TRUNCATED;
        return r < 0 ? -PROTO_E_UTF8 : r;
}

/*
 * Unicode's format characters (general category Cf, Unicode 15.0). They are
 * invisible and join, hide or reorder what is around them: zero-width space
 * and joiners, LRM, RLM and ALM, the bidirectional embeddings, overrides and
 * isolates, the byte order mark, tags. PROTOCOL.md lists the same ranges.
 */
static const struct {
        uint32_t first, last;
} format_chars[] = {
        { 0x00ad, 0x00ad },   { 0x0600, 0x0605 },   { 0x061c, 0x061c },   { 0x06dd, 0x06dd },
        { 0x070f, 0x070f },   { 0x0890, 0x0891 },   { 0x08e2, 0x08e2 },   { 0x180e, 0x180e },
        { 0x200b, 0x200f },   { 0x202a, 0x202e },   { 0x2060, 0x2064 },   { 0x2066, 0x206f },
        { 0xfeff, 0xfeff },   { 0xfff9, 0xfffb },   { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
        { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
        { 0xe0020, 0xe007f },
};

static bool is_format(uint32_t cp)
{
        for (size_t i = 0; i < ELEMENTSOF(format_chars) && cp >= format_chars[i].first; i++)
                if (cp <= format_chars[i].last)
                        return true;
        return false;
}

/*
 * Characters that must not reach a terminal: C0 and DEL (tab and newline
 * allowed in multi-line text), C1, the line and paragraph separators, and the
 * format characters, which can make text read differently from what it is or
 * push a table out of line without being seen.
 */
static bool is_control(uint32_t cp, bool multiline)
{
        if (cp < 0x20)
                return !(multiline && (cp == '\t' || cp == '\n'));
        if (cp >= 0x7f && cp <= 0x9f)
                return true;
        if (cp == 0x2028 || cp == 0x2029)
                return true;
        return is_format(cp);
}

static int text_check(const char *buf, size_t len, bool multiline)
{
        const unsigned char *s = (const unsigned char *)buf;
        size_t i = 0;

        while (i < len) {
                uint32_t cp;
                int n;

                if (s[i] == 0)
                        return -PROTO_E_NUL;
                n = utf8_seq(s + i, len - i, &cp);
                if (n < 0)
                        return n;
                if (is_control(cp, multiline))
                        return -PROTO_E_CONTROL;
                i += (size_t)n;
        }
        return 0;
}

size_t proto_text_sanitize(const char *in, size_t len, bool multiline, char *buf, size_t size,
                           size_t *ret_consumed)
{
        const unsigned char *s = (const unsigned char *)in;
        size_t i = 0, o = 0;

        if (size == 0) {
                if (ret_consumed)
                        *ret_consumed = 0;
                return 0;
        }
        while (i < len) {
                uint32_t cp;
                int n = utf8_seq(s + i, len - i, &cp);
                bool bad = n < 0 || is_control(cp, multiline);
                size_t out = bad ? 1 : (size_t)n;

                if (o + out > size - 1)
                        break;
                if (bad)
                        buf[o] = '?';
                else
                        memcpy(buf + o, s + i, out);
                o += out;
                /* An invalid byte is replaced alone; a control character whole. */
                i += n < 0 ? 1 : (size_t)n;
        }
        buf[o] = 0;
        if (ret_consumed)
                *ret_consumed = i;
        return o;
}

int proto_parse_uint(const char *buf, size_t len, uint32_t max, uint32_t *ret)
{
        uint64_t v = 0;

        if (len == 0)
                return -PROTO_E_EMPTY;
        for (size_t i = 0; i < len; i++)
                if (buf[i] < '0' || buf[i] > '9')
                        return -PROTO_E_NUMBER;
        if (buf[0] == '0' && len > 1)
                return -PROTO_E_NUMBER;
        if (len > 10)
                return -PROTO_E_RANGE;
        for (size_t i = 0; i < len; i++)
                v = v * 10 + (uint64_t)(buf[i] - '0');
        if (v > max)
                return -PROTO_E_RANGE;
        *ret = (uint32_t)v;
        return 0;
}

int proto_count_decode(const char *buf, size_t len, uint32_t max, uint32_t *ret)
{
        int r;

        if (len > 10)
                return -PROTO_E_TOO_LONG;
        r = proto_scan_bytes(buf, len);
        if (r < 0)
                return r;
        return proto_parse_uint(buf, len, max, ret);
}

static bool is_lower_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int proto_uuid_decode(const char *buf, size_t len, struct proto_uuid *ret)
{
        int r;

        if (len == 0)
                return -PROTO_E_EMPTY;
        if (len > PROTO_UUID_LEN)
                return -PROTO_E_TOO_LONG;
        r = proto_scan_bytes(buf, len);
        if (r < 0)
                return r;
        for (size_t i = 0; i < len; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;

                if (dash ? buf[i] != '-' : !is_lower_hex(buf[i]))
                        return -PROTO_E_UUID;
        }
        if (len < PROTO_UUID_LEN)
                return -PROTO_E_TRUNCATED;
        memcpy(ret->s, buf, PROTO_UUID_LEN);
        ret->s[PROTO_UUID_LEN] = 0;
        return proto_uuid_is_nil(ret) ? -PROTO_E_NIL_UUID : 0;
}

bool proto_uuid_is_nil(const struct proto_uuid *u)
{
        return strspn(u->s, "0-") >= PROTO_UUID_LEN;
}

int proto_schema_decode(const char *buf, size_t len, struct proto_schema *ret)
{
        const char *dot;
        uint32_t major, minor;
        int r;

        if (len == 0)
                return -PROTO_E_EMPTY;
        if (len > SCHEMA_MAX)
                return -PROTO_E_TOO_LONG;
        r = proto_scan_bytes(buf, len);
        if (r < 0)
                return r;
        for (size_t i = 0; i < len; i++)
                if ((buf[i] < '0' || buf[i] > '9') && buf[i] != '.')
                        return -PROTO_E_CHARSET;
        dot = memchr(buf, '.', len);
        if (!dot || dot == buf + len - 1)
                return -PROTO_E_TRUNCATED;
        if (proto_parse_uint(buf, (size_t)(dot - buf), 999, &major) < 0 ||
            proto_parse_uint(dot + 1, len - (size_t)(dot - buf) - 1, 999, &minor) < 0)
                return -PROTO_E_SCHEMA;
        ret->major = major;
        ret->minor = minor;
        return major == PROTO_SCHEMA_MAJOR ? 0 : -PROTO_E_INCOMPATIBLE;
}

int proto_mac_decode(const char *buf, size_t len, uint8_t ret[6])
{
        uint8_t mac[6];
        int r;

        if (len == 0)
                return -PROTO_E_EMPTY;
        if (len > MAC_TEXT_LEN)
                return -PROTO_E_TOO_LONG;
        r = proto_scan_bytes(buf, len);
        if (r < 0)
                return r;
        for (size_t i = 0; i < len; i++)
                if (i % 3 == 2 ? buf[i] != ':' : !is_lower_hex(buf[i]))
                        return -PROTO_E_MAC;
        if (len < MAC_TEXT_LEN)
                return -PROTO_E_TRUNCATED;
        for (size_t i = 0; i < 6; i++) {
                const char *p = buf + i * 3;
                int h = p[0] <= '9' ? p[0] - '0' : p[0] - 'a' + 10;
                int l = p[1] <= '9' ? p[1] - '0' : p[1] - 'a' + 10;

                mac[i] = (uint8_t)(h << 4 | l);
        }
        memcpy(ret, mac, sizeof(mac));
        return 0;
}

/* ADDRESS/PREFIX, canonical: what proto_ip_encode writes, and nothing else. */
static int ip_decode(int family, const char *buf, size_t len, struct proto_ip *ret)
{
        size_t text_max = family == AF_INET ? IPV4_TEXT_MAX : IPV6_TEXT_MAX;
        const char *chars = family == AF_INET ? "0123456789./" : "0123456789abcdef:./";
        unsigned prefix_max = family == AF_INET ? 32 : 128;
        char addr[INET6_ADDRSTRLEN], canon[INET6_ADDRSTRLEN];
        struct proto_ip ip = { .family = family };
        const char *slash;
        uint32_t prefix;
        size_t alen;
        int r;

        if (len == 0)
                return -PROTO_E_EMPTY;
        if (len > text_max)
                return -PROTO_E_TOO_LONG;
        r = proto_scan_bytes(buf, len);
        if (r < 0)
                return r;
        for (size_t i = 0; i < len; i++)
                if (!strchr(chars, buf[i]))
                        return -PROTO_E_ADDRESS;
        slash = memchr(buf, '/', len);
        if (!slash || slash == buf + len - 1)
                return -PROTO_E_TRUNCATED;
        alen = (size_t)(slash - buf);
        if (alen == 0 || alen >= sizeof(addr))
                return -PROTO_E_ADDRESS;
        memcpy(addr, buf, alen);
        addr[alen] = 0;
        if (inet_pton(family, addr, ip.addr) != 1)
                return -PROTO_E_ADDRESS;
        if (!inet_ntop(family, ip.addr, canon, sizeof(canon)) || strcmp(addr, canon) != 0)
                return -PROTO_E_ADDRESS;
        r = proto_parse_uint(slash + 1, len - alen - 1, prefix_max, &prefix);
        if (r == -PROTO_E_RANGE)
                return r;
        if (r < 0)
                return -PROTO_E_ADDRESS;
        ip.prefix = prefix;
        *ret = ip;
        return 0;
}

int proto_ipv4_decode(const char *buf, size_t len, struct proto_ip *ret)
{
        return ip_decode(AF_INET, buf, len, ret);
}

int proto_ipv6_decode(const char *buf, size_t len, struct proto_ip *ret)
{
        return ip_decode(AF_INET6, buf, len, ret);
}

int proto_ip_encode(const struct proto_ip *ip, char *buf, size_t size)
{
        char addr[INET6_ADDRSTRLEN];
        unsigned prefix_max;
        int n;

        if (ip->family != AF_INET && ip->family != AF_INET6)
                return -PROTO_E_ADDRESS;
        prefix_max = ip->family == AF_INET ? 32 : 128;
        if (ip->prefix > prefix_max)
                return -PROTO_E_RANGE;
        if (!inet_ntop(ip->family, ip->addr, addr, sizeof(addr)))
                return -PROTO_E_ADDRESS;
        n = snprintf(buf, size, "%s/%u", addr, ip->prefix);
        if (n < 0 || (size_t)n >= size)
                return -PROTO_E_NOSPACE;
        return n;
}

static bool in_class(enum proto_type type, char c, bool first)
{
        bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
        bool digit = c >= '0' && c <= '9';

        switch (type) {
        case PROTO_T_ACTION:
        case PROTO_T_REASON:
                return lower || (!first && (digit || c == '-'));
        case PROTO_T_CHECK_ID:
                return lower || (!first && (digit || c == '_'));
        case PROTO_T_WORD:
                return lower || upper || (!first && (digit || c == '_' || c == '-'));
        case PROTO_T_VERSION:
        case PROTO_T_OS_VERSION:
                return lower || upper || digit || strchr(".+~_-", c);
        case PROTO_T_ARCH:
                return lower || digit || c == '_';
        case PROTO_T_OS_ID:
                return lower || digit || c == '.' || c == '_' || c == '-';
        case PROTO_T_RELEASE:
                return c > 0x20 && c < 0x7f;
        case PROTO_T_IFNAME:
                return c > 0x20 && c < 0x7f && c != '/' && c != ':';
        default:
                return false;
        }
}

/* Size, bytes, then the character class of a plain ASCII value. */
static int ascii_check(enum proto_type type, const char *buf, size_t len, size_t max)
{
        int r;

        if (len == 0)
                return -PROTO_E_EMPTY;
        if (len > max)
                return -PROTO_E_TOO_LONG;
        r = proto_scan_bytes(buf, len);
        if (r < 0)
                return r;
        for (size_t i = 0; i < len; i++)
                if (!in_class(type, buf[i], i == 0))
                        return -PROTO_E_CHARSET;
        return 0;
}

int proto_token_check(enum proto_type type, const char *buf, size_t len, size_t max)
{
        return ascii_check(type, buf, len, max);
}

#define DRY_RUN_SUFFIX "-dry-run"

/* "ACTION-dry-run" for an action that accepts dry-run: that action, else -1. */
static int dry_run_token(const char *tok, size_t len)
{
        size_t sl = strlen(DRY_RUN_SUFFIX);
        int a;

        if (len <= sl || memcmp(tok + len - sl, DRY_RUN_SUFFIX, sl) != 0)
                return -1;
        a = proto_action_from_string(tok, len - sl);
        if (a < 0 || !(proto_action_args((enum proto_action)a) & (1u << PROTO_ARG_DRY_RUN)))
                return -1;
        return a;
}

static void actions_add(struct proto_actions *a, const char *tok, size_t len)
{
        int r = proto_action_from_string(tok, len);

        if (r >= 0)
                a->known |= 1u << r;
        else if ((r = dry_run_token(tok, len)) >= 0)
                a->dry_run_only |= 1u << r;
        else
                a->n_unknown++;
}

int proto_actions_decode(const char *buf, size_t len, struct proto_actions *ret)
{
        struct proto_actions a = {};
        const char *tok[PROTO_ACTIONS_MAX];
        size_t tlen[PROTO_ACTIONS_MAX], n = 0, i = 0;
        int r;

        if (len == 0)
                return -PROTO_E_EMPTY;
        if (len > PROTO_REQUEST_MAX)
                return -PROTO_E_TOO_LONG;
        r = proto_scan_bytes(buf, len);
        if (r < 0)
                return r;
        while (i <= len) {
                const char *sp = memchr(buf + i, ' ', len - i);
                size_t l = sp ? (size_t)(sp - buf) - i : len - i;

                if (l == 0)
                        return -PROTO_E_SYNTAX;
                r = proto_token_check(PROTO_T_ACTION, buf + i, l, PROTO_WORD_MAX);
                if (r < 0)
                        return r;
                if (n == PROTO_ACTIONS_MAX)
                        return -PROTO_E_TOO_MANY;
                for (size_t j = 0; j < n; j++)
                        if (tlen[j] == l && memcmp(tok[j], buf + i, l) == 0)
                                return -PROTO_E_DUPLICATE;
                tok[n] = buf + i;
                tlen[n++] = l;
                actions_add(&a, buf + i, l);
                i += l + 1;
        }
        /* An action listed whole is taken with dry-run too: the restriction says nothing more. */
        a.dry_run_only &= ~a.known;
        *ret = a;
        return 0;
}

/* Appends word (and suffix) to buf at *o, space-separated. */
static int put_token(char *buf, size_t size, size_t *o, const char *word, const char *suffix)
{
        size_t l = strlen(word), sl = strlen(suffix);

        if (*o + (*o > 0) + l + sl + 1 > size)
                return -PROTO_E_NOSPACE;
        if (*o > 0)
                buf[(*o)++] = ' ';
        memcpy(buf + *o, word, l);
        memcpy(buf + *o + l, suffix, sl + 1);
        *o += l + sl;
        return 0;
}

int proto_actions_encode(const struct proto_actions *a, char *buf, size_t size)
{
        size_t o = 0;
        int r;

        if (size == 0)
                return -PROTO_E_NOSPACE;
        buf[0] = 0;
        for (int k = 0; k < _PROTO_ACTION_MAX; k++) {
                const char *s = proto_action_to_string(k);

                if (a->known & (1u << k))
                        r = put_token(buf, size, &o, s, "");
                else if ((a->dry_run_only & (1u << k)) &&
                         (proto_action_args(k) & (1u << PROTO_ARG_DRY_RUN)))
                        r = put_token(buf, size, &o, s, DRY_RUN_SUFFIX);
                else
                        continue;
                if (r < 0)
                        return r;
        }
        return (int)o;
}

bool proto_actions_allow(const struct proto_actions *a, enum proto_action action, unsigned args)
{
        if ((unsigned)action >= _PROTO_ACTION_MAX)
                return false;
        if (a->known & (1u << action))
                return true;
        return (a->dry_run_only & (1u << action)) && (args & (1u << PROTO_ARG_DRY_RUN));
}

static int enum_check(int r)
{
        return r < 0 ? r : 0;
}

int proto_value_check(enum proto_type type, const char *buf, size_t len, size_t max)
{
        union {
                struct proto_uuid uuid;
                struct proto_schema schema;
                struct proto_actions actions;
                struct proto_ip ip;
                struct proto_request request;
                struct proto_switch sw;
                uint8_t mac[6];
                uint32_t u;
        } v;
        int r;

        if (max > PROTO_XS_VALUE_MAX)
                max = PROTO_XS_VALUE_MAX;
        if (len > max)
                return -PROTO_E_TOO_LONG;
        if (type == PROTO_T_REQUEST)
                return len == 0 ? 0 : enum_check(proto_request_decode(buf, len, &v.request));
        if (len == 0)
                return -PROTO_E_EMPTY;

        switch (type) {
        case PROTO_T_SCHEMA:
                return proto_schema_decode(buf, len, &v.schema);
        case PROTO_T_ACTIONS:
                return proto_actions_decode(buf, len, &v.actions);
        case PROTO_T_UUID:
                return proto_uuid_decode(buf, len, &v.uuid);
        case PROTO_T_ANSWER_ID:
                r = proto_uuid_decode(buf, len, &v.uuid);
                return r == -PROTO_E_NIL_UUID ? 0 : r;
        case PROTO_T_GUEST_TYPE:
                return enum_check(proto_guest_type_from_string(buf, len));
        case PROTO_T_VERDICT:
                return enum_check(proto_verdict_from_string(buf, len));
        case PROTO_T_STATUS:
                return enum_check(proto_status_from_string(buf, len));
        case PROTO_T_STATE:
                return enum_check(proto_state_from_string(buf, len));
        case PROTO_T_VERSION:
        case PROTO_T_RELEASE:
        case PROTO_T_ARCH:
        case PROTO_T_OS_ID:
        case PROTO_T_OS_VERSION:
        case PROTO_T_ACTION:
        case PROTO_T_REASON:
        case PROTO_T_WORD:
        case PROTO_T_CHECK_ID:
                return ascii_check(type, buf, len, max);
        case PROTO_T_IFNAME:
                r = ascii_check(type, buf, len, max);
                if (r == 0 && buf[0] == '.' && (len == 1 || (len == 2 && buf[1] == '.')))
                        return -PROTO_E_SYNTAX;
                return r;
        case PROTO_T_TEXT:
                return text_check(buf, len, false);
        case PROTO_T_BLOCK:
                return text_check(buf, len, true);
        case PROTO_T_FILE_PATH:
                r = text_check(buf, len, false);
                if (r == 0 && buf[0] != '/')
                        return -PROTO_E_SYNTAX;
                return r;
        case PROTO_T_MAC:
                return proto_mac_decode(buf, len, v.mac);
        case PROTO_T_COUNT:
                return proto_count_decode(buf, len, PROTO_COUNT_MAX, &v.u);
        case PROTO_T_VIF:
                return proto_count_decode(buf, len, 65535, &v.u);
        case PROTO_T_IPV4:
                return proto_ipv4_decode(buf, len, &v.ip);
        case PROTO_T_IPV6:
                return proto_ipv6_decode(buf, len, &v.ip);
        case PROTO_T_SUMMARY:
                return proto_summary_check(buf, len);
        case PROTO_T_SWITCH_REQUEST:
                return proto_switch_request_decode(buf, len, &v.sw);
        case PROTO_T_SWITCH_ANSWER:
                return proto_switch_answer_decode(buf, len, &v.sw);
        case PROTO_T_REQUEST:
        case _PROTO_T_MAX:
                break;
        }
        return -PROTO_E_SYNTAX;
}
