/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "monitor.h"
#include "util.h"

int main(int argc, char **argv)
{
        const struct command *c;
        bool verbose = false;
        int i = 1;

        log_setup("pvh-monitor", false);
        for (; i < argc && argv[i][0] == '-'; i++) {
                if (streq(argv[i], "-v") || streq(argv[i], "--verbose"))
                        verbose = true;
                else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
                        commands_help(stdout);
                        return EXIT_DONE;
                } else if (streq(argv[i], "--version")) {
                        printf("pvh-monitor %s\n", PACKAGE_VERSION);
                        return EXIT_DONE;
                } else {
                        log_error("Unknown option '%s'.", argv[i]);
                        return EXIT_USAGE;
                }
        }
        if (i >= argc) {
                commands_help(stderr);
                return EXIT_USAGE;
        }
        c = command_find(argv[i]);
        if (!c) {
                log_error("Unknown command '%s'.", argv[i]);
                return EXIT_USAGE;
        }
        log_setup("pvh-monitor", verbose);
        return c->run(argc - i, argv + i);
}
