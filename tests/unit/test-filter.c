/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * monitor/filter.c: the --filter/--exclude grammar on guests built here, one
 * table row per selection.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "filter.h"
#include "log.h"
#include "macro.h"

struct spec {
        unsigned domid;
        const char *name, *uuid, *type, *verdict, *arch, *os, *ver, *kernel, *agent;
        const char *checks; /* "id=status ..." */
};

static const struct spec guests[] = {
        { 1, "web1", "0b8a2f8e-2c55-4c1e-9d0a-1f0e6b3e2a01", "PV", "ready", "x86_64", "debian", "12",
          "6.1.0-18-amd64", "0.2.0", "console=pass arch=pass" },
        { 2, "web2", NULL, "PV", "fixable", "x86_64", "debian", "11", "5.10.0-28-amd64", "0.2.0",
          "console=fail grub_terminal=fail" },
        { 3, "db[1]", NULL, "PVH", "ready", "x86_64", "ubuntu", "22.04", "5.15.0-105-generic", "0.1.0",
          "root_device=warn" },
        { 4, "old32", NULL, "PV", "ready", "i686", "debian", "12", "4.19.0-27-686-pae", "0.2.0",
          "next_boot_mode=fail arch=warn" },
        { 5, "bare", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static void set(struct gvalue *v, const char *s)
{
        *v = s ? (struct gvalue){ .val = strdup(s) } : (struct gvalue){ .err = GV_ABSENT };
}

static void add_checks(struct guest *g, const char *spec)
{
        char *copy = strdup(spec), *save = NULL;

        g->checks = calloc(PROTO_CHECKS_MAX, sizeof(*g->checks));
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                struct gcheck *c = &g->checks[g->n_checks++];
                char *eq = strchr(w, '=');

                *eq = 0;
                snprintf(c->id, sizeof(c->id), "%s", w);
                c->status = proto_status_from_string(eq + 1, strlen(eq + 1));
                c->reason.err = c->fix.err = GV_ABSENT;
        }
        free(copy);
}

static void build(const struct spec *s, struct guest *g)
{
        *g = (struct guest){ .domid = s->domid, .agent = s->verdict ? GUEST_AGENT_OK : GUEST_AGENT_NONE };
        set(&g->name, s->name);
        if (s->uuid)
                snprintf(g->uuid, sizeof(g->uuid), "%s", s->uuid);
        for (int f = 0; f < _GF_MAX; f++)
                g->f[f].err = GV_ABSENT;
        set(&g->f[GF_GUEST_TYPE], s->type);
        set(&g->f[GF_VERDICT], s->verdict);
        set(&g->f[GF_KERNEL_ARCH], s->arch);
        set(&g->f[GF_OS_ID], s->os);
        set(&g->f[GF_OS_VERSION_ID], s->ver);
        set(&g->f[GF_KERNEL_RELEASE], s->kernel);
        set(&g->f[GF_AGENT_VERSION], s->agent);
        g->last.state.err = g->last.action.err = g->last.reason.err = g->last.message.err = GV_ABSENT;
        if (s->checks)
                add_checks(g, s->checks);
}

/* Terms: "+KEY=VALUE" filters, "-KEY=VALUE" excludes; want: the domids selected. */
static const struct {
        const char *terms[3];
        const char *want;
} cases[] = {
        { { NULL }, "1 2 3 4 5" },
        { { "+verdict=ready" }, "1 3 4" },
        { { "+verdict=ready", "-name=web*" }, "3 4" },
        { { "+name=web?" }, "1 2" },
        { { "+name=db\\[1]" }, "3" },               /* a glob character quoted */
        { { "+name=db[1]" }, "" },                  /* a class: "db1", not "db[1]" */
        { { "+type=PV", "+arch=i686" }, "4" },     /* AND, and the alias of guest_type */
        { { "+guest_type=PV*" }, "1 2 3 4" },     /* PVH too */
        { { "+os=debian" }, "1 2 4" },
        { { "+os=debian 12" }, "1 4" },           /* the second value: ID VERSION_ID */
        { { "+os=debian 1[01]" }, "2" },
        { { "+failing=console" }, "2" },
        { { "+failing=*" }, "2 4" },
        { { "-failing=*" }, "1 3 5" },
        { { "+risk=next-boot-fails" }, "4" },
        { { "+risk=warn" }, "3" },
        { { "+risk=none" }, "1 2 5" },
        { { "+verdict=none" }, "5" },
        { { "+arch=*" }, "1 2 3 4" },             /* no agent, no value: no match */
        { { "-arch=*" }, "5" },                   /* ... and no exclusion */
        { { "+domid=[24]" }, "2 4" },
        { { "+uuid=0b8a2f8e-*" }, "1" },
        { { "+kernel=*-686-pae", "+agent=0.2.*" }, "4" },
        { { "+verdict=ready", "+verdict=fixable" }, "" }, /* AND: no guest is both */
};

static void check_case(size_t k, const struct guest *g, size_t n)
{
        struct filter f = {};
        char got[64] = "";

        for (size_t i = 0; i < ELEMENTSOF(cases[k].terms) && cases[k].terms[i]; i++)
                CHECK(filter_add(&f, cases[k].terms[i] + 1, cases[k].terms[i][0] == '-') == 0, "%s",
                      cases[k].terms[i]);
        for (size_t i = 0; i < n; i++)
                if (filter_match_guest(&f, &g[i]))
                        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%u", got[0] ? " " : "",
                                 g[i].domid);
        CHECK(strcmp(got, cases[k].want) == 0, "case %zu (%s %s): got '%s', want '%s'", k,
              cases[k].terms[0] ? cases[k].terms[0] : "", cases[k].terms[1] ? cases[k].terms[1] : "", got,
              cases[k].want);
        filter_done(&f);
}

static void check_grammar(void)
{
        static const char *const bad[] = { "verdict", "=ready", "colour=red", "", "Verdict=ready" };
        struct filter f = {};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK(filter_add(&f, bad[i], false) == -EINVAL, "'%s' refused", bad[i]);
        CHECK(filter_empty(&f));
        CHECK(filter_add(&f, "name=", false) == 0, "an empty glob is a term");
        CHECK(!filter_empty(&f));
        filter_done(&f);
}

int main(void)
{
        struct guest g[ELEMENTSOF(guests)];

        log_setup("test-filter", false);
        log_set_max_level(LOG_CRIT);
        for (size_t i = 0; i < ELEMENTSOF(guests); i++)
                build(&guests[i], &g[i]);
        for (size_t k = 0; k < ELEMENTSOF(cases); k++)
                check_case(k, g, ELEMENTSOF(guests));
        check_grammar();
        for (size_t i = 0; i < ELEMENTSOF(guests); i++)
                guest_done(&g[i]);
        return check_exit("test-filter");
}
