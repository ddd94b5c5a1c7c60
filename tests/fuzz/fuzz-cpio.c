/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An initramfs image: cpio archives, plain or compressed, one after another. */
#include "config.h"

#include <string.h>

#include "cpio.h"
#include "fuzz-agent.h"

static int entry(const char *name, void *userdata)
{
        unsigned *n = userdata;

        FUZZ_CHECK(strlen(name) <= 4096);
        (*n)++;
        return strcmp(name, "stop-here") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned n = 0;
        int r = initramfs_walk(data, size, NULL, entry, &n);

        FUZZ_CHECK(r <= 1);
        return 0;
}
