/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* NULL-terminated string vectors with an explicit count beside them. */
int strv_push(char ***v, size_t *n, char *s);
int strv_push_dup(char ***v, size_t *n, const char *s);
void strv_free(char **v);
static inline void strv_freep(char ***v)
{
        strv_free(*v);
}
#define _cleanup_strv_ _cleanup_(strv_freep)

char *strdup_printf(const char *fmt, ...) _printf_(1, 2);
/* Replaces *dst with a copy of src (NULL allowed); -ENOMEM on failure. */
int free_and_strdup(char **dst, const char *src);
/* The word-th whitespace-separated "key=value" argument search: the value of the last key=. */
const char *cmdline_last_value(const char *cmdline, const char *key, char *buf, size_t bufsz);
bool cmdline_has_word(const char *cmdline, const char *word);
