/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The initramfs (cpio newc) walker, whole and a byte at a time. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpio.h"
#include "macro.h"
#include "util.h"

static size_t newc_entry(char *out, const char *name, const char *data)
{
        size_t n = (size_t)sprintf(out, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", 1u, 0100644u,
                                   0u, 0u, 1u, 0u, strlen(data), 0u, 0u, 0u, 0u, strlen(name) + 1, 0u);

        n += (size_t)sprintf(out + n, "%s", name) + 1;
        while (n % 4)
                out[n++] = '\0';
        n += (size_t)sprintf(out + n, "%s", data);
        while (n % 4)
                out[n++] = '\0';
        return n;
}

struct names {
        char seen[512];
};

static int collect(const char *name, void *userdata)
{
        struct names *n = userdata;

        snprintf(n->seen + strlen(n->seen), sizeof(n->seen) - strlen(n->seen), "%s;", name);
        return 0;
}

static void test_cpio(void)
{
        static char archive[4096];
        size_t len = 0;
        struct cpio_stream s;
        struct names whole = {}, bytes = {};
        int r = 0;

        len += newc_entry(archive + len, "kernel/x86/microcode/GenuineIntel.bin", "abc");
        len += newc_entry(archive + len, "TRAILER!!!", "");
        len += 512; /* zero padding between archives */
        len += newc_entry(archive + len, "usr/lib/modules/6.1/kernel/drivers/block/xen-blkfront.ko.xz", "12345");
        len += newc_entry(archive + len, "init", "#!/bin/sh\n");
        len += newc_entry(archive + len, "TRAILER!!!", "");
        CHECK(initramfs_walk((const uint8_t *)archive, len, NULL, collect, &whole) == 0, "cpio: walk failed");
        CHECK(streq(whole.seen, "kernel/x86/microcode/GenuineIntel.bin;usr/lib/modules/6.1/kernel/drivers/block/"
                                "xen-blkfront.ko.xz;init;"),
              "cpio: names '%s'", whole.seen);
        cpio_stream_init(&s, collect, &bytes);
        for (size_t i = 0; i < len && (r == 0 || r == 2); i++)
                r = cpio_feed(&s, (const uint8_t *)archive + i, 1, NULL);
        CHECK(streq(whole.seen, bytes.seen), "cpio: byte-wise names '%s'", bytes.seen);
        archive[len - 20] = 'Z';
        archive[6] = 'Z';
        CHECK(initramfs_walk((const uint8_t *)archive, len, NULL, collect, &whole) < 0,
              "cpio: a bad header is an error");
}

/* Archives after padding of every length, at every alignment; and no more archives than the bound. */
static void test_padding(void)
{
        static char archive[64 << 10];
        struct names seen = {};
        size_t len = 0;

        for (unsigned i = 0; i < INITRAMFS_SEGMENTS_MAX; i++) {
                char name[16];

                snprintf(name, sizeof(name), "f%u", i);
                len += newc_entry(archive + len, i == 40 ? "xen-blkfront.ko" : name, "x");
                len += newc_entry(archive + len, "TRAILER!!!", "");
                len += (size_t)i * 37 % 29 * 4; /* padding is in units of 4 */
        }
        CHECK(initramfs_walk((const uint8_t *)archive, len, NULL, collect, &seen) == 0, "padding: walk failed");
        CHECK(strstr(seen.seen, "f39;xen-blkfront.ko;f41;") && strstr(seen.seen, "f63;"), "padding: names '%s'",
              seen.seen);
        len += newc_entry(archive + len, "one-too-many", "");
        len += newc_entry(archive + len, "TRAILER!!!", "");
        CHECK(initramfs_walk((const uint8_t *)archive, len, NULL, NULL, NULL) == -E2BIG,
              "padding: archive %u is one too many", INITRAMFS_SEGMENTS_MAX + 1);
}

int main(void)
{
        test_cpio();
        test_padding();
        return check_exit("test-cpio");
}
