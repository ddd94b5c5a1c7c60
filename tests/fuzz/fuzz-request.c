/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ~/control/pvh/request: decode, id extraction, and decode(x) == x after encode. */
#include "config.h"

#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *buf = (const char *)data;
        struct proto_request req;
        struct proto_uuid id;
        char out[PROTO_REQUEST_MAX + 1];
        int r, ri, n;

        r = proto_request_decode(buf, size, &req);
        ri = proto_request_id(buf, size, &id);
        FUZZ_ASSERT(r <= 0 && r > -_PROTO_E_MAX);
        FUZZ_ASSERT(proto_request_error_reason(r) < _PROTO_REASON_MAX);
        if (ri == 0)
                FUZZ_ASSERT(strlen(id.s) == PROTO_UUID_LEN);
        if (r < 0)
                return 0;

        /* A decoded request has a valid id, and its canonical form is the input. */
        FUZZ_ASSERT(ri == 0 && strcmp(id.s, req.id.s) == 0);
        n = proto_request_encode(&req, out, sizeof(out));
        FUZZ_ASSERT(n > 0 && (size_t)n == size && memcmp(out, buf, size) == 0);
        FUZZ_ASSERT(proto_key_check(PROTO_KEY_REQUEST, buf, size) == 0);
        return 0;
}
