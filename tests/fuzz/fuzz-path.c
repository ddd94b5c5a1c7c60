/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Path matching: a matched path formats back to itself. */
#include "config.h"

#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct proto_path_args a;
        char name[PROTO_CHECK_ID_MAX + 1], out[PROTO_PATH_MAX];
        size_t check_len = 0;
        int r, n;

        r = proto_path_match((const char *)data, size, &a, &check_len);
        FUZZ_ASSERT(r < _PROTO_KEY_MAX && r > -_PROTO_E_MAX);
        if (r < 0)
                return 0;
        FUZZ_ASSERT(size < PROTO_PATH_MAX);
        if (strstr(proto_key_info(r)->pattern, "$CHECK")) {
                FUZZ_ASSERT(check_len > 0 && check_len <= PROTO_CHECK_ID_MAX);
                memcpy(name, a.check_name, check_len);
                name[check_len] = 0;
                a.check_name = name;
        }
        n = proto_path_format(r, &a, out, sizeof(out));
        FUZZ_ASSERT(n > 0 && (size_t)n == size && memcmp(out, data, size) == 0);
        return 0;
}
