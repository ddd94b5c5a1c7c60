/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A few helpers for table-driven unit tests: every case prints one line,
 * and a failing case makes the program exit 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "protocol.h"

/* A string literal with its length, embedded NULs included. */
#define S(x) (x), (sizeof(x) - 1)

static int unit_failures;
static int unit_cases;

#define CHECK(cond, ...)                                              \
        do {                                                          \
                unit_cases++;                                         \
                if (cond) {                                           \
                        printf("ok   ");                              \
                } else {                                              \
                        printf("FAIL ");                              \
                        unit_failures++;                              \
                }                                                     \
                printf(__VA_ARGS__);                                  \
                printf("\n");                                         \
        } while (0)

static inline int unit_exit(void)
{
        printf("%d cases, %d failed\n", unit_cases, unit_failures);
        return unit_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Prints bytes with everything outside printable ASCII escaped. */
static inline const char *unit_escape(const char *buf, size_t len, char *out, size_t size)
{
        size_t o = 0;

        for (size_t i = 0; i < len && o + 5 < size; i++) {
                unsigned char c = (unsigned char)buf[i];

                if (c >= 0x20 && c < 0x7f && c != '\\')
                        out[o++] = (char)c;
                else
                        o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        }
        if (o + 5 >= size && size > 4)
                o = size - 4, out[o++] = '.', out[o++] = '.', out[o++] = '.';
        out[o] = 0;
        return out;
}
