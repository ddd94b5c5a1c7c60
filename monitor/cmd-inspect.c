/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "inspect.h"
#include "log.h"
#include "macro.h"
#include "migrate.h"
#include "monitor.h"
#include "render.h"
#include "util.h"


struct inspect_args {
        const char *db;
        const char *config;
        bool json, all;
        struct inspect_opts o;
};

static void inspect_help(FILE *f)
{
        fputs("Usage: pvh-monitor inspect [OPTIONS] --all | DOMAIN...\n"
              "\n"
              "Reads the disks of guests without an agent as pvhgrub will, with GRUB's own\n"
              "file system code in a sandbox, and runs the readiness checks on what it read:\n"
              "the menu pvhgrub finds, the kernel it boots next, its initramfs and its\n"
              "configuration, the GRUB settings. Nothing is written to the disks. The result\n"
              "is kept in the database, where status and migrate find it; a guest's agent,\n"
              "when it has one, wins. A running guest's disk is read as it is now: what the\n"
              "guest has not written back yet is not seen.\n"
              "\n"
              "  --all               every guest without an agent\n"
              "  --config PATTERN    read the disks from the xl configuration, %n the domain's\n"
              "                      name (default: the disk backends in xenstore)\n"
              "  --db FILE           default " DB_DEFAULT_PATH "\n"
              "  --json              JSON, as status --json\n"
              "  --inspector PATH    default " INSPECTOR_DEFAULT "\n"
              "  --user NAME         the sandbox's user (default " INSPECT_USER ", else nobody)\n"
              "  --time-limit S      CPU seconds per guest (default 30; the wall clock allows\n"
              "                      4 times more and a minute)\n"
              "\n"
              "Exit status: 0 every guest judged, 1 an inspection failed or a domain does not\n"
              "exist, 4 usage, 5 internal.\n",
              f);
}

static int inspect_parse(int argc, char **argv, struct inspect_args *a)
{
        enum { O_ALL = 256, O_CONFIG, O_DB, O_JSON, O_INSPECTOR, O_USER, O_TIME };
        static const struct option opts[] = {
                { "all", no_argument, NULL, O_ALL },
                { "config", required_argument, NULL, O_CONFIG },
                { "db", required_argument, NULL, O_DB },
                { "json", no_argument, NULL, O_JSON },
                { "inspector", required_argument, NULL, O_INSPECTOR },
                { "user", required_argument, NULL, O_USER },
                { "time-limit", required_argument, NULL, O_TIME },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
                switch (c) {
                case O_ALL:
                        a->all = true;
                        break;
                case O_CONFIG:
                        a->config = optarg;
                        break;
                case O_DB:
                        a->db = optarg;
                        break;
                case O_JSON:
                        a->json = true;
                        break;
                case O_INSPECTOR:
                        a->o.inspector = optarg;
                        break;
                case O_USER:
                        a->o.user = optarg;
                        break;
                case O_TIME:
                        if (safe_atou(optarg, &a->o.cpu_s) < 0 || a->o.cpu_s == 0 || a->o.cpu_s > 3600)
                                return log_error_errno(-EINVAL, "Bad --time-limit '%s'.", optarg);
                        break;
                case 'h':
                        inspect_help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (a->all == (optind < argc))
                return log_error_errno(-EINVAL, "Give --all or domains.");
        return 1;
}

/* Inspects one guest into g and stores the result. */
static int inspect_one(struct xstore *x, struct db *d, const struct inspect_args *a, struct guest *g)
{
        _cleanup_free_ char *cfg = NULL;
        const char *name = guest_get_name(g);

        if (a->config && !mig_name_ok(name)) {
                g->agent = GUEST_AGENT_NONE;
                return guest_apply_report(g, NULL, 0, (int64_t)time(NULL), NULL,
                                          "the domain's name is not usable in a configuration's path");
        }
        if (a->config && !(cfg = mig_config_path(a->config, name)))
                return -ENOMEM;
        return inspect_guest(x, d, &a->o, cfg, g);
}

static void print_text(const struct guest *g)
{
        const struct ginspect *in = g->insp;
        _cleanup_free_ char *name = render_escape(guest_get_name(g) ? guest_get_name(g) : "?",
                                                  strlen(guest_get_name(g) ? guest_get_name(g) : "?"));

        printf("%s (domain %u): %s", name ? name : "?", g->domid, guest_verdict_word(g));
        if (!guest_inspection_ok(g)) {
                _cleanup_free_ char *e = render_escape(guest_inspection_failure(g), strlen(guest_inspection_failure(g)));

                printf(": %s\n", e ? e : "?");
                return;
        }
        printf(", menu %s %s, root %s\n", in->v[PROTO_IKEY_MENU_DEVICE].err == 0 ? in->v[PROTO_IKEY_MENU_DEVICE].val : "-",
               in->v[PROTO_IKEY_MENU_FILE].err == 0 ? in->v[PROTO_IKEY_MENU_FILE].val : "(none)",
               in->v[PROTO_IKEY_ROOT_DEVICE].err == 0 ? in->v[PROTO_IKEY_ROOT_DEVICE].val : "-");
        for (unsigned i = 0; i < g->n_checks; i++) {
                const struct gcheck *c = &g->checks[i];
                _cleanup_free_ char *reason = NULL, *fix = NULL;

                if (c->status != PROTO_STATUS_FAIL && c->status != PROTO_STATUS_WARN)
                        continue;
                reason = c->reason.err == 0 ? render_escape(c->reason.val, strlen(c->reason.val)) : NULL;
                fix = c->fix.err == 0 ? render_escape(c->fix.val, strlen(c->fix.val)) : NULL;
                printf("  %-4s %-15s %s\n", c->status == PROTO_STATUS_FAIL ? "fail" : "warn", c->id,
                       reason ? reason : "");
                if (fix)
                        printf("       %-15s fix: %s\n", "", fix);
        }
        for (int i = 0; i < PROTO_REPORT_NOTES_MAX; i++)
                if (in->notes[i].err == 0) {
                        _cleanup_free_ char *e = render_escape(in->notes[i].val, strlen(in->notes[i].val));

                        printf("  note: %s\n", e ? e : "?");
                }
}

static int run_all(struct xstore *x, struct db *d, const struct inspect_args *a, const unsigned *ids, unsigned n)
{
        bool failed = false;
        unsigned shown = 0;

        if (a->json)
                fputc('[', stdout);
        else
                printf("Every guest here is running: its disk is read as it is now, without what the guest "
                       "has not written back yet.\n");
        for (unsigned i = 0; i < n; i++) {
                struct guest g;
                int r = guest_read(x, ids[i], GUEST_READ_REASONS, &g);

                if (r >= 0 && a->all && g.agent != GUEST_AGENT_NONE) {
                        guest_done(&g);
                        continue;
                }
                if (r >= 0)
                        r = inspect_one(x, d, a, &g);
                if (r < 0) {
                        guest_done(&g);
                        return log_error_errno(r, "Failed to inspect domain %u: %m", ids[i]);
                }
                failed = failed || !guest_inspection_ok(&g);
                if (a->json) {
                        fputs(shown++ ? ",\n" : "\n", stdout);
                        render_guest_json(stdout, &g);
                } else
                        print_text(&g);
                guest_done(&g);
        }
        if (a->json)
                fputs(shown ? "\n]\n" : "]\n", stdout);
        return failed ? 1 : 0;
}

int cmd_inspect(int argc, char **argv)
{
        struct inspect_args a = { .db = DB_DEFAULT_PATH, .o = { .inspector = INSPECTOR_DEFAULT } };
        _cleanup_free_ unsigned *ids = NULL;
        struct xstore *x = NULL;
        struct db *d = NULL;
        unsigned n;
        int r;

        r = inspect_parse(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_DONE;
        r = db_open(a.db, &d);
        if (r < 0)
                return EXIT_INTERNAL;
        r = xstore_open(&x);
        if (r < 0) {
                db_close(d);
                log_error_errno(r, "Failed to connect to xenstore: %m");
                return EXIT_INTERNAL;
        }
        r = domains_select(x, argv + optind, argc - optind, &ids, &n);
        if (r >= 0)
                r = run_all(x, d, &a, ids, n);
        xstore_close(x);
        db_close(d);
        if (fflush(stdout) != 0 && r >= 0)
                r = log_error_errno(-EIO, "Failed to write the output: %m");
        return r == -ENOENT || r == 1 ? EXIT_FAILED : r < 0 ? EXIT_INTERNAL : EXIT_DONE;
}
