/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

/*
 * The unit tests' one assertion: reports the failing condition (and the
 * printf-style message after it, when there is one), counts it, goes on.
 */
static int check_failures;

#define CHECK(cond, ...)                                                                    \
        do {                                                                                \
                if (!(cond)) {                                                              \
                        fprintf(stderr, "%s:%d: FAIL: %s", __FILE__, __LINE__, #cond);      \
                        __VA_OPT__(fputs(": ", stderr); fprintf(stderr, __VA_ARGS__);)      \
                        fputc('\n', stderr);                                                \
                        check_failures++;                                                   \
                }                                                                           \
        } while (0)

/* The test program's exit status, with a last line saying how it went. */
static inline int check_exit(const char *name)
{
        if (check_failures) {
                fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
                return 1;
        }
        printf("%s: all checks passed\n", name);
        return 0;
}
