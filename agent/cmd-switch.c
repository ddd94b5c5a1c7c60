/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

#include "cmd.h"
#include "log.h"
#include "macro.h"
#include "policy.h"
#include "store.h"
#include "util.h"

/*
 * The owner's side of a switch at the next boot: `pvh-agent switch` writes
 * ~/data/pvh/switch, `pvh-agent status` reads it with the host's answer in
 * ~/control/pvh/switch (PROTOCOL.md, "Switch at the next boot").
 */
#define REQUEST_PATH "data/pvh/switch"
#define ANSWER_PATH "control/pvh/switch"
#define VERDICT_PATH "data/pvh/verdict"

struct args {
        const char *root;
        const char *config;
        int want; /* enum proto_switch_want, -1 none (status) */
};

static void switch_help(FILE *out)
{
        fprintf(out,
                "Usage: pvh-agent switch --at-next-boot|--cancel [--root DIR] [--config FILE]\n"
                "\n"
                "Asks the host to switch this guest to PVH at its next boot, or to cancel\n"
                "that. The host arms the guest only when it takes requests from guests and\n"
                "the verdict is ready; 'pvh-agent status' shows its answer. Asking is allowed\n"
                "when this guest's owner allows prepare (not report-only, prepare = allow).\n"
                "\n"
                "  --at-next-boot  ask for PVH at the next boot\n"
                "  --cancel        ask for PV at the next boot again\n"
                "  --root DIR      the system installed under DIR (default /)\n"
                "  --config FILE   the owner's configuration (default ROOT" POLICY_PATH ")\n"
                "\n"
                "Exit status: 0 asked, 1 not allowed by the owner's configuration or not\n"
                "written, 4 usage.\n");
}

static void status_help(FILE *out)
{
        fprintf(out,
                "Usage: pvh-agent status [--root DIR] [--config FILE]\n"
                "\n"
                "Shows the verdict this guest's agent published and whether the guest is to\n"
                "switch to PVH at its next boot: armed, requested (no answer yet), not\n"
                "allowed (by the owner or by the host), not ready, or not requested.\n"
                "\n"
                "  --root DIR      the system installed under DIR (default /)\n"
                "  --config FILE   the owner's configuration (default ROOT" POLICY_PATH ")\n"
                "\n"
                "Exit status: 0 shown, 1 xenstore could not be read, 4 usage.\n");
}

static int parse_argv(int argc, char **argv, bool is_switch, struct args *a)
{
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'r' },
                { "config", required_argument, NULL, 'c' },
                { "at-next-boot", no_argument, NULL, 'a' },
                { "cancel", no_argument, NULL, 'x' },
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
                case 'c':
                        a->config = optarg;
                        break;
                case 'a':
                case 'x':
                        if (!is_switch)
                                return log_error_errno(-EINVAL, "status takes no --at-next-boot or --cancel.");
                        if (a->want >= 0)
                                return log_error_errno(-EINVAL, "Give one of --at-next-boot and --cancel.");
                        a->want = c == 'a' ? PROTO_SWITCH_AT_NEXT_BOOT : PROTO_SWITCH_CANCEL;
                        break;
                case 'h':
                        if (is_switch)
                                switch_help(stdout);
                        else
                                status_help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
        if (is_switch && a->want < 0)
                return log_error_errno(-EINVAL, "Give --at-next-boot or --cancel.");
        return 1;
}

/* The owner's configuration: loaded through the root, as the daemon loads it. */
static int load_policy(const struct args *a, struct policy *ret)
{
        _cleanup_close_ int root_fd = open(a->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (root_fd < 0)
                return log_error_errno(-errno, "Failed to open root directory '%s': %m", a->root);
        policy_load(root_fd, a->config, ret);
        return 0;
}

/* A switch changes the next boot as prepare does: the owner allows it where prepare is allowed. */
static bool owner_allows(const struct policy *p)
{
        return policy_grant(p, PROTO_ACTION_PREPARE) == POLICY_ALLOW;
}

static int open_store(struct store **ret)
{
        int r = store_open("data/pvh", ret);

        if (r < 0)
                return log_error_errno(r, "Failed to connect to xenstore: %m");
        return 0;
}

/* argv[0] is "switch". */
int cmd_switch(int argc, char **argv)
{
        struct args a = { .root = "/", .want = -1 };
        struct proto_switch sw = {};
        char value[PROTO_SWITCH_MAX + 1];
        struct store *s = NULL;
        struct policy p;
        uuid_t u;
        int r;

        r = parse_argv(argc, argv, true, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_DONE;
        if (load_policy(&a, &p) < 0)
                return EXIT_USAGE;
        /* Cancelling only takes back what was asked: it is never refused. */
        if (a.want == PROTO_SWITCH_AT_NEXT_BOOT && !owner_allows(&p)) {
                char what[128];

                policy_describe(&p, what, sizeof(what));
                log_error("Not allowed by this guest's owner: %s says %s; PVH at the next boot needs "
                          "prepare allowed.", a.config ? a.config : POLICY_PATH, what);
                return EXIT_FAILED;
        }

        uuid_generate_random(u);
        uuid_unparse_lower(u, sw.id.s);
        sw.word = a.want;
        r = proto_switch_request_encode(&sw, value, sizeof(value));
        if (r < 0)
                return EXIT_INTERNAL;
        if (open_store(&s) < 0)
                return EXIT_FAILED;
        r = store_write(s, REQUEST_PATH, value);
        store_close(s);
        if (r < 0) {
                log_error_errno(r, "Failed to write ~/" REQUEST_PATH ": %m");
                return EXIT_FAILED;
        }
        printf("Asked the host for %s (request %s); 'pvh-agent status' shows its answer.\n",
               a.want == PROTO_SWITCH_AT_NEXT_BOOT ? "PVH at the next boot" : "PV at the next boot",
               sw.id.s);
        return fflush(stdout) == 0 ? EXIT_DONE : EXIT_INTERNAL;
}

/* A node as a decoded switch value: 1 with *ret set, 0 absent or not valid. */
static int read_switch(struct store *s, const char *path, bool answer, struct proto_switch *ret)
{
        _cleanup_free_ char *v = NULL;
        unsigned len;
        int r = store_read(s, path, &v, &len);

        if (r == -ENOENT || r == -EACCES)
                return 0;
        if (r < 0)
                return r;
        r = answer ? proto_switch_answer_decode(v, len, ret) : proto_switch_request_decode(v, len, ret);
        return r < 0 ? 0 : 1;
}

static const char *answer_text(enum proto_switch_answer w)
{
        switch (w) {
        case PROTO_SWITCH_ARMED:
                return "armed (PVH from the next boot on)";
        case PROTO_SWITCH_DISARMED:
                return "not armed (PV at the next boot)";
        case PROTO_SWITCH_NOT_ALLOWED:
                return "not allowed by the host (it takes no requests from guests)";
        case PROTO_SWITCH_NOT_READY:
                return "not ready (the verdict is not ready: see 'pvh-agent check')";
        case PROTO_SWITCH_BUSY:
                return "not now (the host is busy, or armed this guest moments ago: ask again later)";
        case PROTO_SWITCH_FAILED:
                return "failed (the host could not arm this guest)";
        case _PROTO_SWITCH_ANSWER_MAX:
                break;
        }
        return "unknown";
}

/* What the request and the answer say together, as one line. */
static void print_switch(const struct policy *p, int have_req, const struct proto_switch *req, int have_ans,
                         const struct proto_switch *ans)
{
        fputs("PVH at next boot: ", stdout);
        if (have_req && have_ans && streq(req->id.s, ans->id.s))
                puts(answer_text((enum proto_switch_answer)ans->word));
        else if (have_req && req->word == PROTO_SWITCH_AT_NEXT_BOOT)
                puts("requested (no answer from the host yet)");
        else if (have_req)
                puts("cancel requested (no answer from the host yet)");
        else if (!owner_allows(p))
                puts("not allowed by this guest's owner (see 'pvh-agent policy')");
        else
                puts("not requested");
}

/* argv[0] is "status". */
int cmd_status(int argc, char **argv)
{
        struct args a = { .root = "/", .want = -1 };
        _cleanup_free_ char *verdict = NULL;
        struct proto_switch req, ans;
        int have_req, have_ans, r;
        struct store *s = NULL;
        struct policy p;
        unsigned len;

        r = parse_argv(argc, argv, false, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_DONE;
        if (load_policy(&a, &p) < 0)
                return EXIT_USAGE;
        if (open_store(&s) < 0)
                return EXIT_FAILED;
        r = store_read(s, VERDICT_PATH, &verdict, &len);
        if (r < 0 && r != -ENOENT) {
                store_close(s);
                log_error_errno(r, "Failed to read ~/" VERDICT_PATH ": %m");
                return EXIT_FAILED;
        }
        have_req = read_switch(s, REQUEST_PATH, false, &req);
        have_ans = have_req < 0 ? 0 : read_switch(s, ANSWER_PATH, true, &ans);
        store_close(s);
        if (have_req < 0 || have_ans < 0) {
                log_error_errno(have_req < 0 ? have_req : have_ans, "Failed to read the switch request: %m");
                return EXIT_FAILED;
        }
        if (r >= 0 && proto_verdict_from_string(verdict, len) >= 0)
                printf("Verdict: %s\n", verdict);
        else
                puts("Verdict: not published (is the daemon running?)");
        print_switch(&p, have_req, &req, have_ans, &ans);
        return fflush(stdout) == 0 ? EXIT_DONE : EXIT_INTERNAL;
}
