/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "conffile.h"

static bool is_ws(char c)
{
        return c == ' ' || c == '\t';
}

static size_t skip_ws(const char *s, size_t i, size_t len)
{
        while (i < len && is_ws(s[i]))
                i++;
        return i;
}

size_t conffile_word(const char *s, size_t len)
{
        size_t n = 0;

        if (len == 0 || s[0] < 'a' || s[0] > 'z')
                return 0;
        while (n < len && ((s[n] >= 'a' && s[n] <= 'z') || s[n] == '-'))
                n++;
        return n;
}

static int parse_setting(unsigned line, const char *s, size_t len, conffile_setting_fn fn, void *userdata,
                         char *error, size_t size)
{
        size_t i = skip_ws(s, 0, len), kn = conffile_word(s + i, len - i), vi, vend = len;
        const char *key = s + i;

        if (kn == 0) {
                snprintf(error, size, "line %u: expected KEY = VALUE, with a key of lowercase letters", line);
                return -EINVAL;
        }
        i = skip_ws(s, i + kn, len);
        if (i == len || s[i] != '=') {
                snprintf(error, size, "line %u: expected '=' after '%.*s'", line, (int)kn, key);
                return -EINVAL;
        }
        vi = skip_ws(s, i + 1, len);
        while (vend > vi && is_ws(s[vend - 1]))
                vend--;
        return fn(line, key, kn, s + vi, vend - vi, userdata);
}

static int parse_line(unsigned line, const char *s, size_t len, conffile_setting_fn fn, void *userdata,
                      char *error, size_t size)
{
        size_t i;

        for (i = 0; i < len; i++)
                if (!is_ws(s[i]) && (s[i] < 0x20 || s[i] > 0x7e)) {
                        snprintf(error, size, "line %u: byte 0x%02x is not printable ASCII", line,
                                 (unsigned char)s[i]);
                        return -EINVAL;
                }
        i = skip_ws(s, 0, len);
        if (i == len || s[i] == '#')
                return 0;
        return parse_setting(line, s, len, fn, userdata, error, size);
}

int conffile_parse(const char *text, size_t len, conffile_setting_fn fn, void *userdata, char *error,
                   size_t size)
{
        unsigned line = 0;

        for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
                int r = parse_line(++line, text + i, n, fn, userdata, error, size);

                if (r < 0)
                        return r;
                i += n + 1;
        }
        return 0;
}
