/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* pvh-agent prepare | rollback | recover: argv[1] is the command. */
bool prepare_cli_handles(const char *command);
int prepare_cli_main(int argc, char **argv);
