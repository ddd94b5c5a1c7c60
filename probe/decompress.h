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

/*
 * One probe's allowance, shared by every kernel image and initramfs segment
 * it reads, so that no image, however many streams or gigabytes of padding
 * it holds, costs more than that: decompressed bytes, and CPU time of the
 * process. A decompression that would go beyond either fails with -EDQUOT
 * (bytes) or -ETIME (CPU), and so does every one after it.
 */
struct decomp_budget {
        uint64_t bytes_left;
        uint64_t cpu_end_nsec;    /* CLOCK_PROCESS_CPUTIME_ID */
        int spent;                /* 0, -EDQUOT or -ETIME */
};

/* What a probe may spend: readers of every real kernel and initramfs stay far below. */
#define PROBE_BYTES_MAX (2ull << 30)
#define PROBE_BYTES_MAX_TEXT "2 GiB"
#define PROBE_CPU_SEC_MAX 20
#define PROBE_CPU_SEC_MAX_TEXT "20 s"

void decomp_budget_init(struct decomp_budget *b, uint64_t bytes, unsigned cpu_sec);
/* Spends n bytes; < 0 (and from then on) once the bytes or the CPU time are spent. */
int decomp_budget_take(struct decomp_budget *b, uint64_t n);

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
 * at most out_max bytes, and within budget (NULL: none). Returns 1 when the
 * sink stopped it, 0 at the end of the stream, -EPIPE when the input ends
 * first, -EBADMSG on corrupt data, -EFBIG beyond out_max, the budget's
 * error, or the sink's. *ret_used (optional) is the input consumed by a
 * complete stream.
 */
int decompress(enum kcomp c, const uint8_t *in, size_t in_len, uint64_t out_max, struct decomp_budget *budget,
               decomp_sink_fn sink, void *userdata, size_t *ret_used);
/*
 * The same, skipping output the sink does not need where the format allows
 * it without decompressing: LZ4 legacy frames are independent 8 MiB blocks.
 */
int decompress_skipping(enum kcomp c, const uint8_t *in, size_t in_len, uint64_t out_max,
                        struct decomp_budget *budget, decomp_sink_fn sink, decomp_need_fn need, void *userdata,
                        size_t *ret_used);
