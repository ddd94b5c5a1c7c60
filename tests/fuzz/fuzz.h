/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libFuzzer entry points for the protocol decoders and for the monitor's
 * readers of what guests and HTTP clients send (fuzz-guest, fuzz-http).
 * Each decoder target feeds the input to one decoder as a length-delimited
 * value, like a xenstore read; every target checks the code's own promises
 * (round trips, output validity); a broken promise aborts, which libFuzzer
 * reports as a finding.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                              \
        do {                                                                           \
                if (!(cond)) {                                                         \
                        fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,     \
                                __LINE__, #cond);                                      \
                        abort();                                                       \
                }                                                                      \
        } while (0)
