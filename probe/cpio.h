/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called with each member's path: 0 to go on, > 0 to stop the scan. */
typedef int (*cpio_entry_fn)(const char *name, void *userdata);

/* A streaming reader of cpio "newc" archives, fed in pieces of any size. */
struct cpio_stream {
        int state;
        uint8_t hdr[110];
        size_t hdr_len;
        char name[4097];
        size_t namesize, name_len;
        uint64_t skip;            /* data and padding still to skip */
        uint64_t pos;
        unsigned entries;
        cpio_entry_fn cb;
        void *userdata;
};

void cpio_stream_init(struct cpio_stream *s, cpio_entry_fn cb, void *userdata);
/*
 * 0: all of buf used, more please; 1: the callback stopped; 2: the archive
 * ended (TRAILER!!!) after *ret_used bytes; < 0: -EBADMSG.
 */
int cpio_feed(struct cpio_stream *s, const uint8_t *buf, size_t len, size_t *ret_used);

/*
 * Walks an initramfs image as the kernel does: cpio archives, uncompressed
 * or compressed, one after the other with zero padding between them, within
 * budget (NULL: none). Returns 1 when the callback stopped the walk, 0 at
 * the end, < 0 on error: -E2BIG beyond INITRAMFS_SEGMENTS_MAX archives, the
 * budget's error when it is spent.
 */
#define INITRAMFS_SEGMENTS_MAX 64
struct decomp_budget;
int initramfs_walk(const uint8_t *data, size_t len, struct decomp_budget *budget, cpio_entry_fn cb,
                   void *userdata);
