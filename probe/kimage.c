/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kimage.h"

/* Offsets in the x86 boot protocol header (Documentation/arch/x86/boot.rst). */
#define HDR_SETUP_SECTS 0x1F1
#define HDR_BOOT_FLAG 0x1FE
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_KERNEL_VERSION 0x20E
#define HDR_PAYLOAD_OFFSET 0x248
#define HDR_PAYLOAD_LENGTH 0x24C
#define HDR_END 0x250
#define OUT_MAX (1ull << 30)

const char *kformat_name(enum kformat f)
{
        switch (f) {
        case KFORMAT_UNKNOWN:
                return "unknown";
        case KFORMAT_BZIMAGE:
                return "bzImage";
        case KFORMAT_ELF:
                return "elf";
        }
        return "unknown";
}

static uint16_t le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct feed {
        struct elfnotes en;
        int result;
        bool skipped;
        uint64_t skipped_bytes;
};

static int notes_sink(const uint8_t *buf, size_t len, void *userdata)
{
        struct feed *f = userdata;

        f->skipped = f->skipped || !buf;
        f->skipped_bytes += buf ? 0 : len;
        f->result = elfnotes_feed(&f->en, buf, len);
        return f->result;
}

static uint64_t notes_need(void *userdata)
{
        struct feed *f = userdata;

        return elfnotes_need(&f->en);
}

/*
 * Decompresses (or just walks) data until the ELF notes are read. Skipping
 * blocks rests on their sizes being what the format says; if the notes then
 * do not read cleanly, everything is decompressed after all.
 */
static int read_notes(enum kcomp comp, const uint8_t *p, size_t len, struct decomp_budget *budget,
                      struct kimage_info *info)
{
        struct feed f = {};
        int r = elfnotes_init(&f.en);

        if (r < 0)
                return r;
        r = decompress_skipping(comp, p, len, OUT_MAX, budget, notes_sink, notes_need, &f, NULL);
        if (f.skipped && (r != 1 || !f.en.well_formed) && r != -EDQUOT && r != -ETIME) {
                elfnotes_done(&f.en);
                f = (struct feed){};
                r = elfnotes_init(&f.en);
                if (r < 0)
                        return r;
                r = decompress(comp, p, len, OUT_MAX, budget, notes_sink, &f, NULL);
        }
        if (r == -ENOMEM) {
                elfnotes_done(&f.en);
                return r;
        }
        if (r == 1)
                info->notes_error = 0;
        else if (r == 0)
                info->notes_error = elfnotes_finish(&f.en) > 0 ? 0 : -EPIPE;
        else
                info->notes_error = r;
        info->notes = f.en.notes;
        info->out_bytes = f.en.pos;
        info->skipped_bytes = f.skipped_bytes;
        elfnotes_done(&f.en);
        return 0;
}

static void copy_version(const uint8_t *d, size_t limit, size_t off, struct kimage_info *info)
{
        size_t i;

        for (i = 0; off + i < limit && i + 1 < sizeof(info->version); i++) {
                uint8_t c = d[off + i];
                if (c == 0)
                        break;
                info->version[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
        }
        info->version[i] = '\0';
}

static int inspect_bzimage(const uint8_t *d, size_t len, struct decomp_budget *budget, struct kimage_info *info)
{
        unsigned setup_sects = d[HDR_SETUP_SECTS] ? d[HDR_SETUP_SECTS] : 4;
        size_t setup = ((size_t)setup_sects + 1) * 512;
        uint16_t kv = le16(d + HDR_KERNEL_VERSION);
        uint32_t poff, plen;
        const uint8_t *payload;

        info->format = KFORMAT_BZIMAGE;
        info->comp = KCOMP_UNKNOWN;
        info->protocol = le16(d + HDR_VERSION);
        if (kv != 0)
                copy_version(d, setup < len ? setup : len, (size_t)kv + 0x200, info);
        if (info->protocol < 0x0208) {
                info->notes_error = -EOPNOTSUPP;
                return 0;
        }
        poff = le32(d + HDR_PAYLOAD_OFFSET);
        plen = le32(d + HDR_PAYLOAD_LENGTH);
        if (setup > len || poff > len - setup || plen > len - setup - poff) {
                info->notes_error = -EPIPE;
                return 0;
        }
        payload = d + setup + poff;
        info->comp = kcomp_detect(payload, plen);
        if (plen >= 4)
                info->usize = le32(payload + plen - 4);
        if (info->comp == KCOMP_UNKNOWN) {
                info->notes_error = -EOPNOTSUPP;
                return 0;
        }
        return read_notes(info->comp, payload, plen, budget, info);
}

int kimage_inspect(const uint8_t *d, size_t len, struct decomp_budget *budget, struct kimage_info *ret)
{
        *ret = (struct kimage_info){ .notes_error = -EBADMSG };
        if (len >= 4 && memcmp(d, "\177ELF", 4) == 0) {
                ret->format = KFORMAT_ELF;
                ret->comp = KCOMP_NONE;
                return read_notes(KCOMP_NONE, d, len, budget, ret);
        }
        if (len < HDR_END)
                return 0;
        if (le16(d + HDR_BOOT_FLAG) != 0xAA55 || memcmp(d + HDR_MAGIC, "HdrS", 4) != 0)
                return 0;
        return inspect_bzimage(d, len, budget, ret);
}
