/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libFuzzer entry points for the monitor's readers of what guests and HTTP
 * clients send: the guest reader with everything that shows a guest, and
 * serve's HTTP path. tests/fuzz/run.sh builds them against monitor/ (but its
 * main() and command table), protocol/ and shared/, with SQLite and
 * libmicrohttpd. Seeds: tests/fuzz/corpus/<target>/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                               \
        do {                                                                           \
                if (!(cond)) {                                                         \
                        fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__,       \
                                __LINE__, #cond);                                      \
                        abort();                                                       \
                }                                                                      \
        } while (0)
