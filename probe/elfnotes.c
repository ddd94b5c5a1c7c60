/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elfnotes.h"

#define NOTE_SEG_MAX (1u << 20)
#define PHNUM_MAX 512

enum { ST_HEADER, ST_PHDRS, ST_NOTES, ST_DONE };

static uint16_t le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
        return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static size_t align4(size_t n)
{
        return (n + 3) & ~(size_t)3;
}

static void note_one(struct xen_notes *n, const uint8_t *name, size_t namesz, uint32_t type,
                     const uint8_t *desc, size_t descsz)
{
        if (namesz == 4 && memcmp(name, "Xen", 4) == 0) {
                n->xen = true;
                if (type == XEN_ELFNOTE_ENTRY)
                        n->pv_entry = true;
                if (type == XEN_ELFNOTE_PHYS32_ENTRY)
                        n->phys32_entry = true;
                if (type == XEN_ELFNOTE_SUPPORTED_FEATURES && descsz >= 4) {
                        n->has_features = true;
                        n->features = le32(desc);
                }
                return;
        }
        if (namesz == 6 && memcmp(name, "Linux", 6) == 0 && type == LINUX_ELFNOTE_BUILD_SALT) {
                size_t i;

                for (i = 0; i < descsz && i + 1 < sizeof(n->salt) && desc[i] >= 0x20 && desc[i] < 0x7F; i++)
                        n->salt[i] = (char)desc[i];
                n->salt[i] = '\0';
        }
}

bool elfnotes_parse_segment(const uint8_t *p, size_t len, struct xen_notes *notes)
{
        size_t pos = 0;

        for (unsigned i = 0; i < 4096 && len - pos >= 12; i++) {
                uint32_t namesz = le32(p + pos), descsz = le32(p + pos + 4), type = le32(p + pos + 8);
                size_t left = len - pos - 12, name_span, desc_span;

                if (namesz > left || align4(namesz) > left)
                        return false;
                name_span = align4(namesz);
                if (descsz > left - name_span)
                        return false;
                desc_span = align4(descsz) <= left - name_span ? align4(descsz) : descsz;
                note_one(notes, p + pos + 12, namesz, type, p + pos + 12 + name_span, descsz);
                pos += 12 + name_span + desc_span;
        }
        return pos == len;
}

int elfnotes_init(struct elfnotes *e)
{
        *e = (struct elfnotes){};
        e->head = malloc(ELFNOTES_HEAD);
        return e->head ? 0 : -ENOMEM;
}

void elfnotes_done(struct elfnotes *e)
{
        free(e->head);
        for (size_t i = 0; i < e->n_seg; i++)
                free(e->seg[i].buf);
        *e = (struct elfnotes){};
}

static int parse_header(struct elfnotes *e)
{
        const uint8_t *h = e->head;
        size_t need;

        if (e->head_len < 16)
                return 0;
        if (memcmp(h, "\177ELF", 4) != 0)
                return -ENOEXEC;
        if ((h[4] != 1 && h[4] != 2) || h[5] != 1)
                return -EBADMSG; /* ELFCLASS32/64, little-endian only */
        e->elf64 = h[4] == 2;
        need = e->elf64 ? 64 : 52;
        if (e->head_len < need)
                return 0;
        e->phoff = e->elf64 ? le64(h + 32) : le32(h + 28);
        e->phentsize = le16(h + (e->elf64 ? 54 : 42));
        e->phnum = le16(h + (e->elf64 ? 56 : 44));
        if (e->phentsize != (e->elf64 ? 56u : 32u) || e->phnum == 0 || e->phnum > PHNUM_MAX)
                return -EBADMSG;
        if (e->phoff > ELFNOTES_HEAD || (uint64_t)e->phnum * e->phentsize > ELFNOTES_HEAD - e->phoff)
                return -EBADMSG;
        e->state = ST_PHDRS;
        return 1;
}

static int add_note_seg(struct elfnotes *e, uint64_t off, uint64_t size)
{
        if (size == 0)
                return 0;
        if (e->n_seg >= ELFNOTES_SEGS || size > NOTE_SEG_MAX || off > UINT64_MAX - size)
                return -EBADMSG;
        e->seg[e->n_seg].buf = malloc(size);
        if (!e->seg[e->n_seg].buf)
                return -ENOMEM;
        e->seg[e->n_seg].off = off;
        e->seg[e->n_seg].size = size;
        e->seg[e->n_seg].filled = 0;
        e->n_seg++;
        return 0;
}

static int parse_phdrs(struct elfnotes *e)
{
        if (e->head_len < e->phoff + (uint64_t)e->phnum * e->phentsize)
                return 0;
        for (unsigned i = 0; i < e->phnum; i++) {
                const uint8_t *ph = e->head + e->phoff + (size_t)i * e->phentsize;
                uint64_t off, size;
                int r;

                if (le32(ph) != 4 /* PT_NOTE */)
                        continue;
                off = e->elf64 ? le64(ph + 8) : le32(ph + 4);
                size = e->elf64 ? le64(ph + 32) : le32(ph + 16);
                r = add_note_seg(e, off, size);
                if (r < 0)
                        return r;
        }
        e->notes.elf64 = e->elf64;
        if (e->n_seg == 0)
                return -ENODATA;
        e->state = ST_NOTES;
        return 1;
}

/* Copies what [at, at+len) holds of each note segment; data must arrive in order. */
static int capture(struct elfnotes *e, uint64_t at, const uint8_t *buf, size_t len)
{
        bool all = true;

        for (size_t i = 0; i < e->n_seg; i++) {
                uint64_t want = e->seg[i].off + e->seg[i].filled, end = e->seg[i].off + e->seg[i].size;
                uint64_t n;

                if (e->seg[i].filled < e->seg[i].size && want >= at && want < at + len) {
                        n = (end < at + len ? end : at + len) - want;
                        memcpy(e->seg[i].buf + e->seg[i].filled, buf + (want - at), n);
                        e->seg[i].filled += n;
                } else if (e->seg[i].filled < e->seg[i].size && want < at)
                        return -EBADMSG; /* behind us and not in the head */
                all = all && e->seg[i].filled == e->seg[i].size;
        }
        if (!all)
                return 0;
        e->well_formed = true;
        for (size_t i = 0; i < e->n_seg; i++)
                if (!elfnotes_parse_segment(e->seg[i].buf, e->seg[i].size, &e->notes))
                        e->well_formed = false;
        e->state = ST_DONE;
        return 1;
}

uint64_t elfnotes_need(const struct elfnotes *e)
{
        uint64_t need = UINT64_MAX;

        if (e->state != ST_NOTES)
                return e->state == ST_DONE ? UINT64_MAX : e->pos;
        for (size_t i = 0; i < e->n_seg; i++)
                if (e->seg[i].filled < e->seg[i].size && e->seg[i].off + e->seg[i].filled < need)
                        need = e->seg[i].off + e->seg[i].filled;
        return need;
}

/* Bytes that went by unread: fine unless a note segment wanted them. */
static int skipped(struct elfnotes *e, size_t len)
{
        if (e->state != ST_NOTES || e->pos + len > elfnotes_need(e))
                return -EBADMSG;
        e->pos += len;
        return 0;
}

int elfnotes_feed(struct elfnotes *e, const uint8_t *buf, size_t len)
{
        uint64_t at = e->pos;
        int r = 0;

        if (e->state == ST_DONE)
                return 1;
        if (!buf)
                return skipped(e, len);
        if (e->head_len < ELFNOTES_HEAD) {
                size_t n = ELFNOTES_HEAD - e->head_len < len ? ELFNOTES_HEAD - e->head_len : len;
                memcpy(e->head + e->head_len, buf, n);
                e->head_len += n;
        }
        e->pos += len;
        if (e->state == ST_HEADER && (r = parse_header(e)) <= 0)
                return r;
        if (e->state == ST_PHDRS) {
                if ((r = parse_phdrs(e)) <= 0)
                        return r;
                /* Segments inside the head are there already. */
                if ((r = capture(e, 0, e->head, e->head_len)) != 0)
                        return r;
                if (at + len <= e->head_len)
                        return 0;
                if (at < e->head_len) {
                        buf += e->head_len - at;
                        len -= e->head_len - at;
                        at = e->head_len;
                }
        }
        return capture(e, at, buf, len);
}

int elfnotes_finish(const struct elfnotes *e)
{
        return e->state == ST_DONE ? 1 : -EPIPE;
}
