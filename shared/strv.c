/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

int strv_push(char ***v, size_t *n, char *s)
{
        char **nv;

        if (!s)
                return -ENOMEM;
        nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[(*n)++] = s;
        nv[*n] = NULL;
        *v = nv;
        return 0;
}

int strv_push_dup(char ***v, size_t *n, const char *s)
{
        return strv_push(v, n, strdup(s));
}

void strv_free(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

char *strdup_printf(const char *fmt, ...)
{
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

int free_and_strdup(char **dst, const char *src)
{
        char *c = NULL;

        if (src) {
                c = strdup(src);
                if (!c)
                        return -ENOMEM;
        }
        free(*dst);
        *dst = c;
        return 0;
}

/* Walks whitespace-separated words of a kernel command line (no quoting of spaces needed here). */
static const char *next_word(const char *p, size_t *ret_len)
{
        while (*p == ' ' || *p == '\t' || *p == '\n')
                p++;
        if (!*p)
                return NULL;
        *ret_len = strcspn(p, " \t\n");
        return p;
}

const char *cmdline_last_value(const char *cmdline, const char *key, char *buf, size_t bufsz)
{
        size_t klen = strlen(key), len;
        const char *p = cmdline, *w, *found = NULL;
        size_t flen = 0;

        if (!cmdline)
                return NULL;
        while ((w = next_word(p, &len))) {
                if (len > klen && w[klen] == '=' && strncmp(w, key, klen) == 0) {
                        found = w + klen + 1;
                        flen = len - klen - 1;
                }
                p = w + len;
        }
        if (!found || bufsz == 0)
                return NULL;
        if (flen >= bufsz)
                flen = bufsz - 1;
        memcpy(buf, found, flen);
        buf[flen] = '\0';
        return buf;
}

bool cmdline_has_word(const char *cmdline, const char *word)
{
        size_t wlen = strlen(word), len;
        const char *p = cmdline, *w;

        if (!cmdline)
                return false;
        while ((w = next_word(p, &len))) {
                if (len == wlen && strncmp(w, word, len) == 0)
                        return true;
                p = w + len;
        }
        return false;
}
