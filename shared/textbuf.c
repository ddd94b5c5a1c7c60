/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textbuf.h"

void textbuf_init(struct textbuf *b, size_t max)
{
        *b = (struct textbuf){ .max = max };
}

void textbuf_append(struct textbuf *b, const char *s, size_t n)
{
        size_t room = b->max - b->len, take = n < room ? n : room;
        char *p;

        b->omitted += n - take;
        if (take == 0 || b->oom)
                return;
        p = realloc(b->data, b->len + take + 1);
        if (!p) {
                b->oom = true;
                b->omitted += take;
                return;
        }
        memcpy(p + b->len, s, take);
        b->len += take;
        p[b->len] = '\0';
        b->data = p;
}

void textbuf_append_tail(struct textbuf *b, const char *s, size_t n)
{
        size_t drop;

        if (n >= b->max) {
                b->omitted += b->len + n - b->max;
                s += n - b->max;
                n = b->max;
                b->len = 0;
        } else if (b->len + n > b->max) {
                drop = b->len + n - b->max;
                memmove(b->data, b->data + drop, b->len - drop);
                b->len -= drop;
                b->omitted += drop;
        }
        textbuf_append(b, s, n);
}

void textbuf_puts(struct textbuf *b, const char *s)
{
        textbuf_append(b, s, strlen(s));
}

void textbuf_printf(struct textbuf *b, const char *fmt, ...)
{
        va_list ap;
        char *s;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->oom = true;
                return;
        }
        textbuf_append(b, s, (size_t)n);
        free(s);
}

int textbuf_error(const struct textbuf *b)
{
        return b->oom ? -ENOMEM : 0;
}

void textbuf_done(struct textbuf *b)
{
        free(b->data);
        *b = (struct textbuf){};
}
