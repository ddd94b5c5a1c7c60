/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "metrics.h"
#include "render.h"
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

/* ---- one series per guest ------------------------------------------------------ */

/*
 * Label values a guest chooses are bounded by vocabularies: its
 * architecture and distribution are a word of these lists or "other", so
 * that a guest flipping them cannot grow Prometheus's series without end.
 * The name and UUID are the toolstack's, not the guest's.
 */
static const char *const arch_words[] = { "x86_64", "i386", "i486", "i586", "i686", NULL };
static const char *const os_words[] = {
        "debian", "ubuntu", "devuan", "linuxmint", "raspbian", "centos", "rhel", "almalinux", "rocky", "ol",
        "fedora", "amzn", "opensuse-leap", "opensuse-tumbleweed", "sles", "sled", "arch", "manjaro", "gentoo",
        "nixos", "alpine", "void", "slackware", NULL,
};

static int no_word(const char *buf, size_t len)
{
        return -1;
}

static const char *word_label(const struct guest *g, enum guest_field f, const char *const *words)
{
        if (g->agent != GUEST_AGENT_OK || !guest_get(g, f))
                return "none";
        return known(guest_get(g, f), no_word, words);
}

struct guest_labels {
        char *name;
        const char *uuid;
};

/* The toolstack's name as printable ASCII (\uXXXX beyond), at most 128 bytes. */
static int guest_labels(const struct guest *g, struct guest_labels *ret)
{
        const char *name = guest_get_name(g);

        ret->uuid = g->uuid;
        ret->name = render_ascii(name ? name : "");
        if (!ret->name)
                return -ENOMEM;
        if (strlen(ret->name) > 128)
                ret->name[128] = 0;
        return 0;
}

static void guest_info(FILE *f, const struct guest *g, const struct guest_labels *l)
{
        const char *labels[] = {
                "name", l->name, "uuid", l->uuid, "guest_type", type_label(g), "verdict", verdict_label(g),
                "arch", word_label(g, GF_KERNEL_ARCH, arch_words), "os", word_label(g, GF_OS_ID, os_words),
        };

        metrics_sample(f, "pvh_guest_info", labels, ELEMENTSOF(labels) / 2, 1);
}

static void guest_failing(FILE *f, const struct guest *g, const struct guest_labels *l)
{
        bool other = false;

        for (unsigned k = 0; k < g->n_checks; k++) {
                const char *id = known(g->checks[k].id, proto_check_from_string, NULL);
                const char *labels[] = { "name", l->name, "uuid", l->uuid, "check", id };

                if (g->checks[k].status != PROTO_STATUS_FAIL || (streq(id, "other") && other))
                        continue;
                other = other || streq(id, "other");
                metrics_sample(f, "pvh_guest_check_failing", labels, 3, 1);
        }
}

/* One pass per metric family, so that each family's samples stay together. */
int metrics_guests(FILE *f, const struct fleet *fl, const struct metrics_unanswered *u, unsigned n_u)
{
        struct guest_labels *l = calloc(fl->n ? fl->n : 1, sizeof(*l));
        int r = 0;

        if (!l)
                return -ENOMEM;
        for (unsigned i = 0; i < fl->n && r >= 0; i++)
                r = guest_labels(fleet_guest(fl, i), &l[i]);
        if (r >= 0) {
                metrics_header(f, "pvh_guest_info", "gauge",
                               "One series per guest: its identity, guest type, verdict, architecture and OS.");
                for (unsigned i = 0; i < fl->n; i++)
                        guest_info(f, fleet_guest(fl, i), &l[i]);
                metrics_header(f, "pvh_guest_next_boot_fails", "gauge",
                               "1 when the guest's next reboot fails in the mode it runs now (next_boot_mode).");
                for (unsigned i = 0; i < fl->n; i++) {
                        const char *labels[] = { "name", l[i].name, "uuid", l[i].uuid };

                        metrics_sample(f, "pvh_guest_next_boot_fails", labels, 2,
                                       guest_risk(fleet_guest(fl, i)) == GUEST_RISK_NEXT_BOOT);
                }
                metrics_header(f, "pvh_guest_check_failing", "gauge",
                               "1 for each check a guest fails (made-up check ids as other, once per guest).");
                for (unsigned i = 0; i < fl->n; i++)
                        guest_failing(f, fleet_guest(fl, i), &l[i]);
                metrics_header(f, "pvh_guest_request_unanswered_seconds", "gauge",
                               "Age of the oldest request the host sent the guest that has no answer, "
                               "and no later request one (0: none).");
                for (unsigned i = 0; i < fl->n; i++) {
                        const char *labels[] = { "name", l[i].name, "uuid", l[i].uuid };
                        int64_t age = 0;

                        for (unsigned k = 0; k < n_u; k++)
                                if (u[k].domid == fleet_guest(fl, i)->domid)
                                        age = u[k].age;
                        metrics_sample(f, "pvh_guest_request_unanswered_seconds", labels, 2, age);
                }
        }
        for (unsigned i = 0; i < fl->n; i++)
                free(l[i].name);
        free(l);
        return r;
}
