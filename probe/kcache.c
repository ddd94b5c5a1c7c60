/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileedit.h"
#include "kcache.h"
#include "macro.h"
#include "rootfs.h"
#include "strv.h"
#include "util.h"

#define KCACHE_MAX 256
#define KCACHE_FILE_MAX (1u << 20)
#define KCACHE_MAGIC "pvh-agent-cache 1"

struct kkey {
        uint64_t dev, ino, size;
        int64_t sec;
        long nsec;
};

struct kentry {
        char kind; /* 'K' kernel image, 'I' initramfs */
        struct kkey key;
        struct kimage_info img;
        int initrd;
};

struct kcache {
        int dir_fd;       /* file is relative to it: AT_FDCWD, or owned */
        char *file;
        struct kentry *v;
        size_t n;
};

static struct kkey key_of(const struct stat *st)
{
        return (struct kkey){ .dev = st->st_dev, .ino = st->st_ino, .size = (uint64_t)st->st_size,
                              .sec = st->st_mtim.tv_sec, .nsec = st->st_mtim.tv_nsec };
}

static bool key_eq(const struct kkey *a, const struct kkey *b)
{
        return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->sec == b->sec && a->nsec == b->nsec;
}

static struct kentry *find(const struct kcache *c, char kind, const struct stat *st)
{
        struct kkey k = key_of(st);

        for (size_t i = 0; c && i < c->n; i++)
                if (c->v[i].kind == kind && key_eq(&c->v[i].key, &k))
                        return &c->v[i];
        return NULL;
}

static struct kentry *slot(struct kcache *c, char kind, const struct stat *st)
{
        struct kentry *e = find(c, kind, st), *nv;

        if (e)
                return e;
        if (c->n >= KCACHE_MAX) {
                memmove(c->v, c->v + 1, (c->n - 1) * sizeof(*c->v));
                c->n--;
        }
        nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
        if (!nv)
                return NULL;
        c->v = nv;
        e = &c->v[c->n++];
        *e = (struct kentry){ .kind = kind, .key = key_of(st) };
        return e;
}

bool kcache_get_kimage(const struct kcache *c, const struct stat *st, struct kimage_info *ret)
{
        const struct kentry *e = find(c, 'K', st);

        if (e)
                *ret = e->img;
        return e != NULL;
}

int kcache_put_kimage(struct kcache *c, const struct stat *st, const struct kimage_info *info)
{
        struct kentry *e = c ? slot(c, 'K', st) : NULL;

        if (!c)
                return 0;
        if (!e)
                return -ENOMEM;
        e->img = *info;
        return 0;
}

bool kcache_get_initrd(const struct kcache *c, const struct stat *st, int *ret)
{
        const struct kentry *e = find(c, 'I', st);

        if (e)
                *ret = e->initrd;
        return e != NULL;
}

int kcache_put_initrd(struct kcache *c, const struct stat *st, int result)
{
        struct kentry *e = c ? slot(c, 'I', st) : NULL;

        if (!c)
                return 0;
        if (!e)
                return -ENOMEM;
        e->initrd = result;
        return 0;
}

/* One line: kind, key, then the values; strings last, tab-separated. */
static int parse_line(struct kcache *c, char *line)
{
        struct kentry e = {};
        unsigned fmt, comp, proto, elf64, xen, p32, hasf;
        int n = 0;
        char *tab;

        if (sscanf(line, "%c %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64 " %ld%n", &e.kind, &e.key.dev,
                   &e.key.ino, &e.key.size, &e.key.sec, &e.key.nsec, &n) != 6)
                return 0;
        line += n;
        if (e.kind == 'I') {
                if (sscanf(line, " %d", &e.initrd) != 1)
                        return 0;
        } else if (e.kind == 'K') {
                if (sscanf(line, " %u %u %u %" SCNu32 " %d %u %u %u %u %" SCNu32 " %" SCNu64, &fmt, &comp, &proto,
                           &e.img.usize, &e.img.notes_error, &elf64, &xen, &p32, &hasf, &e.img.notes.features,
                           &e.img.out_bytes) != 11 || fmt > KFORMAT_ELF || comp > KCOMP_UNKNOWN)
                        return 0;
                e.img.format = fmt;
                e.img.comp = comp;
                e.img.protocol = (uint16_t)proto;
                e.img.notes = (struct xen_notes){ .elf64 = elf64, .xen = xen, .phys32_entry = p32,
                                                  .has_features = hasf, .features = e.img.notes.features };
                tab = strchr(line, '\t');
                if (tab) {
                        char *salt = strchr(tab + 1, '\t');
                        if (salt)
                                *salt++ = '\0';
                        snprintf(e.img.version, sizeof(e.img.version), "%s", tab + 1);
                        snprintf(e.img.notes.salt, sizeof(e.img.notes.salt), "%s", salt ? salt : "");
                }
        } else
                return 0;
        if (c->n >= KCACHE_MAX)
                return 0;
        struct kentry *nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        c->v = nv;
        c->v[c->n++] = e;
        return 0;
}

static int load(struct kcache *c)
{
        _cleanup_close_ int fd = root_open_regular_at(c->dir_fd, c->file, O_RDONLY);
        _cleanup_free_ char *text = NULL;
        char *save = NULL, *line;
        int r;

        if (fd < 0)
                return fd == -ENOENT ? 0 : fd;
        r = read_full_fd(fd, &text, KCACHE_FILE_MAX, NULL);
        if (r < 0)
                return r;
        line = strtok_r(text, "\n", &save);
        if (!line || !streq(line, KCACHE_MAGIC))
                return 0; /* another format: start afresh */
        while ((line = strtok_r(NULL, "\n", &save)))
                if ((r = parse_line(c, line)) < 0)
                        return r;
        return 0;
}

int kcache_new(int dir_fd, const char *file, struct kcache **ret)
{
        struct kcache *c = calloc(1, sizeof(*c));
        int r = 0;

        if (!c)
                return -ENOMEM;
        c->dir_fd = AT_FDCWD;
        if (file) {
                if (dir_fd != AT_FDCWD && (c->dir_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3)) < 0)
                        r = -errno;
                else
                        c->file = strdup(file);
                r = r < 0 ? r : c->file ? load(c) : -ENOMEM;
        }
        if (r < 0) {
                kcache_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

void kcache_free(struct kcache *c)
{
        if (!c)
                return;
        if (c->dir_fd >= 0)
                close(c->dir_fd);
        free(c->file);
        free(c->v);
        free(c);
}

static void write_entry(FILE *f, const struct kentry *e)
{
        const struct kimage_info *i = &e->img;

        fprintf(f, "%c %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %ld", e->kind, e->key.dev, e->key.ino,
                e->key.size, e->key.sec, e->key.nsec);
        if (e->kind == 'I') {
                fprintf(f, " %d\n", e->initrd);
                return;
        }
        fprintf(f, " %u %u %u %" PRIu32 " %d %u %u %u %u %" PRIu32 " %" PRIu64 "\t%s\t%s\n", i->format, i->comp,
                i->protocol, i->usize, i->notes_error, i->notes.elf64, i->notes.xen, i->notes.phys32_entry,
                i->notes.has_features, i->notes.features, i->out_bytes, i->version, i->notes.salt);
}

/* Replaced atomically and durably (shared/fileedit), readable by its owner only. */
int kcache_save(struct kcache *c)
{
        const struct file_meta meta = { .mode = 0600, .uid = geteuid(), .gid = getegid() };
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!c || !c->file)
                return 0;
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, KCACHE_MAGIC "\n");
        for (size_t i = 0; i < c->n; i++)
                write_entry(f, &c->v[i]);
        r = ferror(f) ? -ENOMEM : 0;
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        return fileedit_replace_at(c->dir_fd, c->file, text, len, &meta);
}
