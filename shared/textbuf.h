/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/*
 * Text that grows up to a fixed bound: what does not fit is counted, never
 * kept. Answers carry at most 16 KiB of output, so nothing here needs more.
 */
struct textbuf {
        char *data;               /* NUL-terminated, NULL until the first append */
        size_t len;
        size_t max;
        size_t omitted;           /* bytes refused because of max */
        bool oom;
};

void textbuf_init(struct textbuf *b, size_t max);
void textbuf_append(struct textbuf *b, const char *s, size_t n);
/* As textbuf_append, but keeps the last max bytes: what goes from the front is omitted. */
void textbuf_append_tail(struct textbuf *b, const char *s, size_t n);
void textbuf_puts(struct textbuf *b, const char *s);
void textbuf_printf(struct textbuf *b, const char *fmt, ...) _printf_(2, 3);
/* -ENOMEM when an allocation failed on the way, else 0. */
int textbuf_error(const struct textbuf *b);
void textbuf_done(struct textbuf *b);
