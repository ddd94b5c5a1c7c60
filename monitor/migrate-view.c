/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect.h"
#include "log.h"
#include "macro.h"
#include "migrate.h"
#include "monitor.h"
#include "render.h"
#include "util.h"

/*
 * Test hook, only in builds configured with --enable-fault-injection: every
 * time and duration printed for people is written as its shape (hh:mm:ss,
 * m:ss), so that tests can compare the terminal view with expected files.
 */
#define MASK_ENV "PVH_MONITOR_MIGRATE_MASK_TIMES"

static bool masked(void)
{
#ifdef ENABLE_FAULT_INJECTION
        return getenv(MASK_ENV) != NULL;
#else
        return false;
#endif
}

const char *mview_clock(int64_t t, bool date, char buf[static MVIEW_CLOCK_MAX])
{
        struct tm tm;
        time_t tt = (time_t)t;

        if (t <= 0)
                return "-";
        if (masked())
                return date ? "YYYY-MM-DD hh:mm:ss" : "hh:mm:ss";
        if (!localtime_r(&tt, &tm) ||
            strftime(buf, MVIEW_CLOCK_MAX, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm) == 0)
                return "?";
        return buf;
}

const char *mview_duration(int64_t secs, char buf[static MVIEW_CLOCK_MAX])
{
        if (secs < 0)
                return "-";
        if (masked())
                return "m:ss";
        if (secs >= 3600)
                snprintf(buf, MVIEW_CLOCK_MAX, "%" PRId64 ":%02d:%02d", secs / 3600,
                         (int)(secs / 60 % 60), (int)(secs % 60));
        else
                snprintf(buf, MVIEW_CLOCK_MAX, "%d:%02d", (int)(secs / 60), (int)(secs % 60));
        return buf;
}

void mview_json_time(FILE *f, int64_t t)
{
        if (t > 0)
                fprintf(f, "%" PRId64, t);
        else
                fputs("null", f);
}

/* How long a guest took, or "-" when it has not begun or not ended. */
static const char *guest_time(struct mdb *d, int64_t mig, const char *name,
                              char buf[static MVIEW_CLOCK_MAX])
{
        int64_t start = 0, end = 0;

        if (mdb_times(d, mig, name, &start, &end) < 0 || !start || !end)
                return "-";
        return mview_duration(end - start, buf);
}

/* The type the toolstack runs the guest's domain as now: PV, PVH, or "-" when none. */
static const char *mode_now(struct xstore *x, const struct mnames *names, const char *name)
{
        const char *t;
        unsigned domid;

        if (!x || mnames_find(names, name, &domid) < 0)
                return "-";
        t = inspect_domain_type(x, domid);
        return t ? t : "-";
}

void mview_summary(FILE *f, struct mdb *d, struct xstore *x, const struct mig *m,
                   const struct mguest *g, unsigned n)
{
        struct mnames names = {};

        /* One pass over the domains' names for the whole table, not one per guest. */
        if (x && mnames_read(x, &names) < 0)
                x = NULL;
        fprintf(f, "\nmigration %" PRId64 ": %s%s%s\n", m->id, mig_state_to_string(m->state),
                m->reason ? ": " : "", m->reason ? m->reason : "");
        fprintf(f, "%-20s %-9s %-8s %-4s %s\n", "NAME", "OUTCOME", "TIME", "NOW", "REASON");
        for (unsigned i = 0; i < n; i++) {
                char t[MVIEW_CLOCK_MAX];

                fprintf(f, "%-20s %-9s %-8s ", g[i].name, mg_state_to_string(g[i].state),
                        guest_time(d, m->id, g[i].name, t));
                if (g[i].reason)
                        fprintf(f, "%-4s %s\n", mode_now(x, &names, g[i].name), g[i].reason);
                else
                        fprintf(f, "%s\n", mode_now(x, &names, g[i].name));
        }
        mnames_done(&names);
        fflush(f);
}

void mview_guest_times(struct mdb *d, int64_t mig, const char *name,
                       char start[static MVIEW_CLOCK_MAX], char took[static MVIEW_CLOCK_MAX])
{
        int64_t s = 0, e = 0;
        char buf[MVIEW_CLOCK_MAX];

        if (mdb_times(d, mig, name, &s, &e) < 0)
                s = e = 0;
        snprintf(start, MVIEW_CLOCK_MAX, "%s", mview_clock(s, false, buf));
        snprintf(took, MVIEW_CLOCK_MAX, "%s", s && e ? mview_duration(e - s, buf) : "-");
}

/* ---- migrate list ---------------------------------------------------------------------- */

static void list_json(const struct mig *m, int64_t started, int64_t ended,
                      const unsigned count[static _MG_STATE_MAX])
{
        printf("{\"id\":%" PRId64 ",\"state\":\"%s\",\"reason\":", m->id,
               mig_state_to_string(m->state));
        render_json_cstr(stdout, m->reason);
        printf(",\"created\":%" PRId64 ",\"started\":", m->created);
        mview_json_time(stdout, started);
        printf(",\"ended\":");
        mview_json_time(stdout, ended);
        printf(",\"guests\":{");
        for (int s = 0, first = 1; s < _MG_STATE_MAX; s++)
                if (count[s]) {
                        printf("%s\"%s\":%u", first ? "" : ",",
                               mg_state_to_string((enum mg_state)s), count[s]);
                        first = 0;
                }
        printf("}}\n");
}

static void list_line(const struct mig *m, int64_t started, int64_t ended,
                      const unsigned count[static _MG_STATE_MAX])
{
        char a[MVIEW_CLOCK_MAX], b[MVIEW_CLOCK_MAX], c[MVIEW_CLOCK_MAX];
        bool first = true;

        printf("%-4" PRId64 " %-9s %-19s %-19s %-19s ", m->id, mig_state_to_string(m->state),
               mview_clock(m->created, true, a), mview_clock(started, true, b),
               mview_clock(ended, true, c));
        for (int s = 0; s < _MG_STATE_MAX; s++)
                if (count[s]) {
                        printf("%s%u %s", first ? "" : ", ", count[s],
                               mg_state_to_string((enum mg_state)s));
                        first = false;
                }
        printf("%s\n", first ? "no guests" : "");
}

/* One migration's line; < 0 when it cannot be read. */
static int list_one(struct mdb *d, int64_t id, bool json)
{
        unsigned count[_MG_STATE_MAX] = {}, n = 0;
        int64_t started = 0, ended = 0;
        struct mguest *g = NULL;
        struct mig m = {};
        int r;

        r = mdb_load(d, id, &m);
        if (r >= 0)
                r = mdb_guests(d, id, &g, &n);
        if (r >= 0)
                r = mdb_times(d, id, NULL, &started, &ended);
        for (unsigned i = 0; i < n; i++) {
                count[g[i].state]++;
                mguest_done(&g[i]);
        }
        free(g);
        if (r >= 0 && json)
                list_json(&m, started, ended, count);
        else if (r >= 0)
                list_line(&m, started, ended, count);
        mig_done(&m);
        return r;
}

int mview_list(struct mdb *d, bool json)
{
        _cleanup_free_ int64_t *ids = NULL;
        unsigned n = 0;
        int r;

        r = mdb_ids(d, &ids, &n);
        if (r < 0)
                return EXIT_INTERNAL;
        if (!json)
                printf("%-4s %-9s %-19s %-19s %-19s %s\n", "ID", "STATE", "CREATED", "STARTED",
                       "ENDED", "GUESTS");
        for (unsigned i = 0; i < n; i++)
                if (list_one(d, ids[i], json) < 0)
                        return EXIT_INTERNAL;
        return EXIT_DONE;
}
