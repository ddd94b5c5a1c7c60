/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Each decompressor on any input: the first byte picks the format. */
#include "config.h"

#include "decompress.h"
#include "fuzz-agent.h"

#define OUT_MAX (16u << 20)

static int sink(const uint8_t *buf, size_t len, void *userdata)
{
        uint64_t *total = userdata;

        *total += len;
        FUZZ_CHECK(*total <= OUT_MAX);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint64_t total = 0;
        size_t used = 0;
        int r;

        if (size < 1)
                return 0;
        r = decompress((enum kcomp)(data[0] % KCOMP_UNKNOWN), data + 1, size - 1, OUT_MAX, NULL, sink, &total, &used);
        FUZZ_CHECK(r <= 1);
        FUZZ_CHECK(used <= size - 1);
        return 0;
}
