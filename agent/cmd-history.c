/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "changelog.h"
#include "log.h"
#include "macro.h"
#include "prepare.h"
#include "util.h"

struct args {
        const char *root;
        const char *state_dir;
        const char *entry;
};

static void help(FILE *out)
{
        fprintf(out,
                "Usage: pvh-agent history [--root DIR] [--state-dir DIR] [ENTRY]\n"
                "\n"
                "Lists the host's requests that changed this guest or were to, and those\n"
                "the owner's configuration refused, oldest first: number, time, request\n"
                "id, action, result and message. With ENTRY (a number or a request id),\n"
                "prints that one whole: the files changed, the commands run, the diffs.\n"
                "\n"
                "  --root DIR       the system installed under DIR (default /)\n"
                "  --state-dir DIR  where the agent keeps its state (default ROOT" PREPARE_STATE_DIR ")\n"
                "\n"
                "Exit status: 0 done, 1 no such entry, 4 usage.\n");
}

static int parse_argv(int argc, char **argv, struct args *a)
{
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'r' },
                { "state-dir", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'r':
                        a->root = optarg;
                        break;
                case 's':
                        a->state_dir = optarg;
                        break;
                case 'h':
                        help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc)
                a->entry = argv[optind++];
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
        return 1;
}

/* argv[0] is "history". */
int cmd_history(int argc, char **argv)
{
        struct args a = { .root = "/" };
        _cleanup_close_ int root_fd = -1, state_fd = -1;
        int r;

        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_DONE;
        root_fd = open(a.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                log_error_errno(-errno, "Failed to open root directory '%s': %m", a.root);
                return EXIT_USAGE;
        }
        state_fd = prepare_state_dir(root_fd, a.state_dir);
        if (state_fd < 0) {
                log_error_errno(state_fd, "State directory is not usable: %m");
                return EXIT_FAILED;
        }
        r = a.entry ? history_show(state_fd, a.entry, stdout) : history_list(state_fd, stdout);
        if (r == -ENOENT) {
                log_error("No entry '%s' in the history.", a.entry);
                return EXIT_FAILED;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to read the history: %m");
                return EXIT_FAILED;
        }
        return fflush(stdout) == 0 ? EXIT_DONE : EXIT_INTERNAL;
}
