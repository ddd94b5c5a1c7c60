/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>

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
        { "inspect", cmd_inspect, "read the disks of guests without an agent and judge them" },
        { "migrate", cmd_migrate, "staged PV to PVH migrations: plan, run, resume, status, abort" },
        { "trial", cmd_trial, "boot a throwaway copy of guests as PVH, on disk snapshots" },
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
