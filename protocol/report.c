/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

#define INSPECT_PREFIX "inspect/"
#define GUEST_PREFIX "data/pvh/"

/* The inspection's own keys; protocol/PROTOCOL.md, "Disk inspection report", lists them. */
static const struct proto_ikey_info ikeys[_PROTO_IKEY_MAX] = {
        { PROTO_IKEY_MENU_DEVICE, "inspect/menu_device", PROTO_T_TEXT, 256, 0 },
        { PROTO_IKEY_MENU_FILE, "inspect/menu_file", PROTO_T_FILE_PATH, 64, 0 },
        { PROTO_IKEY_ROOT_DEVICE, "inspect/root_device", PROTO_T_TEXT, 256, 0 },
        { PROTO_IKEY_BOOT_DEVICE, "inspect/boot_device", PROTO_T_TEXT, 256, 0 },
        { PROTO_IKEY_DEVICES, "inspect/devices", PROTO_T_TEXT, 1024, 0 },
        { PROTO_IKEY_ERROR, "inspect/error", PROTO_T_REASON, 32, 0 },
        { PROTO_IKEY_MESSAGE, "inspect/message", PROTO_T_TEXT, 1024, 0 },
        { PROTO_IKEY_NOTE, "inspect/note/$INDEX", PROTO_T_TEXT, 512, PROTO_REPORT_NOTES_MAX },
        { PROTO_IKEY_SANDBOX, "inspect/sandbox", PROTO_T_TEXT, 512, 0 },
        { PROTO_IKEY_FILES, "inspect/files", PROTO_T_COUNT, 16, 0 },
};

const struct proto_ikey_info *proto_ikey_info(enum proto_ikey key)
{
        return (unsigned)key < ELEMENTSOF(ikeys) ? &ikeys[key] : NULL;
}

/* The guest keys an inspection may report: what a disk tells, never an agent's identity. */
static bool readiness_key(enum proto_key k)
{
        switch (k) {
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
        case PROTO_KEY_CHECK_REASON:
        case PROTO_KEY_CHECK_FIX:
                return true;
        case PROTO_KEY_SCHEMA:
        case PROTO_KEY_AGENT_VERSION:
        case PROTO_KEY_AGENT_ACTIONS:
        case PROTO_KEY_AGENT_INSTANCE:
        case PROTO_KEY_AGENT_BOOT_ID:
        case PROTO_KEY_NET_OMITTED:
        case PROTO_KEY_NET_NAME:
        case PROTO_KEY_NET_MAC:
        case PROTO_KEY_NET_VIF:
        case PROTO_KEY_NET_IPV4:
        case PROTO_KEY_NET_IPV6:
        case PROTO_KEY_NET_IF_OMITTED:
        case PROTO_KEY_LAST_REQUEST:
        case PROTO_KEY_ANSWER_STATE:
        case PROTO_KEY_ANSWER_ACTION:
        case PROTO_KEY_ANSWER_REASON:
        case PROTO_KEY_ANSWER_MESSAGE:
        case PROTO_KEY_ANSWER_OUTPUT:
        case PROTO_KEY_ANSWER_OMITTED:
        case PROTO_KEY_REQUEST:
        case PROTO_KEY_SUMMARY:
        case PROTO_KEY_SWITCH_REQUEST:
        case PROTO_KEY_SWITCH_ANSWER:
        case _PROTO_KEY_MAX:
                break;
        }
        return false;
}

/* An inspection key: its name, or its name and a note's index. */
static int match_ikey(const char *key, size_t len, unsigned *ret_index)
{
        for (int k = 0; k < _PROTO_IKEY_MAX; k++) {
                const char *p = ikeys[k].pattern, *dollar = strchr(p, '$');
                size_t fixed = dollar ? (size_t)(dollar - p) : strlen(p);
                uint32_t u;

                if (!dollar) {
                        if (len == fixed && memcmp(key, p, len) == 0)
                                return k;
                        continue;
                }
                if (len <= fixed || memcmp(key, p, fixed) != 0)
                        continue;
                if (proto_parse_uint(key + fixed, len - fixed, ikeys[k].index_max - 1, &u) < 0)
                        return -PROTO_E_PATH;
                *ret_index = u;
                return k;
        }
        return -PROTO_E_PATH;
}

int proto_guest_item_decode(const char *key, size_t klen, struct proto_report_item *it)
{
        char path[PROTO_PATH_MAX];
        int k;

        if (STRLEN(GUEST_PREFIX) + klen >= sizeof(path))
                return -PROTO_E_PATH;
        memcpy(path, GUEST_PREFIX, STRLEN(GUEST_PREFIX));
        memcpy(path + STRLEN(GUEST_PREFIX), key, klen);
        it->key = -1;
        k = proto_path_match(path, STRLEN(GUEST_PREFIX) + klen, &it->args, &it->check_len);
        if (k < 0)
                return k;
        /* check_name pointed into our copy of the path: point it into the line. */
        if (it->args.check_name)
                it->args.check_name = key + (it->args.check_name - path - STRLEN(GUEST_PREFIX));
        it->key = k;
        return proto_key_check((enum proto_key)k, it->value, it->value_len);
}

int proto_item_split(const char *line, size_t len, struct proto_report_item *it, size_t *ret_klen)
{
        const char *eq;
        size_t klen;

        if (len == 0)
                return -PROTO_E_EMPTY;
        if (len > PROTO_REPORT_LINE_MAX)
                return -PROTO_E_TOO_LONG;
        eq = memchr(line, '=', len);
        if (!eq)
                return -PROTO_E_SYNTAX;
        klen = (size_t)(eq - line);
        if (klen == 0 || memchr(line, 0, klen) || memchr(line, '\n', len))
                return -PROTO_E_SYNTAX;
        *it = (struct proto_report_item){ .value = eq + 1, .value_len = len - klen - 1 };
        *ret_klen = klen;
        return 0;
}

static int decode_guest(const char *key, size_t klen, struct proto_report_item *it)
{
        int r = proto_guest_item_decode(key, klen, it);

        if (it->key < 0)
                return r;
        if (!readiness_key((enum proto_key)it->key))
                return -PROTO_E_PATH;
        return r;
}

int proto_report_decode(const char *line, size_t len, struct proto_report_item *ret)
{
        struct proto_report_item it;
        size_t klen;
        int r;

        r = proto_item_split(line, len, &it, &klen);
        if (r < 0)
                return r;
        if (klen > STRLEN(INSPECT_PREFIX) && memcmp(line, INSPECT_PREFIX, STRLEN(INSPECT_PREFIX)) == 0) {
                unsigned index = 0;

                r = match_ikey(line, klen, &index);
                if (r < 0)
                        return r;
                it.inspect = true;
                it.key = r;
                it.args.index = index;
                r = proto_value_check(ikeys[it.key].type, it.value, it.value_len, ikeys[it.key].max);
        } else
                r = decode_guest(line, klen, &it);
        if (r < 0)
                return r;
        *ret = it;
        return 0;
}

int proto_report_encode(const char *key, const char *value, char *buf, size_t size)
{
        struct proto_report_item it;
        int n = snprintf(buf, size, "%s=%s\n", key, value);
        int r;

        if (n < 0 || (size_t)n >= size)
                return -PROTO_E_NOSPACE;
        r = proto_report_decode(buf, (size_t)n - 1, &it);
        return r < 0 ? r : n;
}
