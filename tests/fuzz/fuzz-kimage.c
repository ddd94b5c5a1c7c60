/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A kernel image: bzImage header, payload, decompression, ELF notes. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fuzz-agent.h"
#include "kimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct kimage_info info;

        FUZZ_CHECK(kimage_inspect(data, size, NULL, &info) == 0);
        FUZZ_CHECK(memchr(info.version, '\0', sizeof(info.version)));
        FUZZ_CHECK(memchr(info.notes.salt, '\0', sizeof(info.notes.salt)));
        FUZZ_CHECK(info.notes_error <= 0);
        if (info.format == KFORMAT_UNKNOWN)
                FUZZ_CHECK(info.notes_error == -EBADMSG);
        return 0;
}
