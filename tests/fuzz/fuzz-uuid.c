/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UUIDs: a decoded UUID is the input, 36 bytes, and nil exactly when flagged. */
#include "config.h"

#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct proto_uuid u;
        int r = proto_uuid_decode((const char *)data, size, &u);

        FUZZ_ASSERT(r <= 0 && r > -_PROTO_E_MAX);
        if (r == 0 || r == -PROTO_E_NIL_UUID) {
                FUZZ_ASSERT(size == PROTO_UUID_LEN && memcmp(u.s, data, size) == 0);
                FUZZ_ASSERT(proto_uuid_is_nil(&u) == (r == -PROTO_E_NIL_UUID));
        }
        return 0;
}
