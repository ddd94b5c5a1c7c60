/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Makes small fake kernels for the tests:
 *   mkkernel elf OUT NOTES BITS RELEASE   a vmlinux-like ELF with Xen notes
 *   mkkernel bzimage OUT PAYLOAD USIZE VERSION
 *                                         a bzImage header around a compressed payload
 * MKKERNEL_SMALL=1 makes tiny ones, for fuzzing seeds; MKKERNEL_BIG=1 puts
 * the notes 20 MiB in.
 * NOTES: xenpvh (PV entry, PVH entry + XENFEAT_linux_rsdp_unrestricted: a
 * 64-bit Debian kernel), xenpvh-nopv (the same without the PV entry: no
 * CONFIG_XEN_PV, as every 32-bit kernel since Linux 5.9), pvhonly (PVH entry,
 * no XEN_PVH, no PV entry), pv (Xen notes with the PV entry, no PVH entry),
 * none (no Xen notes); "+pv" adds the PV entry (pvhonly+pv).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Beyond the reader's 64 KiB head and one LZO block; MKKERNEL_BIG=1: beyond two 8 MiB LZ4 blocks. */
#define PAD_BEFORE (small ? 512u : big ? 20u << 20 : 300u << 10)
#define PAD_AFTER (small ? 256u : 200u << 10)   /* never needs decompressing */
#define LOAD_OFF 0x1000u

/* MKKERNEL_SMALL=1: tiny images, for fuzzing seeds. */
static int small, big;

struct out {
        uint8_t *p;
        size_t len, cap;
};

static void put(struct out *o, const void *p, size_t n)
{
        if (o->len + n > o->cap) {
                o->cap = (o->len + n) * 2;
                o->p = realloc(o->p, o->cap);
        }
        if (!o->p)
                exit(99);
        memcpy(o->p + o->len, p, n);
        o->len += n;
}

static void put_le(struct out *o, uint64_t v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                uint8_t b = (uint8_t)(v >> (8 * i));
                put(o, &b, 1);
        }
}

static void put_zero(struct out *o, size_t n)
{
        while (n--)
                put_le(o, 0, 1);
}

/* Low-entropy filler, so compressors have something to do but not much. */
static void put_filler(struct out *o, size_t n, uint32_t seed)
{
        for (size_t i = 0; i < n; i++) {
                if (i % 32 == 0)
                        seed = seed * 1103515245u + 12345u;
                put_le(o, "\x90\x48\x89\xe5\x0f\x1f\x00\xc3"[(seed >> 16 >> (i % 32 == 0 ? 0 : 3)) & 7], 1);
        }
}

static void note(struct out *o, const char *name, uint32_t type, const void *desc, uint32_t descsz)
{
        uint32_t namesz = (uint32_t)strlen(name) + 1;

        put_le(o, namesz, 4);
        put_le(o, descsz, 4);
        put_le(o, type, 4);
        put(o, name, namesz);
        put_zero(o, (4 - namesz % 4) % 4);
        put(o, desc, descsz);
        put_zero(o, (4 - descsz % 4) % 4);
}

static void notes(struct out *o, const char *notes_arg, const char *release)
{
        char kind[32];
        const char *plus = strchr(notes_arg, '+');
        bool plus_pv = plus && strcmp(plus, "+pv") == 0;

        snprintf(kind, sizeof(kind), "%.*s", plus ? (int)(plus - notes_arg) : (int)strlen(notes_arg), notes_arg);
        uint8_t feat[4], entry[4] = { 0x00, 0x00, 0x00, 0x01 }, pv_entry[4] = { 0x00, 0x10, 0x00, 0xc1 };
        bool xenpvh = strcmp(kind, "xenpvh") == 0 || strcmp(kind, "xenpvh-nopv") == 0;
        uint32_t f = xenpvh ? 0x00008801u : 0x00000801u;

        for (int i = 0; i < 4; i++)
                feat[i] = (uint8_t)(f >> (8 * i));
        if (strcmp(kind, "none") != 0) {
                note(o, "Xen", 6, "linux", 6);
                note(o, "Xen", 17, feat, 4);
        }
        /* XEN_ELFNOTE_ENTRY: CONFIG_XEN_PV's entry point, startup_xen */
        if (strcmp(kind, "xenpvh") == 0 || strcmp(kind, "pv") == 0 || plus_pv)
                note(o, "Xen", 1, pv_entry, 4);
        if (xenpvh || strcmp(kind, "pvhonly") == 0)
                note(o, "Xen", 18, entry, 4);
        note(o, "Linux", 0x100, release, (uint32_t)strlen(release) + 1);
}

static void phdr(struct out *o, int bits, uint32_t type, uint64_t off, uint64_t size)
{
        if (bits == 64) {
                put_le(o, type, 4);
                put_le(o, 5, 4);                /* flags */
                put_le(o, off, 8);
                put_le(o, 0xffffffff81000000ull + off, 8);
                put_le(o, 0x1000000 + off, 8);
                put_le(o, size, 8);
                put_le(o, size, 8);
                put_le(o, 0x1000, 8);
        } else {
                put_le(o, type, 4);
                put_le(o, off, 4);
                put_le(o, 0xc1000000u + off, 4);
                put_le(o, 0x1000000 + off, 4);
                put_le(o, size, 4);
                put_le(o, size, 4);
                put_le(o, 5, 4);
                put_le(o, 0x1000, 4);
        }
}

static void ehdr(struct out *o, int bits)
{
        put(o, "\177ELF", 4);
        put_le(o, bits == 64 ? 2 : 1, 1);
        put_le(o, 1, 1);
        put_le(o, 1, 1);
        put_zero(o, 9);
        put_le(o, 2, 2);                                 /* ET_EXEC */
        put_le(o, bits == 64 ? 62 : 3, 2);               /* x86-64 / i386 */
        put_le(o, 1, 4);
        put_le(o, 0x1000000, bits / 8);                  /* entry */
        put_le(o, bits == 64 ? 64 : 52, bits / 8);       /* phoff */
        put_le(o, 0, bits / 8);                          /* shoff */
        put_le(o, 0, 4);
        put_le(o, bits == 64 ? 64 : 52, 2);
        put_le(o, bits == 64 ? 56 : 32, 2);
        put_le(o, 2, 2);                                 /* phnum */
        put_le(o, bits == 64 ? 64 : 40, 2);
        put_le(o, 0, 2);
        put_le(o, 0, 2);
}

static int make_elf(const char *kind, int bits, const char *release, struct out *o)
{
        struct out n = {};

        notes(&n, kind, release);
        ehdr(o, bits);
        phdr(o, bits, 1, LOAD_OFF, PAD_BEFORE);
        phdr(o, bits, 4, LOAD_OFF + PAD_BEFORE, n.len);
        put_zero(o, LOAD_OFF - o->len);
        put_filler(o, PAD_BEFORE, 1);
        put(o, n.p, n.len);
        put_filler(o, PAD_AFTER, 2);
        free(n.p);
        return 0;
}

static void set_le(uint8_t *p, uint64_t v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

/* setup_sects 4: a 2560-byte setup, the version string at 0x400, the payload 0x200 into the rest. */
static int make_bzimage(const uint8_t *payload, size_t plen, uint32_t usize, const char *version, struct out *o)
{
        uint8_t setup[5 * 512] = {};

        setup[0x1F1] = 4;
        set_le(setup + 0x1FE, 0xAA55, 2);
        memcpy(setup + 0x202, "HdrS", 4);
        set_le(setup + 0x206, 0x020F, 2);
        set_le(setup + 0x20E, 0x400 - 0x200, 2);
        set_le(setup + 0x248, 0x200, 4);
        set_le(setup + 0x24C, plen + 4, 4);
        snprintf((char *)setup + 0x400, 256, "%s", version);
        put(o, setup, sizeof(setup));
        put_filler(o, 0x200, 3);
        put(o, payload, plen);
        put_le(o, usize, 4);
        return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        uint8_t *p = NULL;
        size_t n = 0, cap = 0, got;

        if (!f)
                return NULL;
        do {
                if (n == cap && !(p = realloc(p, cap = cap ? cap * 2 : 65536)))
                        exit(99);
                got = fread(p + n, 1, cap - n, f);
                n += got;
        } while (got > 0);
        fclose(f);
        *len = n;
        return p;
}

int main(int argc, char **argv)
{
        struct out o = {};
        FILE *f;

        small = getenv("MKKERNEL_SMALL") && *getenv("MKKERNEL_SMALL");
        big = getenv("MKKERNEL_BIG") && *getenv("MKKERNEL_BIG");
        if (argc == 6 && strcmp(argv[1], "elf") == 0)
                make_elf(argv[3], atoi(argv[4]), argv[5], &o);
        else if (argc == 6 && strcmp(argv[1], "bzimage") == 0) {
                size_t plen;
                uint8_t *p = slurp(argv[3], &plen);
                if (!p)
                        return 99;
                make_bzimage(p, plen, (uint32_t)strtoul(argv[4], NULL, 0), argv[5], &o);
                free(p);
        } else {
                fprintf(stderr, "usage: mkkernel elf OUT NOTES BITS RELEASE | bzimage OUT PAYLOAD USIZE VERSION\n");
                return 99;
        }
        f = fopen(argv[2], "wb");
        if (!f || fwrite(o.p, 1, o.len, f) != o.len || fclose(f) != 0)
                return 99;
        free(o.p);
        return 0;
}
