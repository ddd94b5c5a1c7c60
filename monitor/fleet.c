/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "log.h"
#include "macro.h"
#include "util.h"

#define EVENTS_PER_ROUND 1024
#define TOKEN_LIST "list"
#define TOKEN_GUEST "guest:"

/* What a guest's entry follows: what its agent publishes, and the name the toolstack gives it. */
static const char *const watched[] = { PROTO_GUEST_DIR, "name" };

static int watch_entry(struct xstore *x, unsigned domid, bool on)
{
        char path[64], token[32];
        int r = 0;

        snprintf(token, sizeof(token), TOKEN_GUEST "%u", domid);
        for (size_t i = 0; i < ELEMENTSOF(watched) && r >= 0; i++) {
                proto_domain_path(domid, watched[i], path, sizeof(path));
                if (on)
                        r = xstore_watch(x, path, token);
                else
                        (void)xstore_unwatch(x, path, token);
        }
        return r;
}

int fleet_start(struct fleet *f, struct xstore *x, unsigned flags)
{
        int r;

        *f = (struct fleet){ .x = x, .list_dirty = true, .flags = flags };
        r = xstore_watch(x, "@introduceDomain", TOKEN_LIST);
        if (r >= 0)
                r = xstore_watch(x, "@releaseDomain", TOKEN_LIST);
        return r;
}

static void entry_drop(struct fleet *f, unsigned i)
{
        watch_entry(f->x, f->e[i].domid, false);
        guest_done(&f->e[i].g);
        memmove(f->e + i, f->e + i + 1, (f->n - i - 1) * sizeof(*f->e));
        f->n--;
}

void fleet_done(struct fleet *f)
{
        for (unsigned i = 0; i < f->n; i++)
                guest_done(&f->e[i].g);
        free(f->e);
        *f = (struct fleet){};
}

static struct fleet_entry *entry_find(struct fleet *f, unsigned domid)
{
        for (unsigned i = 0; i < f->n; i++)
                if (f->e[i].domid == domid)
                        return &f->e[i];
        return NULL;
}

int fleet_drain(struct fleet *f)
{
        int n = 0;

        for (; n < EVENTS_PER_ROUND; n++) {
                _cleanup_free_ char **ev = NULL;
                struct fleet_entry *e;
                unsigned domid;
                int r = xstore_next_event(f->x, &ev);

                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (streq(ev[1], TOKEN_LIST))
                        f->list_dirty = true;
                else if (startswith(ev[1], TOKEN_GUEST) &&
                         safe_atou(ev[1] + STRLEN(TOKEN_GUEST), &domid) >= 0 &&
                         (e = entry_find(f, domid)))
                        e->dirty = true;
        }
        return n;
}

static int cmp_unsigned(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

        return x < y ? -1 : x > y;
}

/* The new list, merged into the sorted entries: gone ones dropped, new ones watched. */
static int relist(struct fleet *f)
{
        _cleanup_free_ unsigned *ids = NULL;
        struct fleet_entry *e;
        unsigned n, changed = 0;
        int r;

        r = xstore_domains(f->x, GUESTS_MAX, &ids, &n);
        if (r < 0)
                return r;
        for (unsigned i = f->n; i-- > 0;)
                if (!bsearch(&f->e[i].domid, ids, n, sizeof(*ids), cmp_unsigned)) {
                        entry_drop(f, i);
                        changed++;
                }
        e = realloc(f->e, (n ? n : 1) * sizeof(*e));
        if (!e)
                return -ENOMEM;
        f->e = e;
        for (unsigned k = 0; k < n; k++) {
                unsigned at = 0;

                if (entry_find(f, ids[k]))
                        continue;
                while (at < f->n && f->e[at].domid < ids[k])
                        at++;
                memmove(f->e + at + 1, f->e + at, (f->n - at) * sizeof(*f->e));
                f->e[at] = (struct fleet_entry){ .domid = ids[k], .dirty = true };
                f->n++;
                r = watch_entry(f->x, ids[k], true);
                if (r < 0)
                        return r;
        }
        f->list_dirty = false;
        return (int)changed;
}

int fleet_refresh(struct fleet *f)
{
        int changed = 0, r;

        if (f->list_dirty) {
                r = relist(f);
                if (r < 0)
                        return r;
                changed += r;
        }
        for (unsigned i = 0; i < f->n; i++) {
                struct fleet_entry *e = &f->e[i];

                e->changed = e->dirty;
                if (!e->dirty)
                        continue;
                guest_done(&e->g);
                r = guest_read(f->x, e->domid, f->flags, &e->g);
                if (r < 0)
                        return r;
                e->dirty = false;
                changed++;
        }
        return changed;
}

const struct guest *fleet_guest(const struct fleet *f, unsigned i)
{
        return &f->e[i].g;
}
