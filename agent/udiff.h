/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "textbuf.h"

/*
 * A unified diff (diff -u format, 3 lines of context) of two texts, by a
 * longest common subsequence over lines: quadratic, which is fine for the
 * configuration files prepare writes. NULL text means the file is absent
 * (its label is then /dev/null). Identical texts produce nothing.
 */
int udiff(struct textbuf *out, const char *path, const char *a, size_t alen, const char *b, size_t blen);
