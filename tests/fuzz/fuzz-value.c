/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every key's value check: the first byte picks a key from the table, the
 * rest is the value. Every typed decoder is reached through it.
 */
#include "config.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        enum proto_key key;
        int r;

        if (size < 1)
                return 0;
        key = (enum proto_key)(data[0] % _PROTO_KEY_MAX);
        r = proto_key_check(key, (const char *)data + 1, size - 1);
        FUZZ_ASSERT(r <= 0 && r > -_PROTO_E_MAX);
        /* Nothing over its bound is ever valid. */
        if (size - 1 > proto_key_info(key)->max)
                FUZZ_ASSERT(r == -PROTO_E_TOO_LONG);

        /* The same bytes against every raw type with the largest bound. */
        r = proto_value_check((enum proto_type)(data[0] % _PROTO_T_MAX), (const char *)data + 1,
                              size - 1, PROTO_XS_VALUE_MAX);
        FUZZ_ASSERT(r <= 0 && r > -_PROTO_E_MAX);
        return 0;
}
