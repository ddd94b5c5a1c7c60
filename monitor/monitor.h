/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "exitcode.h"
#include "guest.h"
#include "xstore.h"

/*
 * Exit statuses of every command (shared/exitcode.h): EXIT_DONE, for request
 * every answer was done; EXIT_FAILED, a request failed or a named domain does
 * not exist; EXIT_TIMEOUT, no answer in time, no agent, or the domain went
 * away; EXIT_USAGE; EXIT_INTERNAL.
 */

struct command {
        const char *name;
        int (*run)(int argc, char **argv); /* returns an exit status */
        const char *summary;
};

const struct command *command_find(const char *name);
void commands_help(FILE *f);

int cmd_status(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_request(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

/*
 * Resolves DOMAIN arguments (domids or names) against the guests in xenstore.
 * With no arguments, every guest. Sorted, without duplicates.
 */
int domains_select(struct xstore *x, char **args, int n, unsigned **ret, unsigned *ret_n);
