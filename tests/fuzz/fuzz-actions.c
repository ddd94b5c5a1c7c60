/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* data/pvh/agent/actions: a list of tokens, known and unknown. */
#include "config.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct proto_actions a;
        int r = proto_actions_decode((const char *)data, size, &a);

        FUZZ_ASSERT(r <= 0 && r > -_PROTO_E_MAX);
        if (r == 0) {
                unsigned n = (unsigned)__builtin_popcount(a.known) + a.n_unknown;

                FUZZ_ASSERT(a.known < (1u << _PROTO_ACTION_MAX));
                FUZZ_ASSERT(n >= 1 && n <= PROTO_ACTIONS_MAX);
        }
        return 0;
}
