/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "log.h"
#include "monitor.h"

int cmd_serve(int argc, char **argv)
{
        log_error("Not implemented yet.");
        return EXIT_INTERNAL;
}
