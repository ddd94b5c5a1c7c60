/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

struct daemon_options {
        const char *root;      /* the system the agent judges: "/" in production */
        const char *state_dir; /* kernel cache, request ids, prepare backups; NULL: in the root */
        const char *config;    /* the owner's configuration file; NULL: POLICY_PATH in the root */
        bool foreground;
};

/* Runs the agent until SIGTERM or SIGINT; returns an exit status. */
int daemon_main(const struct daemon_options *o);
