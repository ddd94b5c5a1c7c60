/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the commands share beyond the command table, which the fuzz targets
 * leave out: the table options of status and watch, and the last write of
 * the output.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "log.h"
#include "monitor.h"

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
