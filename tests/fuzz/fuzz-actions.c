/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* data/pvh/agent/actions: a list of tokens, known and unknown. */
#include "config.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct proto_actions a, b;
        int r = proto_actions_decode((const char *)data, size, &a);

        FUZZ_ASSERT(r <= 0 && r > -_PROTO_E_MAX);
        if (r == 0) {
                unsigned n = (unsigned)__builtin_popcount(a.known) +
                             (unsigned)__builtin_popcount(a.dry_run_only) + a.n_unknown;
                char buf[PROTO_REQUEST_MAX + 1];

                FUZZ_ASSERT(a.known < (1u << _PROTO_ACTION_MAX));
                FUZZ_ASSERT((a.known & a.dry_run_only) == 0);
                FUZZ_ASSERT((a.dry_run_only & ~(1u << PROTO_ACTION_PREPARE)) == 0);
                FUZZ_ASSERT(n >= 1 && n <= PROTO_ACTIONS_MAX);
                /* What it knows encodes again within the bound, and decodes the same. */
                r = proto_actions_encode(&a, buf, sizeof(buf));
                FUZZ_ASSERT(r >= 0);
                if (r > 0) {
                        FUZZ_ASSERT(proto_actions_decode(buf, (size_t)r, &b) == 0);
                        FUZZ_ASSERT(b.known == a.known && b.dry_run_only == a.dry_run_only &&
                                    b.n_unknown == 0);
                }
        }
        return 0;
}
