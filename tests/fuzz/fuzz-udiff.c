/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * udiff() of two texts (the input split at its first NUL byte; without one,
 * an absent old file): the diff, applied to the old text, gives the new one.
 * Build as fuzz-agent.h says, with agent/udiff.c shared/textbuf.c
 * shared/util.c and -Itests/unit for the applier.
 */
#include "config.h"

#include <string.h>

#include "fuzz-agent.h"
#include "textbuf.h"
#include "udiff-apply.h"
#include "udiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *)data, *nul = memchr(s, '\0', size);
        const char *a = nul ? s : NULL, *b = nul ? nul + 1 : s;
        size_t alen = nul ? (size_t)(nul - s) : 0, blen = nul ? size - alen - 1 : size;
        struct textbuf out;
        char *got = NULL;
        size_t glen;
        int r;

        if (b && memchr(b, '\0', blen))
                return 0; /* texts, not binary files */
        textbuf_init(&out, 1u << 24);
        r = udiff(&out, "/f", a, alen, b, blen);
        FUZZ_CHECK(r == 0 || r == -E2BIG);
        if (r == 0 && out.len > 0) {
                FUZZ_CHECK(udiff_apply(a ? a : "", alen, out.data, out.len, &got, &glen) == 0);
                FUZZ_CHECK(glen == blen && memcmp(got, b, blen) == 0);
                free(got);
        }
        if (r == 0 && out.len == 0)
                FUZZ_CHECK(a && alen == blen && memcmp(a, b, blen) == 0);
        textbuf_done(&out);
        return 0;
}
