/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "metrics.h"
#include "util.h"

void metrics_header(FILE *f, const char *name, const char *type, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label_value(FILE *f, const char *v)
{
        fputc('"', f);
        for (; v && *v; v++) {
                if (*v == '\\' || *v == '"')
                        fprintf(f, "\\%c", *v);
                else if (*v == '\n')
                        fputs("\\n", f);
                else
                        fputc(*v, f);
        }
        fputc('"', f);
}

void metrics_sample(FILE *f, const char *name, const char *const *labels, unsigned n, int64_t v)
{
        fputs(name, f);
        for (unsigned i = 0; i < n; i++) {
                fprintf(f, "%s%s=", i ? "," : "{", labels[2 * i]);
                label_value(f, labels[2 * i + 1]);
        }
        fprintf(f, "%s %" PRId64 "\n", n ? "}" : "", v);
}

/*
 * A label value from a known vocabulary, else "other": the protocol's words
 * (from_string), then ours (words, NULL-terminated). A guest chooses none of
 * them, so the number of series stays within these vocabularies.
 */
static const char *known(const char *v, int (*from_string)(const char *, size_t),
                         const char *const *words)
{
        if (!v)
                return "other";
        if (from_string(v, strlen(v)) >= 0)
                return v;
        for (; words && *words; words++)
                if (streq(v, *words))
                        return v;
        return "other";
}

/* guest_type of a guest as a label: the enum value, or none/invalid. */
static const char *type_label(const struct guest *g)
{
        static const char *const ours[] = { "none", "invalid", NULL };

        if (g->agent != GUEST_AGENT_OK)
                return g->agent == GUEST_AGENT_NONE ? "none" : "invalid";
        return known(guest_get(g, GF_GUEST_TYPE), proto_guest_type_from_string, ours);
}

static const char *verdict_label(const struct guest *g)
{
        static const char *const ours[] = { "none", "incompatible", "invalid", "missing", NULL };

        return known(guest_verdict_word(g), proto_verdict_from_string, ours);
}

struct counter {
        char key[80];
        char key2[40];
        int64_t n;
};

static void count(struct counter *c, unsigned *n, unsigned max, const char *k1, const char *k2)
{
        for (unsigned i = 0; i < *n; i++)
                if (streq(c[i].key, k1) && streq(c[i].key2, k2)) {
                        c[i].n++;
                        return;
                }
        if (*n >= max)
                return;
        snprintf(c[*n].key, sizeof(c[*n].key), "%s", k1);
        snprintf(c[*n].key2, sizeof(c[*n].key2), "%s", k2);
        c[(*n)++].n = 1;
}

static int cmp_counter(const void *a, const void *b)
{
        const struct counter *x = a, *y = b;
        int r = strcmp(x->key, y->key);

        return r ? r : strcmp(x->key2, y->key2);
}

void metrics_fleet(FILE *f, const struct fleet *fl)
{
        /* guest types x verdict words, and check ids: known words only, so small bounds */
        struct counter types[64] = {}, checks[256] = {};
        unsigned n_types = 0, n_checks = 0;

        for (unsigned i = 0; i < fl->n; i++) {
                const struct guest *g = fleet_guest(fl, i);
                bool other = false;

                count(types, &n_types, ELEMENTSOF(types), type_label(g), verdict_label(g));
                for (unsigned k = 0; k < g->n_checks; k++) {
                        const char *id = known(g->checks[k].id, proto_check_from_string, NULL);

                        if (g->checks[k].status != PROTO_STATUS_FAIL)
                                continue;
                        /* A guest counts once under "other", however many unknown checks fail. */
                        if (streq(id, "other") && other)
                                continue;
                        other = other || streq(id, "other");
                        count(checks, &n_checks, ELEMENTSOF(checks), id, "");
                }
        }
        qsort(types, n_types, sizeof(*types), cmp_counter);
        qsort(checks, n_checks, sizeof(*checks), cmp_counter);
        metrics_header(f, "pvh_monitor_guests", "gauge", "Guests by guest type and PVH verdict.");
        for (unsigned i = 0; i < n_types; i++) {
                const char *l[] = { "guest_type", types[i].key, "verdict", types[i].key2 };

                metrics_sample(f, "pvh_monitor_guests", l, 2, types[i].n);
        }
        metrics_header(f, "pvh_monitor_check_failures", "gauge", "Guests failing each check.");
        for (unsigned i = 0; i < n_checks; i++) {
                const char *l[] = { "check", checks[i].key };

                metrics_sample(f, "pvh_monitor_check_failures", l, 1, checks[i].n);
        }
}
