/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define CMD_EXIT_USAGE 4

/* `pvh-agent [OPTIONS]`: the daemon. */
int cmd_daemon(int argc, char **argv);
