/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <bzlib.h>
#include <errno.h>
#include <limits.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo1x.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress.h"
#include "macro.h"

#define OUT_CHUNK (64u << 10)
#define LZ4_LEGACY_MAGIC 0x184C2102u
#define LZ4_LEGACY_BLOCK (8u << 20)
#define LZO_BLOCK_MAX (8u << 20)
/* Kernels use dictionaries of 32-64 MiB; a header asking for more is refused, not obeyed. */
#define LZMA_MEMLIMIT (256u << 20)

struct dctx {
        decomp_sink_fn sink;
        decomp_need_fn need;
        void *userdata;
        uint64_t out, out_max;
        struct decomp_budget *budget;
        uint8_t *buf;
};

static uint64_t cpu_nsec(void)
{
        struct timespec ts;

        if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
                return 0;
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void decomp_budget_init(struct decomp_budget *b, uint64_t bytes, unsigned cpu_sec)
{
        *b = (struct decomp_budget){ .bytes_left = bytes,
                                     .cpu_end_nsec = cpu_nsec() + (uint64_t)cpu_sec * 1000000000u };
}

int decomp_budget_take(struct decomp_budget *b, uint64_t n)
{
        if (b->spent)
                return b->spent;
        if (n > b->bytes_left)
                b->spent = -EDQUOT;
        else if (cpu_nsec() >= b->cpu_end_nsec)
                b->spent = -ETIME;
        else
                b->bytes_left -= n;
        return b->spent;
}

enum kcomp kcomp_detect(const uint8_t *p, size_t len)
{
        static const uint8_t lzop[] = { 0x89, 'L', 'Z', 'O', 0, 0x0D, 0x0A, 0x1A, 0x0A };

        if (len >= 2 && p[0] == 0x1F && p[1] == 0x8B)
                return KCOMP_GZIP;
        if (len >= 3 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h')
                return KCOMP_BZIP2;
        if (len >= 3 && p[0] == 0x5D && p[1] == 0x00 && p[2] == 0x00)
                return KCOMP_LZMA;
        if (len >= 6 && memcmp(p, "\xFD" "7zXZ\0", 6) == 0)
                return KCOMP_XZ;
        if (len >= sizeof(lzop) && memcmp(p, lzop, sizeof(lzop)) == 0)
                return KCOMP_LZO;
        if (len >= 4 && memcmp(p, "\x02\x21\x4C\x18", 4) == 0)
                return KCOMP_LZ4;
        if (len >= 4 && memcmp(p, "\x28\xB5\x2F\xFD", 4) == 0)
                return KCOMP_ZSTD;
        return KCOMP_UNKNOWN;
}

const char *kcomp_name(enum kcomp c)
{
        switch (c) {
        case KCOMP_NONE:
                return "none";
        case KCOMP_GZIP:
                return "gzip";
        case KCOMP_BZIP2:
                return "bzip2";
        case KCOMP_LZMA:
                return "lzma";
        case KCOMP_XZ:
                return "xz";
        case KCOMP_LZO:
                return "lzo";
        case KCOMP_LZ4:
                return "lz4";
        case KCOMP_ZSTD:
                return "zstd";
        case KCOMP_UNKNOWN:
                return "unknown";
        }
        return "unknown";
}

static int emit(struct dctx *d, const uint8_t *p, size_t n)
{
        if (n == 0)
                return 0;
        if (n > d->out_max - d->out)
                return -EFBIG;
        if (d->budget) {
                int r = decomp_budget_take(d->budget, n);
                if (r < 0)
                        return r;
        }
        d->out += n;
        return d->sink(p, n, d->userdata);
}

static int dec_gzip(struct dctx *d, const uint8_t *in, size_t len, size_t *used)
{
        z_stream s = {};
        int zr = Z_OK, r = 0;

        if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
                return -ENOMEM;
        s.next_in = (Bytef *)in;
        while (r == 0) {
                if (s.avail_in == 0 && (size_t)(s.next_in - in) < len) {
                        size_t left = len - (size_t)(s.next_in - in);
                        s.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
                }
                s.next_out = d->buf;
                s.avail_out = OUT_CHUNK;
                zr = inflate(&s, Z_NO_FLUSH);
                r = emit(d, d->buf, OUT_CHUNK - s.avail_out);
                if (r != 0 || zr == Z_STREAM_END)
                        break;
                if (zr == Z_BUF_ERROR && s.avail_in == 0)
                        r = -EPIPE;
                else if (zr != Z_OK)
                        r = zr == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
        }
        *used = (size_t)(s.next_in - in);
        inflateEnd(&s);
        return r;
}

static int dec_bzip2(struct dctx *d, const uint8_t *in, size_t len, size_t *used)
{
        bz_stream s = {};
        int br = BZ_OK, r = 0;

        if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK)
                return -ENOMEM;
        s.next_in = (char *)in;
        s.avail_in = len > UINT_MAX ? UINT_MAX : (unsigned)len;
        while (r == 0) {
                unsigned before = s.avail_in;

                s.next_out = (char *)d->buf;
                s.avail_out = OUT_CHUNK;
                br = BZ2_bzDecompress(&s);
                r = emit(d, d->buf, OUT_CHUNK - s.avail_out);
                if (r != 0 || br == BZ_STREAM_END)
                        break;
                if (br != BZ_OK)
                        r = br == BZ_MEM_ERROR ? -ENOMEM : -EBADMSG;
                else if (s.avail_in == 0 && before == 0 && s.avail_out == OUT_CHUNK)
                        r = -EPIPE;
        }
        *used = len - s.avail_in;
        BZ2_bzDecompressEnd(&s);
        return r;
}

static int dec_lzma(struct dctx *d, const uint8_t *in, size_t len, bool xz, size_t *used)
{
        lzma_stream s = LZMA_STREAM_INIT;
        lzma_ret lr;
        int r = 0;

        lr = xz ? lzma_stream_decoder(&s, LZMA_MEMLIMIT, 0) : lzma_alone_decoder(&s, LZMA_MEMLIMIT);
        if (lr != LZMA_OK)
                return -ENOMEM;
        s.next_in = in;
        s.avail_in = len;
        while (r == 0) {
                s.next_out = d->buf;
                s.avail_out = OUT_CHUNK;
                lr = lzma_code(&s, s.avail_in ? LZMA_RUN : LZMA_FINISH);
                r = emit(d, d->buf, OUT_CHUNK - s.avail_out);
                if (r != 0 || lr == LZMA_STREAM_END)
                        break;
                if (lr == LZMA_BUF_ERROR)
                        r = -EPIPE;
                else if (lr == LZMA_MEMLIMIT_ERROR)
                        r = -E2BIG;
                else if (lr != LZMA_OK)
                        r = lr == LZMA_MEM_ERROR ? -ENOMEM : -EBADMSG;
        }
        *used = len - s.avail_in;
        lzma_end(&s);
        return r;
}

static int dec_zstd(struct dctx *d, const uint8_t *in, size_t len, size_t *used)
{
        ZSTD_DCtx *z = ZSTD_createDCtx();
        ZSTD_inBuffer ib = { .src = in, .size = len };
        int r = 0;

        if (!z)
                return -ENOMEM;
        /* 128 MiB, as the kernel's own zstd build uses at most; a bigger window is refused. */
        ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, 27);
        while (r == 0) {
                ZSTD_outBuffer ob = { .dst = d->buf, .size = OUT_CHUNK };
                size_t zr = ZSTD_decompressStream(z, &ob, &ib);

                if (ZSTD_isError(zr)) {
                        r = -EBADMSG;
                        break;
                }
                r = emit(d, d->buf, ob.pos);
                if (r != 0 || zr == 0)
                        break;
                if (ib.pos == ib.size && ob.pos < ob.size)
                        r = -EPIPE;
        }
        *used = ib.pos;
        ZSTD_freeDCtx(z);
        return r;
}

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* LZ4 legacy frames: magic, then blocks of u32 LE size + data; the kernel's own format. */
static int dec_lz4(struct dctx *d, const uint8_t *in, size_t len, size_t *used)
{
        _cleanup_free_ uint8_t *out = malloc(LZ4_LEGACY_BLOCK);
        size_t pos = 4;
        int r = 0;

        if (len < 4 || le32(in) != LZ4_LEGACY_MAGIC)
                return -EBADMSG;
        if (!out)
                return -ENOMEM;
        while (r == 0) {
                uint32_t csize;
                int n;

                /* The kernel build appends a 4-byte size after the last block. */
                if (len - pos < 8)
                        break;
                csize = le32(in + pos);
                if (csize == LZ4_LEGACY_MAGIC) {
                        pos += 4;
                        continue;
                }
                if (csize > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK))
                        return -EBADMSG;
                if (csize > len - pos - 4)
                        return -EPIPE;
                /* Every block but the last holds 8 MiB: one followed by another may go unread. */
                if (d->need && len - pos - 4 - csize >= 8 && d->out + LZ4_LEGACY_BLOCK <= d->need(d->userdata)) {
                        if (LZ4_LEGACY_BLOCK > d->out_max - d->out)
                                return -EFBIG;
                        d->out += LZ4_LEGACY_BLOCK;
                        pos += 4 + csize;
                        r = d->sink(NULL, LZ4_LEGACY_BLOCK, d->userdata);
                        continue;
                }
                n = LZ4_decompress_safe((const char *)in + pos + 4, (char *)out, (int)csize, LZ4_LEGACY_BLOCK);
                if (n < 0)
                        return -EBADMSG;
                pos += 4 + csize;
                r = emit(d, out, (size_t)n);
        }
        *used = pos;
        return r;
}

struct rd {
        const uint8_t *p;
        size_t len, pos;
};

static int rd_skip(struct rd *r, size_t n)
{
        if (n > r->len - r->pos)
                return -EPIPE;
        r->pos += n;
        return 0;
}

static int rd_be(struct rd *r, size_t n, uint32_t *ret)
{
        uint32_t v = 0;

        if (n > r->len - r->pos)
                return -EPIPE;
        for (size_t i = 0; i < n; i++)
                v = v << 8 | r->p[r->pos + i];
        r->pos += n;
        *ret = v;
        return 0;
}

#define LZOP_ADLER32_D 0x0001u
#define LZOP_ADLER32_C 0x0002u
#define LZOP_EXTRA_FIELD 0x0040u
#define LZOP_CRC32_D 0x0100u
#define LZOP_CRC32_C 0x0200u
#define LZOP_FILTER 0x0800u

/* The lzop file header; returns its flags. */
static int lzop_header(struct rd *rd, uint32_t *ret_flags)
{
        uint32_t version, flags, name_len, v;
        int r;

        if (kcomp_detect(rd->p, rd->len) != KCOMP_LZO)
                return -EBADMSG;
        if ((r = rd_skip(rd, 9)) < 0 || (r = rd_be(rd, 2, &version)) < 0 || (r = rd_skip(rd, 2)) < 0)
                return r;
        if (version >= 0x0940 && (r = rd_skip(rd, 2)) < 0)
                return r;
        if ((r = rd_be(rd, 1, &v)) < 0)
                return r;
        if (version >= 0x0940 && (r = rd_skip(rd, 1)) < 0)
                return r;
        if ((r = rd_be(rd, 4, &flags)) < 0)
                return r;
        if (flags & LZOP_EXTRA_FIELD)
                return -EOPNOTSUPP;
        if ((flags & LZOP_FILTER) && (r = rd_skip(rd, 4)) < 0)
                return r;
        if ((r = rd_skip(rd, version >= 0x0940 ? 12 : 8)) < 0 || (r = rd_be(rd, 1, &name_len)) < 0)
                return r;
        if ((r = rd_skip(rd, name_len + 4)) < 0)
                return r;
        *ret_flags = flags;
        return 0;
}

static int lzop_block(struct dctx *d, struct rd *rd, uint32_t flags, uint8_t *out, bool *ret_end)
{
        uint32_t dlen, clen;
        lzo_uint n;
        int r;

        if ((r = rd_be(rd, 4, &dlen)) < 0)
                return r;
        if (dlen == 0) {
                *ret_end = true;
                return 0;
        }
        if (dlen > LZO_BLOCK_MAX || (r = rd_be(rd, 4, &clen)) < 0)
                return r < 0 ? r : -EBADMSG;
        if (clen > dlen)
                return -EBADMSG;
        if ((r = rd_skip(rd, (flags & LZOP_ADLER32_D ? 4 : 0) + (flags & LZOP_CRC32_D ? 4 : 0))) < 0)
                return r;
        if (clen < dlen && (r = rd_skip(rd, (flags & LZOP_ADLER32_C ? 4 : 0) + (flags & LZOP_CRC32_C ? 4 : 0))) < 0)
                return r;
        if (clen > rd->len - rd->pos)
                return -EPIPE;
        if (clen == dlen) {
                rd->pos += clen;
                return emit(d, rd->p + rd->pos - clen, clen);
        }
        n = dlen;
        if (lzo1x_decompress_safe(rd->p + rd->pos, clen, out, &n, NULL) != LZO_E_OK || n != dlen)
                return -EBADMSG;
        rd->pos += clen;
        return emit(d, out, n);
}

static int dec_lzo(struct dctx *d, const uint8_t *in, size_t len, size_t *used)
{
        _cleanup_free_ uint8_t *out = NULL;
        struct rd rd = { .p = in, .len = len };
        uint32_t flags;
        bool end = false;
        int r;

        if (lzo_init() != LZO_E_OK)
                return -EOPNOTSUPP;
        r = lzop_header(&rd, &flags);
        if (r < 0)
                return r;
        out = malloc(LZO_BLOCK_MAX);
        if (!out)
                return -ENOMEM;
        while (r == 0 && !end)
                r = lzop_block(d, &rd, flags, out, &end);
        *used = rd.pos;
        return r;
}

int decompress(enum kcomp c, const uint8_t *in, size_t in_len, uint64_t out_max, struct decomp_budget *budget,
               decomp_sink_fn sink, void *userdata, size_t *ret_used)
{
        return decompress_skipping(c, in, in_len, out_max, budget, sink, NULL, userdata, ret_used);
}

int decompress_skipping(enum kcomp c, const uint8_t *in, size_t in_len, uint64_t out_max,
                        struct decomp_budget *budget, decomp_sink_fn sink, decomp_need_fn need, void *userdata,
                        size_t *ret_used)
{
        _cleanup_free_ uint8_t *buf = malloc(OUT_CHUNK);
        struct dctx d = { .sink = sink, .need = need, .userdata = userdata, .out_max = out_max,
                          .budget = budget, .buf = buf };
        size_t used = 0;
        int r = -EOPNOTSUPP;

        if (!buf)
                return -ENOMEM;
        switch (c) {
        case KCOMP_NONE:
                r = emit(&d, in, in_len);
                used = in_len;
                break;
        case KCOMP_GZIP:
                r = dec_gzip(&d, in, in_len, &used);
                break;
        case KCOMP_BZIP2:
                r = dec_bzip2(&d, in, in_len, &used);
                break;
        case KCOMP_LZMA:
        case KCOMP_XZ:
                r = dec_lzma(&d, in, in_len, c == KCOMP_XZ, &used);
                break;
        case KCOMP_LZO:
                r = dec_lzo(&d, in, in_len, &used);
                break;
        case KCOMP_LZ4:
                r = dec_lz4(&d, in, in_len, &used);
                break;
        case KCOMP_ZSTD:
                r = dec_zstd(&d, in, in_len, &used);
                break;
        case KCOMP_UNKNOWN:
                return -EOPNOTSUPP;
        }
        if (ret_used)
                *ret_used = used;
        return r;
}
