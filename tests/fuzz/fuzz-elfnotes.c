/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The streaming ELF notes reader, fed in pieces: the first byte sets the
 * piece size, so every split of the same image must give the same notes.
 */
#include "config.h"

#include <string.h>

#include "elfnotes.h"
#include "fuzz-agent.h"

static int run(const uint8_t *d, size_t n, size_t piece, struct xen_notes *ret)
{
        struct elfnotes e;
        int r = 0;

        FUZZ_CHECK(elfnotes_init(&e) == 0);
        for (size_t off = 0; off < n && r == 0; off += piece)
                r = elfnotes_feed(&e, d + off, n - off < piece ? n - off : piece);
        if (r == 0)
                r = elfnotes_finish(&e);
        *ret = e.notes;
        elfnotes_done(&e);
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct xen_notes a, b;
        int ra, rb;

        if (size < 1)
                return 0;
        ra = run(data + 1, size - 1, (size_t)data[0] + 1, &a);
        rb = run(data + 1, size - 1, size, &b);
        FUZZ_CHECK(ra == rb);
        if (ra == 1)
                FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
        return 0;
}
