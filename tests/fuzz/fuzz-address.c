/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interface addresses: the first byte picks IPv4, IPv6 or MAC. A decoded
 * address encodes back to the input (canonical form only).
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *buf = (const char *)data + 1;
        struct proto_ip ip;
        uint8_t mac[6];
        char out[64];
        int r, n;

        if (size < 1)
                return 0;
        size--;
        switch (data[0] % 3) {
        case 0:
                r = proto_ipv4_decode(buf, size, &ip);
                break;
        case 1:
                r = proto_ipv6_decode(buf, size, &ip);
                break;
        default:
                r = proto_mac_decode(buf, size, mac);
                FUZZ_ASSERT(r <= 0 && r > -_PROTO_E_MAX);
                FUZZ_ASSERT(r < 0 || size == 17);
                return 0;
        }
        FUZZ_ASSERT(r <= 0 && r > -_PROTO_E_MAX);
        if (r < 0)
                return 0;
        FUZZ_ASSERT(ip.family == (data[0] % 3 == 0 ? AF_INET : AF_INET6));
        n = proto_ip_encode(&ip, out, sizeof(out));
        FUZZ_ASSERT(n > 0 && (size_t)n == size && memcmp(out, buf, size) == 0);
        return 0;
}
