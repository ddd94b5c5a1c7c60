/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>

#include "cmd.h"
#include "macro.h"
#include "prepare-cli.h"
#include "util.h"

static const struct command commands[] = {
        { "check", cmd_check, "tell whether the next boot works under PVH, and why not" },
        { "daemon", cmd_daemon, "publish the readiness to xenstore and answer requests" },
        { "prepare", prepare_cli_main, "change the boot configuration for PVH" },
        { "rollback", prepare_cli_main, "restore every file the last prepare changed" },
        { "recover", prepare_cli_main, "finish or undo what a crash interrupted" },
        { "history", cmd_history, "list the host's requests that changed this guest, or were refused" },
        { "policy", cmd_policy, "show what the host may request, as this guest's owner chose" },
        { "switch", cmd_switch, "ask the host for PVH at the next boot, or cancel that" },
        { "status", cmd_status, "show the verdict and whether PVH comes at the next boot" },
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
        fprintf(f, "Usage: pvh-agent [--version] COMMAND [OPTIONS...]\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-8s  %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\nRun 'pvh-agent COMMAND --help' for a command's options.\n"
                   "Exit status: 0 done, 1 failed, 4 usage, 5 internal; check: 0 ready,\n"
                   "1 fixable, 2 blocked, 3 unknown.\n");
}
