/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * The one JSON string writer. Quotes and backslashes are escaped, newline
 * and tab as \n and \t, the other C0 controls and DEL as \u00XX; valid UTF-8
 * is kept (as \uXXXX escapes, surrogate pairs beyond the BMP, with
 * JSON_ASCII); each byte that is not part of valid UTF-8 becomes \ufffd.
 */
enum {
        JSON_ASCII = 1 << 0, /* the output is ASCII only */
};

/* Says whether the valid UTF-8 sequence seq (n bytes, non-ASCII) may appear; if not, \ufffd. */
typedef bool (*json_keep_fn)(const char *seq, size_t n);

void json_string(FILE *f, const char *s, size_t len, unsigned flags, json_keep_fn keep);
/* s as a JSON string, or null when s is NULL. */
void json_cstr(FILE *f, const char *s, unsigned flags, json_keep_fn keep);
