/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* data/pvh/schema: MAJOR.MINOR, and the major decides compatibility. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct proto_schema s;
        char out[32];
        int r = proto_schema_decode((const char *)data, size, &s);

        FUZZ_ASSERT(r <= 0 && r > -_PROTO_E_MAX);
        if (r == 0 || r == -PROTO_E_INCOMPATIBLE) {
                int n = snprintf(out, sizeof(out), "%u.%u", s.major, s.minor);

                FUZZ_ASSERT((r == 0) == (s.major == PROTO_SCHEMA_MAJOR));
                /* Canonical: no other spelling of the same version is accepted. */
                FUZZ_ASSERT((size_t)n == size && memcmp(out, data, size) == 0);
        }
        return 0;
}
