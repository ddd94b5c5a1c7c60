/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "history.h"
#include "macro.h"
#include "render.h"
#include "util.h"

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

static int collect_one(const struct db_change *c, void *userdata)
{
        struct hrows *h = userdata;
        struct hrow *r = realloc(h->r, (h->n + 1) * sizeof(*r));

        if (!r)
                return -ENOMEM;
        h->r = r;
        r[h->n] = (struct hrow){ .at = c->at, .domid = c->domid, .uuid = dup_or_null(c->uuid),
                                 .name = dup_or_null(c->name), .what = dup_or_null(c->what),
                                 .old = dup_or_null(c->old), .new = dup_or_null(c->new) };
        h->n++;
        return 0;
}

int history_collect(struct db *d, const struct db_changes_query *q, struct hrows *ret)
{
        int r;

        *ret = (struct hrows){};
        r = db_changes(d, q, collect_one, ret);
        if (r < 0)
                history_done(ret);
        return r;
}

void history_done(struct hrows *h)
{
        for (unsigned i = 0; i < h->n; i++) {
                free(h->r[i].uuid);
                free(h->r[i].name);
                free(h->r[i].what);
                free(h->r[i].old);
                free(h->r[i].new);
        }
        free(h->r);
        *h = (struct hrows){};
}

void history_time(int64_t at, char buf[static 32])
{
        time_t t = (time_t)at;
        struct tm tm;

        if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, 32, "@%" PRId64, at);
}

/* The change in words: "kernel 6.1.0-18-amd64 -> 6.1.0-20-amd64", "seen, ready", "gone (was ready)". */
static char *change_text(const struct hrow *r)
{
        _cleanup_free_ char *old = render_ascii(r->old ? r->old : "-");
        _cleanup_free_ char *new = render_ascii(r->new ? r->new : "-");
        _cleanup_free_ char *what = render_ascii(r->what ? r->what : "?");
        char *s = NULL;

        if (!old || !new || !what)
                return NULL;
        if (streq(what, "seen"))
                return asprintf(&s, "seen, %s", new) < 0 ? NULL : s;
        if (streq(what, "back"))
                return strdup("back");
        if (streq(what, "gone"))
                return asprintf(&s, "gone (was %s)", old) < 0 ? NULL : s;
        return asprintf(&s, "%s %s -> %s", what, old, new) < 0 ? NULL : s;
}

struct hcells {
        char time[32], domid[24], uuid[9];
        char *name, *change;
};

static void hcells_free(struct hcells *c, unsigned n)
{
        for (unsigned i = 0; i < n; i++) {
                free(c[i].name);
                free(c[i].change);
        }
        free(c);
}

int history_print_table(FILE *f, const struct hrows *h, bool with_who, unsigned indent)
{
        struct hcells *c = calloc(h->n ? h->n : 1, sizeof(*c));
        size_t wname = STRLEN("NAME"), wdomid = STRLEN("DOMID");

        if (!c)
                return -ENOMEM;
        for (unsigned i = 0; i < h->n; i++) {
                history_time(h->r[i].at, c[i].time);
                snprintf(c[i].domid, sizeof(c[i].domid), "%" PRId64, h->r[i].domid);
                snprintf(c[i].uuid, sizeof(c[i].uuid), "%.8s", h->r[i].uuid ? h->r[i].uuid : "-");
                c[i].name = render_ascii(h->r[i].name ? h->r[i].name : "-");
                c[i].change = change_text(&h->r[i]);
                if (!c[i].name || !c[i].change) {
                        hcells_free(c, i + 1);
                        return -ENOMEM;
                }
                wname = strlen(c[i].name) > wname ? strlen(c[i].name) : wname;
                wdomid = strlen(c[i].domid) > wdomid ? strlen(c[i].domid) : wdomid;
        }
        if (with_who)
                fprintf(f, "%*s%-20s  %-*s  %-8s  %-*s  %s\n", (int)indent, "", "TIME", (int)wname, "NAME", "UUID",
                        (int)wdomid, "DOMID", "CHANGE");
        else
                fprintf(f, "%*s%-20s  %-*s  %s\n", (int)indent, "", "TIME", (int)wdomid, "DOMID", "CHANGE");
        for (unsigned i = 0; i < h->n; i++)
                if (with_who)
                        fprintf(f, "%*s%-20s  %-*s  %-8s  %-*s  %s\n", (int)indent, "", c[i].time, (int)wname,
                                c[i].name, c[i].uuid, (int)wdomid, c[i].domid, c[i].change);
                else
                        fprintf(f, "%*s%-20s  %-*s  %s\n", (int)indent, "", c[i].time, (int)wdomid, c[i].domid,
                                c[i].change);
        hcells_free(c, h->n);
        return 0;
}

void history_print_json(FILE *f, const struct hrows *h)
{
        fputc('[', f);
        for (unsigned i = 0; i < h->n; i++) {
                const struct hrow *r = &h->r[i];
                char t[32];

                history_time(r->at, t);
                fprintf(f, "%s{\"time\":\"%s\",\"at\":%" PRId64 ",\"uuid\":", i ? "," : "", t, r->at);
                render_json_cstr(f, r->uuid);
                fputs(",\"name\":", f);
                render_json_cstr(f, r->name);
                fprintf(f, ",\"domid\":%" PRId64 ",\"what\":", r->domid);
                render_json_cstr(f, r->what);
                fputs(",\"old\":", f);
                render_json_cstr(f, r->old);
                fputs(",\"new\":", f);
                render_json_cstr(f, r->new);
                fputc('}', f);
        }
        fputc(']', f);
}
