/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TEXT and BLOCK: the validator, and the sanitizer whose output must always
 * be valid, fit its buffer, and consume the input in order.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char out[PROTO_XS_VALUE_MAX + 1];
        const char *buf = (const char *)data + 1;
        bool multiline;
        size_t room, n, consumed;
        int r;

        if (size < 1)
                return 0;
        multiline = data[0] & 1;
        /* Small output buffers too, to reach the cuts at character boundaries. */
        room = (size_t)(data[0] >> 1) + 1;
        if (data[0] >> 1 == 0x7f)
                room = sizeof(out);
        size--;

        r = proto_value_check(multiline ? PROTO_T_BLOCK : PROTO_T_TEXT, buf, size,
                              PROTO_XS_VALUE_MAX);
        FUZZ_ASSERT(r <= 0 && r > -_PROTO_E_MAX);

        n = proto_text_sanitize(buf, size, multiline, out, room, &consumed);
        FUZZ_ASSERT(n < room && out[n] == 0 && consumed <= size);
        if (n > 0)
                FUZZ_ASSERT(proto_value_check(multiline ? PROTO_T_BLOCK : PROTO_T_TEXT, out, n,
                                              PROTO_XS_VALUE_MAX) == 0);
        /* Valid text that fits comes through unchanged. */
        if (r == 0 && size < room)
                FUZZ_ASSERT(n == size && consumed == size && memcmp(out, buf, size) == 0);
        return 0;
}
