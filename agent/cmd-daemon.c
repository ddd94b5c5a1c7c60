/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "policy.h"
#include "prepare.h"
#include "util.h"

static void daemon_help(FILE *out)
{
        fprintf(out,
                "Usage: pvh-agent daemon [-f] [-v] [--root DIR] [--state-dir DIR] [--config FILE]\n"
                "\n"
                "Runs the agent: publishes this guest's PVH readiness to xenstore\n"
                "(~/data/pvh), keeps it up to date and answers the host's requests.\n"
                "\n"
                "  -f, --foreground     do not go to the background (systemd runs it so)\n"
                "  -v, --verbose        debug messages\n"
                "  --root DIR           judge the system installed under DIR (default /)\n"
                "  --state-dir DIR      where state is kept (default ROOT" PREPARE_STATE_DIR ")\n"
                "  --config FILE        what the host may request (default ROOT" POLICY_PATH ")\n"
                "\n"
                "The configuration is read again on SIGHUP and when it changes.\n"
                "xenstore is reached through XENSTORED_PATH when it is set.\n"
                "Exit status: 0 stopped by SIGTERM or SIGINT, 1 could not start, 4 usage.\n");
}

/* argv[0] is "daemon". */
int cmd_daemon(int argc, char **argv)
{
        static const struct option opts[] = {
                { "foreground", no_argument, NULL, 'f' },
                { "verbose", no_argument, NULL, 'v' },
                { "root", required_argument, NULL, 'r' },
                { "state-dir", required_argument, NULL, 's' },
                { "config", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct daemon_options o = { .root = "/" };
        bool verbose = false;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "fvh", opts, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        o.foreground = true;
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 'r':
                        o.root = optarg;
                        break;
                case 's':
                        o.state_dir = optarg;
                        break;
                case 'c':
                        o.config = optarg;
                        break;
                case 'h':
                        daemon_help(stdout);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                log_error("Unexpected argument '%s'.", argv[optind]);
                return EXIT_USAGE;
        }
        log_setup("pvh-agent", verbose);
        return daemon_main(&o);
}
