/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "guest.h"
#include "xstore.h"

/* Exit statuses of every command. */
enum {
        EXIT_DONE = 0,     /* success; for request: every answer was done */
        EXIT_FAILED = 1,   /* a request failed, or a named domain does not exist */
        EXIT_TIMEOUT = 2,  /* no answer in time, no agent, or the domain went away */
        EXIT_USAGE = 3,
        EXIT_INTERNAL = 4,
};

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

/*
 * Resolves DOMAIN arguments (domids or names) against the guests in xenstore.
 * With no arguments, every guest. Sorted, without duplicates.
 */
int domains_select(struct xstore *x, char **args, int n, unsigned **ret, unsigned *ret_n);
