/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cpio.h"
#include "decompress.h"

#define INITRAMFS_OUT_MAX (4ull << 30)

enum { ST_HDR, ST_NAME, ST_SKIP, ST_PAD };

void cpio_stream_init(struct cpio_stream *s, cpio_entry_fn cb, void *userdata)
{
        *s = (struct cpio_stream){ .cb = cb, .userdata = userdata };
}

static int hex8(const uint8_t *p, uint32_t *ret)
{
        uint32_t v = 0;

        for (int i = 0; i < 8; i++) {
                uint8_t c = p[i];
                unsigned d;

                if (c >= '0' && c <= '9')
                        d = c - '0';
                else if (c >= 'a' && c <= 'f')
                        d = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        d = c - 'A' + 10;
                else
                        return -EBADMSG;
                v = v << 4 | d;
        }
        *ret = v;
        return 0;
}

/* How many of p's first len bytes are zero: padding, skipped a word at a time, not byte by byte. */
static size_t zero_run(const uint8_t *p, size_t len)
{
        size_t n = 0;
        uint64_t w;

        while (n < len && ((uintptr_t)(p + n) & 7) != 0 && p[n] == 0)
                n++;
        if (n < len && ((uintptr_t)(p + n) & 7) != 0)
                return n;
        for (; len - n >= 8; n += 8) {
                memcpy(&w, p + n, 8);
                if (w != 0)
                        break;
        }
        while (n < len && p[n] == 0)
                n++;
        return n;
}

static uint64_t pad4(uint64_t pos)
{
        return (4 - (pos & 3)) & 3;
}

/* The 110-byte header is complete: check it and learn the name and data sizes. */
static int header_done(struct cpio_stream *s)
{
        uint32_t filesize, namesize;

        if (memcmp(s->hdr, "07070", 5) != 0 || (s->hdr[5] != '1' && s->hdr[5] != '2'))
                return -EBADMSG;
        for (size_t i = 0; i < 13; i++) {
                uint32_t v;
                if (hex8(s->hdr + 6 + i * 8, &v) < 0)
                        return -EBADMSG;
        }
        if (hex8(s->hdr + 6 + 6 * 8, &filesize) < 0 || hex8(s->hdr + 6 + 11 * 8, &namesize) < 0)
                return -EBADMSG;
        if (namesize == 0 || namesize > sizeof(s->name) - 1)
                return -EBADMSG;
        s->namesize = namesize;
        s->name_len = 0;
        s->skip = filesize; /* the name's padding is added once it is read */
        s->state = ST_NAME;
        return 0;
}

/* The name is complete: report it; the trailer ends the archive. */
static int name_done(struct cpio_stream *s)
{
        s->name[s->namesize - 1] = '\0';
        s->skip += pad4(s->pos);
        s->state = ST_SKIP;
        if (strcmp(s->name, "TRAILER!!!") == 0)
                return 2;
        s->entries++;
        return s->cb ? s->cb(s->name, s->userdata) : 0;
}

static int step(struct cpio_stream *s, const uint8_t *buf, size_t len, size_t *used)
{
        size_t n;

        switch (s->state) {
        case ST_HDR:
                if (s->hdr_len == 0 && buf[0] == 0) {
                        n = zero_run(buf, len); /* padding between archives */
                        *used = n;
                        s->pos += n;
                        return 0;
                }
                n = sizeof(s->hdr) - s->hdr_len < len ? sizeof(s->hdr) - s->hdr_len : len;
                memcpy(s->hdr + s->hdr_len, buf, n);
                s->hdr_len += n;
                s->pos += n;
                *used = n;
                return s->hdr_len == sizeof(s->hdr) ? header_done(s) : 0;
        case ST_NAME:
                n = s->namesize - s->name_len < len ? s->namesize - s->name_len : len;
                memcpy(s->name + s->name_len, buf, n);
                s->name_len += n;
                s->pos += n;
                *used = n;
                return s->name_len == s->namesize ? name_done(s) : 0;
        default:
                n = s->skip < len ? (size_t)s->skip : len;
                s->skip -= n;
                s->pos += n;
                *used = n;
                return 0;
        }
}

int cpio_feed(struct cpio_stream *s, const uint8_t *buf, size_t len, size_t *ret_used)
{
        size_t off = 0;
        int r = 0;

        while (off < len && r == 0) {
                size_t used = 0;

                if (s->state == ST_SKIP && s->skip == 0) {
                        /* Name padding and data are behind us: pad the data to 4. */
                        s->skip = pad4(s->pos);
                        s->state = ST_PAD;
                        continue;
                }
                if (s->state == ST_PAD && s->skip == 0) {
                        s->state = ST_HDR;
                        s->hdr_len = 0;
                        continue;
                }
                r = step(s, buf + off, len - off, &used);
                off += used;
        }
        if (ret_used)
                *ret_used = off;
        return r;
}

static int walk_sink(const uint8_t *buf, size_t len, void *userdata)
{
        struct cpio_stream *s = userdata;
        size_t off = 0;

        while (off < len) {
                size_t used = 0;
                int r = cpio_feed(s, buf + off, len - off, &used);

                off += used;
                if (r != 0 && r != 2)
                        return r;
        }
        return 0;
}

int initramfs_walk(const uint8_t *data, size_t len, struct decomp_budget *budget, cpio_entry_fn cb,
                   void *userdata)
{
        size_t pos = 0;

        for (unsigned seg = 0;; seg++) {
                struct cpio_stream s;
                size_t used = 0;
                enum kcomp c;
                int r;

                pos += zero_run(data + pos, len - pos);
                if (pos >= len)
                        return 0;
                if (seg == INITRAMFS_SEGMENTS_MAX)
                        return -E2BIG;
                cpio_stream_init(&s, cb, userdata);
                if (len - pos >= 6 && memcmp(data + pos, "07070", 5) == 0) {
                        r = cpio_feed(&s, data + pos, len - pos, &used);
                        if (r != 2)
                                return r;
                        pos += used;
                        continue;
                }
                c = kcomp_detect(data + pos, len - pos);
                if (c == KCOMP_UNKNOWN)
                        return seg > 0 ? 0 : -EBADMSG; /* trailing junk after an archive */
                r = decompress(c, data + pos, len - pos, INITRAMFS_OUT_MAX, budget, walk_sink, &s, &used);
                if (r != 0 || used == 0)
                        return r;
                pos += used;
        }
}
