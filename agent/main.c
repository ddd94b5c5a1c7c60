/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>

#include "cmd.h"
#include "log.h"
#include "util.h"

int main(int argc, char **argv)
{
        const struct command *c;

        log_setup("pvh-agent", false);
        if (argc < 2) {
                commands_help(stderr);
                return EXIT_USAGE;
        }
        if (streq(argv[1], "-h") || streq(argv[1], "--help")) {
                commands_help(stdout);
                return EXIT_DONE;
        }
        if (streq(argv[1], "--version")) {
                printf("pvh-agent %s\n", PACKAGE_VERSION);
                return EXIT_DONE;
        }
        c = command_find(argv[1]);
        if (c)
                return c->run(argc - 1, argv + 1);
        if (argv[1][0] == '-')
                log_error("Unknown option '%s' (the daemon is 'pvh-agent daemon').", argv[1]);
        else
                log_error("Unknown command '%s'.", argv[1]);
        return EXIT_USAGE;
}
