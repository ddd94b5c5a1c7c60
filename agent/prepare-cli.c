/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crashpoint.h"
#include "exitcode.h"
#include "fileedit.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "prepare-cli.h"
#include "prepare.h"
#include "report.h"
#include "rootfs.h"
#include "util.h"


struct args {
        const char *command;
        const char *root;
        const char *state_dir;
        const char *command_dir;
        unsigned timeout;
        bool dry_run, json, force, verbose;
};

static void help(FILE *out)
{
        fprintf(out,
                "Usage: pvh-agent prepare  [--root DIR] [--state-dir DIR] [--dry-run] [--json]\n"
                "       pvh-agent rollback [--root DIR] [--state-dir DIR] [--json]\n"
                "       pvh-agent recover  [--root DIR] [--state-dir DIR] [--json]\n"
                "\n"
                "prepare changes the boot configuration so that the next boot works under PVH\n"
                "(console=hvc0, boot parameters, GRUB terminal, initramfs) and regenerates it;\n"
                "rollback restores every file it changed; recover undoes a prepare, or finishes\n"
                "a rollback, that a crash interrupted (waiting up to 60 s for what is left of\n"
                "the process that crashed to let go of the state directory).\n"
                "\n"
                "  --root DIR         the system installed under DIR (default /)\n"
                "  --state-dir DIR    originals and journal (default ROOT" PREPARE_STATE_DIR ")\n"
                "  --dry-run          show the diff and the commands; change nothing\n"
                "  --json             print the answer as JSON\n"
                "  --timeout SECONDS  for each command (default 300)\n"
                "  -v                 debug messages\n"
                "\n"
                "Exit status: 0 done, 1 failed, 4 usage, 5 internal error.\n");
}

static int parse_argv(int argc, char **argv, struct args *a)
{
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'r' },  { "state-dir", required_argument, NULL, 's' },
                { "dry-run", no_argument, NULL, 'n' },     { "json", no_argument, NULL, 'j' },
                { "force", no_argument, NULL, 'f' },       { "timeout", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },        { "verbose", no_argument, NULL, 'v' },
#ifdef ENABLE_FAULT_INJECTION
                { "command-dir", required_argument, NULL, 'c' },
#endif
                {},
        };
        int c;

        a->command = argv[0];
        optind = 1;
        while ((c = getopt_long(argc, argv, "hv", opts, NULL)) >= 0) {
                switch (c) {
                case 'r':
                        a->root = optarg;
                        break;
                case 's':
                        a->state_dir = optarg;
                        break;
                case 'n':
                        a->dry_run = true;
                        break;
                case 'j':
                        a->json = true;
                        break;
                case 'f':
                        a->force = true;
                        break;
                case 't':
                        if (safe_atou(optarg, &a->timeout) < 0 || a->timeout == 0 || a->timeout > 86400)
                                return log_error_errno(-EINVAL, "Bad --timeout '%s'.", optarg);
                        break;
                case 'c':
                        a->command_dir = optarg;
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
        if (a->dry_run && !streq(a->command, "prepare"))
                return log_error_errno(-EINVAL, "--dry-run is for prepare only.");
        return 1;
}

static void print_answer(const struct args *a, const struct prepare_answer *ans)
{
        if (a->json) {
                printf("{\n  \"state\": \"%s\",\n  \"reason\": ", ans->ok ? "done" : "failed");
                json_cstr(stdout, ans->reason, 0, NULL);
                fputs(",\n  \"message\": ", stdout);
                json_cstr(stdout, ans->message ? ans->message : "", 0, NULL);
                fputs(",\n  \"output\": ", stdout);
                json_cstr(stdout, ans->output.data ? ans->output.data : "", 0, NULL);
                printf(",\n  \"omitted\": %zu\n}\n", ans->output.omitted);
                return;
        }
        if (ans->output.data)
                fputs(ans->output.data, stdout);
        if (ans->output.omitted)
                printf("[%zu more bytes of output]\n", ans->output.omitted);
        if (ans->ok)
                printf("%s: %s\n", a->command, ans->message ? ans->message : "nothing to do");
        else
                printf("%s failed (%s): %s\n", a->command, ans->reason, ans->message ? ans->message : "");
}

static int run(const struct args *a, const struct prepare_ctx *ctx)
{
        struct prepare_answer ans;
        int r;

        if (streq(a->command, "prepare"))
                r = prepare_run(ctx, a->dry_run, &ans);
        else if (streq(a->command, "rollback"))
                r = a->force ? prepare_rollback_force(ctx, &ans) : prepare_rollback(ctx, &ans);
        else
                r = prepare_recover(ctx, &ans);
        if (r < 0)
                return log_error_errno(r, "%s: %m", a->command);
        print_answer(a, &ans);
        r = ans.ok ? EXIT_DONE : EXIT_FAILED;
        prepare_answer_done(&ans);
        if (fflush(stdout) != 0)
                return -EIO;
        return r;
}

int prepare_cli_main(int argc, char **argv)
{
        struct args a = { .root = "/", .command_dir = prepare_test_command_dir() };
        _cleanup_close_ int root_fd = -1, state_fd = -1;
        struct prepare_ctx ctx;
        int r;

        log_setup("pvh-agent", false);
        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_DONE;
        log_setup("pvh-agent", a.verbose);
        root_fd = open(a.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                log_error_errno(-errno, "Failed to open root directory '%s': %m", a.root);
                return EXIT_USAGE;
        }
        /* After a crash, what is left of the process that died may hold the lock a moment longer. */
        state_fd = prepare_state_open_wait(root_fd, a.state_dir,
                                           streq(a.command, "recover") ? PREPARE_RECOVER_WAIT_USEC : 0);
        if (state_fd < 0) {
                log_error_errno(state_fd, "Failed to open the state directory: %m");
                return state_fd == -EBUSY ? EXIT_FAILED : EXIT_INTERNAL;
        }
        ctx = (struct prepare_ctx){ .root_fd = root_fd, .host_root = root_is_host(root_fd), .state_fd = state_fd,
                                    .command_dir = a.command_dir && *a.command_dir ? a.command_dir : NULL,
                                    .timeout_usec = (uint64_t)a.timeout * 1000000 };
        r = run(&a, &ctx);
        crashpoint_report();
        return r < 0 ? EXIT_INTERNAL : r;
}
