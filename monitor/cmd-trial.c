/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "macro.h"
#include "migrate.h"
#include "monitor.h"
#include "render.h"
#include "strv.h"
#include "trial.h"
#include "util.h"

#define TIMEOUT_DEFAULT 300
#define SETTLE_DEFAULT 30
#define TOOLSTACK_TIMEOUT_DEFAULT 120

struct trial_args {
        const char *db;
        bool json, all, cleanup;
        struct trial_opts o;
};

static void trial_help(FILE *f)
{
        fputs("Usage: pvh-monitor trial [OPTIONS] --all | DOMAIN...\n"
              "       pvh-monitor trial [OPTIONS] --cleanup\n"
              "\n"
              "Boots a throwaway copy of each PV guest as PVH, while the guest keeps running:\n"
              "every disk gets a copy-on-write snapshot (an LVM snapshot of bounded size, or a\n"
              "reflink copy on XFS or Btrfs; any other disk is refused), and a domain\n"
              "NAME" TRIAL_SUFFIX " starts from the PVH version of the guest's configuration on\n"
              "them, with no network card, half the memory and a UUID of its own. It booted\n"
              "when its agent publishes guest_type PVH (a guest without an agent: when the\n"
              "toolstack runs it as PVH, its frontends connect and it stays up --settle\n"
              "seconds); it failed when it crashes, shuts down, panics or shows no PVH boot in\n"
              "time. The copy and its snapshots are removed in\n"
              "every case, and what a killed trial left is removed by the next one, or by\n"
              "--cleanup, from a journal in the database. One guest at a time, one trial at a\n"
              "time per host.\n"
              "\n"
              "  --all                   every running guest\n"
              "  --cleanup               only remove what killed trials left\n"
              "  --json                  one JSON object per guest\n"
              "  --timeout S             seconds a copy has to boot (default 300)\n"
              "  --settle S              seconds a copy without an agent must stay up once\n"
              "                          its frontends connected (default 30)\n"
              "  --config PATTERN        the xl configuration, %n the domain's name\n"
              "                          (default " CONFIG_DEFAULT ")\n"
              "  --xl PROG               the toolstack (default " XL_DEFAULT ")\n"
              "  --toolstack-timeout S   seconds a toolstack or LVM command may take (default "
              "120)\n"
              "  --pvgrub PATH           the PV grub image kernel = names (default\n"
              "                          " PVGRUB_DEFAULT " and\n"
              "                          " PVGRUB32_DEFAULT ")\n"
              "  --pvhgrub PATH          the PVH grub image (default " PVHGRUB_DEFAULT ")\n"
              "  --console-log PATTERN   the console log, %n the copy's name (default\n"
              "                          " CONSOLE_LOG_DEFAULT ")\n"
              "  --db FILE               default " DB_DEFAULT_PATH "; the copies' configurations\n"
              "                          are written beside it\n"
              "\n"
              "Exit status: 0 every copy booted, 1 a copy failed, was refused, or a domain does\n"
              "not exist, 4 usage, 5 internal.\n",
              f);
}

static int set_unsigned(const char *opt, const char *arg, unsigned max, unsigned *ret)
{
        if (safe_atou(arg, ret) < 0 || *ret == 0 || *ret > max)
                return log_error_errno(-EINVAL, "Bad %s '%s'.", opt, arg);
        return 0;
}

static int trial_parse(int argc, char **argv, struct trial_args *a)
{
        enum {
                O_ALL = 256,
                O_CLEANUP,
                O_JSON,
                O_TIMEOUT,
                O_SETTLE,
                O_CONFIG,
                O_XL,
                O_TS_TIMEOUT,
                O_PVGRUB,
                O_PVHGRUB,
                O_CONSOLE,
                O_DB
        };
        static const struct option opts[] = {
                { "all", no_argument, NULL, O_ALL },
                { "cleanup", no_argument, NULL, O_CLEANUP },
                { "json", no_argument, NULL, O_JSON },
                { "timeout", required_argument, NULL, O_TIMEOUT },
                { "settle", required_argument, NULL, O_SETTLE },
                { "config", required_argument, NULL, O_CONFIG },
                { "xl", required_argument, NULL, O_XL },
                { "toolstack-timeout", required_argument, NULL, O_TS_TIMEOUT },
                { "pvgrub", required_argument, NULL, O_PVGRUB },
                { "pvhgrub", required_argument, NULL, O_PVHGRUB },
                { "console-log", required_argument, NULL, O_CONSOLE },
                { "db", required_argument, NULL, O_DB },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r = 0;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0 && r >= 0)
                switch (c) {
                case O_ALL:
                        a->all = true;
                        break;
                case O_CLEANUP:
                        a->cleanup = true;
                        break;
                case O_JSON:
                        a->json = true;
                        break;
                case O_TIMEOUT:
                        r = set_unsigned("--timeout", optarg, 86400, &a->o.timeout_s);
                        break;
                case O_SETTLE:
                        r = set_unsigned("--settle", optarg, 3600, &a->o.settle_s);
                        break;
                case O_CONFIG:
                        a->o.config = optarg;
                        break;
                case O_XL:
                        a->o.xl = optarg;
                        break;
                case O_TS_TIMEOUT:
                        r = set_unsigned("--toolstack-timeout", optarg, 3600,
                                         &a->o.toolstack_timeout_s);
                        break;
                case O_PVGRUB:
                        a->o.pvgrub = optarg;
                        break;
                case O_PVHGRUB:
                        a->o.pvhgrub = optarg;
                        break;
                case O_CONSOLE:
                        a->o.console_log = optarg;
                        break;
                case O_DB:
                        a->db = optarg;
                        break;
                case 'h':
                        trial_help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (r < 0)
                return r;
        if (a->o.xl[0] != '/')
                return log_error_errno(-EINVAL, "--xl must be an absolute path.");
        if (a->cleanup && (a->all || optind < argc))
                return log_error_errno(-EINVAL, "--cleanup takes no domains.");
        if (!a->cleanup && a->all == (optind < argc))
                return log_error_errno(-EINVAL, "Give --all or domains.");
        return 1;
}

static void print_result(const struct trial_args *a, const char *name,
                         const struct trial_result *res)
{
        _cleanup_free_ char *n = render_escape(name, strlen(name));

        if (a->json) {
                printf("{\"name\":");
                render_json_cstr(stdout, name);
                printf(",\"trial\":\"%s\",\"at\":%lld,\"reason\":",
                       trial_outcome_to_string(res->outcome), (long long)res->at);
                render_json_cstr(stdout, res->reason);
                printf(",\"console\":");
                render_json_cstr(stdout, res->console);
                printf(",\"predicted\":");
                render_json_cstr(stdout, res->predicted ? res->predicted : "unknown");
                printf("}\n");
                return;
        }
        printf("%s: trial %s (%s)\n", n ? n : "?", trial_outcome_to_string(res->outcome),
               res->reason ? res->reason : "?");
        printf("  predicted: %s\n", res->predicted ? res->predicted : "unknown");
        if (res->console && res->outcome != TRIAL_BOOTED)
                printf("  console: %s\n", res->console);
}

/* The guests to try: the arguments, or every running guest but dom0 and trial copies. */
static int trial_names(struct xstore *x, const struct trial_args *a, char **args, int n,
                       char ***ret)
{
        _cleanup_strv_ char **v = NULL;
        struct mnames t;
        size_t k = 0;
        int r = 0;

        for (int i = 0; !a->all && i < n && r >= 0; i++)
                r = strv_push_dup(&v, &k, args[i]);
        if (a->all) {
                r = mnames_read(x, &t);
                if (r < 0)
                        return r;
                for (unsigned i = 0; i < t.n && r >= 0; i++) {
                        const char *nm = t.name[i];
                        size_t l = nm ? strlen(nm) : 0;

                        if (t.domid[i] == 0 || !nm ||
                            (l > STRLEN(TRIAL_SUFFIX) &&
                             streq(nm + l - STRLEN(TRIAL_SUFFIX), TRIAL_SUFFIX)))
                                continue;
                        r = strv_push_dup(&v, &k, nm);
                }
                mnames_done(&t);
        }
        if (r < 0)
                return r;
        if (!v && !(v = calloc(1, sizeof(*v))))
                return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

static int trial_all(struct mdb *d, struct xstore *x, const struct trial_args *a, char **names)
{
        bool failed = false;

        for (char **n = names; *n; n++) {
                struct trial_result res;
                int r = trial_run(d, x, &a->o, *n, &res);

                if (r < 0) {
                        trial_result_done(&res);
                        return log_error_errno(r, "Trial of '%s' failed: %m", *n);
                }
                print_result(a, *n, &res);
                failed = failed || res.outcome != TRIAL_BOOTED;
                trial_result_done(&res);
        }
        return failed ? 1 : 0;
}

/* Under the lock: what killed trials left goes first, then the trials. */
static int trial_locked(struct mdb *d, const struct trial_args *a, char **args, int n)
{
        _cleanup_strv_ char **names = NULL;
        struct xstore *x = NULL;
        int r;

        r = trial_cleanup(d, &a->o);
        if (r < 0)
                return log_error_errno(
                        r, "What an earlier trial left could not all be removed; see above.");
        if (a->cleanup) {
                printf("%d trial(s) left something behind: removed.\n", r);
                return 0;
        }
        r = xstore_open(&x);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to xenstore: %m");
        r = trial_names(x, a, args, n, &names);
        if (r >= 0)
                r = trial_all(d, x, a, names);
        xstore_close(x);
        return r;
}

int cmd_trial(int argc, char **argv)
{
        struct trial_args a = { .db = DB_DEFAULT_PATH,
                                .o = { .xl = XL_DEFAULT,
                                       .config = CONFIG_DEFAULT,
                                       .pvgrub = PVGRUB_DEFAULT "\n" PVGRUB32_DEFAULT,
                                       .pvhgrub = PVHGRUB_DEFAULT "\n" PVHGRUB_DEFAULT,
                                       .console_log = CONSOLE_LOG_DEFAULT,
                                       .timeout_s = TIMEOUT_DEFAULT,
                                       .settle_s = SETTLE_DEFAULT,
                                       .toolstack_timeout_s = TOOLSTACK_TIMEOUT_DEFAULT } };
        _cleanup_free_ char *run_dir = NULL;
        struct mdb *d = NULL;
        pid_t holder = 0;
        int r, fd = -1;

        r = trial_parse(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_DONE;
        run_dir = strdup(a.db);
        if (!run_dir)
                return EXIT_INTERNAL;
        *(strrchr(run_dir, '/') ? strrchr(run_dir, '/') : run_dir) = 0;
        a.o.run_dir = *run_dir ? run_dir : ".";
        r = mdb_trial_lock(a.db, &fd, &holder);
        if (r == -EBUSY) {
                log_error("Another trial runs on this host (pid %d): one at a time.", (int)holder);
                return EXIT_FAILED;
        }
        if (r < 0)
                return EXIT_INTERNAL;
        r = mdb_open(a.db, &d);
        if (r >= 0)
                r = trial_locked(d, &a, argv + optind, argc - optind);
        mdb_close(d);
        mdb_unlock(fd);
        return command_flush(r == 1 ? EXIT_FAILED : r < 0 ? EXIT_INTERNAL : EXIT_DONE);
}
