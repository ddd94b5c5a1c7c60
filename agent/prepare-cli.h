/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* pvh-agent prepare | rollback | recover: argv[0] is the command; returns an exit status. */
int prepare_cli_main(int argc, char **argv);
