/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decompress.h"
#include "elfnotes.h"

enum kformat {
        KFORMAT_UNKNOWN,
        KFORMAT_BZIMAGE,
        KFORMAT_ELF,        /* a decompressed vmlinux */
};

/* What a kernel image says about itself, without a config file. */
struct kimage_info {
        enum kformat format;
        enum kcomp comp;
        uint16_t protocol;        /* boot protocol version, bzImage only */
        char version[256];        /* the kernel_version string */
        uint32_t usize;           /* uncompressed size the payload declares */
        int notes_error;          /* 0: the notes were read; else -errno */
        struct xen_notes notes;
        uint64_t out_bytes;       /* how far into vmlinux the notes were */
        uint64_t skipped_bytes;   /* of which skipped without decompressing */
};

const char *kformat_name(enum kformat f);
/*
 * Inspects an image in memory, decompressing within budget (NULL: none);
 * only allocation failure is an error, the rest lands in ret.
 */
int kimage_inspect(const uint8_t *data, size_t len, struct decomp_budget *budget, struct kimage_info *ret);
