/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "filter.h"
#include "log.h"
#include "macro.h"
#include "monitor.h"
#include "render.h"
#include "util.h"

struct status_args {
        struct view_args v;
        const char *db;
        bool full;
};

static void status_help(FILE *f)
{
        fprintf(f, "Usage: pvh-monitor status [OPTIONS] [DOMAIN...]\n"
                   "\n"
                   "Shows what each guest's agent published: guest type, architecture, kernel,\n"
                   "OS, the verdict for PVH, the risk (the next reboot fails in the mode the\n"
                   "guest runs now, or the checks that warn), failing checks, agent version and\n"
                   "the last answer. A guest without an agent shows its disks' last inspection\n"
                   "(pvh-monitor inspect) from the database, marked \"inspected\" with its age;\n"
                   "where some guest had a trial boot (pvh-monitor trial), a TRIAL column shows\n"
                   "each one's newest.\n"
                   "DOMAIN is a domid or a name; without one, every guest.\n"
                   "\n"
                   "  --json               one JSON array, the failing checks by id\n"
                   "  --full               with --json: every check, with its reason and fix\n"
                   "  --color=WHEN         auto, always, never\n"
                   "  --wide               every column whole, whatever the terminal's width\n"
                   "  --filter KEY=VALUE   only guests whose KEY matches VALUE, a shell glob;\n"
                   "                       repeated: all of them\n"
                   "  --exclude KEY=VALUE  not those\n"
                   "  --sort KEY           domid (default), name, guest_type, arch, kernel, os,\n"
                   "                       verdict (worst first), risk (worst first), agent\n"
                   "  --db FILE            the database inspect writes (default " DB_DEFAULT_PATH "),\n"
                   "                       read only\n"
                   "\n"
                   "KEY is one of %s.\n"
                   "The table fits the terminal ($COLUMNS, else its width): names and verdicts\n"
                   "are never cut; other cells are, and the least needed columns give way.\n",
                filter_keys());
}

static int status_parse(int argc, char **argv, struct status_args *a)
{
        static const struct option opts[] = {
                VIEW_OPTIONS,
                { "db", required_argument, NULL, 'd' },
                { "full", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "hw", opts, NULL)) >= 0) {
                if (c == 'h') {
                        status_help(stdout);
                        return 0;
                }
                if (c == 'd') {
                        a->db = optarg;
                        continue;
                }
                if (c == 'f') {
                        a->full = true;
                        continue;
                }
                r = view_option(c, optarg, &a->v);
                if (r <= 0)
                        return -EINVAL;
        }
        return 1;
}

/* A guest as status shows it: what its agent published, or its disks' last inspection. */
static int read_guest(struct xstore *x, struct db *d, unsigned domid, unsigned flags, struct guest *ret)
{
        int r = guest_read(x, domid, flags, ret);

        if (r >= 0 && db_inspection_apply(d, ret) < 0)
                log_warning("Failed to read the inspection of domain %u from the database.", domid);
        if (r >= 0 && db_trial_apply(d, ret) < 0)
                log_warning("Failed to read the trial boot of domain %u from the database.", domid);
        return r;
}

/* The selected guests, filtered and sorted; every one read with flags. */
static int read_guests(struct xstore *x, struct db *d, const unsigned *ids, unsigned n,
                       const struct status_args *a, unsigned flags, struct guest **ret, unsigned *ret_n)
{
        struct guest *g = calloc(n ? n : 1, sizeof(*g));
        unsigned k = 0;

        if (!g)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                int r = read_guest(x, d, ids[i], flags, &g[k]);

                if (r < 0) {
                        for (unsigned j = 0; j <= k; j++)
                                guest_done(&g[j]);
                        free(g);
                        return log_error_errno(r, "Failed to read domain %u: %m", ids[i]);
                }
                if (filter_match_guest(&a->v.filter, &g[k]))
                        k++;
                else
                        guest_done(&g[k]);
        }
        render_sort(g, k, a->v.sort);
        *ret = g;
        *ret_n = k;
        return 0;
}

/* What to read: every check's reason and fix for --full, else what the agent's summary holds. */
static unsigned read_flags(const struct status_args *a)
{
        return a->v.json && a->full ? GUEST_READ_REASONS | GUEST_READ_FIXES : GUEST_READ_SUMMARY;
}

/* In domid order, JSON streams one guest at a time, so memory does not grow with the guests. */
static int status_json_stream(struct xstore *x, struct db *d, const unsigned *ids, unsigned n,
                              const struct status_args *a)
{
        unsigned shown = 0;

        fputc('[', stdout);
        for (unsigned i = 0; i < n; i++) {
                struct guest g;
                int r = read_guest(x, d, ids[i], read_flags(a), &g);

                if (r < 0) {
                        guest_done(&g);
                        return log_error_errno(r, "Failed to read domain %u: %m", ids[i]);
                }
                if (filter_match_guest(&a->v.filter, &g)) {
                        fputs(shown++ ? ",\n" : "\n", stdout);
                        render_guest_json_shape(stdout, &g, a->full);
                }
                guest_done(&g);
        }
        fputs(shown ? "\n]\n" : "]\n", stdout);
        return 0;
}

static int status_show(struct xstore *x, struct db *d, const unsigned *ids, unsigned n,
                       const struct status_args *a)
{
        struct render_opts o = {
                .color = render_use_color(a->v.color, STDOUT_FILENO),
                .width = a->v.wide ? 0 : render_terminal_width(STDOUT_FILENO),
        };
        struct guest *g = NULL;
        unsigned k = 0;
        int r;

        if (a->v.json && a->v.sort == RENDER_SORT_DOMID)
                return status_json_stream(x, d, ids, n, a);
        r = read_guests(x, d, ids, n, a, read_flags(a), &g, &k);

        if (r < 0)
                return r;
        if (a->v.json) {
                fputc('[', stdout);
                for (unsigned i = 0; i < k; i++) {
                        fputs(i ? ",\n" : "\n", stdout);
                        render_guest_json_shape(stdout, &g[i], a->full);
                }
                fputs(k ? "\n]\n" : "]\n", stdout);
        } else
                r = render_table(stdout, g, k, &o);
        for (unsigned i = 0; i < k; i++)
                guest_done(&g[i]);
        free(g);
        return r;
}

int cmd_status(int argc, char **argv)
{
        struct status_args a = { .v.color = RENDER_COLOR_AUTO, .db = DB_DEFAULT_PATH };
        _cleanup_free_ unsigned *ids = NULL;
        struct xstore *x = NULL;
        struct db *d = NULL;
        unsigned n;
        int r;

        r = status_parse(argc, argv, &a);
        if (r <= 0) {
                filter_done(&a.v.filter);
                return r < 0 ? EXIT_USAGE : 0;
        }
        r = xstore_open(&x);
        if (r < 0) {
                filter_done(&a.v.filter);
                log_error_errno(r, "Failed to connect to xenstore: %m");
                return EXIT_INTERNAL;
        }
        /* No database (serve and inspect never ran): no inspections to show. */
        r = db_open_readonly(a.db, &d);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Failed to open the database '%s', showing no inspections: %m", a.db);
        r = domains_select(x, argv + optind, argc - optind, &ids, &n);
        if (r >= 0)
                r = status_show(x, d, ids, n, &a);
        log_debug("%lu xenstore requests.", xstore_requests(x));
        xstore_close(x);
        db_close(d);
        filter_done(&a.v.filter);
        return command_flush(r == -ENOENT ? EXIT_FAILED : r < 0 ? EXIT_INTERNAL : 0);
}
