/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum kcomp {
        KCOMP_NONE,
        KCOMP_GZIP,
        KCOMP_BZIP2,
        KCOMP_LZMA,
        KCOMP_XZ,
        KCOMP_LZO,
        KCOMP_LZ4,
        KCOMP_ZSTD,
        KCOMP_UNKNOWN,
};

enum kcomp kcomp_detect(const uint8_t *p, size_t len);
const char *kcomp_name(enum kcomp c);

/*
 * Receives decompressed data: 0 to go on, > 0 to stop early, < 0 to fail
 * with that error. buf is NULL for len bytes that were skipped unread.
 */
typedef int (*decomp_sink_fn)(const uint8_t *buf, size_t len, void *userdata);
/* The lowest output offset the sink still wants; what lies before may be skipped. */
typedef uint64_t (*decomp_need_fn)(void *userdata);

/*
 * Stream-decompresses one stream of format c from in[0..in_len) into sink,
 * at most out_max bytes. Returns 1 when the sink stopped it, 0 at the end of
 * the stream, -EPIPE when the input ends first, -EBADMSG on corrupt data,
 * -EFBIG beyond out_max, or the sink's error. *ret_used (optional) is the
 * input consumed by a complete stream.
 */
int decompress(enum kcomp c, const uint8_t *in, size_t in_len, uint64_t out_max, decomp_sink_fn sink,
               void *userdata, size_t *ret_used);
/*
 * The same, skipping output the sink does not need where the format allows
 * it without decompressing: LZ4 legacy frames are independent 8 MiB blocks.
 */
int decompress_skipping(enum kcomp c, const uint8_t *in, size_t in_len, uint64_t out_max, decomp_sink_fn sink,
                        decomp_need_fn need, void *userdata, size_t *ret_used);
