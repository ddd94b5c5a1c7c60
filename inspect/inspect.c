/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "log.h"
#include "protocol.h"
#include "strv.h"
#include "util.h"

void inspection_done(struct inspection *in)
{
        strv_free(in->devices);
        for (size_t i = 0; in->tops && i < in->n_devices; i++)
                strv_free(in->tops[i]);
        free(in->tops);
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

/* GRUB's "loopK[,PART]" with the disk's name for loopK: "(xvda,msdos1)"; other devices as they are. */
char *inspection_device_name(const struct inspection *in, const char *dev)
{
        unsigned k;
        int n = 0;

        if (sscanf(dev, "loop%u%n", &k, &n) == 1 && k < in->fs.n_disks && (dev[n] == 0 || dev[n] == ','))
                return strdup_printf("(%s%s)", in->names[k], dev + n);
        return strdup_printf("(%s)", dev);
}
