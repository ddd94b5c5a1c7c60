/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "exitcode.h"

/* One command of pvh-agent: agent/cmdtable.c lists them all. */
struct command {
        const char *name;
        int (*run)(int argc, char **argv); /* argv[0] is the command; returns an exit status */
        const char *summary;
};

const struct command *command_find(const char *name);
void commands_help(FILE *f);

/* `pvh-agent check [OPTIONS]`: the readiness report. */
int cmd_check(int argc, char **argv);
/* `pvh-agent daemon [OPTIONS]`: publishes the state to xenstore and answers requests. */
int cmd_daemon(int argc, char **argv);
/* `pvh-agent history [OPTIONS] [ENTRY]`: the host's requests that changed the guest. */
int cmd_history(int argc, char **argv);
/* `pvh-agent policy [OPTIONS]`: what the owner allows the host to request. */
int cmd_policy(int argc, char **argv);
/* `pvh-agent switch --at-next-boot|--cancel`: the owner asks the host for PVH at the next boot. */
int cmd_switch(int argc, char **argv);
/* `pvh-agent status`: the verdict, and whether the guest switches at its next boot. */
int cmd_status(int argc, char **argv);
