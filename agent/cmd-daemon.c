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
                "Usage: pvh-agent daemon [-f] [-v] [--pid-file FILE] [--root DIR] [--state-dir DIR]\n"
                "                        [--config FILE] [--compat none|xapi]\n"
                "\n"
                "Runs the agent: publishes this guest's PVH readiness to xenstore\n"
                "(~/data/pvh), keeps it up to date and answers the host's requests.\n"
                "Without -f it goes to the background once set up and logs to syslog\n"
                "(init scripts run it so); under systemd (NOTIFY_SOCKET) it never does.\n"
                "\n"
                "  -f, --foreground     do not go to the background; log to stderr\n"
                "  -v, --verbose        debug messages\n"
                "  --pid-file FILE      write the daemon's pid to FILE, remove it at exit\n"
                "  --root DIR           judge the system installed under DIR (default /)\n"
                "  --state-dir DIR      where state is kept (default ROOT" PREPARE_STATE_DIR ")\n"
                "  --config FILE        what the host may request (default ROOT" POLICY_PATH ")\n"
                "  --compat xapi        also publish the keys XAPI and Xen Orchestra read\n"
                "                       (none: do not); default: the file's compat setting\n"
                "\n"
                "The configuration is read again on SIGHUP and when it changes.\n"
                "xenstore is reached through XENSTORED_PATH when it is set.\n"
                "Exit status: 0 stopped by SIGTERM or SIGINT (in the background: started),\n"
                "1 could not start, 4 usage.\n");
}

/* argv[0] is "daemon". */
int cmd_daemon(int argc, char **argv)
{
        static const struct option opts[] = {
                { "foreground", no_argument, NULL, 'f' },
                { "verbose", no_argument, NULL, 'v' },
                { "root", required_argument, NULL, 'r' },
                { "state-dir", required_argument, NULL, 's' },
                { "pid-file", required_argument, NULL, 'p' },
                { "config", required_argument, NULL, 'c' },
                { "compat", required_argument, NULL, 'C' },
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
                case 'p':
                        if (optarg[0] != '/') {
                                log_error("The pid file must be an absolute path: '%s'.", optarg);
                                return EXIT_USAGE;
                        }
                        o.pid_file = optarg;
                        break;
                case 'c':
                        o.config = optarg;
                        break;
                case 'C':
                        if (streq(optarg, "xapi"))
                                o.compat = DAEMON_COMPAT_XAPI;
                        else if (streq(optarg, "none"))
                                o.compat = DAEMON_COMPAT_NONE;
                        else {
                                log_error("--compat takes none or xapi, not '%s'.", optarg);
                                return EXIT_USAGE;
                        }
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
