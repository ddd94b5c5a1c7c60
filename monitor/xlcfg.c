/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileedit.h"
#include "macro.h"
#include "util.h"
#include "xlcfg.h"

/* One "key = value" line; value is the bytes between the quotes of a string. */
struct xlline {
        const char *start, *end; /* the whole line, without its newline */
        const char *key;
        size_t key_len;
        const char *val; /* NULL when the value is not a single string */
        size_t val_len;
};

const char *xlcfg_type_to_string(enum xlcfg_type t)
{
        switch (t) {
        case XLCFG_PV:
                return "pv";
        case XLCFG_PVH:
                return "pvh";
        case XLCFG_HVM:
                return "hvm";
        case XLCFG_UNKNOWN:
                break;
        }
        return "unknown";
}

static const char *skip_blank(const char *p, const char *end)
{
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        return p;
}

/* A string value: "..." or '...' then only blanks, a ';' or a comment. */
static void parse_value(struct xlline *l, const char *p)
{
        const char *q;
        char quote;

        if (p >= l->end || (*p != '"' && *p != '\''))
                return;
        quote = *p++;
        q = memchr(p, quote, (size_t)(l->end - p));
        if (!q)
                return;
        l->val = p;
        l->val_len = (size_t)(q - p);
        q = skip_blank(q + 1, l->end);
        if (q < l->end && *q == ';')
                q = skip_blank(q + 1, l->end);
        if (q < l->end && *q != '#')
                l->val = NULL;
}

static void parse_line(const char *start, const char *end, struct xlline *ret)
{
        const char *p = skip_blank(start, end), *k;

        *ret = (struct xlline){ .start = start, .end = end };
        k = p;
        while (p < end && (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                           (p > k && *p >= '0' && *p <= '9')))
                p++;
        if (p == k)
                return;
        ret->key = k;
        ret->key_len = (size_t)(p - k);
        p = skip_blank(p, end);
        if (p >= end || *p != '=') {
                ret->key = NULL;
                return;
        }
        parse_value(ret, skip_blank(p + 1, end));
}

static bool key_is(const struct xlline *l, const char *key)
{
        return l->key && l->key_len == strlen(key) && memcmp(l->key, key, l->key_len) == 0;
}

static bool val_is(const struct xlline *l, const char *v)
{
        return l->val && l->val_len == strlen(v) && memcmp(l->val, v, l->val_len) == 0;
}

/* Calls fn on each line; stops at the first non-zero return. */
static int each_line(const char *text, int (*fn)(const struct xlline *l, void *u), void *u)
{
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
                struct xlline l;
                int r;

                parse_line(p, end, &l);
                r = fn(&l, u);
                if (r)
                        return r;
                p = nl ? nl + 1 : end;
        }
        return 0;
}

struct facts {
        const struct xlline *type, *builder, *kernel, *bootloader;
        struct xlline lines[4];
        bool type_bad, kernel_bad;
};

static int collect(const struct xlline *l, void *u)
{
        static const char *const keys[] = { "type", "builder", "kernel", "bootloader" };
        struct facts *f = u;
        const struct xlline **slot[] = { &f->type, &f->builder, &f->kernel, &f->bootloader };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (key_is(l, keys[i])) {
                        /* The last assignment wins, as in xl. */
                        f->lines[i] = *l;
                        *slot[i] = &f->lines[i];
                        if (!l->val && i == 0)
                                f->type_bad = true;
                        if (!l->val && i == 2)
                                f->kernel_bad = true;
                }
        return 0;
}

static enum xlcfg_type type_of(const struct facts *f)
{
        if (f->type) {
                if (val_is(f->type, "pv"))
                        return XLCFG_PV;
                if (val_is(f->type, "pvh"))
                        return XLCFG_PVH;
                if (val_is(f->type, "hvm"))
                        return XLCFG_HVM;
                return XLCFG_UNKNOWN;
        }
        /* Without type =, xl boots PV unless builder = "hvm". */
        if (f->builder && val_is(f->builder, "hvm"))
                return XLCFG_HVM;
        if (f->builder && !val_is(f->builder, "generic") && !val_is(f->builder, "linux"))
                return XLCFG_UNKNOWN;
        return XLCFG_PV;
}

/* Line i of the list (lines end at '\n'): its start, and its length in *ret_len. */
static const char *list_line(const char *list, size_t i, size_t *ret_len)
{
        const char *p = list, *nl;

        for (; p && i > 0; i--) {
                nl = strchr(p, '\n');
                p = nl ? nl + 1 : NULL;
        }
        if (!p)
                return NULL;
        nl = strchr(p, '\n');
        *ret_len = nl ? (size_t)(nl - p) : strlen(p);
        return p;
}

const char *xlcfg_pvh_loader(const struct xlcfg_paths *p, const char *pv_image, size_t len, size_t *ret_len)
{
        const char *pv;
        size_t n;

        for (size_t i = 0; (pv = list_line(p->pvgrub, i, &n)); i++)
                if (n == len && memcmp(pv, pv_image, n) == 0)
                        return list_line(p->pvhgrub, i, ret_len);
        return NULL;
}

/* The PVH image that replaces the kernel = value; NULL when the table has no such PV image. */
static const char *pvh_image(const struct xlcfg_paths *p, const struct xlline *kernel, size_t *ret_len)
{
        return xlcfg_pvh_loader(p, kernel->val, kernel->val_len, ret_len);
}

bool xlcfg_looks_like_grub(const char *v, size_t n)
{
        const char *base = v;

        for (size_t i = 0; i < n; i++)
                if (v[i] == '/')
                        base = v + i + 1;
        return memmem(base, n - (size_t)(base - v), "grub", 4) != NULL;
}

char *xlcfg_table_text(const struct xlcfg_paths *p)
{
        char *out = strdup(p->pvgrub);

        for (char *c = out; c && *c; c++)
                if (*c == '\n')
                        *c = ' ';
        return out;
}

static int reason_not_in_table(const struct facts *f, const struct xlcfg_paths *p, char **ret)
{
        _cleanup_free_ char *table = xlcfg_table_text(p);
        const char *v = f->kernel->val;
        int n = (int)f->kernel->val_len;

        if (!table)
                return -ENOMEM;
        if (!xlcfg_looks_like_grub(v, f->kernel->val_len))
                return asprintf(ret, "direct kernel boot: kernel = \"%.*s\" is a kernel dom0 loads, "
                                "not pvgrub; boot the guest through pvgrub first (its kernel and "
                                "menu inside the guest), then switch it", n, v) < 0 ? -ENOMEM : 1;
        return asprintf(ret, "kernel = \"%.*s\" is not a PV boot loader of the table (%s): "
                        "add it with --boot-loader PV=PVH or in the configuration file",
                        n, v, table) < 0 ? -ENOMEM : 1;
}

/* Why a PV configuration cannot be switched: 1 and *ret set, 0 when it can. */
static int reason_kernel(const struct facts *f, const struct xlcfg_paths *p, char **ret)
{
        size_t n;

        if (f->bootloader && f->bootloader->val)
                return asprintf(ret, "bootloader = \"%.*s\": dom0 runs the guest's boot loader "
                                "(pygrub), which PVH does not; switch it to pvgrub first",
                                (int)f->bootloader->val_len, f->bootloader->val) < 0 ? -ENOMEM : 1;
        if (f->bootloader)
                *ret = strdup("bootloader = (pygrub): dom0 runs the guest's boot loader, which PVH "
                              "does not; switch it to pvgrub first");
        else if (!f->kernel)
                *ret = strdup("no kernel = line: the domain does not boot pvgrub");
        else if (f->kernel_bad || !f->kernel->val)
                *ret = strdup("kernel = is not a plain string");
        else if (pvh_image(p, f->kernel, &n))
                return 0;
        else
                return reason_not_in_table(f, p, ret);
        return *ret ? 1 : -ENOMEM;
}

int xlcfg_inspect(const char *text, const struct xlcfg_paths *p, enum xlcfg_type *ret_type,
                  char **ret_reason)
{
        struct facts f = {};
        enum xlcfg_type t;
        char *reason = NULL;
        int r = 1;

        each_line(text, collect, &f);
        t = f.type_bad ? XLCFG_UNKNOWN : type_of(&f);
        if (t == XLCFG_PV)
                r = reason_kernel(&f, p, &reason);
        else
                reason = strdup(t == XLCFG_PVH   ? "the configuration is PVH already"
                                : t == XLCFG_HVM ? "the configuration is HVM"
                                                 : "the configuration's type is not understood");
        if (r < 0 || (r > 0 && !reason))
                return -ENOMEM;
        *ret_type = t;
        *ret_reason = reason;
        return 0;
}

struct rewrite {
        const struct xlcfg_paths *p;
        char *buf;
        size_t len, cap;
        bool wrote_type;
        const char *last_type, *last_kernel; /* the lines that decide, by address */
        const char *pvh;                      /* what replaces the kernel = value */
        size_t pvh_len;
};

static int append(struct rewrite *w, const char *s, size_t n)
{
        if (w->len + n + 1 > w->cap) {
                size_t cap = (w->len + n + 1) * 2;
                char *b = realloc(w->buf, cap);

                if (!b)
                        return -ENOMEM;
                w->buf = b;
                w->cap = cap;
        }
        memcpy(w->buf + w->len, s, n);
        w->len += n;
        w->buf[w->len] = 0;
        return 0;
}

/* Replaces the string value of a line, keeping its indentation, quotes and comment. */
static int replace_value(struct rewrite *w, const struct xlline *l, const char *v, size_t n)
{
        int r = append(w, l->start, (size_t)(l->val - l->start));

        if (r >= 0)
                r = append(w, v, n);
        if (r >= 0)
                r = append(w, l->val + l->val_len, (size_t)(l->end - (l->val + l->val_len)));
        return r;
}

static int rewrite_line(const struct xlline *l, void *u)
{
        struct rewrite *w = u;
        bool nl = *l->end == '\n';
        int r;

        if (l->start == w->last_type) {
                r = replace_value(w, l, "pvh", 3);
                w->wrote_type = true;
        } else if (l->start == w->last_kernel)
                r = replace_value(w, l, w->pvh, w->pvh_len);
        else if (key_is(l, "builder") && !w->last_type) {
                /* builder = "generic" is the old spelling of PV: type = replaces it. */
                r = append(w, "type = \"pvh\"", 12);
                w->wrote_type = true;
        } else
                r = append(w, l->start, (size_t)(l->end - l->start));
        if (r >= 0 && nl)
                r = append(w, "\n", 1);
        return r < 0 ? r : 0;
}

int xlcfg_to_pvh(const char *text, const struct xlcfg_paths *p, char **ret)
{
        _cleanup_free_ char *reason = NULL;
        struct rewrite w = { .p = p };
        struct facts f = {};
        enum xlcfg_type t;
        int r;

        r = xlcfg_inspect(text, p, &t, &reason);
        if (r < 0)
                return r;
        if (t != XLCFG_PV || reason)
                return -EINVAL;
        each_line(text, collect, &f);
        w.last_type = f.type ? f.type->start : NULL;
        w.last_kernel = f.kernel->start;
        w.pvh = pvh_image(p, f.kernel, &w.pvh_len);
        r = append(&w, "", 0);
        if (r >= 0)
                r = each_line(text, rewrite_line, &w);
        if (r >= 0 && !w.wrote_type) {
                if (w.len > 0 && w.buf[w.len - 1] != '\n')
                        r = append(&w, "\n", 1);
                if (r >= 0)
                        r = append(&w, "type = \"pvh\"\n", 13);
        }
        if (r < 0) {
                free(w.buf);
                return r;
        }
        *ret = w.buf;
        return 0;
}

static int find_name(const struct xlline *l, void *u)
{
        char **ret = u;

        if (!key_is(l, "name") || !l->val)
                return 0;
        free(*ret);
        *ret = strndup(l->val, l->val_len);
        return *ret ? 0 : -ENOMEM;
}

int xlcfg_name(const char *text, char **ret)
{
        char *name = NULL;
        int r = each_line(text, find_name, &name);

        if (r < 0)
                return r;
        if (!name)
                return -ENOENT;
        *ret = name;
        return 0;
}

int xlcfg_load(const char *path, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        char *text;
        size_t len;
        int r;

        if (fd < 0)
                return -errno;
        r = read_full_fd(fd, &text, XLCFG_SIZE_MAX, &len);
        if (r < 0)
                return r;
        if (memchr(text, 0, len)) {
                free(text);
                return -EBADMSG;
        }
        *ret = text;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int xlcfg_target(const char *path, char **ret_target, char **ret_reason)
{
        _cleanup_free_ char *t = realpath(path, NULL);
        struct stat st;

        if (!t || stat(t, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode)) {
                *ret_reason = strdup("not a regular file");
                return *ret_reason ? -EINVAL : -ENOMEM;
        }
        if (st.st_nlink > 1) {
                if (asprintf(ret_reason, "%s has %ju hard links: replacing it would leave the other "
                             "names with the old configuration; keep one file and make the others "
                             "symbolic links to it", t, (uintmax_t)st.st_nlink) < 0)
                        return -ENOMEM;
                return -EINVAL;
        }
        *ret_target = TAKE_PTR(t);
        return 0;
}

int xlcfg_inspect_file(const char *path, const struct xlcfg_paths *p, enum xlcfg_type *ret_type,
                       char **ret_reason)
{
        _cleanup_free_ char *target = NULL, *text = NULL;
        int r;

        r = xlcfg_target(path, &target, ret_reason);
        if (r == -EINVAL) {
                *ret_type = XLCFG_UNKNOWN;
                return 0;
        }
        if (r < 0)
                return r;
        r = xlcfg_load(target, &text, NULL);
        if (r < 0)
                return r;
        return xlcfg_inspect(text, p, ret_type, ret_reason);
}

/* Replaces path by text atomically and durably, with the mode and owner of st. */
static int write_atomic(const char *path, const char *text, size_t len, const struct stat *st)
{
        const struct file_meta meta = { .mode = st->st_mode & 07777, .uid = st->st_uid,
                                        .gid = st->st_gid };

        return fileedit_replace_path(path, text, len, &meta);
}

static int backup_path(const char *path, char **ret)
{
        return asprintf(ret, "%s" XLCFG_BACKUP_SUFFIX, path) < 0 ? -ENOMEM : 0;
}

int xlcfg_switch(const char *link, const struct xlcfg_paths *p, char **ret_reason)
{
        _cleanup_free_ char *text = NULL, *pvh = NULL, *reason = NULL, *bak = NULL, *path = NULL;
        enum xlcfg_type t;
        struct stat st;
        size_t len;
        int r;

        r = xlcfg_target(link, &path, ret_reason);
        if (r < 0)
                return r;
        r = xlcfg_load(path, &text, &len);
        if (r < 0)
                return r;
        if (stat(path, &st) < 0)
                return -errno;
        r = xlcfg_inspect(text, p, &t, &reason);
        if (r < 0)
                return r;
        if (t == XLCFG_PVH)
                return 0;
        if (reason) {
                *ret_reason = TAKE_PTR(reason);
                return -EINVAL;
        }
        r = xlcfg_to_pvh(text, p, &pvh);
        if (r >= 0)
                r = backup_path(path, &bak);
        /* The file is PV now: it is the original to keep, whatever an older backup says. */
        if (r >= 0)
                r = write_atomic(bak, text, len, &st);
        if (r >= 0)
                r = write_atomic(path, pvh, strlen(pvh), &st);
        return r < 0 ? r : 1;
}

int xlcfg_restore(const char *link)
{
        _cleanup_free_ char *bak = NULL, *orig = NULL, *cur = NULL, *reason = NULL, *path = NULL;
        struct xlcfg_paths none = { "", "" };
        size_t orig_len, cur_len;
        enum xlcfg_type t;
        struct stat st;
        int r;

        r = xlcfg_target(link, &path, &reason);
        if (r == -EINVAL)
                return -EMLINK;
        if (r < 0)
                return r;
        r = backup_path(path, &bak);
        if (r < 0)
                return r;
        r = xlcfg_load(path, &cur, &cur_len);
        if (r < 0)
                return r;
        r = xlcfg_load(bak, &orig, &orig_len);
        if (r == -ENOENT) {
                r = xlcfg_inspect(cur, &none, &t, &reason);
                if (r < 0)
                        return r;
                return t == XLCFG_PV ? 0 : -ENOENT;
        }
        if (r < 0)
                return r;
        if (cur_len == orig_len && memcmp(cur, orig, cur_len) == 0)
                return 0;
        if (stat(path, &st) < 0)
                return -errno;
        r = write_atomic(path, orig, orig_len, &st);
        return r < 0 ? r : 1;
}

/* ---- disk = [ ... ] ---------------------------------------------------------- */

static const char *const disk_formats[] = { "raw", "qcow", "qcow2", "vhd", "qed", "empty" };

static bool is_format(const char *s, size_t n)
{
        for (size_t i = 0; i < ELEMENTSOF(disk_formats); i++)
                if (strlen(disk_formats[i]) == n && memcmp(disk_formats[i], s, n) == 0)
                        return true;
        return false;
}

static int set_part(char **dst, const char *s, size_t n)
{
        while (n > 0 && (*s == ' ' || *s == '\t'))
                s++, n--;
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        free(*dst);
        *dst = strndup(s, n);
        return *dst ? 0 : -ENOMEM;
}

/* A target's legacy prefix: "phy:", "file:", "tap:aio:", "aio:"...; a format prefix sets the format. */
static int strip_prefix(struct xlcfg_disk *d)
{
        static const char *const legacy[] = { "phy:", "file:", "tap:aio:", "tap2:aio:", "tap:", "tap2:", "aio:" };
        char *t = d->target;

        for (size_t i = 0; i < ELEMENTSOF(legacy); i++)
                if (startswith(t, legacy[i])) {
                        memmove(t, t + strlen(legacy[i]), strlen(t + strlen(legacy[i])) + 1);
                        break;
                }
        for (size_t i = 0; i < ELEMENTSOF(disk_formats); i++) {
                size_t l = strlen(disk_formats[i]);

                if (strncmp(t, disk_formats[i], l) == 0 && t[l] == ':') {
                        if (set_part(&d->format, t, l) < 0)
                                return -ENOMEM;
                        memmove(t, t + l + 1, strlen(t + l + 1) + 1);
                }
        }
        return 0;
}

/* One key=value part; target= takes the rest of the spec, commas included. */
static int disk_keyword(struct xlcfg_disk *d, const char *p, size_t n, bool *ret_done)
{
        const char *eq = memchr(p, '=', n);
        size_t kl = (size_t)(eq - p);

        if (kl == 6 && memcmp(p, "target", 6) == 0) {
                *ret_done = true;
                return set_part(&d->target, eq + 1, strlen(eq + 1));
        }
        if (kl == 4 && memcmp(p, "vdev", 4) == 0)
                return set_part(&d->vdev, eq + 1, n - kl - 1);
        if (kl == 6 && memcmp(p, "format", 6) == 0)
                return set_part(&d->format, eq + 1, n - kl - 1);
        if (kl == 7 && memcmp(p, "devtype", 7) == 0)
                d->cdrom = n - kl - 1 == 5 && memcmp(eq + 1, "cdrom", 5) == 0;
        return 0;
}

static void disk_done(struct xlcfg_disk *d)
{
        free(d->target);
        free(d->vdev);
        free(d->format);
        *d = (struct xlcfg_disk){};
}

/* target[,format],vdev[,access][,devtype=...] or key=value parts (xl-disk-configuration). */
static int disk_parse(const char *spec, struct xlcfg_disk *ret)
{
        struct xlcfg_disk d = {};
        unsigned pos = 0;
        int r = 0;

        for (const char *p = spec; r >= 0 && *p;) {
                size_t n = strcspn(p, ",");
                const char *next = p[n] ? p + n + 1 : p + n;
                bool done = false;

                while (n > 0 && (*p == ' ' || *p == '\t'))
                        p++, n--;
                if (memchr(p, '=', n))
                        r = disk_keyword(&d, p, n, &done);
                else if (n == 5 && memcmp(p, "cdrom", 5) == 0)
                        d.cdrom = true;
                else if (pos == 0 && n > 0)
                        pos++, r = set_part(&d.target, p, n);
                else if (pos == 1 && is_format(p, n))
                        pos++, r = set_part(&d.format, p, n);
                else if (pos <= 2 && n > 0 && !d.vdev)
                        pos = 3, r = set_part(&d.vdev, p, n);
                if (done)
                        break;
                p = next;
        }
        if (r >= 0 && d.target)
                r = strip_prefix(&d);
        /* The legacy "xvdd:cdrom". */
        if (r >= 0 && d.vdev && strchr(d.vdev, ':')) {
                d.cdrom = d.cdrom || streq(strchr(d.vdev, ':'), ":cdrom");
                *strchr(d.vdev, ':') = 0;
        }
        if (r >= 0 && !d.format)
                r = set_part(&d.format, "raw", 3);
        if (r < 0 || !d.target || !d.vdev) {
                disk_done(&d);
                return r < 0 ? r : -EINVAL;
        }
        *ret = d;
        return 0;
}

/* The quoted strings of the last disk = [ ... ], comments outside strings skipped. */
static const char *disk_list(const char *text)
{
        const char *found = NULL;

        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
                struct xlline l;

                parse_line(p, end, &l);
                if (key_is(&l, "disk")) {
                        const char *b = memchr(l.key, '[', (size_t)(end - l.key));

                        if (b)
                                found = b + 1;
                }
                p = nl ? nl + 1 : end;
        }
        return found;
}

int xlcfg_disks(const char *text, struct xlcfg_disk **ret, size_t *ret_n)
{
        struct xlcfg_disk *v = calloc(XLCFG_DISKS_MAX, sizeof(*v));
        const char *p = disk_list(text);
        size_t n = 0;
        int r = 0;

        if (!v)
                return -ENOMEM;
        while (p && *p && *p != ']' && n < XLCFG_DISKS_MAX && r >= 0) {
                char quote = *p;
                const char *q;
                char *spec;

                if (*p == '#') {
                        p += strcspn(p, "\n");
                        continue;
                }
                if (quote != '"' && quote != '\'') {
                        p++;
                        continue;
                }
                q = strchr(p + 1, quote);
                if (!q)
                        break;
                spec = strndup(p + 1, (size_t)(q - p - 1));
                r = spec ? disk_parse(spec, &v[n]) : -ENOMEM;
                free(spec);
                if (r == -EINVAL)
                        r = 0;
                else if (r >= 0)
                        n++;
                p = q + 1;
        }
        if (r < 0) {
                xlcfg_disks_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

void xlcfg_disks_free(struct xlcfg_disk *d, size_t n)
{
        for (size_t i = 0; d && i < n; i++)
                disk_done(&d[i]);
        free(d);
}

/* The keys a trial's copy gets from xlcfg_to_trial(), never from the guest's own configuration. */
static bool trial_key(const struct xlline *l)
{
        /* Its own identity and disks; no network, and nothing of the host's passed through or shared. */
        static const char *const keys[] = { "name",    "uuid",      "memory",   "maxmem",  "vif",
                                            "disk",    "pci",       "p9",       "vtpm",    "usbdev",
                                            "usbctrl", "pvcalls",   "dtdev",    "iomem",   "ioports",
                                            "irqs",    "rdm",       "channel",  "on_poweroff",
                                            "on_reboot", "on_crash" };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (key_is(l, keys[i]))
                        return true;
        return false;
}

/* '[' minus ']' on a line, outside quoted strings and comments. */
static int bracket_balance(const char *p, const char *end)
{
        char quote = 0;
        int n = 0;

        for (; p < end; p++)
                if (quote && *p == quote)
                        quote = 0;
                else if (quote)
                        continue;
                else if (*p == '"' || *p == '\'')
                        quote = *p;
                else if (*p == '#')
                        break;
                else if (*p == '[')
                        n++;
                else if (*p == ']')
                        n--;
        return n;
}

struct trial_rewrite {
        struct rewrite w;
        int open;  /* brackets a dropped list left open: its next lines go too */
};

static int trial_line(const struct xlline *l, void *u)
{
        struct trial_rewrite *t = u;
        int r = 0;

        if (t->open > 0) {
                t->open += bracket_balance(l->start, l->end);
                return 0;
        }
        if (trial_key(l)) {
                t->open = bracket_balance(l->start, l->end);
                return 0;
        }
        r = append(&t->w, l->start, (size_t)(l->end - l->start));
        if (r >= 0 && *l->end == '\n')
                r = append(&t->w, "\n", 1);
        return r < 0 ? r : 0;
}

static int append_str(struct rewrite *w, const char *s)
{
        return append(w, s, strlen(s));
}

static int trial_tail(struct rewrite *w, const struct xlcfg_trial *t)
{
        char line[160];
        int r = 0;

        if (w->len > 0 && w->buf[w->len - 1] != '\n')
                r = append(w, "\n", 1);
        snprintf(line, sizeof(line), "# pvh-monitor trial: a throwaway copy, no network\nname = \"%s\"\n"
                 "uuid = \"%s\"\n", t->name, t->uuid);
        if (r >= 0)
                r = append_str(w, line);
        if (r >= 0 && t->memory_mib > 0) {
                snprintf(line, sizeof(line), "memory = %u\nmaxmem = %u\n", t->memory_mib, t->memory_mib);
                r = append_str(w, line);
        }
        if (r >= 0)
                r = append_str(w, "vif = [ ]\non_poweroff = \"preserve\"\non_reboot = \"preserve\"\n"
                                  "on_crash = \"preserve\"\ndisk = [");
        for (size_t i = 0; r >= 0 && i < t->n_disks; i++) {
                r = append_str(w, i ? ", '" : " '");
                if (r >= 0)
                        r = append_str(w, t->disks[i]);
                if (r >= 0)
                        r = append(w, "'", 1);
        }
        return r < 0 ? r : append_str(w, " ]\n");
}

/* Whether a value can go between quotes in a configuration line as it is. */
static bool trial_value_ok(const char *s)
{
        return s && strlen(s) < 100 && !strpbrk(s, "\"'\n\\");
}

int xlcfg_to_trial(const char *text, const struct xlcfg_trial *t, char **ret)
{
        struct trial_rewrite tr = {};
        int r;

        if (!trial_value_ok(t->name) || !trial_value_ok(t->uuid))
                return -EINVAL;
        for (size_t i = 0; i < t->n_disks; i++)
                if (!t->disks[i] || strpbrk(t->disks[i], "\"'\n\\"))
                        return -EINVAL;
        r = append(&tr.w, "", 0);
        if (r >= 0)
                r = each_line(text, trial_line, &tr);
        if (r >= 0)
                r = trial_tail(&tr.w, t);
        if (r < 0) {
                free(tr.w.buf);
                return r;
        }
        *ret = tr.w.buf;
        return 0;
}

static int find_memory(const struct xlline *l, void *u)
{
        unsigned *ret = u;
        const char *p, *end;
        unsigned long v;
        char *e;

        if (!key_is(l, "memory"))
                return 0;
        p = memchr(l->key, '=', (size_t)(l->end - l->key));
        p = skip_blank(p + 1, l->end);
        if (p >= l->end || *p < '0' || *p > '9')
                return 0;
        errno = 0;
        v = strtoul(p, &e, 10);
        end = skip_blank(e, l->end);
        if (errno || v == 0 || v > UINT_MAX || (end < l->end && *end != '#' && *end != ';'))
                return 0;
        *ret = (unsigned)v;
        return 0;
}

int xlcfg_memory(const char *text, unsigned *ret)
{
        unsigned m = 0;

        each_line(text, find_memory, &m);
        if (m == 0)
                return -ENOENT;
        *ret = m;
        return 0;
}
