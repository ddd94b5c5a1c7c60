/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "macro.h"
#include "utf8.h"

static const struct {
        const char *in;
        size_t len;
        int want;           /* length, or -errno */
        uint32_t cp;
} cases[] = {
        { "a", 1, 1, 'a' },
        { "\0", 1, 1, 0 },
        { "\x7f", 1, 1, 0x7f },
        { "\xc2\x80", 2, 2, 0x80 },
        { "\xc3\xa9x", 3, 2, 0xe9 },
        { "\xdf\xbf", 2, 2, 0x7ff },
        { "\xe0\xa0\x80", 3, 3, 0x800 },
        { "\xe2\x82\xac", 3, 3, 0x20ac },
        { "\xed\x9f\xbf", 3, 3, 0xd7ff },
        { "\xef\xbf\xbf", 3, 3, 0xffff },
        { "\xf0\x90\x80\x80", 4, 4, 0x10000 },
        { "\xf0\x9f\x98\x80", 4, 4, 0x1f600 },
        { "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
        /* Not UTF-8. */
        { "\x80", 1, -EILSEQ, 0 },
        { "\xbf", 1, -EILSEQ, 0 },
        { "\xc0\xaf", 2, -EILSEQ, 0 },          /* overlong '/' */
        { "\xc1\xbf", 2, -EILSEQ, 0 },
        { "\xe0\x9f\xbf", 3, -EILSEQ, 0 },      /* overlong three-byte */
        { "\xed\xa0\x80", 3, -EILSEQ, 0 },      /* surrogate */
        { "\xf0\x8f\xbf\xbf", 4, -EILSEQ, 0 },  /* overlong four-byte */
        { "\xf4\x90\x80\x80", 4, -EILSEQ, 0 },  /* beyond U+10FFFF */
        { "\xf5\x80\x80\x80", 4, -EILSEQ, 0 },
        { "\xff", 1, -EILSEQ, 0 },
        { "\xc3x", 2, -EILSEQ, 0 },
        { "\xe2\x82x", 3, -EILSEQ, 0 },
        /* Cut short: valid so far. */
        { "\xc3", 1, -ENODATA, 0 },
        { "\xe2\x82", 2, -ENODATA, 0 },
        { "\xf0\x9f\x98", 3, -ENODATA, 0 },
        /* Cut short, but already wrong. */
        { "\xed\xa0", 2, -EILSEQ, 0 },
};

static void test_cases(void)
{
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint32_t cp = 0xdeadbeef;
                int r = utf8_next(cases[i].in, cases[i].len, &cp);

                if (r != cases[i].want)
                        fprintf(stderr, "case %zu: got %d, want %d\n", i, r, cases[i].want);
                CHECK(r == cases[i].want);
                CHECK(cp == (r > 0 ? cases[i].cp : 0xdeadbeef));
        }
}

/* Every code point there is, encoded by hand, decodes to itself. */
static void test_round_trip(void)
{
        for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
                unsigned char b[4];
                uint32_t got = 0;
                int n;

                if (cp >= 0xd800 && cp <= 0xdfff)
                        continue;
                if (cp < 0x80)
                        b[0] = (unsigned char)cp, n = 1;
                else if (cp < 0x800)
                        b[0] = 0xc0 | (cp >> 6), b[1] = 0x80 | (cp & 0x3f), n = 2;
                else if (cp < 0x10000)
                        b[0] = 0xe0 | (cp >> 12), b[1] = 0x80 | ((cp >> 6) & 0x3f),
                        b[2] = 0x80 | (cp & 0x3f), n = 3;
                else
                        b[0] = 0xf0 | (cp >> 18), b[1] = 0x80 | ((cp >> 12) & 0x3f),
                        b[2] = 0x80 | ((cp >> 6) & 0x3f), b[3] = 0x80 | (cp & 0x3f), n = 4;
                if (utf8_next((const char *)b, (size_t)n, &got) != n || got != cp) {
                        fprintf(stderr, "U+%04X does not round-trip\n", cp);
                        CHECK(false);
                        return;
                }
        }
}

int main(void)
{
        test_cases();
        test_round_trip();
        return check_exit("test-utf8");
}
