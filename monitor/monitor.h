/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "exitcode.h"
#include "filter.h"
#include "guest.h"
#include "render.h"
#include "xstore.h"

/*
 * Exit statuses of every command (shared/exitcode.h): EXIT_DONE, for request
 * every answer was done; EXIT_FAILED, a request failed or a named domain does
 * not exist; EXIT_TIMEOUT, no answer in time, no agent, or the domain went
 * away; EXIT_USAGE; EXIT_INTERNAL.
 */
/* migrate: the waves ran, some guests are done and others not. */
#define EXIT_PARTIAL EXIT_BLOCKED

struct command {
        const char *name;
        int (*run)(int argc, char **argv); /* returns an exit status */
        const char *summary;
};

const struct command *command_find(const char *name);
/* A command's exit status, or EXIT_INTERNAL (logged) when its output could not be written. */
int command_flush(int status);

/*
 * The options status and watch share: how the table looks and which guests
 * it holds. VIEW_OPTIONS are their getopt_long entries; view_option() takes
 * one: 1 when it was one of them, 0 when not, < 0 (logged) when its value
 * is bad.
 */
struct view_args {
        bool json, wide;
        enum render_color color;
        enum render_sort sort;
        struct filter filter;
};

enum { VIEW_O_FILTER = 0x200, VIEW_O_EXCLUDE, VIEW_O_SORT, VIEW_O_WIDE, VIEW_O_COLOR, VIEW_O_JSON };
#define VIEW_OPTIONS                                                                                    \
        { "json", no_argument, NULL, VIEW_O_JSON }, { "color", required_argument, NULL, VIEW_O_COLOR }, \
        { "wide", no_argument, NULL, VIEW_O_WIDE }, { "filter", required_argument, NULL, VIEW_O_FILTER }, \
        { "exclude", required_argument, NULL, VIEW_O_EXCLUDE }, { "sort", required_argument, NULL, VIEW_O_SORT }
int view_option(int c, const char *arg, struct view_args *a);
void commands_help(FILE *f);

int cmd_status(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_request(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_trial(int argc, char **argv);

/*
 * Resolves DOMAIN arguments (domids or names) against the guests in xenstore.
 * With no arguments, every guest. Sorted, without duplicates.
 */
int domains_select(struct xstore *x, char **args, int n, unsigned **ret, unsigned *ret_n);
/* One DOMAIN argument: the domid, or -ENOENT (not logged) when no guest is that. */
int domains_find(struct xstore *x, const char *arg, unsigned *ret);
