/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "macro.h"
#include "monitor.h"
#include "render.h"
#include "util.h"


struct status_args {
        bool json;
        enum render_color color;
        const char *db;
};

static void status_help(FILE *f)
{
        fprintf(f, "Usage: pvh-monitor status [--json] [--color=auto|always|never] [--db FILE] [DOMAIN...]\n"
                   "\n"
                   "Shows what each guest's agent published: guest type, kernel, OS, the verdict\n"
                   "for PVH, failing checks, agent version and the last answer. A guest without\n"
                   "an agent shows its disks' last inspection (pvh-monitor inspect) from the\n"
                   "database, marked \"inspected\" with its age. DOMAIN is a domid or a name;\n"
                   "without one, every guest.\n"
                   "  --db FILE   the database inspect writes (default " DB_DEFAULT_PATH "), read only\n");
}

static int status_parse(int argc, char **argv, struct status_args *a)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "color", required_argument, NULL, 'c' },
                { "db", required_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'j':
                        a->json = true;
                        break;
                case 'c':
                        if (render_color_from_string(optarg, &a->color) < 0)
                                return log_error_errno(-EINVAL, "Bad --color '%s'.", optarg);
                        break;
                case 'd':
                        a->db = optarg;
                        break;
                case 'h':
                        status_help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        return 1;
}

/* A guest as status shows it: what its agent published, or its disks' last inspection. */
static int read_guest(struct xstore *x, struct db *d, unsigned domid, unsigned flags, struct guest *ret)
{
        int r = guest_read(x, domid, flags, ret);

        if (r >= 0 && db_inspection_apply(d, ret) < 0)
                log_warning("Failed to read the inspection of domain %u from the database.", domid);
        return r;
}

/* JSON streams one guest at a time, so memory does not grow with the guests. */
static int status_json(struct xstore *x, struct db *d, const unsigned *ids, unsigned n)
{
        fputc('[', stdout);
        for (unsigned i = 0; i < n; i++) {
                struct guest g;
                int r = read_guest(x, d, ids[i], GUEST_READ_REASONS, &g);

                if (r < 0) {
                        guest_done(&g);
                        return log_error_errno(r, "Failed to read domain %u: %m", ids[i]);
                }
                fputs(i ? ",\n" : "\n", stdout);
                render_guest_json(stdout, &g);
                guest_done(&g);
        }
        fputs(n ? "\n]\n" : "]\n", stdout);
        return 0;
}

static int status_table(struct xstore *x, struct db *d, const unsigned *ids, unsigned n, bool color)
{
        struct guest *g = calloc(n ? n : 1, sizeof(*g));
        int r = 0;

        if (!g)
                return -ENOMEM;
        for (unsigned i = 0; i < n && r >= 0; i++) {
                r = read_guest(x, d, ids[i], 0, &g[i]);
                if (r < 0)
                        log_error_errno(r, "Failed to read domain %u: %m", ids[i]);
        }
        if (r >= 0)
                r = render_table(stdout, g, n, color);
        for (unsigned i = 0; i < n; i++)
                guest_done(&g[i]);
        free(g);
        return r;
}

int cmd_status(int argc, char **argv)
{
        struct status_args a = { .color = RENDER_COLOR_AUTO, .db = DB_DEFAULT_PATH };
        _cleanup_free_ unsigned *ids = NULL;
        struct xstore *x = NULL;
        struct db *d = NULL;
        unsigned n;
        int r;

        r = status_parse(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        r = xstore_open(&x);
        if (r < 0) {
                log_error_errno(r, "Failed to connect to xenstore: %m");
                return EXIT_INTERNAL;
        }
        /* No database (serve and inspect never ran): no inspections to show. */
        r = db_open_readonly(a.db, &d);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Failed to open the database '%s', showing no inspections: %m", a.db);
        r = domains_select(x, argv + optind, argc - optind, &ids, &n);
        if (r >= 0)
                r = a.json ? status_json(x, d, ids, n)
                           : status_table(x, d, ids, n, render_use_color(a.color, STDOUT_FILENO));
        log_debug("%lu xenstore requests.", xstore_requests(x));
        xstore_close(x);
        db_close(d);
        if (fflush(stdout) != 0 && r >= 0)
                r = log_error_errno(-EIO, "Failed to write the output: %m");
        return r == -ENOENT ? EXIT_FAILED : r < 0 ? EXIT_INTERNAL : 0;
}
