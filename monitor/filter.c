/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "log.h"
#include "macro.h"
#include "render.h"
#include "util.h"

static const char *const key_names[_FILTER_KEY_MAX] = {
        [FILTER_NAME] = "name",       [FILTER_DOMID] = "domid",   [FILTER_UUID] = "uuid",
        [FILTER_TYPE] = "guest_type", [FILTER_VERDICT] = "verdict", [FILTER_ARCH] = "arch",
        [FILTER_OS] = "os",           [FILTER_KERNEL] = "kernel", [FILTER_AGENT] = "agent",
        [FILTER_FAILING] = "failing", [FILTER_RISK] = "risk",
};

const char *filter_keys(void)
{
        return "name, domid, uuid, guest_type, verdict, arch, os, kernel, agent, failing, risk";
}

static int key_from_string(const char *s, size_t len)
{
        for (size_t i = 0; i < ELEMENTSOF(key_names); i++)
                if (strlen(key_names[i]) == len && strncmp(s, key_names[i], len) == 0)
                        return (int)i;
        if (len == 4 && strncmp(s, "type", 4) == 0)
                return FILTER_TYPE;
        return -EINVAL;
}

int filter_add(struct filter *f, const char *arg, bool exclude)
{
        const char *eq = strchr(arg, '=');
        const char *opt = exclude ? "--exclude" : "--filter";
        _cleanup_free_ char *e = render_escape(arg, strlen(arg));
        struct filter_term *t;
        int k;

        if (!eq || eq == arg)
                return log_error_errno(-EINVAL, "%s wants KEY=VALUE, not '%s'.", opt, e ? e : "?");
        k = key_from_string(arg, (size_t)(eq - arg));
        if (k < 0)
                return log_error_errno(-EINVAL, "%s '%s': the keys are %s.", opt, e ? e : "?", filter_keys());
        t = realloc(f->t, (f->n + 1) * sizeof(*t));
        if (!t)
                return log_error_errno(-ENOMEM, "Out of memory.");
        f->t = t;
        t[f->n] = (struct filter_term){ .key = (enum filter_key)k, .exclude = exclude, .pattern = strdup(eq + 1) };
        if (!t[f->n].pattern)
                return log_error_errno(-ENOMEM, "Out of memory.");
        f->n++;
        return 0;
}

void filter_done(struct filter *f)
{
        for (unsigned i = 0; i < f->n; i++)
                free(f->t[i].pattern);
        free(f->t);
        *f = (struct filter){};
}

bool filter_empty(const struct filter *f)
{
        return f->n == 0;
}

static bool term_matches(const struct filter_term *t, filter_values_fn values, const void *candidate)
{
        const char *v[FILTER_VALUES_MAX];
        char buf[256];
        unsigned n = values(candidate, t->key, v, buf, sizeof(buf));

        for (unsigned i = 0; i < n; i++)
                if (v[i] && fnmatch(t->pattern, v[i], 0) == 0)
                        return true;
        return false;
}

bool filter_match(const struct filter *f, filter_values_fn values, const void *candidate)
{
        for (unsigned i = 0; i < f->n; i++)
                if (term_matches(&f->t[i], values, candidate) == f->t[i].exclude)
                        return false;
        return true;
}

/* The agent's readiness keys, read only when an agent of this major published them. */
static const char *agent_value(const struct guest *g, enum guest_field field)
{
        return g->agent == GUEST_AGENT_OK ? guest_get(g, field) : NULL;
}

static unsigned failing_values(const struct guest *g, const char *ret[static FILTER_VALUES_MAX])
{
        unsigned n = 0;

        for (unsigned i = 0; i < g->n_checks && n < FILTER_VALUES_MAX; i++)
                if (g->checks[i].id[0] && g->checks[i].status == PROTO_STATUS_FAIL)
                        ret[n++] = g->checks[i].id;
        return n;
}

static unsigned guest_values(const void *candidate, enum filter_key k, const char *ret[static FILTER_VALUES_MAX],
                             char *buf, size_t size)
{
        const struct guest *g = candidate;
        const char *os = agent_value(g, GF_OS_ID), *ver = agent_value(g, GF_OS_VERSION_ID);

        switch (k) {
        case FILTER_NAME:
                ret[0] = guest_get_name(g);
                break;
        case FILTER_DOMID:
                snprintf(buf, size, "%u", g->domid);
                ret[0] = buf;
                break;
        case FILTER_UUID:
                ret[0] = g->uuid[0] ? g->uuid : NULL;
                break;
        case FILTER_TYPE:
                ret[0] = agent_value(g, GF_GUEST_TYPE);
                break;
        case FILTER_VERDICT:
                ret[0] = guest_verdict_word(g);
                break;
        case FILTER_ARCH:
                ret[0] = agent_value(g, GF_KERNEL_ARCH);
                break;
        case FILTER_OS:
                if (!os)
                        return 0;
                ret[0] = os;
                if (!ver)
                        return 1;
                snprintf(buf, size, "%s %s", os, ver);
                ret[1] = buf;
                return 2;
        case FILTER_KERNEL:
                ret[0] = agent_value(g, GF_KERNEL_RELEASE);
                break;
        case FILTER_AGENT:
                ret[0] = guest_get(g, GF_AGENT_VERSION);
                break;
        case FILTER_FAILING:
                return failing_values(g, ret);
        case FILTER_RISK:
                ret[0] = guest_risk_word(guest_risk(g));
                break;
        case _FILTER_KEY_MAX:
                return 0;
        }
        return ret[0] ? 1 : 0;
}

bool filter_match_guest(const struct filter *f, const struct guest *g)
{
        return filter_match(f, guest_values, g);
}
