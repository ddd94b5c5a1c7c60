/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>

#include <errno.h>

#include "log.h"
#include "macro.h"
#include "monitor.h"
#include "util.h"

static const struct command commands[] = {
        { "status", cmd_status, "show every guest's readiness for PVH" },
        { "watch", cmd_watch, "the same, redrawn whenever a guest changes" },
        { "show", cmd_show, "everything about one guest: checks, fixes, answers, history" },
        { "history", cmd_history, "what changed, guest by guest, as serve saw it" },
        { "request", cmd_request, "send ping, probe, prepare or rollback to guests" },
        { "serve", cmd_serve, "keep a database of guest states and serve metrics" },
        { "migrate", cmd_migrate, "staged PV to PVH migrations: plan, run, resume, status, abort" },
};

const struct command *command_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

void commands_help(FILE *f)
{
        fprintf(f, "Usage: pvh-monitor [-v] [--version] COMMAND [ARGS...]\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-8s  %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\nRun 'pvh-monitor COMMAND --help' for a command's options.\n"
                   "Exit status: 0 done, 1 failed, 4 usage, 5 internal, 6 timeout or no agent.\n");
}

int command_flush(int status)
{
        if (fflush(stdout) == 0 || status != EXIT_DONE)
                return status;
        log_error_errno(-EIO, "Failed to write the output: %m");
        return EXIT_INTERNAL;
}

int view_option(int c, const char *arg, struct view_args *a)
{
        switch (c) {
        case VIEW_O_JSON:
                a->json = true;
                return 1;
        case VIEW_O_COLOR:
                if (render_color_from_string(arg, &a->color) < 0)
                        return log_error_errno(-EINVAL, "Bad --color '%s'.", arg);
                return 1;
        case 'w':
        case VIEW_O_WIDE:
                a->wide = true;
                return 1;
        case VIEW_O_FILTER:
        case VIEW_O_EXCLUDE:
                return filter_add(&a->filter, arg, c == VIEW_O_EXCLUDE) < 0 ? -EINVAL : 1;
        case VIEW_O_SORT:
                if (render_sort_from_string(arg, &a->sort) < 0)
                        return log_error_errno(-EINVAL, "Bad --sort '%s' (see --help).", arg);
                return 1;
        default:
                return 0;
        }
}
