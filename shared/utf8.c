/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>

#include "utf8.h"

/* The length a lead byte announces, its payload bits, and the range of the byte after it. */
static size_t lead(unsigned char c, uint32_t *cp, unsigned char *lo, unsigned char *hi)
{
        *lo = 0x80;
        *hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
                *cp = c & 0x1f;
                return 2;
        }
        if (c >= 0xe0 && c <= 0xef) {
                *cp = c & 0x0f;
                *lo = c == 0xe0 ? 0xa0 : 0x80; /* overlong */
                *hi = c == 0xed ? 0x9f : 0xbf; /* surrogates */
                return 3;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                *cp = c & 0x07;
                *lo = c == 0xf0 ? 0x90 : 0x80; /* overlong */
                *hi = c == 0xf4 ? 0x8f : 0xbf; /* beyond U+10FFFF */
                return 4;
        }
        return 0;
}

int utf8_next(const char *buf, size_t n, uint32_t *ret_cp)
{
        const unsigned char *s = (const unsigned char *)buf;
        unsigned char lo, hi;
        uint32_t cp;
        size_t need;

        if (s[0] < 0x80) {
                *ret_cp = s[0];
                return 1;
        }
        need = lead(s[0], &cp, &lo, &hi);
        if (need == 0)
                return -EILSEQ;
        for (size_t i = 1; i < need; i++) {
                if (i >= n)
                        return -ENODATA;
                if (s[i] < lo || s[i] > hi)
                        return -EILSEQ;
                lo = 0x80;
                hi = 0xbf;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        *ret_cp = cp;
        return (int)need;
}
