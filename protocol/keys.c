/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

#define GUEST PROTO_WRITER_GUEST
#define HOST PROTO_WRITER_HOST

/*
 * The one list of every node in the protocol. PROTOCOL.md documents each
 * pattern under a "#### ~/PATTERN = ..." heading; tests/unit/test-protocol-spec
 * holds the two to each other.
 */
static const struct proto_key_info keys[_PROTO_KEY_MAX] = {
        { PROTO_KEY_SCHEMA, "data/pvh/schema", PROTO_T_SCHEMA, GUEST, 16, 0, true },
        { PROTO_KEY_AGENT_VERSION, "data/pvh/agent/version", PROTO_T_VERSION, GUEST, 64, 0, true },
        { PROTO_KEY_AGENT_ACTIONS, "data/pvh/agent/actions", PROTO_T_ACTIONS, GUEST, 512, 0, true },
        { PROTO_KEY_AGENT_INSTANCE, "data/pvh/agent/instance", PROTO_T_UUID, GUEST, 36, 0, true },
        { PROTO_KEY_AGENT_BOOT_ID, "data/pvh/agent/boot_id", PROTO_T_UUID, GUEST, 36, 0, true },
        { PROTO_KEY_GUEST_TYPE, "data/pvh/guest_type", PROTO_T_GUEST_TYPE, GUEST, 16, 0, true },
        { PROTO_KEY_KERNEL_RELEASE, "data/pvh/kernel/release", PROTO_T_RELEASE, GUEST, 64, 0, true },
        { PROTO_KEY_KERNEL_ARCH, "data/pvh/kernel/arch", PROTO_T_ARCH, GUEST, 32, 0, true },
        { PROTO_KEY_OS_ID, "data/pvh/os/id", PROTO_T_OS_ID, GUEST, 64, 0, false },
        { PROTO_KEY_OS_VERSION_ID, "data/pvh/os/version_id", PROTO_T_OS_VERSION, GUEST, 64, 0, false },
        { PROTO_KEY_OS_PRETTY_NAME, "data/pvh/os/pretty_name", PROTO_T_TEXT, GUEST, 256, 0, false },
        { PROTO_KEY_NEXT_BOOT_KERNEL, "data/pvh/next_boot/kernel", PROTO_T_FILE_PATH, GUEST, 512, 0, false },
        { PROTO_KEY_NEXT_BOOT_RELEASE, "data/pvh/next_boot/release", PROTO_T_RELEASE, GUEST, 64, 0, false },
        { PROTO_KEY_VERDICT, "data/pvh/verdict", PROTO_T_VERDICT, GUEST, 16, 0, true },
        { PROTO_KEY_CHECK_STATUS, "data/pvh/checks/$CHECK/status", PROTO_T_STATUS, GUEST, 16, 0, false },
        { PROTO_KEY_CHECK_REASON, "data/pvh/checks/$CHECK/reason", PROTO_T_TEXT, GUEST, 512, 0, false },
        { PROTO_KEY_CHECK_FIX, "data/pvh/checks/$CHECK/fix", PROTO_T_TEXT, GUEST, 512, 0, false },
        { PROTO_KEY_SUMMARY, "data/pvh/summary", PROTO_T_SUMMARY, GUEST, PROTO_SUMMARY_MAX, 0, false },
        { PROTO_KEY_NET_OMITTED, "data/pvh/net/omitted", PROTO_T_COUNT, GUEST, 16, 0, false },
        { PROTO_KEY_NET_NAME, "data/pvh/net/$IF/name", PROTO_T_IFNAME, GUEST, 15, 0, false },
        { PROTO_KEY_NET_MAC, "data/pvh/net/$IF/mac", PROTO_T_MAC, GUEST, 17, 0, false },
        { PROTO_KEY_NET_VIF, "data/pvh/net/$IF/vif", PROTO_T_VIF, GUEST, 5, 0, false },
        { PROTO_KEY_NET_IPV4, "data/pvh/net/$IF/ipv4/$INDEX", PROTO_T_IPV4, GUEST, 18,
          PROTO_NET_IPV4_MAX, false },
        { PROTO_KEY_NET_IPV6, "data/pvh/net/$IF/ipv6/$INDEX", PROTO_T_IPV6, GUEST, 49,
          PROTO_NET_IPV6_MAX, false },
        { PROTO_KEY_NET_IF_OMITTED, "data/pvh/net/$IF/omitted", PROTO_T_COUNT, GUEST, 16, 0, false },
        { PROTO_KEY_LAST_REQUEST, "data/pvh/last_request", PROTO_T_ANSWER_ID, GUEST, 36, 0, false },
        { PROTO_KEY_ANSWER_STATE, "data/pvh/answer/$UUID/state", PROTO_T_STATE, GUEST, 16, 0, false },
        { PROTO_KEY_ANSWER_ACTION, "data/pvh/answer/$UUID/action", PROTO_T_ACTION, GUEST, 32, 0, false },
        { PROTO_KEY_ANSWER_REASON, "data/pvh/answer/$UUID/reason", PROTO_T_REASON, GUEST, 32, 0, false },
        { PROTO_KEY_ANSWER_MESSAGE, "data/pvh/answer/$UUID/message", PROTO_T_TEXT, GUEST, 1024, 0,
          false },
        { PROTO_KEY_ANSWER_OUTPUT, "data/pvh/answer/$UUID/output/$INDEX", PROTO_T_BLOCK, GUEST,
          PROTO_OUTPUT_CHUNK_MAX, PROTO_OUTPUT_CHUNKS_MAX, false },
        { PROTO_KEY_ANSWER_OMITTED, "data/pvh/answer/$UUID/omitted", PROTO_T_COUNT, GUEST, 16, 0,
          false },
        { PROTO_KEY_REQUEST, "control/pvh/request", PROTO_T_REQUEST, HOST, PROTO_REQUEST_MAX, 0,
          false },
        { PROTO_KEY_SWITCH_REQUEST, "data/pvh/switch", PROTO_T_SWITCH_REQUEST, GUEST, PROTO_SWITCH_MAX,
          0, false },
        { PROTO_KEY_SWITCH_ANSWER, "control/pvh/switch", PROTO_T_SWITCH_ANSWER, HOST, PROTO_SWITCH_MAX,
          0, false },
};

const struct proto_key_info *proto_key_info(enum proto_key key)
{
        return (unsigned)key < ELEMENTSOF(keys) ? &keys[key] : NULL;
}

int proto_key_check(enum proto_key key, const char *buf, size_t len)
{
        const struct proto_key_info *k = proto_key_info(key);

        if (!k)
                return -PROTO_E_PATH;
        return proto_value_check(k->type, buf, len, k->max);
}

/* Appends one formatted placeholder; returns its length or an error. */
static int format_placeholder(const struct proto_key_info *k, const char *name, size_t nlen,
                              const struct proto_path_args *a, char *buf, size_t size)
{
        const char *s;
        int n;

#define IS(lit) (nlen == STRLEN(lit) && memcmp(name, lit, nlen) == 0)
        if (IS("$IF")) {
                if (a->iface >= PROTO_NET_IF_MAX)
                        return -PROTO_E_RANGE;
                n = snprintf(buf, size, "%u", a->iface);
        } else if (IS("$INDEX")) {
                if (a->index >= k->index_max)
                        return -PROTO_E_RANGE;
                n = snprintf(buf, size, "%u", a->index);
        } else if (IS("$CHECK")) {
                s = a->check_name ? a->check_name : proto_check_to_string(a->check);
                if (!s)
                        return -PROTO_E_ENUM;
                if (proto_token_check(PROTO_T_CHECK_ID, s, strlen(s), PROTO_CHECK_ID_MAX) < 0)
                        return -PROTO_E_CHARSET;
                n = snprintf(buf, size, "%s", s);
        } else if (IS("$UUID")) {
                struct proto_uuid u;
                int r = proto_uuid_decode(a->uuid, strnlen(a->uuid, sizeof(a->uuid)), &u);

                if (r < 0 && r != -PROTO_E_NIL_UUID)
                        return r;
                n = snprintf(buf, size, "%s", u.s);
        } else
                return -PROTO_E_PATH;
#undef IS
        if (n < 0 || (size_t)n >= size)
                return -PROTO_E_NOSPACE;
        return n;
}

int proto_path_format(enum proto_key key, const struct proto_path_args *args, char *buf,
                      size_t size)
{
        const struct proto_key_info *k = proto_key_info(key);
        const char *p;
        size_t o = 0;

        if (!k)
                return -PROTO_E_PATH;
        if (size == 0)
                return -PROTO_E_NOSPACE;
        for (p = k->pattern; *p;) {
                size_t l = strcspn(p, "/");
                int n;

                if (p[0] == '$') {
                        if (!args)
                                return -PROTO_E_PATH;
                        n = format_placeholder(k, p, l, args, buf + o, size - o);
                        if (n < 0)
                                return n;
                } else {
                        if (o + l >= size)
                                return -PROTO_E_NOSPACE;
                        memcpy(buf + o, p, l);
                        n = (int)l;
                }
                o += (size_t)n;
                p += l;
                if (*p == '/') {
                        if (o + 1 >= size)
                                return -PROTO_E_NOSPACE;
                        buf[o++] = '/';
                        p++;
                }
        }
        buf[o] = 0;
        return (int)o;
}

int proto_domain_path(unsigned domid, const char *rel, char *buf, size_t size)
{
        int n = !rel || !rel[0] ? snprintf(buf, size, "/local/domain/%u", domid)
                                : snprintf(buf, size, "/local/domain/%u/%s", domid, rel);

        if (n < 0 || (size_t)n >= size)
                return -PROTO_E_NOSPACE;
        return n;
}

int proto_domain_key_path(unsigned domid, enum proto_key key, const struct proto_path_args *args,
                          char *buf, size_t size)
{
        int n = proto_domain_path(domid, NULL, buf, size);
        int r;

        if (n < 0)
                return n;
        if ((size_t)n + 1 >= size)
                return -PROTO_E_NOSPACE;
        buf[n++] = '/';
        r = proto_path_format(key, args, buf + n, size - (size_t)n);
        return r < 0 ? r : n + r;
}

/* Does path have the shape of pattern (same depth, same literal components)? */
static bool shape_matches(const char *pattern, const char *path, size_t len)
{
        size_t i = 0;

        for (const char *p = pattern;;) {
                size_t pl = strcspn(p, "/");
                const char *slash = memchr(path + i, '/', len - i);
                size_t cl = slash ? (size_t)(slash - path) - i : len - i;

                if (cl == 0)
                        return false;
                if (p[0] != '$' && (pl != cl || memcmp(p, path + i, cl) != 0))
                        return false;
                p += pl;
                i += cl;
                if (!*p || i == len)
                        return !*p && i == len;
                p++;
                i++;
        }
}

/* Parses the placeholders of a path whose shape matches k. */
static int parse_placeholders(const struct proto_key_info *k, const char *path, size_t len,
                              struct proto_path_args *a, size_t *ret_check_len)
{
        size_t i = 0;

        for (const char *p = k->pattern; *p;) {
                size_t pl = strcspn(p, "/");
                const char *slash = memchr(path + i, '/', len - i);
                size_t cl = slash ? (size_t)(slash - path) - i : len - i;
                const char *c = path + i;
                uint32_t u;
                int r = 0;

#define IS(lit) (pl == STRLEN(lit) && memcmp(p, lit, pl) == 0)
                if (IS("$IF")) {
                        r = proto_parse_uint(c, cl, PROTO_NET_IF_MAX - 1, &u);
                        a->iface = u;
                } else if (IS("$INDEX")) {
                        r = proto_parse_uint(c, cl, k->index_max - 1, &u);
                        a->index = u;
                } else if (IS("$CHECK")) {
                        r = proto_token_check(PROTO_T_CHECK_ID, c, cl, PROTO_CHECK_ID_MAX);
                        a->check_name = c;
                        *ret_check_len = cl;
                        if (r == 0) {
                                int e = proto_check_from_string(c, cl);

                                a->check = e >= 0 ? (enum proto_check)e : _PROTO_CHECK_MAX;
                        }
                } else if (IS("$UUID")) {
                        struct proto_uuid uu;

                        r = proto_uuid_decode(c, cl, &uu);
                        if (r == -PROTO_E_NIL_UUID)
                                r = 0;
                        if (r == 0)
                                memcpy(a->uuid, uu.s, sizeof(a->uuid));
                }
#undef IS
                if (r < 0)
                        return r;
                p += pl;
                i += cl;
                if (*p == '/') {
                        p++;
                        i++;
                }
        }
        return 0;
}

int proto_path_match(const char *path, size_t len, struct proto_path_args *ret_args,
                     size_t *ret_check_len)
{
        if (len == 0 || len >= PROTO_PATH_MAX)
                return len == 0 ? -PROTO_E_EMPTY : -PROTO_E_PATH;
        for (size_t i = 0; i < len; i++)
                if (path[i] == 0)
                        return -PROTO_E_NUL;

        for (int key = 0; key < _PROTO_KEY_MAX; key++) {
                struct proto_path_args a = { .check = _PROTO_CHECK_MAX };
                size_t check_len = 0;
                int r;

                if (!shape_matches(keys[key].pattern, path, len))
                        continue;
                r = parse_placeholders(&keys[key], path, len, &a, &check_len);
                if (r < 0)
                        return r;
                if (ret_args)
                        *ret_args = a;
                if (ret_check_len)
                        *ret_check_len = check_len;
                return key;
        }
        return -PROTO_E_PATH;
}
