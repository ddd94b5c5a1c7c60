/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XEN_ELFNOTE_ENTRY 1
#define XEN_ELFNOTE_SUPPORTED_FEATURES 17
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define XENFEAT_linux_rsdp_unrestricted 15
#define LINUX_ELFNOTE_BUILD_SALT 0x100

struct xen_notes {
        bool elf64;
        bool xen;                 /* any "Xen" note */
        bool pv_entry;            /* note 1: the PV entry point (CONFIG_XEN_PV) */
        bool phys32_entry;        /* note 18: a PVH entry point */
        bool has_features;        /* note 17 */
        uint32_t features;
        char salt[128];           /* "Linux" note 0x100, the release on most distributions */
};

/* Walks the notes of one PT_NOTE segment; false when they do not fill it exactly. */
bool elfnotes_parse_segment(const uint8_t *p, size_t len, struct xen_notes *notes);

/*
 * A streaming reader for the notes of an ELF image: feed it the image from
 * the start, in pieces of any size. It keeps the first 64 KiB and the note
 * segments only, and says when every PT_NOTE segment has been seen.
 */
#define ELFNOTES_HEAD (64u << 10)
#define ELFNOTES_SEGS 8

struct elfnotes {
        uint64_t pos;
        uint8_t *head;
        size_t head_len;
        int state;
        bool elf64;
        uint64_t phoff;
        unsigned phnum, phentsize;
        struct {
                uint64_t off, size, filled;
                uint8_t *buf;
        } seg[ELFNOTES_SEGS];
        size_t n_seg;
        bool well_formed;         /* every segment held a clean chain of notes */
        struct xen_notes notes;
};

int elfnotes_init(struct elfnotes *e);
/*
 * 0: more please; 1: done, notes in e->notes; < 0: -ENOEXEC (no ELF),
 * -EBADMSG, -ENODATA (no notes). buf NULL: len bytes went by unread.
 */
int elfnotes_feed(struct elfnotes *e, const uint8_t *buf, size_t len);
/* The lowest offset of the image still needed. */
uint64_t elfnotes_need(const struct elfnotes *e);
/* At the end of the data: 1 when done, -EPIPE when the image ended before its notes. */
int elfnotes_finish(const struct elfnotes *e);
void elfnotes_done(struct elfnotes *e);
