/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspection.h"
#include "log.h"
#include "protocol.h"
#include "strv.h"
#include "textbuf.h"
#include "util.h"

void inspection_done(struct inspection *in)
{
        strv_free(in->devices);
        for (size_t i = 0; i < in->n_listings; i++) {
                free(in->listings[i].dev);
                free(in->listings[i].path);
                fstest_entries_free(in->listings[i].e, in->listings[i].n);
        }
        free(in->listings);
        tree_close(&in->tree);
        strv_free(in->attempted);
        strv_free(in->notes);
        free(in->error);
        free(in->message);
}

/* printf into valid TEXT of at most size - 1 bytes. */
static char *text(size_t size, const char *fmt, va_list ap)
{
        _cleanup_free_ char *raw = NULL;
        char *out;

        if (vasprintf(&raw, fmt, ap) < 0)
                return NULL;
        out = malloc(size);
        if (out)
                proto_text_sanitize(raw, strlen(raw), false, out, size, NULL);
        return out;
}

int inspection_note(struct inspection *in, const char *fmt, ...)
{
        va_list ap;
        char *s;

        if (in->n_notes >= PROTO_REPORT_NOTES_MAX)
                return 0;
        va_start(ap, fmt);
        s = text(proto_ikey_info(PROTO_IKEY_NOTE)->max + 1, fmt, ap);
        va_end(ap);
        if (!s)
                return -ENOMEM;
        log_debug("Note: %s", s);
        return strv_push(&in->notes, &in->n_notes, s);
}

int inspection_fail(struct inspection *in, const char *error, const char *fmt, ...)
{
        va_list ap;

        if (in->error)
                return -EIO;
        va_start(ap, fmt);
        in->message = text(proto_ikey_info(PROTO_IKEY_MESSAGE)->max + 1, fmt, ap);
        va_end(ap);
        in->error = strdup(error);
        if (!in->message || !in->error)
                return -ENOMEM;
        log_debug("Failed (%s): %s", in->error, in->message);
        return -EIO;
}

static const struct listing *cached(const struct inspection *in, const char *dev, const char *dir)
{
        for (size_t i = 0; i < in->n_listings; i++)
                if (streq(in->listings[i].dev, dev) && streq(in->listings[i].path, dir))
                        return &in->listings[i];
        return NULL;
}

/*
 * A directory's listing, read once. (GRUB's long listing leaves out a link
 * to a directory, so a parent's listing cannot tell that a directory is
 * absent: each is asked for.)
 */
static int listing_of(struct inspection *in, const char *dev, const char *dir, const struct listing **ret)
{
        struct listing *l, *nl;
        int r;

        if ((*ret = cached(in, dev, dir)))
                return 0;
        nl = realloc(in->listings, (in->n_listings + 1) * sizeof(*nl));
        if (!nl)
                return -ENOMEM;
        in->listings = nl;
        l = &nl[in->n_listings];
        *l = (struct listing){ .dev = strdup(dev), .path = strdup(dir) };
        if (!l->dev || !l->path) {
                free(l->dev);
                free(l->path);
                return -ENOMEM;
        }
        r = fstest_listing(&in->fs, dev, dir, INSPECT_LIST_MAX, &l->e, &l->n);
        if (r == -ETIMEDOUT)
                r = inspection_fail(in, "limit", "listing %s on (%s) took longer than the time limit", dir, dev);
        if (r < 0) {
                free(l->dev);
                free(l->path);
                return r;
        }
        in->n_listings++;
        *ret = l;
        return 0;
}

int inspection_find(struct inspection *in, const char *dev, const char *dir, const char *name,
                    const struct fstest_entry **ret_entry)
{
        const struct listing *l;
        int r = listing_of(in, dev, dir, &l);

        if (r < 0)
                return r;
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->e[i].name, name)) {
                        if (ret_entry)
                                *ret_entry = &l->e[i];
                        return 1;
                }
        return 0;
}

int inspection_files(struct inspection *in, const char *dev, const char *dir, char ***ret, size_t *ret_n)
{
        _cleanup_strv_ char **v = NULL;
        const struct listing *l;
        size_t n = 0;
        int r = listing_of(in, dev, dir, &l);

        if (r < 0)
                return r;
        for (size_t i = 0; i < l->n; i++)
                if (!l->e[i].dir && strv_push_dup(&v, &n, l->e[i].name) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

/* GRUB's "loopK[,PART]" with the disk's name for loopK: "(xvda,msdos1)"; other devices as they are. */
char *inspection_device_name(const struct inspection *in, const char *dev)
{
        unsigned k;
        int n = 0;

        if (sscanf(dev, "loop%u%n", &k, &n) == 1 && k < in->fs.n_disks && (dev[n] == 0 || dev[n] == ','))
                return strdup_printf("(%s%s)", in->names[k], dev + n);
        return strdup_printf("(%s)", dev);
}

char *inspection_grub_message(const struct inspection *in, const char *msg)
{
        struct textbuf b;

        textbuf_init(&b, 4096);
        for (const char *p = msg; *p;) {
                unsigned k;
                int n = 0;

                if (sscanf(p, "(loop%u%n", &k, &n) == 1 && n > 0 && k < in->fs.n_disks) {
                        textbuf_puts(&b, "(");
                        textbuf_puts(&b, in->names[k]);
                        p += n;
                } else {
                        textbuf_append(&b, p, 1);
                        p++;
                }
        }
        if (textbuf_error(&b) < 0) {
                textbuf_done(&b);
                return NULL;
        }
        return b.data ? b.data : strdup("");
}
