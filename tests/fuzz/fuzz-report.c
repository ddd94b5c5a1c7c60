/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disk inspection report: each line either decodes to a key whose value
 * passes that key's own check and lies within the line, or is refused with
 * an error; and what decodes encodes back to the same line.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"

static void one_line(const char *line, size_t len)
{
        struct proto_report_item it;
        char key[PROTO_PATH_MAX + 1], value[PROTO_XS_VALUE_MAX + 1], buf[PROTO_REPORT_LINE_MAX + 2];
        size_t klen;
        int r = proto_report_decode(line, len, &it);

        FUZZ_ASSERT(r <= 0 && r > -_PROTO_E_MAX);
        if (r < 0)
                return;
        FUZZ_ASSERT(it.value > line && it.value + it.value_len == line + len);
        klen = (size_t)(it.value - 1 - line);
        FUZZ_ASSERT(klen < sizeof(key) && it.value_len < sizeof(value));
        if (it.inspect)
                FUZZ_ASSERT(proto_value_check(proto_ikey_info(it.key)->type, it.value, it.value_len,
                                              proto_ikey_info(it.key)->max) == 0);
        else
                FUZZ_ASSERT(proto_key_check(it.key, it.value, it.value_len) == 0);
        memcpy(key, line, klen);
        key[klen] = 0;
        memcpy(value, it.value, it.value_len);
        value[it.value_len] = 0;
        r = proto_report_encode(key, value, buf, sizeof(buf));
        FUZZ_ASSERT(r == (int)len + 1 && memcmp(buf, line, len) == 0 && buf[len] == '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data;

        for (size_t o = 0; o <= size;) {
                const char *nl = memchr(p + o, '\n', size - o);
                size_t l = nl ? (size_t)(nl - (p + o)) : size - o;

                one_line(p + o, l);
                o += l + 1;
        }
        return 0;
}
