/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "migrate.h"
#include "strv.h"

extern char **environ;

static const char *hook_name(enum mhook h)
{
        switch (h) {
        case MHOOK_BEFORE:
                return "before-guest";
        case MHOOK_AFTER:
                return "after-guest";
        }
        return "?";
}

/* The run's environment without PVH_* (a variable of ours is never inherited), then ours. */
static int hook_env(const struct mig *m, const struct mguest *g, enum mhook h, char ***ret)
{
        _cleanup_strv_ char **v = NULL;
        size_t n = 0;
        int r = 0;

        for (char **e = environ; *e && r >= 0; e++)
                if (strncmp(*e, "PVH_", 4) != 0)
                        r = strv_push_dup(&v, &n, *e);
        if (r >= 0)
                r = strv_push(&v, &n, strdup_printf("PVH_HOOK=%s", hook_name(h)));
        if (r >= 0)
                r = strv_push(&v, &n, strdup_printf("PVH_MIGRATION=%" PRId64, m->id));
        if (r >= 0)
                r = strv_push(&v, &n, strdup_printf("PVH_GUEST=%s", g->name));
        if (r >= 0)
                r = strv_push(&v, &n, strdup_printf("PVH_DOMID=%u", g->domid));
        if (r >= 0)
                r = strv_push(&v, &n, strdup_printf("PVH_WAVE=%d", g->wave + 1));
        if (r >= 0)
                r = strv_push(&v, &n, strdup_printf("PVH_STEP=%s", mg_step_to_string(g->step)));
        if (r >= 0)
                r = strv_push(&v, &n,
                              strdup_printf("PVH_OUTCOME=%s", mg_state_to_string(g->state)));
        if (r >= 0 && g->reason)
                r = strv_push(&v, &n, strdup_printf("PVH_REASON=%s", g->reason));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

int mhook_run(const struct mig *m, const struct mguest *g, enum mhook which, char **ret_why)
{
        const char *cmd = which == MHOOK_BEFORE ? m->s.before_guest : m->s.after_guest;
        char *argv[] = { (char *)cmd, NULL };
        _cleanup_strv_ char **env = NULL;
        _cleanup_free_ char *out = NULL;
        int r;

        if (!cmd)
                return 0;
        r = hook_env(m, g, which, &env);
        if (r < 0)
                return r;
        r = mexec_env(argv, env, m->s.toolstack_timeout, &out);
        if (r == 0)
                return 0;
        if (r == -ETIMEDOUT)
                *ret_why = strdup_printf("%s hook %s: no end after %u s", hook_name(which), cmd,
                                         m->s.toolstack_timeout);
        else if (r < 0)
                *ret_why = strdup_printf("%s hook %s: %s", hook_name(which), cmd, strerror(-r));
        else
                *ret_why = strdup_printf("%s hook %s: exit status %d%s%s", hook_name(which), cmd, r,
                                         out && *out ? ": " : "", out ? out : "");
        return *ret_why ? 1 : -ENOMEM;
}
