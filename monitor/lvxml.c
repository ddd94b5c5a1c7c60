/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvxml.h"
#include "macro.h"
#include "util.h"

/* A stretch of the text; p NULL when absent. */
struct span {
        const char *p;
        size_t n;
};

/* What the switch reads of a definition, by address. */
struct lvdoc {
        struct span domain_type; /* <domain type='...'> */
        struct span name;        /* <name> text */
        unsigned n_os;
        struct span type;        /* <os><type ...>...</type>: the whole element */
        struct span type_text, arch, machine;
        unsigned n_type;
        struct span kernel;      /* <os><kernel> text */
        unsigned n_kernel;
        bool bootloader;         /* <bootloader> (dom0 runs the guest's boot loader) */
        struct span bootloader_text;
        bool loader;             /* <os><loader> (firmware: HVM) */
};

#define DEPTH_MAX 64

static bool span_is(struct span s, const char *v)
{
        return s.p && s.n == strlen(v) && memcmp(s.p, v, s.n) == 0;
}

static bool name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_' || c == '.' || c == ':';
}

/* The end of a tag ('>'), quoted attribute values skipped; NULL when there is none. */
static const char *tag_end(const char *p, const char *end)
{
        char quote = 0;

        for (; p < end; p++) {
                if (quote) {
                        if (*p == quote)
                                quote = 0;
                } else if (*p == '\'' || *p == '"')
                        quote = *p;
                else if (*p == '<')
                        return NULL;
                else if (*p == '>')
                        return p;
        }
        return NULL;
}

/* The value of attribute key in the attributes [p, end): 0 found, -ENOENT, -EBADMSG. */
static int attribute(const char *p, const char *end, const char *key, struct span *ret)
{
        size_t kn = strlen(key);

        for (;;) {
                const char *k, *q;
                size_t n;
                char quote;

                while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
                        p++;
                if (p >= end || *p == '/')
                        return -ENOENT;
                for (k = p; p < end && name_char(*p); p++)
                        ;
                n = (size_t)(p - k);
                while (p < end && *p == ' ')
                        p++;
                if (n == 0 || p >= end || *p != '=')
                        return -EBADMSG;
                for (p++; p < end && *p == ' '; p++)
                        ;
                if (p >= end || (*p != '\'' && *p != '"'))
                        return -EBADMSG;
                quote = *p++;
                q = memchr(p, quote, (size_t)(end - p));
                if (!q)
                        return -EBADMSG;
                if (n == kn && memcmp(k, key, n) == 0) {
                        if (memchr(p, '&', (size_t)(q - p)))
                                return -EBADMSG;
                        *ret = (struct span){ p, (size_t)(q - p) };
                        return 0;
                }
                p = q + 1;
        }
}

/*
 * The text of an element whose start tag ends at gt: up to its end tag,
 * with no element or entity inside. -EBADMSG otherwise.
 */
static int text_of(const char *gt, const char *end, struct span name, struct span *ret)
{
        const char *t = gt + 1, *lt = memchr(t, '<', (size_t)(end - t));

        if (!lt || (size_t)(end - lt) < name.n + 3 || lt[1] != '/' || memcmp(lt + 2, name.p, name.n) != 0 ||
            lt[2 + name.n] != '>' || memchr(t, '&', (size_t)(lt - t)))
                return -EBADMSG;
        *ret = (struct span){ t, (size_t)(lt - t) };
        return 0;
}

/* An element's start tag [lt, gt], at depth (0: the root) under parent. */
static int start_tag(struct lvdoc *d, const char *lt, const char *gt, const char *end, struct span name,
                     unsigned depth, struct span parent, bool empty)
{
        const char *attrs = lt + 1 + name.n;
        int r;

        if (depth == 0) {
                if (!span_is(name, "domain"))
                        return -EBADMSG;
                r = attribute(attrs, gt, "type", &d->domain_type);
                return r == -ENOENT ? 0 : r;
        }
        if (depth == 1 && span_is(name, "name"))
                return empty ? 0 : text_of(gt, end, name, &d->name);
        if (depth == 1 && span_is(name, "os")) {
                d->n_os++;
                return 0;
        }
        if (depth == 1 && span_is(name, "bootloader")) {
                d->bootloader = true;
                return empty ? 0 : text_of(gt, end, name, &d->bootloader_text);
        }
        if (depth != 2 || !span_is(parent, "os"))
                return 0;
        if (span_is(name, "loader")) {
                d->loader = true;
                return 0;
        }
        if (span_is(name, "kernel")) {
                d->n_kernel++;
                return empty ? -EBADMSG : text_of(gt, end, name, &d->kernel);
        }
        if (!span_is(name, "type"))
                return 0;
        d->n_type++;
        if (empty || text_of(gt, end, name, &d->type_text) < 0)
                return -EBADMSG;
        r = attribute(attrs, gt, "arch", &d->arch);
        if (r == -EBADMSG)
                return r;
        r = attribute(attrs, gt, "machine", &d->machine);
        if (r == -EBADMSG)
                return r;
        /* The whole element: to its end tag, which text_of found. */
        d->type = (struct span){ lt, (size_t)(d->type_text.p + d->type_text.n + name.n + 3 - lt) };
        return 0;
}

static int scan(const char *xml, struct lvdoc *ret)
{
        const char *p = xml, *end = xml + strlen(xml);
        struct span stack[DEPTH_MAX];
        unsigned depth = 0;
        bool root = false;
        struct lvdoc d = {};
        int r;

        while ((p = memchr(p, '<', (size_t)(end - p)))) {
                const char *gt, *q;
                struct span name;
                bool closing, empty;

                if (startswith(p, "<!--")) {
                        q = strstr(p + 4, "-->");
                        if (!q)
                                return -EBADMSG;
                        p = q + 3;
                        continue;
                }
                if (startswith(p, "<?")) {
                        if (root || !(q = strstr(p + 2, "?>")))
                                return -EBADMSG;
                        p = q + 2;
                        continue;
                }
                /* DOCTYPE (and its entities), CDATA: not in a definition libvirt writes. */
                if (p[1] == '!')
                        return -EBADMSG;
                gt = tag_end(p + 1, end);
                if (!gt)
                        return -EBADMSG;
                closing = p[1] == '/';
                name.p = p + 1 + closing;
                for (q = name.p; q < gt && name_char(*q); q++)
                        ;
                name.n = (size_t)(q - name.p);
                empty = gt[-1] == '/';
                if (name.n == 0 || (closing && empty))
                        return -EBADMSG;
                if (closing) {
                        if (depth == 0 || stack[depth - 1].n != name.n ||
                            memcmp(stack[depth - 1].p, name.p, name.n) != 0)
                                return -EBADMSG;
                        depth--;
                } else {
                        if ((depth == 0 && root) || depth >= DEPTH_MAX)
                                return -EBADMSG;
                        r = start_tag(&d, p, gt, end, name, depth, depth ? stack[depth - 1] : (struct span){},
                                      empty);
                        if (r < 0)
                                return r;
                        root = true;
                        if (!empty)
                                stack[depth++] = name;
                }
                p = gt + 1;
        }
        if (!root || depth != 0)
                return -EBADMSG;
        *ret = d;
        return 0;
}

static enum xlcfg_type type_of(const struct lvdoc *d)
{
        if (!span_is(d->domain_type, "xen") || d->n_os != 1 || d->n_type != 1 || d->n_kernel > 1)
                return XLCFG_UNKNOWN;
        if (span_is(d->type_text, "hvm"))
                return XLCFG_HVM;
        if (span_is(d->type_text, "xenpvh") || span_is(d->machine, "xenpvh"))
                return XLCFG_PVH;
        if (d->arch.p && !span_is(d->arch, "x86_64") && !span_is(d->arch, "i686"))
                return XLCFG_UNKNOWN;
        if ((span_is(d->type_text, "linux") || span_is(d->type_text, "xen")) &&
            (!d->machine.p || span_is(d->machine, "xenpv")) && !d->loader)
                return XLCFG_PV;
        return XLCFG_UNKNOWN;
}

/* Why a PV definition cannot be switched: 1 and *ret set, 0 when it can. */
static int reason_kernel(const struct lvdoc *d, const struct xlcfg_paths *p, char **ret)
{
        _cleanup_free_ char *table = NULL;
        int n = (int)d->kernel.n;
        size_t len;

        if (d->bootloader)
                return asprintf(ret, "<bootloader>%.*s</bootloader>: dom0 runs the guest's boot loader "
                                "(pygrub), which PVH does not; boot it through pvgrub (<kernel>) first",
                                (int)d->bootloader_text.n, d->bootloader_text.p ? d->bootloader_text.p : "") < 0
                               ? -ENOMEM
                               : 1;
        if (!d->kernel.p) {
                *ret = strdup("no <kernel> in <os>: the domain does not boot pvgrub");
                return *ret ? 1 : -ENOMEM;
        }
        if (xlcfg_pvh_loader(p, d->kernel.p, d->kernel.n, &len))
                return 0;
        if (!xlcfg_looks_like_grub(d->kernel.p, d->kernel.n))
                return asprintf(ret, "direct kernel boot: <kernel>%.*s</kernel> is a kernel dom0 loads, "
                                "not pvgrub; boot the guest through pvgrub first (its kernel and menu "
                                "inside the guest), then switch it", n, d->kernel.p) < 0 ? -ENOMEM : 1;
        table = xlcfg_table_text(p);
        if (!table)
                return -ENOMEM;
        return asprintf(ret, "<kernel>%.*s</kernel> is not a PV boot loader of the table (%s): add it "
                        "with --boot-loader PV=PVH or in the configuration file", n, d->kernel.p, table) < 0
                       ? -ENOMEM
                       : 1;
}

int lvxml_inspect(const char *xml, const struct xlcfg_paths *p, enum xlcfg_type *ret_type, char **ret_reason)
{
        struct lvdoc d;
        enum xlcfg_type t;
        char *reason = NULL;
        int r = scan(xml, &d);

        if (r < 0)
                return r;
        t = type_of(&d);
        if (t == XLCFG_PV)
                r = reason_kernel(&d, p, &reason);
        else if (!span_is(d.domain_type, "xen"))
                r = asprintf(&reason, "<domain type='%.*s'>: not a domain of libvirt's Xen driver",
                             (int)d.domain_type.n, d.domain_type.p ? d.domain_type.p : "") < 0 ? -ENOMEM : 1;
        else
                reason = strdup(t == XLCFG_PVH   ? "the definition is PVH already"
                                : t == XLCFG_HVM ? "the definition is HVM"
                                                 : "the definition's <os> is not understood");
        if (r < 0 || (r > 0 && !reason) || (t != XLCFG_PV && !reason))
                return -ENOMEM;
        *ret_type = t;
        *ret_reason = reason;
        return 0;
}

int lvxml_to_pvh(const char *xml, const struct xlcfg_paths *p, char **ret)
{
        _cleanup_free_ char *reason = NULL;
        const char *pvh;
        struct lvdoc d;
        size_t pvh_len;
        char *out = NULL;
        int r = scan(xml, &d);

        if (r < 0)
                return r;
        if (type_of(&d) != XLCFG_PV)
                return -EINVAL;
        r = reason_kernel(&d, p, &reason);
        if (r != 0)
                return r < 0 ? r : -EINVAL;
        pvh = xlcfg_pvh_loader(p, d.kernel.p, d.kernel.n, &pvh_len);
        if (!pvh || memchr(pvh, '<', pvh_len) || memchr(pvh, '&', pvh_len))
                return -EINVAL;
        /* <type> comes before <kernel> in what libvirt writes; a definition with them the other way is refused. */
        if (d.kernel.p < d.type.p + d.type.n)
                return -EBADMSG;
        r = asprintf(&out, "%.*s<type%s%.*s%s machine='xenpvh'>xenpvh</type>%.*s%.*s%s",
                     (int)(d.type.p - xml), xml,
                     d.arch.p ? " arch='" : "", (int)d.arch.n, d.arch.p ? d.arch.p : "", d.arch.p ? "'" : "",
                     (int)(d.kernel.p - (d.type.p + d.type.n)), d.type.p + d.type.n,
                     (int)pvh_len, pvh,
                     d.kernel.p + d.kernel.n);
        if (r < 0)
                return -ENOMEM;
        *ret = out;
        return 0;
}

int lvxml_name(const char *xml, char **ret)
{
        struct lvdoc d;
        int r = scan(xml, &d);

        if (r < 0)
                return r;
        if (!d.name.p)
                return -ENOENT;
        *ret = strndup(d.name.p, d.name.n);
        return *ret ? 0 : -ENOMEM;
}
