/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * The one UTF-8 decoder. One sequence at s (n > 0 bytes available): its
 * length with the code point in *ret_cp, -ENODATA when the input ends inside
 * a sequence that was valid so far, or -EILSEQ (overlong forms, surrogates
 * and values beyond U+10FFFF included). *ret_cp is untouched on failure.
 */
int utf8_next(const char *s, size_t n, uint32_t *ret_cp);
