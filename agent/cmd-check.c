/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "log.h"
#include "macro.h"
#include "probe.h"
#include "report.h"
#include "rootfs.h"
#include "util.h"

struct args {
        const char *root;
        const char *cache;
        bool json;
        bool verbose;
};

static void help(FILE *out)
{
        fprintf(out,
                "Usage: pvh-agent check [--root DIR] [--json] [--cache FILE] [-v]\n"
                "\n"
                "Tells whether this guest's next boot will work under PVH through pvhgrub.\n"
                "\n"
                "  --root DIR    judge the system installed under DIR (default /)\n"
                "  --json        print JSON instead of the readable report\n"
                "  --cache FILE  keep kernel image results in FILE between runs\n"
                "  -v            debug messages\n"
                "\n"
                "Exit status: 0 ready, 1 fixable, 2 blocked, 3 unknown, 4 usage, 5 internal error.\n");
}

/* argv[0] is "check". Returns 1 to go on, 0 when done (--help), < 0 on a usage error. */
static int parse_argv(int argc, char **argv, struct args *a)
{
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'r' },  { "json", no_argument, NULL, 'j' },
                { "cache", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
                { "verbose", no_argument, NULL, 'v' },     {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "hv", opts, NULL)) >= 0) {
                switch (c) {
                case 'r':
                        a->root = optarg;
                        break;
                case 'j':
                        a->json = true;
                        break;
                case 'c':
                        a->cache = optarg;
                        break;
                case 'v':
                        a->verbose = true;
                        break;
                case 'h':
                        help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
        return 1;
}

static int run_check(const struct args *a, int root_fd, struct kcache *cache)
{
        struct check_result res[_PROTO_CHECK_MAX];
        struct facts f;
        enum proto_verdict v;
        int r;

        r = probe_system(root_fd, root_is_host(root_fd), cache, &f, res, &v);
        if (r < 0)
                return log_error_errno(r, "Failed to judge the system: %m");
        r = a->json ? report_json(stdout, &f, res, v) : report_text(stdout, &f, res, v);
        if (fflush(stdout) != 0)
                r = -EIO;
        checks_done(res);
        facts_done(&f);
        return r < 0 ? log_error_errno(r, "Failed to write the report: %m") : verdict_exit_status(v);
}

int cmd_check(int argc, char **argv)
{
        struct args a = { .root = "/" };
        _cleanup_close_ int root_fd = -1;
        struct kcache *cache = NULL;
        int r;

        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_DONE;
        log_setup("pvh-agent", a.verbose);
        root_fd = open(a.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                log_error_errno(-errno, "Failed to open root directory '%s': %m", a.root);
                return EXIT_USAGE;
        }
        r = kcache_new(AT_FDCWD, a.cache, &cache);
        if (r < 0) {
                log_error_errno(r, "Failed to load cache '%s': %s", a.cache, root_strerror(r));
                return EXIT_INTERNAL;
        }
        r = run_check(&a, root_fd, cache);
        if (r >= 0 && kcache_save(cache) < 0)
                log_warning("Failed to save cache '%s'.", a.cache);
        kcache_free(cache);
        return r < 0 ? EXIT_INTERNAL : r;
}
