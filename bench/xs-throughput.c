/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xs-throughput: small writes/s and reads/s over one libxenstore connection.
 *
 *   xs-throughput LABEL PATH COUNT
 *
 * Connects where XENSTORED_PATH points (dom0's socket or a simulated guest's),
 * writes COUNT small values under PATH (relative paths are the guest's own
 * home), reads them back, and prints one line per operation.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

#include "util.h"

static double elapsed(uint64_t start)
{
        return (double)(now_usec(CLOCK_MONOTONIC) - start) / 1e6;
}

static int run_writes(struct xs_handle *xs, const char *base, unsigned count)
{
        char path[256], val[32];

        for (unsigned i = 0; i < count; i++) {
                snprintf(path, sizeof(path), "%s/k%u", base, i % 64);
                snprintf(val, sizeof(val), "v%u", i);
                if (!xs_write(xs, XBT_NULL, path, val, strlen(val)))
                        return -errno;
        }
        return 0;
}

static int run_reads(struct xs_handle *xs, const char *base, unsigned count)
{
        char path[256];

        for (unsigned i = 0; i < count; i++) {
                unsigned len;
                char *v;

                snprintf(path, sizeof(path), "%s/k%u", base, i % 64);
                v = xs_read(xs, XBT_NULL, path, &len);
                if (!v)
                        return -errno;
                free(v);
        }
        return 0;
}

int main(int argc, char **argv)
{
        struct xs_handle *xs;
        unsigned count;
        uint64_t t;
        double w, r;

        if (argc != 4 || safe_atou(argv[3], &count) < 0 || count == 0) {
                fprintf(stderr, "usage: xs-throughput LABEL PATH COUNT\n");
                return 2;
        }
        xs = xs_open(XS_OPEN_SOCKETONLY);
        if (!xs) {
                fprintf(stderr, "xs-throughput: cannot connect to xenstored: %s\n", strerror(errno));
                return 1;
        }
        t = now_usec(CLOCK_MONOTONIC);
        if (run_writes(xs, argv[2], count) < 0) {
                fprintf(stderr, "xs-throughput: write failed: %s\n", strerror(errno));
                return 1;
        }
        w = elapsed(t);
        t = now_usec(CLOCK_MONOTONIC);
        if (run_reads(xs, argv[2], count) < 0) {
                fprintf(stderr, "xs-throughput: read failed: %s\n", strerror(errno));
                return 1;
        }
        r = elapsed(t);
        printf("%-12s writes: %8.0f/s   reads: %8.0f/s   (%u each)\n", argv[1], count / w, count / r,
               count);
        xs_close(xs);
        return 0;
}
