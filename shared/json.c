/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

static void codepoint(FILE *f, uint32_t cp)
{
        if (cp >= 0x10000) {
                cp -= 0x10000;
                fprintf(f, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else
                fprintf(f, "\\u%04x", cp);
}

static void ascii(FILE *f, unsigned char c)
{
        if (c == '"' || c == '\\') {
                fputc('\\', f);
                fputc(c, f);
        } else if (c >= 0x20 && c < 0x7f)
                fputc(c, f);
        else if (c == '\n' || c == '\t')
                fputs(c == '\n' ? "\\n" : "\\t", f);
        else
                codepoint(f, c);
}

/* One non-ASCII character at s: the bytes it took. */
static size_t other(FILE *f, const char *s, size_t len, unsigned flags, json_keep_fn keep)
{
        uint32_t cp;
        int n = utf8_next(s, len, &cp);

        if (n < 0 || (keep && !keep(s, (size_t)n))) {
                fputs("\\ufffd", f);
                return 1;
        }
        if (flags & JSON_ASCII)
                codepoint(f, cp);
        else
                fwrite(s, 1, (size_t)n, f);
        return (size_t)n;
}

void json_string(FILE *f, const char *s, size_t len, unsigned flags, json_keep_fn keep)
{
        fputc('"', f);
        for (size_t i = 0; i < len;) {
                unsigned char c = (unsigned char)s[i];

                if (c < 0x80) {
                        ascii(f, c);
                        i++;
                } else
                        i += other(f, s + i, len - i, flags, keep);
        }
        fputc('"', f);
}

void json_cstr(FILE *f, const char *s, unsigned flags, json_keep_fn keep)
{
        if (!s)
                fputs("null", f);
        else
                json_string(f, s, strlen(s), flags, keep);
}
