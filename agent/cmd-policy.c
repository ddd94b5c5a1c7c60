/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cmd.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "policy.h"
#include "util.h"

struct args {
        const char *root;
        const char *config;
        bool json;
};

static void help(FILE *out)
{
        fprintf(out,
                "Usage: pvh-agent policy [--root DIR] [--config FILE] [--json]\n"
                "\n"
                "Shows what the host may request from this guest's agent, as the guest's\n"
                "owner chose in the configuration file, and the actions the agent publishes.\n"
                "An invalid or unreadable file means report-only: this says why.\n"
                "\n"
                "  --root DIR     the system installed under DIR (default /)\n"
                "  --config FILE  the configuration (default ROOT" POLICY_PATH ")\n"
                "  --json         print JSON\n"
                "\n"
                "Exit status: 0 the file is valid or absent, 1 it is not (report-only), 4 usage.\n");
}

static int parse_argv(int argc, char **argv, struct args *a)
{
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'r' }, { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, 'j' },       { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'r':
                        a->root = optarg;
                        break;
                case 'c':
                        a->config = optarg;
                        break;
                case 'j':
                        a->json = true;
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

static const char *origin_word(const struct policy *p)
{
        switch (p->origin) {
        case POLICY_DEFAULT:
                return "absent";
        case POLICY_FILE:
                return "valid";
        case POLICY_INVALID:
                return "invalid";
        }
        return "?";
}

static void print_json(const struct policy *p, const char *file, const char *actions)
{
        fputs("{\n  \"config\": ", stdout);
        json_cstr(stdout, file, 0, NULL);
        printf(",\n  \"file\": \"%s\",\n  \"error\": ", origin_word(p));
        json_cstr(stdout, p->origin == POLICY_INVALID ? p->error : NULL, 0, NULL);
        printf(",\n  \"report_only\": %s", p->report_only ? "true" : "false");
        printf(",\n  \"prepare\": \"%s\"", policy_grant_to_string(policy_grant(p, PROTO_ACTION_PREPARE)));
        printf(",\n  \"rollback\": \"%s\"", policy_grant_to_string(policy_grant(p, PROTO_ACTION_ROLLBACK)));
        printf(",\n  \"actions\": \"%s\"", actions);
        printf(",\n  \"compat\": \"%s\"\n}\n", p->compat_xapi ? "xapi" : "none");
}

static void print_text(const struct policy *p, const char *file, const char *actions)
{
        if (p->origin == POLICY_INVALID)
                printf("configuration: %s: %s\n", file, p->error);
        else
                printf("configuration: %s%s\n", file, p->origin == POLICY_DEFAULT ? " (absent: the defaults)" : "");
        printf("report-only: %s%s\n", p->report_only ? "yes" : "no",
               p->origin == POLICY_INVALID ? " (the file is not valid)" : "");
        printf("prepare: %s\n", policy_grant_to_string(policy_grant(p, PROTO_ACTION_PREPARE)));
        printf("rollback: %s\n", policy_grant_to_string(policy_grant(p, PROTO_ACTION_ROLLBACK)));
        printf("published actions: %s\n", actions);
        printf("compat: %s\n", p->compat_xapi ? "xapi" : "none");
}

/* argv[0] is "policy". */
int cmd_policy(int argc, char **argv)
{
        struct args a = { .root = "/" };
        _cleanup_close_ int root_fd = -1;
        struct proto_actions acts;
        char actions[PROTO_XS_VALUE_MAX];
        struct policy p;
        int r;

        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_DONE;
        root_fd = open(a.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                log_error_errno(-errno, "Failed to open root directory '%s': %m", a.root);
                return EXIT_USAGE;
        }
        policy_load(root_fd, a.config, &p);
        policy_actions(&p, &acts);
        if (proto_actions_encode(&acts, actions, sizeof(actions)) < 0)
                return EXIT_INTERNAL;
        if (a.json)
                print_json(&p, a.config ? a.config : POLICY_PATH, actions);
        else
                print_text(&p, a.config ? a.config : POLICY_PATH, actions);
        if (fflush(stdout) != 0)
                return EXIT_INTERNAL;
        return p.origin == POLICY_INVALID ? EXIT_FAILED : EXIT_DONE;
}
